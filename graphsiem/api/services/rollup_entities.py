"""A registered-domain pivot explored like an entity: its prevalence, its subdomains, its cluster's graph.

A cluster may pivot on a registered-domain rollup (:mod:`analytics.registered_domains`):
``('domain', '*.evil-cdn.com (per-host subdomains)')``, the per-host subdomains of one
new registered domain taken together.  The rollup lives in the detection only and is
never written to the graph store, so the entity look-up answered 404 and the cluster's
graph had no node for the pivot nor for any of its subdomains.  Here the rollup is
rebuilt from the store at read time: its subdomains are the domain entities whose
stored ``registered_domain`` is its registered domain (one text search of the store,
at most :data:`~analytics.registered_domains.MAX_SUBDOMAINS`), its prevalence the
union of theirs, its neighbours those subdomains, each joined to it by a
:data:`ROLLUP_RELATION` edge that exists in the answer only.  Nothing is written.

A behaviour pivot (:mod:`analytics.behaviour_pivots`:
``('process', 'behaviour (encoded powershell + lsass access by new per-host processes)')``)
is the one the detection made (task G3c): the cluster grown from it recorded its hosts,
their first sightings (when the pair completed there) and the processes behind its facts
(:data:`analytics.behaviour_pivots.PIVOT_RECORD`, in the cluster's stored row), and
:func:`recorded_behaviour` serves that record: the same hosts as the cluster the analyst
came from, whatever was ingested since, until a detection stores the pivot's cluster
again.  A rebuild could not promise it: the detection dates a signature by its window and
the history before it (a host that completed the pair earlier is routine, left out), and
late events inside that window, or a new host showing the pair, would change a rebuild but
not the cluster.  Its "subdomains" are those processes still in the store, each joined to
it by a :data:`BEHAVIOUR_RELATION` edge of the answer only.  A pivot no stored cluster
records (no detection made a cluster of it, or one from before records) is rebuilt from
the store as before (:func:`analytics.behaviour_pivots.read_behaviour`, the default
detection settings, all of the store's time; its prevalence the union of its processes').
Either is done once per pivot until the state database next changes (a detection ran,
:class:`BehaviourCache`): the entity, neighbours and cluster-graph requests share it.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from analytics.behaviour_pivots import (
    MAX_LINKED,
    PIVOT_RECORD,
    behaviour_kinds,
    behaviour_ref,
    is_behaviour,
    read_behaviour,
)
from analytics.config import DetectionConfig
from analytics.lookalike import registrable
from analytics.registered_domains import (
    MAX_SUBDOMAINS,
    is_rollup,
    rollup_key,
    rollup_registered,
    rollup_value,
)
from graphsiem.api.errors import NotFound
from graphsiem.model import Entity, Relation, entity_uid
from graphsiem.store.base import GraphStore, HostSighting, Neighbor

ROLLUP_RELATION = "SUBDOMAIN_OF"
"""The type of the answer-only edge from a subdomain to its rollup."""
BEHAVIOUR_RELATION = "SHOWED"
"""The type of the answer-only edge from a process to the behaviour pivot one of its facts is part of."""

SUBGRAPH_SUBDOMAINS = 200
"""Most subdomains a cluster's graph draws for a rollup pivot (``truncated`` says when more were reached)."""


@dataclass(slots=True, frozen=True)
class RollupEntity:
    """A rollup rebuilt from the store.

    Attributes
    ----------
    entity : Entity
        The synthetic entity: type ``domain``, the rollup's key, its shown value
        (``*.evil-cdn.com (54 subdomains)``), props ``registered_domain``, ``subdomains``
        (how many were found) and ``subdomains_truncated``.
    subdomains : tuple of Entity
        Its subdomains, by key (at most :data:`~analytics.registered_domains.MAX_SUBDOMAINS`).
    truncated : bool
        The store held more than were read.
    relation : str
        The answer-only edge's type from each of ``subdomains`` to it (:data:`ROLLUP_RELATION`;
        :data:`BEHAVIOUR_RELATION` for a behaviour pivot, whose ``subdomains`` are its processes).
    sightings : tuple of HostSighting, optional
        Its hosts as a detection recorded them (a behaviour pivot, :func:`recorded_behaviour`);
        ``None``: the union of its subdomains' sightings (:func:`union_sightings`).
    """

    entity: Entity
    subdomains: tuple[Entity, ...]
    truncated: bool
    relation: str = ROLLUP_RELATION
    sightings: tuple[HostSighting, ...] | None = None


def subdomains_of(store: GraphStore, registered: str) -> tuple[list[Entity], bool]:
    """The stored subdomains of ``registered`` (by key) and whether more were left unread.

    One :meth:`GraphStore.search_entities` for the registered domain's name (a text
    index on Neo4j, a scan of the in-memory graph on the embedded store), kept to the
    domains whose stored ``registered_domain`` (the PSL's registrable part when
    missing, as :mod:`analytics.registered_domains` reads it) is ``registered``; the
    bare registered domain is no subdomain of its own.  A search hit of another
    registered domain (``evil-cdn.com.example.net``) counts against the bound too, so
    ``truncated`` may be said of a registered domain with fewer subdomains than it.
    """
    hits = store.search_entities(registered, entity_type="domain", limit=MAX_SUBDOMAINS)
    found = {hit.entity.key: hit.entity for hit in hits[:MAX_SUBDOMAINS] if _is_subdomain(hit.entity, registered)}
    return [found[key] for key in sorted(found)], len(hits) > MAX_SUBDOMAINS


def _is_subdomain(entity: Entity, registered: str) -> bool:
    if entity.type != "domain" or entity.key == registered or is_rollup(entity.ref):
        return False
    return str(entity.props.get("registered_domain") or registrable(entity.key)) == registered


@dataclass
class BehaviourCache:
    """The behaviour pivots rebuilt for the API, kept while the state database is unchanged.

    A detection writes the state database, so a new detection (or any write) empties it: the
    pivot an analyst explores is rebuilt at most once per detection, not once per request
    (measured on a 300-host fleet: see :func:`resolve_behaviour`).  A pivot no hosts show is
    kept too (``None``): its 404 costs the same read.
    """

    token: Hashable = None
    found: dict[tuple[str, str], RollupEntity | None] = field(default_factory=dict)  # by the pivot's key
    lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, store: GraphStore, key: tuple[str, str], token: Hashable, state: Any = None) -> RollupEntity:
        """The behaviour pivot ``key`` (:func:`~analytics.behaviour_words.behaviour_key`) as of ``token`` (the state's change token), read again when not kept.

        As the latest stored cluster grown from it recorded it (``state``, an
        :class:`~graphsiem.api.state.StateDB`: :func:`recorded_behaviour`), else rebuilt from ``store``.

        Raises
        ------
        NotFound
            No cluster records it and fewer than the detection's ``min_hosts`` hosts show it in the store.
        """
        with self.lock:  # one rebuild at a time: concurrent requests for one pivot wait for the first
            if token != self.token:
                self.token, self.found = token, {}
            if key not in self.found:
                try:
                    recorded = recorded_behaviour(store, key, state) if state is not None else None
                    self.found[key] = recorded if recorded is not None else resolve_behaviour(store, key)
                except NotFound:
                    self.found[key] = None
            found = self.found[key]
        if found is None:
            raise _absent(key)
        return found


@dataclass(frozen=True)
class BehaviourLookup:
    """One request's view of the application's :class:`BehaviourCache` (its state's change token)."""

    cache: BehaviourCache
    token: Hashable
    state: Any = None
    """The state database whose cluster rows record the pivots (:func:`recorded_behaviour`)."""

    def __call__(self, store: GraphStore, key: tuple[str, str]) -> RollupEntity:
        return self.cache.resolve(store, key, self.token, self.state)


def behaviour_lookup(ctx: Any) -> BehaviourLookup:
    """The behaviour pivots of ``ctx`` (an :class:`~graphsiem.api.context.AppContext`), kept in ``ctx.caches``."""
    cache: BehaviourCache = ctx.caches.setdefault("behaviour_pivots", BehaviourCache())
    return BehaviourLookup(cache, ctx.state.change_token(), ctx.state)


def resolve_rollup(store: GraphStore, entity_type: str, value: str, *,
                   behaviours: BehaviourLookup | None = None) -> RollupEntity | None:
    """The rollup ``value`` names (its key or its shown value), ``None`` when it names none.

    Raises
    ------
    NotFound
        It names a rollup whose registered domain has no subdomain in the store.
    """
    if (key := behaviour_ref(entity_type, value)) is not None:
        return behaviours(store, key) if behaviours is not None else resolve_behaviour(store, key)
    registered = rollup_registered(entity_type, value)
    if registered is None:
        return None
    subdomains, truncated = subdomains_of(store, registered)
    if not subdomains:
        raise NotFound(f"no subdomain of {registered[:200]!r} is stored: the registered-domain pivot "
                       f"{value[:200]!r} has nothing to show", field="value")
    key = rollup_key(registered)
    entity = Entity(key[0], key[1], rollup_value(registered, len(subdomains)),
                    {"registered_domain": registered, "subdomains": len(subdomains),
                     "subdomains_truncated": truncated})
    return RollupEntity(entity=entity, subdomains=tuple(subdomains), truncated=truncated)


def resolve_behaviour(store: GraphStore, key: tuple[str, str]) -> RollupEntity:
    """The behaviour pivot ``key`` (its kinds, of its shape) rebuilt from the store, its processes as its "subdomains".

    Raises
    ------
    NotFound
        Fewer than the detection's ``min_hosts`` hosts show it in the store.
    """
    config = DetectionConfig()
    kinds = behaviour_kinds(*key)
    if kinds is None:
        raise _absent(key)
    found, truncated = read_behaviour(store, kinds, min_hosts=config.min_hosts,
                                      cooccurrence_minutes=config.cooccurrence_minutes or 30.0)
    column = found.columns.items.get(key)  # one of the kinds' shapes (analytics.behaviour_shapes)
    if column is None:
        raise _absent(key)
    processes = [e for ref in sorted(found.links[key]) if (e := store.get_entity(*ref)) is not None]
    entity = Entity(key[0], key[1], column.prevalence.value,
                    {"behaviour": list(kinds), "processes": len(processes), "processes_truncated": truncated})
    return RollupEntity(entity=entity, subdomains=tuple(processes), truncated=truncated,
                        relation=BEHAVIOUR_RELATION)


def recorded_behaviour(store: GraphStore, key: tuple[str, str], state: Any) -> RollupEntity | None:
    """The behaviour pivot ``key`` as the latest detection that grew a cluster from it recorded it.

    The cluster's stored row (the active one grown from the pivot, else the last stored:
    :meth:`~graphsiem.api.state.StateStore.pivot_cluster`) holds :data:`~analytics.behaviour_pivots.PIVOT_RECORD`: per host, when
    the pair completed there, its latest fact and their count, and the processes behind
    its facts (at most :data:`~analytics.behaviour_pivots.MAX_LINKED`).  The entity's
    shown value is the cluster's pivot's; its props say which cluster and detection it
    is from, and ``hosts_total`` / ``hosts_not_recorded`` how many hosts showed it and how
    many of them the record left out (it keeps at most
    :data:`~analytics.behaviour_words.MAX_RECORDED_HOSTS`, the earliest).  Its processes are read from ``store`` (one :meth:`GraphStore.get_entity`
    each; one no longer stored is left out, ``props["processes"]`` still counts it).

    Returns
    -------
    RollupEntity or None
        ``None`` when no stored cluster records it.
    """
    kinds = behaviour_kinds(*key) or ()
    row = state.pivot_cluster(*key)  # the live episode's (graphsiem.api.behaviour_episodes)
    record = row.data.get(PIVOT_RECORD) if row is not None else None
    if not isinstance(record, dict):
        return None
    refs = sorted((str(t), str(k)) for t, k in record.get("processes", []))
    recorded = record.get("hosts", [])
    total = int(record.get("hosts_total", len(recorded)))  # a record cut at MAX_RECORDED_HOSTS says how many more
    processes = [e for ref in refs if (e := store.get_entity(*ref)) is not None]
    sightings = tuple(HostSighting(str(h["host"]), key, float(h["first_seen"]), float(h["last_seen"]),
                                   int(h["count"])) for h in recorded)
    value = str((row.data.get("pivot") or {}).get("value") or key[1])
    entity = Entity(key[0], key[1], value,
                    {"behaviour": list(kinds), "processes": len(refs), "processes_truncated": len(refs) >= MAX_LINKED,
                     "cluster_id": row.id, "detection_id": row.detection_id,
                     "hosts_total": total, "hosts_not_recorded": max(total - len(sightings), 0)})
    return RollupEntity(entity=entity, subdomains=tuple(processes), truncated=len(refs) >= MAX_LINKED,
                        relation=BEHAVIOUR_RELATION, sightings=sightings)


def _absent(key: tuple[str, str]) -> NotFound:
    return NotFound(f"no {DetectionConfig().min_hosts} hosts show the behaviour {key[1][:200]!r} in the store",
                    field="value")


def union_sightings(store: GraphStore, subdomains: Sequence[Entity]) -> list[HostSighting]:
    """Per host, the subdomains' sightings as one: earliest first, latest last, counts summed.

    One :meth:`GraphStore.hosts_of` read per subdomain.
    """
    by_host: dict[str, HostSighting] = {}
    for sub in subdomains:
        for s in store.hosts_of(sub.type, sub.key):
            seen = by_host.get(s.host)
            if seen is None:
                by_host[s.host] = HostSighting(s.host, (sub.type, ""), s.first_seen, s.last_seen, s.count)
            else:
                by_host[s.host] = HostSighting(s.host, seen.entity, min(seen.first_seen, s.first_seen),
                                               max(seen.last_seen, s.last_seen), seen.count + s.count)
    return list(by_host.values())


def rollup_hops(store: GraphStore, rollup: RollupEntity, *, limit: int,
                entity_types: Collection[str] | None) -> list[Neighbor]:
    """The rollup's neighbours: its subdomains (at most ``limit``), each by a :data:`ROLLUP_RELATION` edge.

    The edge carries the subdomain's sightings (earliest, latest, contacts summed over
    hosts): one :meth:`GraphStore.hosts_of` read per subdomain returned.
    """
    wanted = "process" if rollup.relation == BEHAVIOUR_RELATION else "domain"
    if entity_types is not None and wanted not in entity_types:
        return []
    return [Neighbor(relation=_subdomain_edge(sub, store.hosts_of(sub.type, sub.key), rollup.entity.ref,
                                              rollup.relation), entity=sub)
            for sub in rollup.subdomains[:limit]]


def _subdomain_edge(sub: Entity, seen: Sequence[HostSighting], rollup: tuple[str, str],
                    relation: str = ROLLUP_RELATION) -> Relation:
    """The answer-only edge ``sub SUBDOMAIN_OF rollup`` (``relation``): the subdomain's sightings (earliest,
    latest, contacts)."""
    first = min((s.first_seen for s in seen), default=0.0)
    last = max((s.last_seen for s in seen), default=first)
    return Relation(sub.ref, relation, rollup, first, last, sum(s.count for s in seen) or 1, [])


Drawn = dict[str, list[tuple[Entity, list[HostSighting]]]]
"""Per rollup uid, the subdomains drawn for it with their sightings."""


def add_rollup_pivots(store: GraphStore, keys: Sequence[tuple[str, str]], hosts: Collection[str], *,
                      behaviours: BehaviourLookup | None = None
                      ) -> tuple[list[tuple[str, str]], Drawn, bool]:
    """The member keys to read from the store for a cluster's graph, rollups replaced by their subdomains.

    For each rollup among ``keys``: its subdomains one of ``hosts`` saw (one
    :meth:`GraphStore.hosts_of` read each, at most
    :data:`~analytics.registered_domains.MAX_SUBDOMAINS`), at most
    :data:`SUBGRAPH_SUBDOMAINS` of them.

    Returns
    -------
    keys : list of (type, key)
        ``keys`` without the rollups, with the subdomains drawn.
    drawn : Drawn
        Per rollup uid, the subdomains drawn for it and their sightings (all hosts').
    truncated : bool
        Some rollup had more subdomains reached than were drawn (or than were read).
    """
    cluster_hosts = set(hosts)
    real = [k for k in keys if not is_rollup(k) and not is_behaviour(k)]
    drawn: Drawn = {}
    truncated = False
    for key in keys:
        registered = rollup_registered(*key) if is_rollup(key) else None
        kinds = behaviour_kinds(*key) if is_behaviour(key) else None
        if kinds is not None:
            try:
                behaviour = behaviours(store, key) if behaviours is not None else resolve_behaviour(store, key)
            except NotFound:  # the store no longer shows it (cleared, or fewer hosts): nothing to draw
                continue
            subdomains, more = list(behaviour.subdomains), behaviour.truncated
        elif registered is None:
            continue
        else:
            subdomains, more = subdomains_of(store, registered)
        reached = []
        for sub in subdomains:
            seen = store.hosts_of(sub.type, sub.key)
            if any(s.host in cluster_hosts for s in seen):
                reached.append((sub, seen))
        truncated = truncated or more or len(reached) > SUBGRAPH_SUBDOMAINS
        drawn[entity_uid(*key)] = reached[:SUBGRAPH_SUBDOMAINS]
        real += [sub.ref for sub, _ in reached[:SUBGRAPH_SUBDOMAINS] if sub.ref not in real]
    return real, drawn, truncated


def link_rollups(graph: nx.MultiDiGraph, drawn: Drawn, values: dict[str, str]) -> None:
    """Add each rollup's node (``values``: its shown value by uid) and its subdomains' edges to it."""
    for uid, subdomains in drawn.items():
        kind, text = uid.split(":", 1)
        kinds = behaviour_kinds(kind, text) if is_behaviour((kind, text)) else None
        if kinds is not None:  # a behaviour pivot: its processes on the cluster's hosts
            key, relation = (kind, text), BEHAVIOUR_RELATION
            graph.add_node(uid, type=kind, key=text, value=values.get(uid, text), behaviour=list(kinds),
                           processes=len(subdomains))
        else:
            registered = rollup_registered("domain", text) or ""
            key, relation = rollup_key(registered), ROLLUP_RELATION
            graph.add_node(uid, type=key[0], key=key[1],
                           value=values.get(uid, rollup_value(registered, len(subdomains))),
                           registered_domain=registered, subdomains=len(subdomains))
        for sub, seen in subdomains:
            if sub.uid not in graph:
                graph.add_node(sub.uid, type=sub.type, key=sub.key, value=sub.value, **dict(sub.props))
            edge = _subdomain_edge(sub, seen, key, relation)
            graph.add_edge(sub.uid, uid, key=relation, type=relation, count=edge.count,
                           first_seen=edge.first_seen, last_seen=edge.last_seen, evidence=[])
