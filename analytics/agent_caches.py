"""Management agents and their own caches: installs an Intune or ConfigMgr client runs (task BEN).

An Intune Win32 app (``benchmarks/scenarios/fp_intune_deploy.yaml``) is fetched by the Intune
Management Extension from Microsoft's content CDN into ``C:\\Windows\\IMECache\\<id>\\`` and installed
by ``msiexec`` that the extension starts, not services.exe; a ConfigMgr client (``CcmExec.exe``)
fetches into ``C:\\Windows\\ccmcache\\<id>\\`` and starts the setup from there.  Neither was a
managed install (:mod:`analytics.managed_installs` took only services.exe as the parent), and the
Intune package's new Microsoft domain read as "downloaded from a new domain": rank 5, 2.3–3.7
under the lowest attack.

A **management agent** (:func:`agent_cache_of`) is a process whose image is one of
:data:`MANAGEMENT_AGENTS`' names in that agent's own install folder on a local volume (read by
:func:`analytics.driver_paths.read_windows_path`: ``..`` resolved, shares and shadow copies are no
host's own), not said unsigned or invalid, and, when the telemetry names its signer, signed by
Microsoft.  What it starts is a managed install only from a subfolder of its own cache
(:func:`in_cache`), which sits in ``C:\\Windows`` (administrators only).  A look-alike folder
(``C:\\ProgramData\\Microsoft Intune Management Extension``), a user-writable copy, a renamed
binary, another signer or a package reached by ``..`` out of the cache is none of it; the agent's
own parent must be the Service Control Manager (checked by the caller).

A **download an agent fetched** (:class:`AgentFetches`): a URL on a domain that only management
agents that ran a managed install resolved (``process RESOLVED domain``, one at least), served only
from addresses that domain resolved to (``url SERVED_FROM ip``, one at least, each among the
domain's ``RESOLVES_TO`` answers: task HOSTH), and a file served only by such URLs and such
addresses.  A URL's domain is the HTTP ``Host`` header, which the client writes: an administrator
fetching a payload from their own server with ``Host:`` naming the agents' domain made a URL on
it; the address the request reached is the sensor's, and that domain never resolved to it.  The agent's process node is one for the whole fleet (its image and
command line), so an agent that ran a cache install on one host is an agent everywhere; the fetch
explains a cluster's download only when every host of the cluster ran such an install in the
window (:meth:`AgentFetches.installed_on`, task BEN2): an agent made to fetch a payload on hosts
where it installed nothing (code injected into the service by an administrator, its DNS lookups
then the agent's) is no deployment.  What is left to an attacker: the management service itself
(an Intune or ConfigMgr administrator's deployment), an agent made to fetch and install from its
own cache on each host, or an agent's binary replaced in place where the telemetry names no signer;
and for the Host header, a DNS answer naming the server's address for the agents' domain (a rogue
resolver a tool asked directly, an internal zone an administrator changed, a certificate naming it:
``RESOLVES_TO`` does not say whose lookup it answered).  A fetch through a web proxy, whose sensor
record's server is the proxy, is not the agents' (the safe side: the deployment is then scored as
any new software).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from analytics.build_signers import VALID_STATUSES
from analytics.driver_paths import read_windows_path
from analytics.entity_stats import Window
from graphsiem.model import Entity, EntityKey, EntityType, RelationType
from graphsiem.store.base import GraphStore

__all__ = [
    "MANAGEMENT_AGENTS", "MICROSOFT_SIGNERS", "AgentFetches", "ManagementAgent", "agent_cache_of", "agents_delivered", "fetched_on_hosts",
    "fetches_explain_download", "in_cache", "is_microsoft_signer", "not_microsoft_signed", "said_unsigned",
]


@dataclass(frozen=True, slots=True)
class ManagementAgent:
    """A management client: its image names, the folders it is installed in and its own download cache."""

    names: frozenset[str]
    homes: tuple[str, ...]
    cache: str


MANAGEMENT_AGENTS = (
    # the Intune Management Extension: its service and the executor it starts for Win32 apps and scripts
    ManagementAgent(frozenset({"microsoft.management.services.intunewindowsagent.exe", "agentexecutor.exe"}),
                    ("\\program files (x86)\\microsoft intune management extension",
                     "\\program files\\microsoft intune management extension"),
                    "\\windows\\imecache"),
    # the Configuration Manager client
    ManagementAgent(frozenset({"ccmexec.exe"}), ("\\windows\\ccm",), "\\windows\\ccmcache"),
)
"""The management agents whose own cache holds what they install (lower case, folders below the volume)."""
AGENT_NAMES = frozenset(name for agent in MANAGEMENT_AGENTS for name in agent.names)
MAX_RESOLVERS = 200
"""Processes read for one domain: past this many it is no agent's own content server."""
MAX_ANSWERS = 1000
"""Addresses read for one domain's DNS answers (and a URL's servers): past this many, no address is taken as
an answer (a fetch is then not the agents', the safe side)."""
MICROSOFT_SIGNERS = frozenset({
    "microsoft corporation", "microsoft windows", "microsoft windows publisher",
    "microsoft windows hardware compatibility publisher", "microsoft windows early launch anti-malware publisher",
})
"""The subject names Microsoft signs its own binaries with (lower case).  A name that only starts with
"Microsoft" is anyone's: a company may register a certificate as "Microsoft Update Tools Ltd" (review R25)."""


def said_unsigned(props: Mapping[str, object]) -> bool:
    """The telemetry said the image is unsigned or its signature invalid (ECS ``code_signature``, Sysmon 7)."""
    if props.get("signed") is False:
        return True
    status = props.get("signature_status")
    return isinstance(status, str) and bool(status) and status.lower() not in VALID_STATUSES


def is_microsoft_signer(signer: object) -> bool:
    """Whether a signer's name (``signature``) is one of :data:`MICROSOFT_SIGNERS`, spaces and case aside.

    Examples
    --------
    >>> [is_microsoft_signer(s) for s in ("Microsoft Windows Publisher", " microsoft corporation", "Microsoft Tools Ltd")]
    [True, True, False]
    """
    return isinstance(signer, str) and " ".join(signer.split()).lower() in MICROSOFT_SIGNERS


def not_microsoft_signed(props: Mapping[str, object]) -> bool:
    """The telemetry says the image is unsigned or invalid, or names a signer that is not Microsoft's own."""
    signer = props.get("signature")
    return said_unsigned(props) or (isinstance(signer, str) and bool(signer) and not is_microsoft_signer(signer))


def agent_cache_of(entity: Entity | None) -> str | None:
    r"""The cache folder of a process that is a management agent in its own install folder, else None.

    Examples
    --------
    >>> ime = r"C:\Program Files (x86)\Microsoft Intune Management Extension\AgentExecutor.exe"
    >>> agent_cache_of(Entity(EntityType.PROCESS, "p", "p", props={"image": ime}))
    '\\windows\\imecache'
    >>> agent_cache_of(Entity(EntityType.PROCESS, "p", "p", props={"image": r"C:\ProgramData\Intune\AgentExecutor.exe"})) is None
    True
    >>> agent_cache_of(Entity(EntityType.PROCESS, "p", "p", props={"image": ime, "signature": "Contoso Ltd"})) is None
    True
    """
    if entity is None:
        return None
    read = read_windows_path(str(entity.props.get("image") or entity.props.get("path") or ""))
    if read is None or read.elsewhere is not None or not_microsoft_signed(entity.props):
        return None
    folder, _, name = read.folders.rpartition("\\")
    for agent in MANAGEMENT_AGENTS:
        if name in agent.names and folder in agent.homes:
            return agent.cache
    return None


def in_cache(path: str, cache: str) -> bool:
    r"""Whether ``path`` is a file in a subfolder of ``cache`` on a local volume (``..`` resolved).

    Examples
    --------
    >>> in_cache(r"C:\Windows\IMECache\a1b2\app.msi", "\\windows\\imecache")
    True
    >>> [in_cache(p, "\\windows\\imecache") for p in (r"C:\Windows\IMECache\app.msi",
    ...  r"C:\Windows\IMECache\a1\..\..\..\Users\Public\app.msi", r"C:\Users\x\Windows\IMECache\a1\app.msi")]
    [False, False, False]
    """
    read = read_windows_path(path)
    if read is None or read.elsewhere is not None or not read.folders.startswith(cache + "\\"):
        return False
    return "\\" in read.folders[len(cache) + 1:]


def agents_delivered(new_members: Iterable[EntityKey], fetched: Callable[[EntityKey], bool] | None) -> bool:
    """Whether every new URL member (one at least) is a download management agents fetched.

    Examples
    --------
    >>> fetched = {("url", "http://cdn/a.bin"), ("file", "a")}.__contains__
    >>> agents_delivered([("domain", "cdn"), ("url", "http://cdn/a.bin"), ("process", "svc")], fetched)
    True
    >>> agents_delivered([("url", "http://cdn/a.bin"), ("url", "http://evil/b.png")], fetched)
    False
    >>> agents_delivered([("domain", "cdn"), ("process", "svc")], fetched)
    False
    """
    if fetched is None:
        return False
    urls = [key for key in new_members if key[0] == EntityType.URL]
    return bool(urls) and all(fetched(key) for key in urls)


def fetched_on_hosts(fetched: Callable[[EntityKey], bool] | None,
                     hosts: Iterable[str]) -> Callable[[EntityKey], bool] | None:
    """``fetched`` when it may explain a download on ``hosts``: an :class:`AgentFetches` whose
    agents ran a cache install on every one of them; else None (no fetch is the agents').

    Examples
    --------
    >>> fetched_on_hosts({("url", "http://cdn/a.bin")}.__contains__, ["ws-1"]) is None
    True
    """
    if isinstance(fetched, AgentFetches) and fetched.installed_on(hosts):
        return fetched
    return None


def fetches_explain_download(behaviours: Iterable[str], new_members: Iterable[EntityKey], builds: Iterable[EntityKey],
                             fetched: Callable[[EntityKey], bool] | None) -> bool:
    """Whether ``download_from_new_domain`` rests only on what management agents fetched and the cluster's builds.

    Every new URL member (one at least) an agent fetched, and every new file a build or served only
    by such URLs.

    Examples
    --------
    >>> fetched = {("url", "http://cdn/a.bin"), ("file", "a")}.__contains__
    >>> new = [("domain", "cdn"), ("url", "http://cdn/a.bin"), ("file", "a"), ("process", "svc")]
    >>> fetches_explain_download({"download_from_new_domain"}, new, (), fetched)
    True
    >>> fetches_explain_download({"download_from_new_domain"}, [*new, ("file", "b")], (), fetched)
    False
    """
    if fetched is None or "download_from_new_domain" not in set(behaviours):
        return False
    built = set(builds)
    members = list(new_members)
    files = [key for key in members if key[0] == EntityType.FILE and key not in built]
    return agents_delivered(members, fetched) and all(fetched(key) for key in files)


class AgentFetches:
    """Tells whether a URL or file is a download only management agents fetched, by the store's DNS lookups.

    Parameters
    ----------
    store : GraphStore
    window : Window
        Lookups first seen after its end are not read.
    agents : iterable of EntityKey
        The management agent processes that ran a managed install from their cache.
    installers : iterable of EntityKey
        The installs those agents started from their caches: the hosts they ran on in the
        window are where an agent's fetch is a deployment (:meth:`installed_on`).
    """

    def __init__(self, store: GraphStore, window: Window, agents: Iterable[EntityKey],
                 installers: Iterable[EntityKey] = ()) -> None:
        self._store = store
        self._window = window
        self._agents = frozenset(agents)
        self._installers = frozenset(installers)
        self._install_hosts: frozenset[str] | None = None
        self._known: dict[EntityKey, bool] = {}
        self._answers: dict[str, frozenset[str]] = {}
        self._agent_domains: dict[str, bool] = {}

    def installed_on(self, hosts: Iterable[str]) -> bool:
        """Whether every one of ``hosts`` (one at least) ran an agent's cache install in the window.

        Read once, on first use: the hosts of each install (one store read per install; the
        per-host cache folder makes each its own node), sighted from the window's start to its end.
        """
        if self._install_hosts is None:
            start, end = self._window.start, self._window.end
            self._install_hosts = frozenset(
                row.host for kind, key in self._installers
                for row in self._store.hosts_of(kind.value if isinstance(kind, EntityType) else kind, key)
                if row.first_seen <= end and row.last_seen >= start
            )
        wanted = set(hosts)
        return bool(wanted) and wanted <= self._install_hosts

    def __call__(self, key: EntityKey) -> bool:
        """True for a URL on an agent-only domain served only from its DNS answers, or a file served only by such URLs."""
        if not self._agents or key[0] not in (EntityType.URL, EntityType.FILE):
            return False
        if key not in self._known:
            self._known[key] = self._url(key[1]) if key[0] == EntityType.URL else self._file(key[1])
        return self._known[key]

    def _read(self, kind: EntityType, value: str, relation: RelationType, direction: str,
              types: list[str], limit: int = MAX_RESOLVERS) -> list[EntityKey] | None:
        """The neighbours first seen by the window's end; None when there are too many to read."""
        found = self._store.neighbors(kind.value, value, direction=direction,  # type: ignore[arg-type]
                                      relation_types=[relation.value], entity_types=types, limit=limit)
        if len(found) >= limit:
            return None
        return [n.entity.ref for n in found if n.relation.first_seen <= self._window.end]

    def _url(self, url: str) -> bool:
        # The URL's domain is the client's Host header: a request naming the agents' domain may go to any
        # server.  It is theirs only when every address that served it is one the domain resolved to.
        domains = self._read(EntityType.URL, url, RelationType.ON, "out", [EntityType.DOMAIN.value])
        if not domains or not all(self._domain(domain) for _, domain in domains):
            return False
        servers = self._read(EntityType.URL, url, RelationType.SERVED_FROM, "out", [EntityType.IP.value], MAX_ANSWERS)
        return bool(servers) and all(self._answered(domains, address) for _, address in servers or ())

    def _answered(self, domains: Iterable[EntityKey], address: str) -> bool:
        """Whether ``address`` is among the DNS answers (``RESOLVES_TO``) of one of ``domains`` by the window's end."""
        for _, domain in domains:
            if domain not in self._answers:
                answers = self._read(EntityType.DOMAIN, domain, RelationType.RESOLVES_TO, "out",
                                     [EntityType.IP.value], MAX_ANSWERS)
                self._answers[domain] = frozenset(key for _, key in answers or ())
            if address in self._answers[domain]:
                return True
        return False

    def _domain(self, domain: str) -> bool:
        # asked once per domain: every URL on it and every file served by it asks again
        if domain not in self._agent_domains:
            resolvers = self._read(EntityType.DOMAIN, domain, RelationType.RESOLVED, "in", [EntityType.PROCESS.value])
            self._agent_domains[domain] = bool(resolvers) and all(
                (EntityType.PROCESS, key) in self._agents for _, key in resolvers or ())
        return self._agent_domains[domain]

    def _file(self, file: str) -> bool:
        # Zeek's files.log names the URL and the domain it came from, and the server's address: each URL
        # and domain must be the agents' own, one URL at least, and each address one a domain resolved to
        origins = self._read(EntityType.FILE, file, RelationType.SERVED_BY, "out",
                             [EntityType.URL.value, EntityType.DOMAIN.value, EntityType.IP.value])
        if not origins or not any(kind == EntityType.URL for kind, _ in origins):
            return False
        domains = [(kind, value) for kind, value in origins if kind == EntityType.DOMAIN]
        return all(self._origin(kind, value, domains) for kind, value in origins)

    def _origin(self, kind: str, value: str, domains: list[EntityKey]) -> bool:
        if kind == EntityType.URL:
            return self((EntityType.URL, value))
        if kind == EntityType.IP:
            return self._answered(domains, value)
        return self._domain(value)
