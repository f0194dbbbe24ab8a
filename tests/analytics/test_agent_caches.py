"""Management agents' own caches (task BEN): Intune's IMECache and ConfigMgr's ccmcache installs.

Hand-built processes and ``SPAWNED`` relations: the real agent, a service in its own install folder,
starting msiexec (or a setup) from a subfolder of its own cache is a managed installer; every forgery
an attacker can afford without the management service (a look-alike or user-writable folder, a
renamed binary, an unsigned or differently signed agent, an agent no service started, a package
outside the cache or reached by ``..``) is not.  :class:`AgentFetches` on a real embedded store:
a download is the agents' only when no other process resolved its domain.
"""

from __future__ import annotations

import pytest

from analytics.agent_caches import (
    AgentFetches,
    agents_delivered,
    fetched_on_hosts,
    fetches_explain_download,
)
from analytics.entity_stats import Window
from analytics.lineage import image_name
from analytics.managed_installs import is_managed_deployment, managed_installs
from graphsiem.model import Entity, Relation, Sighting
from graphsiem.store.embedded import EmbeddedStore

SERVICES = r"C:\Windows\system32\services.exe"
MSIEXEC = r"C:\Windows\System32\msiexec.exe"
IME_HOME = r"C:\Program Files (x86)\Microsoft Intune Management Extension"
IME = IME_HOME + r"\Microsoft.Management.Services.IntuneWindowsAgent.exe"
CCMEXEC = r"C:\Windows\CCM\CcmExec.exe"
IME_INSTALL = r'msiexec /i "C:\Windows\IMECache\qwhzkplm\NorthgateVPN-7.4.2-x64.msi" /qn /norestart'
VPN = r"C:\Program Files\Northgate\VPN\ngvpnsvc.exe"


def _process(key: str, image: str, command_line: str | None = None, **props) -> Entity:
    line = command_line or f'"{image}"'
    return Entity("process", key, line, {"image": image, "command_line": line, **props})


def _managed(children: list[tuple[Entity, Entity]]):
    """``(parent, child)`` processes -> :func:`managed_installs` over them."""
    processes = {e.ref: e for pair in children for e in pair}
    spawned = [Relation(p.ref, "SPAWNED", c.ref, 0.0, 0.0) for p, c in children]
    images = {ref: image_name(e.value, e.props) for ref, e in processes.items()}
    return managed_installs(processes, spawned, images)


def _services() -> Entity:
    return _process("services", SERVICES, SERVICES)


def test_msiexec_the_intune_extension_starts_from_its_cache_is_a_managed_installer():
    agent, msi = _process("ime", IME), _process("msi", MSIEXEC, IME_INSTALL)
    managed = _managed([(_services(), agent), (agent, msi)])
    assert managed.installers == {msi.ref}
    assert managed.agents == {agent.ref}


def test_a_setup_the_configmgr_client_starts_from_its_cache_is_a_managed_installer():
    agent = _process("ccm", CCMEXEC, CCMEXEC)
    setup = _process("setup", r"C:\Windows\ccmcache\1a\setup.exe", '"setup.exe" /S /v"/qn"')
    managed = _managed([(_services(), agent), (agent, setup)])
    assert managed.installers == {setup.ref}
    assert managed.agents == {agent.ref}


@pytest.mark.parametrize("agent_image", [
    # a look-alike install folder, a user-writable copy, the right folder on another machine's share
    r"C:\ProgramData\Microsoft Intune Management Extension\Microsoft.Management.Services.IntuneWindowsAgent.exe",
    r"C:\Users\Public\Microsoft Intune Management Extension\Microsoft.Management.Services.IntuneWindowsAgent.exe",
    r"\\fs1\c$\Program Files (x86)\Microsoft Intune Management Extension\AgentExecutor.exe",
    # the right folder reached by ".." from a user's: it resolves to the user's folder
    r"C:\Program Files (x86)\Microsoft Intune Management Extension\..\..\Users\x\AgentExecutor.exe",
    # a renamed binary in the agent's folder
    IME_HOME + r"\updater.exe",
])
def test_an_agent_outside_its_own_folder_or_renamed_starts_no_managed_install(agent_image):
    agent, msi = _process("ime", agent_image), _process("msi", MSIEXEC, IME_INSTALL)
    managed = _managed([(_services(), agent), (agent, msi)])
    assert managed.installers == frozenset() and managed.agents == frozenset()


@pytest.mark.parametrize("props", [
    {"signed": False}, {"signature_status": "Expired"}, {"signature": "Contoso Ltd", "signature_status": "Valid"},
])
def test_an_unsigned_or_differently_signed_agent_starts_no_managed_install(props):
    agent, msi = _process("ime", IME, **props), _process("msi", MSIEXEC, IME_INSTALL)
    assert _managed([(_services(), agent), (agent, msi)]).installers == frozenset()


def test_an_agent_signed_by_microsoft_starts_a_managed_install():
    agent = _process("ime", IME, signed=True, signature="Microsoft Corporation", signature_status="Valid")
    msi = _process("msi", MSIEXEC, IME_INSTALL)
    assert _managed([(_services(), agent), (agent, msi)]).installers == {msi.ref}


@pytest.mark.parametrize("parent", [
    _process("explorer", r"C:\Windows\explorer.exe"),
    _process("fake-scm", r"C:\Users\Public\services.exe"),
])
def test_an_agent_no_service_started_starts_no_managed_install(parent):
    agent, msi = _process("ime", IME), _process("msi", MSIEXEC, IME_INSTALL)
    assert _managed([(parent, agent), (agent, msi)]).installers == frozenset()


@pytest.mark.parametrize("command_line", [
    r'msiexec /i "C:\Windows\IMECache\..\..\Users\Public\app.msi" /qn',  # out of the cache by ".."
    r'msiexec /i "C:\Windows\IMECache\app.msi" /qn',  # the cache itself, not an item's folder
    r'msiexec /i "C:\Windows\ccmcache\1a\app.msi" /qn',  # another agent's cache
    r'msiexec /i "C:\ProgramData\IMECache\1a\app.msi" /qn',  # a look-alike cache
    r"msiexec /i \\deploy.corp.example\packages\app.msi /qn",  # a share: no agent's cache at all
])
def test_an_agents_msiexec_outside_its_own_cache_is_not_managed(command_line):
    agent, msi = _process("ime", IME), _process("msi", MSIEXEC, command_line)
    assert _managed([(_services(), agent), (agent, msi)]).installers == frozenset()


@pytest.mark.parametrize("image", [
    r"C:\Windows\ccmcache\1a\powershell.exe",  # a script host copied into the cache keeps its name
    r"C:\Windows\ccmcache\..\Temp\setup.exe",
    r"C:\Users\Public\ccmcache\1a\setup.exe",
])
def test_a_script_host_or_a_program_outside_the_cache_is_no_cache_installer(image):
    agent, setup = _process("ccm", CCMEXEC, CCMEXEC), _process("setup", image)
    assert _managed([(_services(), agent), (agent, setup)]).installers == frozenset()


def test_an_agent_fetched_package_makes_a_deployment_without_an_installer_member():
    agent, msi, vpn = _process("ime", IME), _process("msi", MSIEXEC, IME_INSTALL), _process("vpn", VPN)
    managed = _managed([(_services(), agent), (agent, msi), (_services(), vpn)])
    members = [("domain", "gw.northgate-vpn.com"), vpn.ref]
    assert is_managed_deployment(managed, members, behaviours=(), interpreters=0, fetched_by_agents=True)
    assert not is_managed_deployment(managed, members, behaviours=(), interpreters=0)
    # a process no installer or service deployed (a payload) is never part of one
    payload = _process("payload", r"C:\Users\Public\svc.exe")
    assert not is_managed_deployment(managed, [*members, payload.ref], behaviours=(), interpreters=0,
                                     fetched_by_agents=True)


@pytest.fixture
def store(tmp_path):
    store = EmbeddedStore(tmp_path / "graph")
    yield store
    store.close()


URL = "http://swdb02.manage.microsoft.com/5c0f/7d1c.intunewin.bin"
DOMAIN = "swdb02.manage.microsoft.com"
CDN = "13.107.4.50"
"""The address the agents' lookups of DOMAIN answered."""
ADMIN_SERVER = "10.20.0.66"
"""An administrator's own server: a request with ``Host: swdb02.manage.microsoft.com`` sent there."""


def _fetch(store, resolvers: list[str], *, seen: float = 100.0, served_from: tuple[str, ...] = (CDN,),
           answers: tuple[str, ...] = (CDN,), answered: float | None = None) -> None:
    """The agents' download of URL: its domain resolved by ``resolvers`` to ``answers`` (at ``answered``),
    the URL and the file served from ``served_from`` (the sensor's server address)."""
    entities = [Entity("url", URL, URL), Entity("domain", DOMAIN, DOMAIN), Entity("file", "abc", "7d1c.intunewin.bin")]
    entities += [Entity("process", key, key) for key in resolvers]
    entities += [Entity("ip", ip, ip) for ip in {*served_from, *answers}]
    relations = [Relation(("url", URL), "ON", ("domain", DOMAIN), seen, seen),
                 Relation(("file", "abc"), "SERVED_BY", ("url", URL), seen, seen),
                 Relation(("file", "abc"), "SERVED_BY", ("domain", DOMAIN), seen, seen)]
    relations += [Relation(("process", key), "RESOLVED", ("domain", DOMAIN), seen, seen) for key in resolvers]
    at = seen if answered is None else answered
    relations += [Relation(("domain", DOMAIN), "RESOLVES_TO", ("ip", ip), at, at) for ip in answers]
    relations += [Relation(("url", URL), "SERVED_FROM", ("ip", ip), seen, seen) for ip in served_from]
    relations += [Relation(("file", "abc"), "SERVED_BY", ("ip", ip), seen, seen) for ip in served_from]
    store.upsert_entities(entities)
    store.upsert_relations(relations)
    store.flush()


def test_a_download_only_the_agents_resolved_is_theirs(store):
    _fetch(store, ["ime"])
    fetched = AgentFetches(store, Window(0.0, 1000.0), [("process", "ime")])
    assert fetched(("url", URL)) and fetched(("file", "abc"))
    new = [("domain", DOMAIN), ("url", URL), ("file", "abc")]
    assert agents_delivered(new, fetched)
    assert fetches_explain_download({"download_from_new_domain"}, new, (), fetched)


def test_a_download_another_process_also_resolved_is_not_the_agents(store):
    _fetch(store, ["ime", "payload"])
    fetched = AgentFetches(store, Window(0.0, 1000.0), [("process", "ime")])
    assert not fetched(("url", URL)) and not fetched(("file", "abc"))
    assert not agents_delivered([("url", URL)], fetched)


def test_a_lookup_after_the_window_is_unread(store):
    _fetch(store, ["ime"], seen=2000.0)
    assert not AgentFetches(store, Window(0.0, 1000.0), [("process", "ime")])(("url", URL))


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def each_store(request):
    """An empty store of each kind (the module's ``store`` is the embedded one)."""
    return request.getfixturevalue(f"{request.param}_store")


def test_the_agents_fetch_explains_a_download_only_on_hosts_where_an_agent_installed(each_store):
    store = each_store
    # the agent's node is one for the fleet: its cache install on ws-1 does not make its fetch on
    # srv-1, where it installed nothing, a deployment (an administrator's code in the service, task BEN2)
    _fetch(store, ["ime"])
    store.upsert_entities([Entity("process", "msi-ws1", "msi-ws1"), Entity("process", "msi-old", "msi-old")])
    store.upsert_sightings([Sighting("ws-1", ("process", "msi-ws1"), 100.0, 110.0),
                            Sighting("ws-2", ("process", "msi-old"), 5.0, 6.0)])
    store.flush()
    fetched = AgentFetches(store, Window(50.0, 1000.0), [("process", "ime")], [("process", "msi-ws1"), ("process", "msi-old")])
    assert fetched.installed_on(["ws-1"]) and fetched_on_hosts(fetched, ["ws-1"]) is fetched
    assert not fetched.installed_on(["ws-1", "srv-1"]) and fetched_on_hosts(fetched, ["ws-1", "srv-1"]) is None
    # an install before the window is no install of this one, and no host is no cluster
    assert not fetched.installed_on(["ws-2"]) and not fetched.installed_on([])


@pytest.mark.parametrize(("served_from", "answers"), [
    ((ADMIN_SERVER,), (CDN,)),  # Host: the agents' domain, sent to the administrator's server
    ((CDN, ADMIN_SERVER), (CDN,)),  # the same URL also fetched from the administrator's server
    ((), (CDN,)),  # no sensor saw where the request went
    ((CDN,), ()),  # the domain resolved to nothing the graph holds
])
def test_a_download_not_served_from_the_agents_domain_answers_is_not_theirs(each_store, served_from, answers):
    """Review R25 (task HOSTH): the URL's domain is the client's Host header; the address is the server."""
    _fetch(each_store, ["ime"], served_from=served_from, answers=answers)
    fetched = AgentFetches(each_store, Window(0.0, 1000.0), [("process", "ime")])
    assert not fetched(("url", URL)) and not fetched(("file", "abc"))
    assert not fetches_explain_download({"download_from_new_domain"}, [("url", URL), ("file", "abc")], (), fetched)


def test_a_download_served_from_the_agents_domain_answer_is_theirs_on_each_store(each_store):
    _fetch(each_store, ["ime"])
    fetched = AgentFetches(each_store, Window(0.0, 1000.0), [("process", "ime")])
    assert fetched(("url", URL)) and fetched(("file", "abc"))


def test_an_answer_after_the_window_is_unread(store):
    _fetch(store, ["ime"], answered=2000.0)
    assert not AgentFetches(store, Window(0.0, 1000.0), [("process", "ime")])(("url", URL))


def test_a_file_sent_by_an_address_the_domain_never_resolved_to_is_not_theirs(store):
    # the URL was served from the CDN, but this file came from the administrator's server (Zeek tx_hosts)
    _fetch(store, ["ime"])
    store.upsert_entities([Entity("ip", ADMIN_SERVER, ADMIN_SERVER)])
    store.upsert_relations([Relation(("file", "abc"), "SERVED_BY", ("ip", ADMIN_SERVER), 100.0, 100.0)])
    store.flush()
    fetched = AgentFetches(store, Window(0.0, 1000.0), [("process", "ime")])
    assert fetched(("url", URL)) and not fetched(("file", "abc"))
