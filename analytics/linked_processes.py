"""Behaviours of the processes that reached a candidate pivot, when each process is unique to its host.

The window incidence keeps only entities on two hosts or more
(:func:`analytics.inputs.load_inputs`), so a campaign that gives every host its
own command line (a random token in the ``-enc`` payload, a per-host script or
URL) leaves its processes out of the clusters, and with them the behaviours
they carry: an encoded command, an LSASS read, an interpreter started by a new
parent, a download cradle.  Review S3: the seed campaign with per-host random
command lines kept only domain, LSASS and IP as members and fell from 76.9 to
41.2 with no behaviour at all (task F19).

An analyst reads such a cluster from its pivot: "which process on these hosts
fetched the rare domain, and what did it do?".  This module asks exactly that,
and only of the *candidate pivots* (entities new, or young and spreading, in
the window on at least ``min_hosts`` hosts): each pivot's process neighbours
through a relation first seen in the window (``RESOLVED``, ``CONNECTED``,
``REQUESTED``, ``WROTE``, ``LOADED``, ``EXECUTED``; ``SPAWNED`` for a process
pivot's children, not its parent), at most :data:`MAX_LINKED` per pivot, one
store read per pivot.  Their behaviours, encoded commands and lineage pairs
are then credited to the pivot (:func:`credit_to_pivots`), so every cluster
the pivot is a new member of counts them, as it counts a member process's.
The incidence does not grow: the processes stay out of pivots and members.

Only processes on one host are credited: a process on two hosts or more is in
the incidence and becomes a member, or not, by the clustering's own rules.  A
behaviour counts when at least ``k`` = ``min_hosts`` of a pivot's processes
showed it, dated as novelty dates an entity
(:func:`analytics.novelty.established_at` over their times): one host's odd
process does not give a cluster a behaviour, and a few early processes do not
hide many fresh ones.  A lineage pair counts the same way, when ``k`` of them
ran it (review T2: an RMM rollout lent another tool's ``powershell.exe spawned
by 7zupd.exe`` by one process outranked every attack).  A *download cradle* (``download_from_new_domain``) is an
interpreter or living-off-the-land binary (:data:`analytics.lineage.INTERPRETERS`)
that reached a new domain from which the window also saw a URL or a file: a
browser fetching from a new site is not one.  A new payload (file or URL
pivot) fetched from a source the fleet knew before the window is credited with
the processes that reached that source within minutes of its download on
their host (:mod:`analytics.known_source_downloads`, ``PivotLinks.fetched_from``):
the interpreters among them are its download cradles too.

Such a cluster's members are only a domain and an IP, so its explanation must
say which processes showed the behaviour (task F21): per pivot and behaviour
the credit keeps a :class:`analytics.credited_processes.CreditedProcesses`.
An old process (on many hosts) lends only what it first showed right after
reaching the pivot (:mod:`analytics.switch_credit`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from analytics.credited_processes import LINEAGE_CREDIT, CreditedProcesses
from analytics.entity_stats import Window
from analytics.external_addresses import is_external_ip
from analytics.incidence import Incidence
from analytics.lineage import INTERPRETERS, LineagePair, example_form
from analytics.novelty import established_at
from analytics.switch_credit import SharedHosts, credit_switch
from graphsiem.model import Entity, EntityKey, EntityType, RelationType
from graphsiem.store.base import GraphStore

MAX_LINKED = 500
"""Most process neighbours read per pivot (the store's most-evidenced first): bounds the read."""
LINK_RELATIONS = tuple(
    r.value for r in (
        RelationType.RESOLVED, RelationType.CONNECTED, RelationType.REQUESTED, RelationType.WROTE,
        RelationType.LOADED, RelationType.EXECUTED, RelationType.SPAWNED,
    )
)
"""How a process reaches a pivot: it resolved, connected to, requested, wrote, loaded or ran it."""
DOWNLOAD_TYPES = (EntityType.URL.value, EntityType.FILE.value)
"""A domain's (or an external address's) neighbours that say something was fetched from it (``url ON domain``,
``file SERVED_BY domain``, ``file SERVED_BY ip``)."""


@dataclass(slots=True)
class PivotLinks:
    """The processes that reached each candidate pivot in the window."""

    processes: dict[EntityKey, dict[EntityKey, float]] = field(default_factory=dict)
    """Pivot -> linked process -> the link's first time in the window."""
    downloads: dict[EntityKey, float] = field(default_factory=dict)
    """Domain (or external address) pivots something was fetched from in the window -> the earliest such link."""
    fetched_from: dict[EntityKey, dict[EntityKey, EntityKey]] = field(default_factory=dict)
    """Payload pivot (a new file or URL) -> the processes (also in :attr:`processes`) that fetched it from a
    source the fleet knew before the window -> that source (:mod:`analytics.known_source_downloads`)."""

    @property
    def linked(self) -> int:
        """Process links read over all pivots."""
        return sum(len(p) for p in self.processes.values())


def candidate_pivots(
    entities: Sequence[EntityKey], window_hosts: Iterable[int], is_new: Iterable[bool], *, min_hosts: int
) -> list[EntityKey]:
    """The entities that may pivot a cluster: new in the window, on at least ``min_hosts`` of its hosts.

    Examples
    --------
    >>> candidate_pivots([("domain", "a"), ("domain", "b"), ("ip", "c")], [5, 2, 9], [True, True, False], min_hosts=3)
    [('domain', 'a')]
    """
    return [key for key, hosts, new in zip(entities, window_hosts, is_new, strict=True) if new and hosts >= min_hosts]


def read_pivot_links(store: GraphStore, pivots: Iterable[EntityKey], window: Window) -> PivotLinks:
    """The process neighbours of each pivot (and a domain or external address pivot's downloads) linked in ``window``.

    One :meth:`GraphStore.neighbors` read per pivot, at most :data:`MAX_LINKED`
    process neighbours (and as many URLs and files for a domain); relations first
    seen outside the window are left out (a backtest must not learn of later ones).
    """
    links = PivotLinks()
    relations = [*LINK_RELATIONS, RelationType.ON.value, RelationType.SERVED_BY.value]
    for pivot in pivots:
        kind, key = pivot
        # a payload served by a new external address (no DNS name) is a download as one from a domain is
        # (``file SERVED_BY ip``): per-host cradles fetching from a raw address lent it nothing (T7 #4)
        fetched = kind == EntityType.DOMAIN or (kind == EntityType.IP and is_external_ip(key))
        types = ["process", *DOWNLOAD_TYPES] if fetched else ["process"]
        found: dict[EntityKey, float] = {}
        for neighbour in store.neighbors(kind, key, relation_types=relations, entity_types=types, limit=MAX_LINKED):
            t = neighbour.relation.first_seen
            if not window.start <= t <= window.end:
                continue
            other = neighbour.entity.ref
            if neighbour.relation.type == RelationType.SPAWNED and neighbour.relation.dst == pivot:
                continue  # the pivot's parent: its own lineage pair already says who started it
            if other[0] == EntityType.PROCESS and other != pivot:
                found[other] = min(found.get(other, t), t)
            elif other[0] != EntityType.PROCESS:
                links.downloads[pivot] = min(links.downloads.get(pivot, t), t)
        if found:
            links.processes[pivot] = found
    return links


@dataclass(slots=True, frozen=True)
class ProcessHosts:
    """The host that saw each process of the window first (the window's only one, for a process on one host).

    Kept from the window's whole incidence before it is cut to shared entities
    (:func:`window_process_hosts`): the processes there, sorted as the incidence
    sorts its columns, and one host row each.  A credited process is on one host
    (:func:`credit_to_pivots`), so its row names it.
    """

    keys: Sequence[EntityKey] = ()
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    hosts: Sequence[str] = ()

    def host_of(self, process: EntityKey) -> str | None:
        """The host of ``process`` in the window, or ``None`` when the window has no sighting of it."""
        i = bisect_left(self.keys, process)
        if i < len(self.keys) and self.keys[i] == process:
            return self.hosts[int(self.rows[i])]
        return None


def window_process_hosts(incidence: Incidence) -> ProcessHosts:
    """The processes of the window's whole incidence (before it keeps shared entities) and a host of each.

    The columns are sorted by ``(type, key)``, so the processes are one slice of them:
    no loop over the entities, and only that slice of the key list stays referenced.

    Examples
    --------
    >>> from analytics.incidence import build_incidence
    >>> from graphsiem.store.base import HostSighting
    >>> inc = build_incidence([HostSighting("ws-2", ("process", "p1"), 1.0, 2.0, 1),
    ...                        HostSighting("ws-1", ("domain", "d"), 1.0, 2.0, 1)])
    >>> hosts = window_process_hosts(inc)
    >>> hosts.host_of(("process", "p1")), hosts.host_of(("process", "p9"))
    ('ws-2', None)
    """
    kind = EntityType.PROCESS.value
    lo = bisect_left(incidence.entities, (kind, ""))
    hi = bisect_left(incidence.entities, (kind + "\0", ""))
    rows = np.asarray(incidence.seen.indices[incidence.seen.indptr[lo:hi]], dtype=np.int64)
    return ProcessHosts(incidence.entities[lo:hi], rows, incidence.hosts)


def _credited(
    pivot: EntityKey, behaviour: str, shown: list[tuple[float, EntityKey]],
    images: Mapping[EntityKey, str], processes: Mapping[EntityKey, Entity], hosts: ProcessHosts,
) -> CreditedProcesses:
    """The :class:`CreditedProcesses` of ``shown`` (``(linked_at, process)``, one per process)."""
    shown = sorted(shown)
    lines = {p: _command_line(processes.get(p)) for _, p in shown}
    named = Counter(images.get(p, "?") for _, p in shown)
    first = next((p for _, p in shown if lines[p] is not None), shown[0][1])
    line = lines[first]
    decoded = (processes[first].props.get("decoded_command") or None) if first in processes else None
    return CreditedProcesses(
        behaviour=behaviour,
        pivot=pivot,
        processes=len(shown),
        hosts=len({h for _, p in shown if (h := hosts.host_of(p)) is not None}),
        images=tuple(sorted(named, key=lambda name: (-named[name], name))),
        command_lines=len({text for text in lines.values() if text is not None}),
        example=example_form(line) if line is not None else None,
        example_image=images.get(first, "?"),
        example_host=hosts.host_of(first),
        example_decoded=example_form(str(decoded)) if decoded else None,
    )


def _command_line(entity: Entity | None) -> str | None:
    return None if entity is None else str(entity.props.get("command_line") or entity.value)

def _carried(shown: list[tuple[float, EntityKey]], shared: Collection[EntityKey],
             processes: Mapping[EntityKey, Entity]) -> tuple[tuple[str, str], ...]:
    """``(image, command line)`` of the old (shared) processes of ``shown``, as their entities say them."""
    found = set()
    for _, process in shown:
        entity = processes.get(process)
        if process in shared and entity is not None and entity.props.get("image"):
            found.add((str(entity.props["image"]), str(entity.props.get("command_line") or entity.value)))
    return tuple(sorted(found))


def credit_to_pivots(
    links: PivotLinks,
    *,
    behaviours: Mapping[EntityKey, Mapping[str, float]],
    lineage: Mapping[EntityKey, list[LineagePair]],
    encoded: frozenset[EntityKey],
    images: Mapping[EntityKey, str],
    shared_processes: Collection[EntityKey],
    novelty_hosts: int,
    processes: Mapping[EntityKey, Entity] | None = None,
    hosts: ProcessHosts | None = None,
    window_start: float | None = None,
    shared_hosts: SharedHosts | None = None,
) -> tuple[
    dict[EntityKey, dict[str, float]], dict[EntityKey, list[LineagePair]],
    dict[EntityKey, dict[str, CreditedProcesses]],
]:
    """``behaviours`` and ``lineage`` with each pivot credited with its linked processes', and which.

    Parameters
    ----------
    links : PivotLinks
    behaviours, lineage, encoded, images
        The detection's indexes over all processes (:func:`analytics.lineage.behaviour_index`,
        :func:`analytics.lineage.lineage_index`, encoded command lines, image names).
    shared_processes : collection of EntityKey
        The processes on two hosts or more (all time).  They are left out: they are in
        the incidence and become members, or not, by the clustering's own rules; crediting
        them here would hand a common parent's children (``services.exe`` in a one-day store,
        where everything is new) to every cluster it is a member of.
    novelty_hosts : int
        ``k``: a pivot shows a behaviour when at least ``k`` of its processes did (a
        behaviour of the cluster's hosts, not of one odd host), dated as novelty dates
        an entity (:func:`analytics.novelty.established_at` over their times); it takes
        a lineage pair when at least ``k`` of its processes ran that pair.
    processes : mapping, optional
        Process entities by key: their command lines give each credit's example (without
        them, none).
    hosts : ProcessHosts, optional
        The window's host of each process (:func:`window_process_hosts`; without it, no host
        is counted or named).
    window_start, shared_hosts : optional
        With both, a process on two hosts or more that reached the pivot lends it the behaviours
        it first showed in the window (dated at or after ``window_start``) within
        :data:`analytics.switch_credit.SWITCH_SECONDS` of reaching it, counted once per pivot host it ran on in the window,
        no more hosts than events showed it, each host once whatever reached it there
        (``shared_hosts(pivot, process, behaviour, when)``, :func:`analytics.switch_credit.common_hosts`): an old cradle whose server switched its payload to a
        credential dumper (red team T16 ``switch.yaml``) read LSASS for the first time right
        after fetching the new file, and the file's cluster said nothing of it.  Its old
        behaviours (its encoded command, run by the fleet before) lend nothing.

    Returns
    -------
    behaviours, lineage
        New mappings (the inputs are not changed); a pivot's entry holds its own and its
        processes' behaviours, with when the fleet showed them, and lineage pairs.
    credited
        Pivot -> behaviour -> the :class:`CreditedProcesses` that lent it: each behaviour
        credited (at least ``k`` processes), and :data:`LINEAGE_CREDIT` for the processes
        that ran a counted pair (``k`` of them or more) whose child is an interpreter.

    Examples
    --------
    >>> cradles = {("process", f"c{i}"): 50.0 + i for i in range(3)}  # one per host, each its own command line
    >>> links = PivotLinks({("domain", "d"): {**cradles, ("process", "w"): 40.0}}, {("domain", "d"): 55.0})
    >>> b, _, credited = credit_to_pivots(
    ...     links, behaviours={p: {"lsass_access": t} for p, t in cradles.items()}, lineage={},
    ...     encoded=frozenset(cradles) | {("process", "w")}, images=dict.fromkeys(cradles, "powershell.exe"),
    ...     shared_processes={("process", "w")}, novelty_hosts=3,
    ...     processes={p: Entity(*p, f"powershell -enc SQBFAFgA{p[1]}") for p in cradles})
    >>> b[("domain", "d")]
    {'lsass_access': 50.0, 'encoded_command': 50.0, 'download_from_new_domain': 55.0}
    >>> lsass = credited[("domain", "d")]["lsass_access"]
    >>> lsass.processes, lsass.images, lsass.command_lines, lsass.example
    (3, ('powershell.exe',), 3, 'powershell -enc SQBFAFgAc0')
    >>> b, _, credited = credit_to_pivots(links, behaviours={("process", "c0"): {"lsass_access": 50.0}}, lineage={},
    ...                                   encoded=frozenset(), images={}, shared_processes=set(), novelty_hosts=3)
    >>> b[("domain", "d")], credited  # one host's process read LSASS: no behaviour of the cluster
    ({}, {})
    """
    credited = {key: dict(times) for key, times in behaviours.items()}
    pairs = {key: list(found) for key, found in lineage.items()}
    who: dict[EntityKey, dict[str, CreditedProcesses]] = {}
    fetched = links.fetched_from
    for pivot, linked in links.processes.items():
        times: dict[str, list[float]] = defaultdict(list)
        switched: dict[str, set[int]] = defaultdict(set)  # behaviour -> pivot hosts of old processes that showed it now
        # behaviour -> (when the process reached the pivot, process): which processes lent it
        shown: dict[str, list[tuple[float, EntityKey]]] = defaultdict(list)
        own = {str(p) for p in pairs.get(pivot, [])}
        # lineage pair -> (when the process reached the pivot, process, the pair as it found it)
        pair_votes: dict[str, list[tuple[float, EntityKey, LineagePair]]] = defaultdict(list)
        for process, linked_at in linked.items():
            if process in shared_processes:
                if window_start is not None and shared_hosts is not None:
                    credit_switch(pivot, process, linked_at, behaviours.get(process, {}), window_start,
                                   shared_hosts, times, shown, switched)
                continue
            for name, t in behaviours.get(process, {}).items():
                times[name].append(t)
                shown[name].append((linked_at, process))
            if process in encoded:
                times["encoded_command"].append(linked_at)
                shown["encoded_command"].append((linked_at, process))
            if pivot in links.downloads and images.get(process) in INTERPRETERS:
                # a script host or LOLBin fetching from a new domain: a download cradle
                times["download_from_new_domain"].append(max(linked_at, links.downloads[pivot]))
                shown["download_from_new_domain"].append((linked_at, process))
            elif process in fetched.get(pivot, {}) and images.get(process) in INTERPRETERS:
                # a script host or LOLBin fetching this new payload from a source the fleet knew (T8 #5)
                times["download_from_new_domain"].append(linked_at)
                shown["download_from_new_domain"].append((linked_at, process))
            for pair in {str(p): p for p in lineage.get(process, ())}.values():
                pair_votes[str(pair)].append((linked_at, process, pair))
        # A pair counts as a behaviour does: when at least k of the pivot's processes ran it.  One
        # unrelated process on each of a few hosts (an updater's wrapper that ran some other tool's
        # script) lent an RMM rollout on 200 hosts "powershell.exe spawned by 7zupd.exe" and put it
        # above every attack (review T2, 77.8-80.4); the pair the campaign's hosts share stays.
        for name, votes in sorted(pair_votes.items()):
            if len(votes) < novelty_hosts:
                continue
            votes.sort(key=lambda vote: (vote[0], vote[1]))
            if name not in own:
                own.add(name)
                pairs.setdefault(pivot, []).append(votes[0][2])  # the pair of the process that reached it first
            if votes[0][2].child in INTERPRETERS:
                shown[LINEAGE_CREDIT].extend((linked_at, process) for linked_at, process, _ in votes)
        if LINEAGE_CREDIT in shown:  # a process that ran two such pairs is one process
            shown[LINEAGE_CREDIT] = sorted(set(shown[LINEAGE_CREDIT]))
        entry = credited.setdefault(pivot, {})
        names = [name for name, found in times.items() if len(found) >= novelty_hosts]
        for name in names:
            t = established_at(times[name], novelty_hosts)
            entry[name] = min(entry.get(name, t), t)
        if shown.get(LINEAGE_CREDIT):
            names.append(LINEAGE_CREDIT)
        if names:
            who[pivot] = {
                name: _credited(pivot, name, shown[name], images, processes or {}, hosts or ProcessHosts())
                for name in sorted(names)
            }
            for name, rows in switched.items():
                if name in who[pivot] and rows:  # an old process is on many hosts: count them, not the process
                    who[pivot][name] = replace(who[pivot][name], hosts=max(who[pivot][name].hosts, len(rows)),
                                               carried=_carried(shown[name], shared_processes, processes or {}))
            for name, lent in who[pivot].items():
                # processes that fetched the payload from a known source reached that source, not the payload
                sources = Counter(fetched.get(pivot, {}).get(p) for _, p in shown[name])
                if None not in sources:
                    who[pivot][name] = replace(lent, source=min(sources, key=lambda s: (-sources[s], s)))
    return credited, pairs, who
