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
hide many fresh ones.  A *download cradle* (``download_from_new_domain``) is an
interpreter or living-off-the-land binary (:data:`analytics.lineage.INTERPRETERS`)
that reached a new domain from which the window also saw a URL or a file: a
browser fetching from a new site is not one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from analytics.features import Window
from analytics.lineage import INTERPRETERS, LineagePair
from analytics.novelty import established_at
from graphsiem.model import EntityKey, EntityType, RelationType
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
"""A domain's neighbours that say something was fetched from it (``url ON domain``, ``file SERVED_BY domain``)."""


@dataclass(slots=True)
class PivotLinks:
    """The processes that reached each candidate pivot in the window."""

    processes: dict[EntityKey, dict[EntityKey, float]] = field(default_factory=dict)
    """Pivot -> linked process -> the link's first time in the window."""
    downloads: dict[EntityKey, float] = field(default_factory=dict)
    """Domain pivots something was fetched from in the window -> the earliest such link."""

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
    """The process neighbours of each pivot (and a domain pivot's downloads) linked in ``window``.

    One :meth:`GraphStore.neighbors` read per pivot, at most :data:`MAX_LINKED`
    process neighbours (and as many URLs and files for a domain); relations first
    seen outside the window are left out (a backtest must not learn of later ones).
    """
    links = PivotLinks()
    relations = [*LINK_RELATIONS, RelationType.ON.value, RelationType.SERVED_BY.value]
    for pivot in pivots:
        kind, key = pivot
        types = ["process", *DOWNLOAD_TYPES] if kind == EntityType.DOMAIN else ["process"]
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


def credit_to_pivots(
    links: PivotLinks,
    *,
    behaviours: Mapping[EntityKey, Mapping[str, float]],
    lineage: Mapping[EntityKey, list[LineagePair]],
    encoded: frozenset[EntityKey],
    images: Mapping[EntityKey, str],
    shared_processes: Collection[EntityKey],
    novelty_hosts: int,
) -> tuple[dict[EntityKey, dict[str, float]], dict[EntityKey, list[LineagePair]]]:
    """``behaviours`` and ``lineage`` with each pivot credited with its linked processes'.

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
        an entity (:func:`analytics.novelty.established_at` over their times).

    Returns
    -------
    behaviours, lineage
        New mappings (the inputs are not changed); a pivot's entry holds its own and its
        processes' behaviours, with when the fleet showed them, and lineage pairs.

    Examples
    --------
    >>> cradles = {("process", f"c{i}"): 50.0 + i for i in range(3)}  # one per host, each its own command line
    >>> links = PivotLinks({("domain", "d"): {**cradles, ("process", "w"): 40.0}}, {("domain", "d"): 55.0})
    >>> b, _ = credit_to_pivots(links, behaviours={p: {"lsass_access": t} for p, t in cradles.items()}, lineage={},
    ...                         encoded=frozenset(cradles) | {("process", "w")},
    ...                         images=dict.fromkeys(cradles, "powershell.exe"),
    ...                         shared_processes={("process", "w")}, novelty_hosts=3)
    >>> b[("domain", "d")]
    {'lsass_access': 50.0, 'encoded_command': 50.0, 'download_from_new_domain': 55.0}
    >>> b, _ = credit_to_pivots(links, behaviours={("process", "c0"): {"lsass_access": 50.0}}, lineage={},
    ...                         encoded=frozenset(), images={}, shared_processes=set(), novelty_hosts=3)
    >>> b[("domain", "d")]  # one host's process read LSASS: no behaviour of the cluster
    {}
    """
    credited = {key: dict(times) for key, times in behaviours.items()}
    pairs = {key: list(found) for key, found in lineage.items()}
    for pivot, processes in links.processes.items():
        times: dict[str, list[float]] = defaultdict(list)
        own = [str(p) for p in pairs.get(pivot, [])]
        for process, linked_at in processes.items():
            if process in shared_processes:
                continue
            for name, t in behaviours.get(process, {}).items():
                times[name].append(t)
            if process in encoded:
                times["encoded_command"].append(linked_at)
            if pivot in links.downloads and images.get(process) in INTERPRETERS:
                # a script host or LOLBin fetching from a new domain: a download cradle
                times["download_from_new_domain"].append(max(linked_at, links.downloads[pivot]))
            for pair in lineage.get(process, ()):
                if str(pair) not in own:
                    own.append(str(pair))
                    pairs.setdefault(pivot, []).append(pair)
        entry = credited.setdefault(pivot, {})
        for name, found in times.items():
            if len(found) >= novelty_hosts:
                t = established_at(found, novelty_hosts)
                entry[name] = min(entry.get(name, t), t)
    return credited, pairs
