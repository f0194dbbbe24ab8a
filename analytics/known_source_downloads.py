"""Cradles that fetched a new payload from a source the fleet already contacted (red-team T8 finding 5).

Attackers host payloads where the fleet already goes: a compromised partner
site, a rented cloud bucket, a CDN front.  The payload (its URL, its file) is
new; the source is not.  ``download_from_new_domain`` looked only for a *new*
domain or external address among a cluster's members, and the per-host
cradles that fetched the payload were credited only to a new domain or address
pivot (:mod:`analytics.linked_processes`): a stager served from an address 3
hosts had browsed the day before kept no download, no encoded command and
one lineage pair less (rank 5, 69.1, against rank 3, 79.5, from a new address).

What is honest evidence here is the *fetch*, not the source: on each host,
the process that reached the payload's source (resolved, connected to or
requested it) within :data:`FETCH_MATCH_S` of that host's download of the
payload is the one that fetched it.  For each candidate pivot that is a
payload (a new ``file`` or ``url`` on ``min_hosts`` hosts or more) whose
source is *no* candidate pivot (known before the window), this module finds
those processes.  :func:`analytics.linked_processes.credit_to_pivots` then
credits them to the payload as it credits a new domain's cradles: their
behaviours, encoded commands and lineage pairs when at least ``min_hosts`` of
them show one, and the download when at least ``min_hosts`` of them are a
script host or living-off-the-land binary (:data:`analytics.lineage.INTERPRETERS`).
A browser, a vendor updater or Windows Update fetching new files from a known
CDN every day is none of those: it lends no download.  Only processes on one
host are credited (as every linked process), so a fleet-wide script with one
command line lends nothing here either.

A source the fleet's script hosts and Windows tools already reached before the
window, ``min_hosts`` times or more (:func:`routine_for_scripts`), is one its
own automation fetches from (an IT job's vendor CDN): a new file from it is
that job's next build, and nothing is credited.  Measured on a 200-host fleet
beside the stager: an IT PowerShell job with a command line of its own on each
host, fetching its manifest from a CDN daily and a new agent build on the last
day on 120 hosts, rose from 59.1 to 72.4 (rank 6, 1.4 below the lowest attack)
before this rule; with it, unchanged.  An attacker on a source the fleet's
scripts already use keeps no download evidence (as before).

The match is per host: a process's host is the window's
(:class:`analytics.linked_processes.ProcessHosts`), the download's time is
the host's first ``DOWNLOADED`` (file) or ``REQUESTED`` (url) relation with
the payload.  A source is external (an address outside the fleet,
:func:`analytics.external_addresses.is_external_ip`, or a domain not resolved
only to internal addresses): fetching from the fleet's own server is no
download from the internet.

*Switched payloads* (red team T16 ``switch.yaml``): the campaign's exact cradle fetched a harmless
image from a URL on 80 % of the workstations the day before, then the server switched the file at that
URL to a credential dumper, which 60 hosts fetched and the old cradle read LSASS.  The cradle's links
to the source are old (first seen before the window) and its source routine, so neither rule above
reads it.  An *old* process (``min_hosts`` hosts ran it before the window) whose link to the source
was still used in the window, and that was active on a payload host within :data:`FETCH_MATCH_S` of
that host's download (its sighting there, :meth:`GraphStore.hosts_of`), is a *switch link*
(:attr:`KnownSourceFetches.switched`): it is linked to the payload, where
:func:`analytics.linked_processes.credit_to_pivots` lends it only the behaviours it first showed in
the window right after the fetch (``_credit_switch``: the LSASS read, not the old ``-enc``), and only
because it is on two hosts or more (``shared_processes``).  A routine source's old scripts still
lend no download.

Cost: one neighbour read per payload pivot, one per distinct known source (at
most :data:`analytics.linked_processes.MAX_LINKED` neighbours each, the
most-evidenced first, so on a source thousands of processes reach in a window
the one-shot cradles may be past the limit: then no credit, as before).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from analytics.entity_stats import Window
from analytics.external_addresses import is_external_ip
from analytics.lineage import INTERPRETERS, image_name
from analytics.linked_processes import MAX_LINKED, PivotLinks, ProcessHosts
from graphsiem.model import Entity, EntityKey, EntityType, Relation, RelationType
from graphsiem.store.base import GraphStore, HostSighting

FETCH_MATCH_S = 300.0
"""A process that reached the source this close (seconds) to its host's download of the payload fetched it:
a cradle's connection and the download it makes are seconds apart, and hosts' clocks agree within minutes."""
PAYLOAD_TYPES = frozenset({EntityType.FILE.value, EntityType.URL.value})
"""Candidate pivots that are something downloaded."""
SOURCE_TYPES = frozenset({EntityType.DOMAIN.value, EntityType.IP.value})
"""What a payload is served from (``file SERVED_BY domain|ip``, ``url ON domain``)."""
_PAYLOAD_RELATIONS = [r.value for r in (RelationType.SERVED_BY, RelationType.ON, RelationType.DOWNLOADED,
                                        RelationType.REQUESTED)]
_SOURCE_RELATIONS = [r.value for r in (RelationType.RESOLVED, RelationType.CONNECTED, RelationType.REQUESTED,
                                       RelationType.RESOLVES_TO)]


@dataclass(slots=True)
class KnownSourceFetches:
    """Payload pivot -> the processes that fetched it from a known source, when, and from which."""

    processes: dict[EntityKey, dict[EntityKey, float]] = field(default_factory=dict)
    """Payload -> process -> when the process reached the source."""
    sources: dict[EntityKey, dict[EntityKey, EntityKey]] = field(default_factory=dict)
    """Payload -> process -> the known source it reached."""
    switched: dict[EntityKey, dict[EntityKey, float]] = field(default_factory=dict)
    """Payload -> old process (run on ``min_hosts`` hosts before the window) still reaching its known source
    within :data:`FETCH_MATCH_S` of a host's download -> the earliest such time on a payload host: a switch
    link, lending only behaviours first shown in the window (also in :attr:`processes` and :attr:`sources`)."""
    reads: int = 0
    """Store reads made (payloads, sources and the old processes' sightings)."""


def read_known_source_fetches(
    store: GraphStore, pivots: Iterable[EntityKey], window: Window, *,
    hosts: ProcessHosts, candidates: Collection[EntityKey], min_hosts: int = 3,
) -> KnownSourceFetches:
    """The processes that fetched each payload pivot from a source that is no candidate pivot.

    Parameters
    ----------
    store : GraphStore
    pivots : iterable of EntityKey
        The candidate pivots; only files and URLs are read.
    window : Window
        Relations first seen outside it are left out (a backtest must not learn of later ones).
    hosts : ProcessHosts
        The window's host of each process (:func:`analytics.linked_processes.window_process_hosts`).
    candidates : collection of EntityKey
        All candidate pivots: a source among them is new, and its own cradles are credited to it
        (:func:`analytics.linked_processes.read_pivot_links`), so it is not read again here.
    min_hosts : int
        A source script hosts reached this many times before the window is routine for them
        (:func:`routine_for_scripts`): its fetchers are not read.
    """
    found = KnownSourceFetches()
    reached: dict[EntityKey, _SourceReach | None] = {}
    sightings: dict[EntityKey, list[HostSighting]] = {}
    for payload in pivots:
        if payload[0] not in PAYLOAD_TYPES:
            continue
        sources, arrivals = _payload_links(store, payload, window)
        found.reads += 1
        for source in sources:
            if source in candidates:
                continue
            if source not in reached:
                reached[source] = _source_processes(store, source, window, hosts, min_hosts)
                found.reads += 1
            reach = reached[source]
            if reach is None:  # an internal server
                continue
            for host, arrived in arrivals.items():
                for t, process in reach.by_host.get(host, ()):
                    if abs(t - arrived) <= FETCH_MATCH_S:
                        _link(found, payload, process, t, source)
            for process, t in _switch_links(store, reach.old, arrivals, window, min_hosts, sightings, found).items():
                _link(found, payload, process, t, source, switched=True)
    return found


def _link(found: KnownSourceFetches, payload: EntityKey, process: EntityKey, t: float, source: EntityKey, *,
          switched: bool = False) -> None:
    """Note that ``process`` fetched ``payload`` from ``source`` at ``t`` (its earliest fetch kept)."""
    fetched = found.processes.setdefault(payload, {})
    if t < fetched.get(process, float("inf")):
        fetched[process] = t
        found.sources.setdefault(payload, {})[process] = source
        if switched:
            found.switched.setdefault(payload, {})[process] = t


def _switch_links(
    store: GraphStore, old: list[tuple[EntityKey, Relation]], arrivals: dict[str, float], window: Window,
    min_hosts: int, sightings: dict[EntityKey, list[HostSighting]], found: KnownSourceFetches,
) -> dict[EntityKey, float]:
    """The old processes of ``old`` (each with its link to the source) active on a payload host within
    :data:`FETCH_MATCH_S` of that host's download (``arrivals``) -> the earliest such download.

    An old process is one node on many hosts, its link to the source one edge for all of them: only its
    per-host sightings (read once per process, cached in ``sightings``) say on which host it ran when.
    A process fewer than ``min_hosts`` hosts ran before the window is new (a member by the clustering's
    own rules, or a one-host process credited as any), so it is no switch link; nor is one that fetches
    from the source continually (:func:`fetches_continually`): it is active near every download.
    """
    links: dict[EntityKey, float] = {}
    if not arrivals:
        return links
    first_download = min(arrivals.values())
    by_process: dict[EntityKey, list[Relation]] = {}
    for process, link in old:
        by_process.setdefault(process, []).append(link)
    for process, process_links in by_process.items():
        if max(link.last_seen for link in process_links) < first_download - FETCH_MATCH_S:
            continue  # its link was last used before any host downloaded the payload: no read
        if process not in sightings:
            sightings[process] = store.hosts_of(*process)
            found.reads += 1
        rows = sightings[process]
        if sum(row.first_seen < window.start for row in rows) < min_hosts:
            continue
        if any(fetches_continually(link, len(rows)) for link in process_links):
            continue  # an updater polling the source: near every host's download by chance (review R24)
        for row in rows:
            arrived = arrivals.get(row.host)
            if (arrived is not None and window.start <= row.last_seen <= window.end
                    and abs(row.last_seen - arrived) <= FETCH_MATCH_S):
                links[process] = min(links.get(process, arrived), arrived)
    return links


def fetches_continually(link: Relation, hosts: int) -> bool:
    """Whether a process's ``link`` to a source (one edge for the ``hosts`` it ran on) was used, on average, at
    least once per :data:`FETCH_MATCH_S` on each host over its span: an updater polling its vendor every few
    seconds all day.  Such a process is active within minutes of any download from that source on its hosts,
    so that nearness says nothing of which process fetched it, and it is no switch link (review R24: one would
    be linked to every new file the source served).  The red team's cradle fetched once a day on each host.

    Examples
    --------
    >>> poll = Relation(("process", "u"), "CONNECTED", ("domain", "d"), 0.0, 86_400.0, 17_280 * 60, [])
    >>> cradle = Relation(("process", "c"), "RESOLVED", ("domain", "d"), 0.0, 86_400.0, 300, [])
    >>> fetches_continually(poll, 60), fetches_continually(cradle, 240)
    (True, False)
    """
    span = link.last_seen - link.first_seen
    return span > 0 and span * max(hosts, 1) < FETCH_MATCH_S * max(int(link.count), 1)


def add_known_source_fetches(links: PivotLinks, fetches: KnownSourceFetches) -> PivotLinks:
    """``links`` with the fetching processes linked to their payload (``links`` is changed and returned)."""
    for payload, processes in fetches.processes.items():
        linked = links.processes.setdefault(payload, {})
        for process, t in processes.items():
            linked[process] = min(linked.get(process, t), t)
        links.fetched_from.setdefault(payload, {}).update(fetches.sources[payload])
    return links


def _payload_links(store: GraphStore, payload: EntityKey, window: Window) -> tuple[list[EntityKey], dict[str, float]]:
    """The payload's sources, and each host's first download (or request) of it in the window."""
    sources: list[EntityKey] = []
    arrivals: dict[str, float] = {}
    for neighbour in store.neighbors(*payload, relation_types=_PAYLOAD_RELATIONS,
                                     entity_types=[*SOURCE_TYPES, EntityType.HOST.value], limit=MAX_LINKED):
        relation, other = neighbour.relation, neighbour.entity.ref
        if other[0] == EntityType.HOST.value:
            t = relation.first_seen
            if relation.dst == payload and window.start <= t <= window.end:
                arrivals[other[1]] = min(arrivals.get(other[1], t), t)
        elif relation.src == payload and other not in sources:
            sources.append(other)
    return sources, arrivals


def routine_for_scripts(earlier: Iterable[tuple[Entity, int]], min_hosts: int) -> bool:
    """Whether script hosts and living-off-the-land binaries reached a source ``min_hosts`` times or more
    before the window (``earlier``: each process that did, and how often): the fleet's automation uses it.

    A browser does not count: a compromised site the staff browsed is no script's source.

    Examples
    --------
    >>> ps = Entity("process", "p1", "powershell.exe -File sync.ps1")
    >>> chrome = Entity("process", "c1", "chrome.exe")
    >>> routine_for_scripts([(ps, 2), (chrome, 40)], 3), routine_for_scripts([(ps, 3)], 3)
    (False, True)
    """
    return sum(count for process, count in earlier if image_name(process.value, process.props) in INTERPRETERS) >= min_hosts


@dataclass(slots=True)
class _SourceReach:
    """The processes that reached one known external source: new links by host, and old links still used."""

    by_host: dict[str, list[tuple[float, EntityKey]]] = field(default_factory=dict)
    """Host -> (when, process) of the links first made in the window; empty for a source the fleet's scripts
    reached before the window (:func:`routine_for_scripts`)."""
    old: list[tuple[EntityKey, Relation]] = field(default_factory=list)
    """(process, its link) of the links made before the window and used again in it."""


def _source_processes(
    store: GraphStore, source: EntityKey, window: Window, hosts: ProcessHosts, min_hosts: int
) -> _SourceReach | None:
    """The processes that reached ``source``; ``None`` for an internal source (an internal address, or a
    domain every one of whose answers is internal)."""
    if source[0] == EntityType.IP.value and not is_external_ip(source[1]):
        return None
    answers: list[str] = []
    earlier: list[tuple[Entity, int]] = []
    reach = _SourceReach()
    by_host = reach.by_host
    for neighbour in store.neighbors(*source, relation_types=_SOURCE_RELATIONS,
                                     entity_types=[EntityType.PROCESS.value, EntityType.IP.value], limit=MAX_LINKED):
        relation, other = neighbour.relation, neighbour.entity.ref
        if relation.type == RelationType.RESOLVES_TO:
            if relation.src == source and other[0] == EntityType.IP.value:
                answers.append(other[1])
            continue
        if other[0] != EntityType.PROCESS.value or relation.first_seen > window.end:
            continue
        if relation.first_seen < window.start:
            earlier.append((neighbour.entity, max(int(relation.count), 1)))
            if relation.last_seen >= window.start:  # an old process still fetching: a switch link, maybe
                reach.old.append((other, relation))
            continue
        host = hosts.host_of(other)
        if host is not None:
            by_host.setdefault(host, []).append((relation.first_seen, other))
    # as cluster features judge a cluster's addresses: none known, or one outside the fleet, is external
    if answers and not any(is_external_ip(a) for a in answers):
        return None
    if routine_for_scripts(earlier, min_hosts):
        by_host.clear()  # the fleet's automation fetches from it: a new file is its next build
    return reach
