r"""Kerberos principals are the ``DOMAIN\name`` users of Windows' own events once their realm is known (task I1).

Zeek's ``kerberos.log`` and a KDC's 4768/4769/4771 name an account in its realm kept whole
(``theshire.local\pgustavo``); Windows' 4624/4672/4688 in its NetBIOS domain (``theshire\pgustavo``).
The projection learns realm -> NetBIOS domain from Windows hosts' own machine accounts (a Security
event of ``WORKSTATION5.theshire.local`` whose SYSTEM account is ``THESHIRE\WORKSTATION5$``) once two
distinct hosts gave the same name, takes the operator's map (``GRAPHSIEM_REALM_DOMAINS``) over it,
keeps a realm whole on conflicting evidence (two hosts for each name), and names each event with the
map the events before it in the journal left (:mod:`ingest.projection_realms`).  One host's word maps
nothing and undoes nothing: :mod:`tests.ingest.test_realm_domains_one_host` shows it.

The Windows records are Winlogbeat 7 records written after Microsoft's event schemas; the Zeek ones
follow ``kerberos.log``'s fields.  The corpus test reads ``$GRAPHSIEM_SAMPLES``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from graphsiem.model import Event, Projection
from ingest import projection_realms
from ingest.parsers.base import ParseContext
from ingest.projection import JOIN_STATE_VERSION, Projector
from ingest.realm_domains import REALM_DOMAINS_ENV, machine_account_evidence, parse_realm_domains
from ingest.registry import default_registry
from tests.ingest.parsers.test_windows_corpus import _parse_file
from tests.ingest.parsers.test_windows_variants import _winlogbeat
from tests.ingest.test_projection_variants import one_record_per_call

WORKSTATION = "WORKSTATION5.theshire.local"
SECOND_WORKSTATION = "WORKSTATION6.theshire.local"
DC = "MORDORDC.theshire.local"
USER_SID = "S-1-5-21-4228717743-1032521047-1810997296-1104"
WINDOWS_USER = ("user", "theshire\\pgustavo")
REALM_USER = ("user", "theshire.local\\pgustavo")
TS = 1709633730.0  # the Winlogbeat records' day (2024-03-05)


def security(event_id: int, data: dict[str, Any], computer: str, record_id: int = 1) -> dict[str, Any]:
    record = _winlogbeat(event_id, data, channel="Security", record_id=record_id)
    record["winlog"]["computer_name"] = computer
    record["event"]["module"] = "security"
    return record


def system_process(computer: str = WORKSTATION, domain: str = "THESHIRE", *, sid: str = "S-1-5-18",
                   account: str | None = None, record_id: int = 1) -> dict[str, Any]:
    """A 4688 of a process the machine started as SYSTEM: its subject is the machine account."""
    return security(4688, {
        "SubjectUserSid": sid, "SubjectUserName": account or computer.split(".")[0] + "$",
        "SubjectDomainName": domain, "SubjectLogonId": "0x3e7", "TargetUserSid": "S-1-0-0",
        "TargetUserName": "-", "TargetDomainName": "-", "TargetLogonId": "0x0",
        "NewProcessName": "C:\\Windows\\System32\\svchost.exe", "NewProcessId": "0x2a0", "ProcessId": "0x260",
        "CommandLine": "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
        "ParentProcessName": "C:\\Windows\\System32\\services.exe"}, computer, record_id)


def two_hosts(domain: str = "THESHIRE", *, first: str = WORKSTATION, second: str = SECOND_WORKSTATION,
              record_id: int = 1) -> list[dict[str, Any]]:
    """The SYSTEM 4688s of two hosts of one DNS domain naming the same NetBIOS domain: what teaches it."""
    return [system_process(first, domain, record_id=record_id),
            system_process(second, domain, record_id=record_id + 1)]


def machine_logon(computer: str = DC, domain: str = "THESHIRE", *, account: str | None = None,
                  sid: str = "S-1-5-18", record_id: int = 1) -> dict[str, Any]:
    """A 4624 of a machine account on ``computer``: its own (SYSTEM) unless ``account`` names another."""
    return security(4624, {
        "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-",
        "TargetUserSid": sid, "TargetUserName": account or computer.split(".")[0] + "$",
        "TargetDomainName": domain, "LogonType": "3", "IpAddress": "-", "IpPort": "-",
        "WorkstationName": "-"}, computer, record_id)


def user_process(record_id: int = 1) -> dict[str, Any]:
    """pgustavo runs ``whoami`` on the workstation (4688: ``theshire\\pgustavo RUN_AS``)."""
    return security(4688, {
        "SubjectUserSid": USER_SID, "SubjectUserName": "pgustavo", "SubjectDomainName": "THESHIRE",
        "SubjectLogonId": "0x8a1f2", "TargetUserSid": "S-1-0-0", "TargetUserName": "-",
        "TargetDomainName": "-", "NewProcessName": "C:\\Windows\\System32\\whoami.exe",
        "NewProcessId": "0x1b4c", "ProcessId": "0x1a2c", "CommandLine": "whoami /all",
        "ParentProcessName": "C:\\Windows\\System32\\cmd.exe"}, WORKSTATION, record_id)


def tgt(record_id: int = 1) -> dict[str, Any]:
    """The DC's 4768: a TGT issued to pgustavo in the realm the client supplied."""
    return security(4768, {
        "TargetUserName": "pgustavo", "TargetDomainName": "THESHIRE.LOCAL", "TargetSid": USER_SID,
        "ServiceName": "krbtgt", "ServiceSid": "S-1-5-21-4228717743-1032521047-1810997296-502",
        "TicketOptions": "0x40810010", "Status": "0x0", "TicketEncryptionType": "0x12", "PreAuthType": "2",
        "IpAddress": "::ffff:172.18.39.5", "IpPort": "50211"}, DC, record_id)


def zeek_as(ts: float = TS, client: str = "pgustavo/THESHIRE.LOCAL") -> dict[str, Any]:
    """Zeek's kerberos.log record of the same TGT request, on the wire."""
    return {"_path": "kerberos", "ts": ts, "uid": f"C{int(ts * 1000)}", "id.orig_h": "172.18.39.5",
            "id.orig_p": 50211, "id.resp_h": "172.18.39.36", "id.resp_p": 88, "request_type": "AS",
            "client": client, "service": "krbtgt/THESHIRE.LOCAL", "success": True}


def events(*records: dict[str, Any]) -> list[Event]:
    """Each record through the parser the registry detects for it, ids in record order."""
    registry = default_registry()
    parsed = []
    for number, record in enumerate(records):
        for event in registry.detect(record).parse(dict(record), ParseContext()):
            event.id = f"e{number}"
            parsed.append(event)
    return parsed


def users(projection: Projection) -> set[tuple[str, str]]:
    return {entity.ref for entity in projection.entities if entity.type == "user"}


def kerberos_users(projector: Projector, *records: dict[str, Any]) -> set[tuple[str, str]]:
    """The users of ``records`` (Kerberos ones) as ``projector`` names them now."""
    return users(projector.project(events(*records)))


# -- the evidence ---------------------------------------------------------------------------------

@pytest.mark.parametrize("record", [
    system_process(),  # 4688 of a SYSTEM process
    machine_logon(),  # 4624 of the machine's own logon
    security(4672, {"SubjectUserSid": "S-1-5-18", "SubjectUserName": "MORDORDC$", "SubjectDomainName": "THESHIRE",
                    "SubjectLogonId": "0x3e7", "PrivilegeList": "SeTcbPrivilege"}, DC),
    system_process(sid="S-1-5-20"),  # a NETWORK SERVICE process is the machine account too
    system_process("VERYLONGCOMPUTERNAME01.theshire.local", account="VERYLONGCOMPUTE$"),  # NetBIOS cut to 15
], ids=["4688", "4624", "4672", "network-service", "long-computer-name"])
def test_a_host_naming_its_own_machine_account_is_evidence_of_its_domain(record: dict[str, Any]) -> None:
    (event,) = events(record)
    assert machine_account_evidence(event.fields) == ("theshire.local", "theshire")


@pytest.mark.parametrize("record", [
    # a network logon of another machine's account on the DC: its domain is not the DC's to say
    machine_logon(account="WORKSTATION5$", sid="S-1-5-21-4228717743-1032521047-1810997296-1105"),
    # the machine's own account under its domain SID (a Kerberos network logon: the domain may be the
    # realm the client typed, which the parser cut to its first label)
    machine_logon(sid="S-1-5-21-4228717743-1032521047-1810997296-1000"),
    system_process("WORKSTATION5"),  # no DNS domain written
    system_process(domain="WORKGROUP"),  # a machine outside a domain
    system_process(account="pgustavo"),  # a user, not a machine account
    user_process(),
], ids=["another-machine", "domain-sid", "short-name", "workgroup", "user-account", "user-process"])
def test_nothing_else_is_evidence(record: dict[str, Any]) -> None:
    (event,) = events(record)
    assert machine_account_evidence(event.fields) is None


# -- naming Kerberos users ------------------------------------------------------------------------

def test_kerberos_users_join_the_windows_user_once_two_hosts_of_the_realm_named_its_domain() -> None:
    projection = Projector().project(events(*two_hosts(), user_process(), tgt(), zeek_as()))
    assert users(projection) == {WINDOWS_USER, ("user", "theshire\\workstation5$"), ("user", "theshire\\workstation6$")}
    logged_on = {(r.src, r.dst) for r in projection.relations if r.type == "LOGGED_ON"}
    # the KDC's TGT and the wire's are the user whose process ran on the workstation
    assert (WINDOWS_USER, ("host", "mordordc")) in logged_on
    assert (WINDOWS_USER, ("ip", "172.18.39.36")) in logged_on
    assert {r.dst for r in projection.relations if r.type == "RUN_AS"} >= {WINDOWS_USER}


def test_a_machine_principal_on_the_wire_is_the_machine_account_windows_names() -> None:
    projector = Projector()
    projector.project(events(*two_hosts()))
    assert kerberos_users(projector, zeek_as(client="WORKSTATION5$/THESHIRE.LOCAL")) == {
        ("user", "theshire\\workstation5$")}


def test_a_kerberos_user_before_its_realm_is_known_stays_the_realm_user_and_later_ones_are_named() -> None:
    """The order rule: each event is named with the map the events before it in the journal left."""
    records = [tgt(1), *two_hosts(record_id=2), zeek_as()]
    whole = Projector().project(events(*records))
    assert users(whole) == {REALM_USER, WINDOWS_USER, ("user", "theshire\\workstation5$"),
                            ("user", "theshire\\workstation6$")}
    # one event per batch gives the same nodes: the map is the projector's join state
    one_by_one = Projector()
    per_event = set().union(*(users(one_by_one.project([event])) for event in events(*records)))
    assert per_event == users(whole)


def test_a_realm_two_hosts_give_another_netbios_name_is_kept_whole_for_good() -> None:
    projector = Projector()
    projector.project(events(*two_hosts()))
    assert kerberos_users(projector, tgt()) == {WINDOWS_USER}
    # one host of the same DNS domain naming itself into another domain is ignored ...
    projector.project(events(system_process("ROGUE.theshire.local", "MORDOR")))
    assert kerberos_users(projector, tgt()) == {WINDOWS_USER}
    # ... a second one makes it a conflict
    projector.project(events(system_process("ROGUE2.theshire.local", "MORDOR")))
    assert kerberos_users(projector, tgt()) == {REALM_USER}
    # evidence of either name afterwards does not bring the mapping back, nor does a restart
    projector.project(events(system_process("WS7.theshire.local"), *two_hosts("MORDOR", first="ROGUE3.theshire.local",
                                                                                  second="ROGUE4.theshire.local")))
    restarted = Projector()
    assert restarted.restore_join_state(projector.join_state())
    assert kerberos_users(restarted, tgt(), zeek_as()) == {REALM_USER}


def test_two_dns_domains_of_one_netbios_domain_are_no_conflict() -> None:
    """Hosts of one domain with regional DNS suffixes: each suffix maps, and the realm with them."""
    projector = Projector()
    projector.project(events(*two_hosts(first="WS1.eu.theshire.local", second="WS2.eu.theshire.local"),
                             *two_hosts()))
    assert kerberos_users(projector, zeek_as(client="pgustavo/EU.THESHIRE.LOCAL")) == {WINDOWS_USER}
    assert kerberos_users(projector, tgt()) == {WINDOWS_USER}


def test_the_learnt_realms_are_bounded_and_undecided_ones_make_room(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the bound the older half of the realms no name has two hosts for yet is forgotten; a decided
    realm stays."""
    monkeypatch.setattr(projection_realms, "REALM_LIMIT", 4)
    projector = Projector()
    projector.project(events(*two_hosts(), *(system_process(f"WS{n}.site{n}.example") for n in range(6))))
    assert len(projector._realm_domains) <= 4
    assert "theshire.local" in projector._realm_domains
    assert kerberos_users(projector, tgt()) == {WINDOWS_USER}
    # an undecided realm forgotten is learnt again from its hosts' next events
    projector.project(events(*two_hosts("SITE0", first="A.site0.example", second="B.site0.example")))
    assert kerberos_users(projector, zeek_as(client="bob/SITE0.EXAMPLE")) == {("user", "site0\\bob")}


# -- the operator's map ---------------------------------------------------------------------------

def test_the_operators_map_names_a_realm_no_host_taught() -> None:
    projector = Projector(realm_domains={"AD.CONTOSO.COM": "CONTOSO"})
    assert kerberos_users(projector, zeek_as(client="bob/AD.CONTOSO.COM")) == {("user", "contoso\\bob")}


def test_the_operators_map_wins_over_the_learnt_one() -> None:
    projector = Projector(realm_domains={"theshire.local": "shire"})
    projector.project(events(*two_hosts()))
    assert kerberos_users(projector, tgt()) == {("user", "shire\\pgustavo")}
    # "" keeps the realm whole whatever the hosts say
    projector = Projector(realm_domains={"theshire.local": ""})
    projector.project(events(*two_hosts()))
    assert kerberos_users(projector, tgt(), zeek_as()) == {REALM_USER}


def test_the_operators_map_is_read_from_the_environment_and_kept_by_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REALM_DOMAINS_ENV, '{"THESHIRE.LOCAL.": "THESHIRE"}')
    projector = Projector()
    assert kerberos_users(projector, tgt()) == {WINDOWS_USER}
    monkeypatch.delenv(REALM_DOMAINS_ENV)
    assert kerberos_users(projector.fork(projector.ipmap), zeek_as()) == {WINDOWS_USER}


@pytest.mark.parametrize(("value", "reason"), [
    ("theshire.local=theshire", "not JSON"),
    ('["theshire.local"]', "must be an object"),
    ('{"theshire.local": "the.shire"}', "'theshire.local': 'the.shire' is not a NetBIOS domain name"),
    ('{"theshire.local": "averyveryverylongname"}', "is not a NetBIOS domain name"),
    ('{"the\\\\shire": "shire"}', "not a realm"),
    ('{"theshire.local": 1}', "must be text"),
    ('{"THESHIRE.LOCAL": "a", "theshire.local": "b"}', "two NetBIOS domains"),
])
def test_a_bad_operator_map_is_refused_naming_the_entry_and_reason(monkeypatch: pytest.MonkeyPatch, value: str,
                                                                   reason: str) -> None:
    monkeypatch.setenv(REALM_DOMAINS_ENV, value)
    with pytest.raises(ValueError, match=REALM_DOMAINS_ENV) as caught:
        Projector()
    assert reason in str(caught.value)


def test_the_setting_validates_the_map_as_the_projector_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from graphsiem.settings import Settings

    monkeypatch.setenv(REALM_DOMAINS_ENV, '{"TheShire.Local": "THESHIRE"}')
    assert Settings().realm_domains == parse_realm_domains(json.loads('{"theshire.local": "theshire"}'))
    monkeypatch.setenv(REALM_DOMAINS_ENV, "theshire.local")
    with pytest.raises(ValidationError, match="not JSON"):
        Settings()


# -- join state, and live = replay ----------------------------------------------------------------

def test_the_learnt_realms_are_join_state() -> None:
    first = Projector()
    first.project(events(*two_hosts()))
    second = Projector()
    assert second.restore_join_state(first.join_state())
    assert kerberos_users(second, tgt()) == {WINDOWS_USER}
    # one host's evidence is join state too: the second host's event in the next call completes it
    half = Projector()
    half.project(events(system_process()))
    resumed = Projector()
    assert resumed.restore_join_state(half.join_state())
    resumed.project(events(system_process(SECOND_WORKSTATION)))
    assert kerberos_users(resumed, tgt()) == {WINDOWS_USER}
    assert JOIN_STATE_VERSION == 7
    old = json.loads(first.join_state())
    old["_realm_domains"] = [["theshire.local", "theshire"]]  # version 6: one name per realm, one host set it
    old["version"] = 6
    assert Projector().restore_join_state(json.dumps(old).encode()) is False
    old["version"] = 7  # the old shape under the new version is refused, not misread
    assert Projector().restore_join_state(json.dumps(old).encode()) is False


SEQUENCE = [
    zeek_as(TS - 60),  # before any evidence: stays the realm's user
    tgt(1),
    system_process(record_id=2),  # one host's evidence: nothing yet
    zeek_as(TS, client="merry/THESHIRE.LOCAL"),  # stays the realm's user
    system_process(SECOND_WORKSTATION, record_id=3),  # the second host: learnt
    user_process(4),
    zeek_as(TS + 1),  # named theshire\pgustavo from here on
    tgt(5),
    system_process("ROGUE.theshire.local", "MORDOR", record_id=6),  # one dissenting host: ignored
    zeek_as(TS + 2, client="frodo/THESHIRE.LOCAL"),  # still theshire\frodo
    system_process("ROGUE2.theshire.local", "MORDOR", record_id=7),  # a second one: a conflict, kept whole
    zeek_as(TS + 3, client="samwise/THESHIRE.LOCAL"),
]


def test_realm_names_across_ingest_calls_are_the_replayed_graph(store: Any, tmp_path: Any) -> None:
    """One record per call (each call reads the join state back) makes the graph one replay makes."""
    live, rebuilt = one_record_per_call(store, tmp_path, SEQUENCE)
    users_live = {key for key in live["entities"] if key[0] == "user"}
    assert {REALM_USER, WINDOWS_USER, ("user", "theshire.local\\samwise"), ("user", "theshire.local\\merry"),
            ("user", "theshire\\frodo")} <= users_live
    assert not {("user", "theshire\\samwise"), ("user", "theshire\\merry"), ("user", "theshire.local\\frodo")} & users_live
    # the TGTs after the evidence, on the wire and at the KDC, are the Windows user's log-ons
    assert {(WINDOWS_USER, "LOGGED_ON", ("ip", "172.18.39.36")),
            (WINDOWS_USER, "LOGGED_ON", ("host", "mordordc"))} <= set(live["relations"])
    for part in ("counts", "entities", "relations", "sightings"):
        assert live[part] == rebuilt[part], part


def test_the_operators_map_across_ingest_calls_is_the_replayed_graph(store: Any, tmp_path: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REALM_DOMAINS_ENV, '{"theshire.local": "theshire"}')
    live, rebuilt = one_record_per_call(store, tmp_path, SEQUENCE)
    users_live = {key for key in live["entities"] if key[0] == "user"}
    assert REALM_USER not in users_live and ("user", "theshire\\samwise") in users_live
    for part in ("counts", "entities", "relations", "sightings"):
        assert live[part] == rebuilt[part], part


# -- the corpus -----------------------------------------------------------------------------------

def test_the_corpus_hosts_name_their_realm_by_their_own_machine_accounts() -> None:
    """empire_enable_rdp: HFDC01.shire.com's 4769 of its own account (``shire.com\\hfdc01$``) comes one record
    before its 4672/4624 as ``SHIRE\\HFDC01$`` under SYSTEM: that ticket stays the realm's user (the
    order rule).  HFDC01 alone would teach nothing (two hosts are needed); HR001 and IT001 name
    themselves ``SHIRE\\HR001$`` and ``SHIRE\\IT001$`` under SYSTEM too, so ``shire.com`` is learnt from
    the first two hosts, HFDC01 and HR001, and maps every Kerberos event after them."""
    corpus, _, _ = _parse_file("empire_enable_rdp_2019-05-18203650.json")
    projector = Projector()
    graph = projector.project(corpus)
    tickets = [event for event in corpus if event.kind == "winsec:kerberos_service_ticket"]
    assert [event.fields["user.name"] for event in tickets] == ["shire.com\\hfdc01$"]
    assert {("user", "shire.com\\hfdc01$"), ("user", "shire\\hfdc01$")} <= users(graph)
    assert projector._realm_domains == {"shire.com": (("shire", ("hfdc01", "hr001")),)}
    assert users(projector.project(tickets)) == {("user", "shire\\hfdc01$")}
