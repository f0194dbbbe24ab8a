"""The embedded store's reads: entities, neighbours, subgraphs, prevalence, sightings, search, counts.

Split from :mod:`graphsiem.store.embedded`: every read first picks up
another process's flush (``_refresh``) and then reads the graph in memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import networkx as nx

from graphsiem.model import Entity, EntityKey, Relation, entity_uid
from graphsiem.store.base import (
    PREFIX,
    Direction,
    EntityPrevalence,
    HostActivity,
    HostSighting,
    Neighbor,
    SearchHit,
    digest_match,
    is_digest,
    scan_search,
    sighting_as_of,
)
from graphsiem.store.embedded_state import EdgeId, EmbeddedState
from graphsiem.store.merge import (
    bfs_nodes,
    check_neighbor_query,
    check_relation_type,
    check_type,
    copy_tallies,
)
from graphsiem.store.search_match import signature_containing

_NODE_FIELDS = ("type", "key", "value")


class EmbeddedReads(EmbeddedState):
    """The reading half of :class:`~graphsiem.store.embedded.EmbeddedStore`."""

    def _entity(self, uid: str) -> Entity:
        attrs = self._graph._node[uid]
        props = {k: (list(v) if isinstance(v, list) else v) for k, v in attrs.items()
                 if k not in _NODE_FIELDS}
        return Entity(attrs["type"], attrs["key"], attrs["value"], props)

    def _ref(self, uid: str) -> EntityKey:
        attrs = self._graph._node[uid]
        return (attrs["type"], attrs["key"])

    def _relation(self, src: str, dst: str, data: dict[str, Any]) -> Relation:
        return Relation(
            self._ref(src), data["type"], self._ref(dst), data["first_seen"], data["last_seen"],
            data["count"], list(data["evidence"]),
            dict(data["signatures"]) if "signatures" in data else None, data.get("signatures_dropped", 0),
            copy_tallies(data.get("tallies")), dict(data["tallies_dropped"]) if data.get("tallies_dropped") else None,
        )

    def get_entity(self, entity_type: str, key: str) -> Entity | None:
        """The entity ``(entity_type, key)`` or ``None``."""
        check_type(entity_type)
        self._refresh()
        uid = entity_uid(entity_type, key)
        return self._entity(uid) if uid in self._graph._node else None

    def neighbors(
        self,
        entity_type: str,
        key: str,
        *,
        direction: Direction = "both",
        relation_types: Sequence[str] | None = None,
        entity_types: Sequence[str] | None = None,
        limit: int = 100,
    ) -> list[Neighbor]:
        """Entities one hop away, most-evidenced relations first, at most ``limit``."""
        rel_types, ent_types = check_neighbor_query(
            entity_type, direction, relation_types, entity_types
        )
        rel_filter = set(rel_types) if rel_types else None
        ent_filter = set(ent_types) if ent_types else None
        self._refresh()
        uid = entity_uid(entity_type, key)
        if uid not in self._graph._node:
            return []
        found: dict[EdgeId, tuple[str, bool, dict[str, Any]]] = {}
        sides = []
        if direction in ("out", "both"):
            sides.append((self._graph._succ[uid], True))
        if direction in ("in", "both"):
            sides.append((self._graph._pred[uid], False))
        for adjacency, is_out in sides:
            for other, keyed in adjacency.items():
                if ent_filter is not None and self._graph._node[other]["type"] not in ent_filter:
                    continue
                for rel_type, data in keyed.items():
                    if rel_filter is None or rel_type in rel_filter:
                        edge = (uid, rel_type, other) if is_out else (other, rel_type, uid)
                        found[edge] = (other, is_out, data)
        # The same order as the Neo4j query: count desc, type, other end, in before out.
        ordered = sorted(found.items(), key=lambda item: (-item[1][2]["count"], item[0][1],
                                                          item[1][0], item[1][1]))
        return [
            Neighbor(self._relation(src, dst, data), self._entity(other))
            for (src, _, dst), (other, _, data) in ordered[:limit]
        ]

    def subgraph(
        self, keys: Iterable[EntityKey], *, radius: int = 1, limit: int = 5000
    ) -> nx.MultiDiGraph:
        """The induced graph on the nodes within ``radius`` hops of ``keys`` (either direction)."""
        self._refresh()
        graph = self._graph
        seeds = [uid for uid in (entity_uid(check_type(t), k) for t, k in keys) if uid in graph._node]

        def expand(frontier: list[str]) -> Iterator[str]:
            for uid in frontier:
                yield from graph._succ[uid]
                yield from graph._pred[uid]

        nodes = bfs_nodes(seeds, radius=radius, limit=limit, expand=expand)
        members = set(nodes)
        result = nx.MultiDiGraph()
        result.add_nodes_from((uid, dict(self._entity(uid).props, type=graph._node[uid]["type"],
                                         key=graph._node[uid]["key"],
                                         value=graph._node[uid]["value"])) for uid in nodes)
        for src in nodes:
            for dst, keyed in graph._succ[src].items():
                if dst in members:
                    for rel_type, data in keyed.items():
                        attrs = dict(data, evidence=list(data["evidence"]))
                        if "signatures" in data:  # the stored dict is the store's: the caller gets a copy
                            attrs["signatures"] = dict(data["signatures"])
                        if "tallies" in data:  # a VALIDATED_AT edge's: copies too
                            attrs["tallies"] = copy_tallies(data["tallies"]) or {}
                            attrs["tallies_dropped"] = dict(data["tallies_dropped"])
                        result.add_edge(src, dst, key=rel_type, **attrs)
        return result

    def host_prevalence(self, keys: Iterable[EntityKey] | None = None) -> dict[EntityKey, int]:
        """Distinct hosts per entity (every sighted entity when ``keys`` is None)."""
        self._refresh()
        if keys is None:
            return {self._ref(uid): len(hosts) for uid, hosts in self._sightings.items()}
        return {
            (t, k): len(self._sightings.get(entity_uid(check_type(t), k), ())) for t, k in keys
        }

    def sighting_hosts(self, *, until: float | None = None) -> int:
        """Distinct hosts with a sighting of their own (see :meth:`GraphStore.sighting_hosts`)."""
        self._refresh()
        if until is None:
            return len(set().union(*self._sightings.values()))
        return len({host for hosts in self._sightings.values()
                    for host, (first, _, _) in hosts.items() if first <= until})

    def host_activity(self, host: str) -> HostActivity:
        """The host's sightings aggregated, one look-up per sighted entity (see :meth:`GraphStore.host_activity`)."""
        self._refresh()
        found = [hosts[host] for hosts in self._sightings.values() if host in hosts]
        if not found:
            return HostActivity()
        return HostActivity(len(found), sum(int(s[2]) for s in found),
                            min(s[0] for s in found), max(s[1] for s in found))

    def host_newest_sightings(self, *, until: float | None = None) -> dict[str, float]:
        """Each host's newest sighting, as of ``until`` (see :meth:`GraphStore.host_newest_sightings`)."""
        self._refresh()
        newest: dict[str, float] = {}
        for hosts in self._sightings.values():
            for host, (first, last, _) in hosts.items():
                if until is not None:
                    if first > until:
                        continue
                    last = min(last, until)
                if last > newest.get(host, float("-inf")):
                    newest[host] = last
        return newest

    def host_sighting_spans(self) -> dict[str, tuple[float, float]]:
        """Every host's first and newest sighting, one pass over the sightings (see
        :meth:`GraphStore.host_sighting_spans`)."""
        self._refresh()
        spans: dict[str, tuple[float, float]] = {}
        for hosts in self._sightings.values():
            for host, (first, last, _) in hosts.items():
                known = spans.get(host)
                spans[host] = (first, last) if known is None else (min(known[0], first), max(known[1], last))
        return spans

    def _hosts_as_of(self, uid: str, until: float | None) -> Mapping[str, Sequence[Any]]:
        """The entity's sightings per host, ``[first, last, count]``, as of ``until`` (:func:`sighting_as_of`)."""
        hosts = self._sightings[uid]
        if until is None:
            return hosts
        cut: dict[str, Sequence[Any]] = {}
        for host, (first, last, count) in hosts.items():
            known = sighting_as_of(first, last, count, until)
            if known is not None:
                cut[host] = (first, *known)
        return cut

    def iter_sightings(
        self, *, entity_types: Sequence[str] | None = None, since: float | None = None,
        until: float | None = None,
    ) -> Iterator[HostSighting]:
        """Every host x entity sighting, optionally of some types, as of ``until``, with last_seen >= since."""
        wanted = {check_type(t) for t in entity_types} if entity_types else None
        self._refresh()
        for uid in list(self._sightings):
            ref = self._ref(uid)
            if wanted is not None and ref[0] not in wanted:
                continue
            for host, (first, last, count) in self._hosts_as_of(uid, until).items():
                if since is None or last >= since:
                    yield HostSighting(host, ref, first, last, count)

    def entity_prevalence(
        self, *, entity_types: Sequence[str] | None = None, min_hosts: int = 1,
        until: float | None = None,
    ) -> Iterator[EntityPrevalence]:
        """Per-entity aggregation of sightings (as of ``until``), ordered by (type, key)."""
        wanted = {check_type(t) for t in entity_types} if entity_types else None
        self._refresh()
        rows = []
        for uid in self._sightings:
            attrs = self._graph._node[uid]
            if wanted is not None and attrs["type"] not in wanted:
                continue
            hosts = self._hosts_as_of(uid, until)
            if hosts and len(hosts) >= min_hosts:
                rows.append((attrs["type"], attrs["key"], attrs["value"], hosts))
        rows.sort(key=lambda row: (row[0], row[1]))
        for entity_type, key, value, hosts in rows:
            firsts = sorted(row[0] for row in hosts.values())
            yield EntityPrevalence(
                entity=(entity_type, key), value=value, hosts=len(hosts), first_seen=firsts[0],
                last_seen=max(row[1] for row in hosts.values()),
                count=sum(row[2] for row in hosts.values()), host_first_seen=tuple(firsts),
            )

    def hosts_of(self, entity_type: str, key: str) -> list[HostSighting]:
        """The sightings of one entity, one per host, sorted by host."""
        self._refresh()
        hosts = self._sightings.get(entity_uid(check_type(entity_type), key), {})
        return [
            HostSighting(host, (entity_type, key), first, last, count)
            for host, (first, last, count) in sorted(hosts.items())
        ]

    def contact_times(self, entity_type: str, key: str) -> dict[str, tuple[float, ...]]:
        """The kept contact times of a destination per host (see :meth:`GraphStore.contact_times`)."""
        self._refresh()
        return dict(sorted(self._contact_times.get(entity_uid(check_type(entity_type), key), {}).items()))

    def iter_entities(self, entity_type: str | None = None) -> Iterator[Entity]:
        """Every entity, optionally of one type."""
        if entity_type is not None:
            check_type(entity_type)
        self._refresh()
        for uid, attrs in list(self._graph._node.items()):
            if entity_type is None or attrs["type"] == entity_type:
                yield self._entity(uid)

    def search_entities(
        self, needle: str, *, entity_type: str | None = None, limit: int = 20
    ) -> list[SearchHit]:
        """Entities whose value, key or searched property contains ``needle``, by a scan.

        See :meth:`~graphsiem.store.base.GraphStore.search_entities`.  The graph
        is in memory, so the scan reads node attributes in insertion order; only
        hits are built into full entities.
        """
        if entity_type is not None:
            check_type(entity_type)
        self._refresh()
        nodes = self._graph._node
        # The node's attribute dict stands in for its props: only the searched
        # property is read, and copying every node's props is what made a
        # scan through iter_entities slow.
        views = (Entity(attrs["type"], attrs["key"], attrs["value"], attrs)
                 for attrs in nodes.values()
                 if entity_type is None or attrs["type"] == entity_type)
        return [SearchHit(self._entity(entity_uid(hit.entity.type, hit.entity.key)), hit.matched, hit.rank)
                for hit in scan_search(views, needle, limit)]

    def entities_by_digest(
        self, digest: str, *, entity_type: str | None = None, limit: int = 20
    ) -> list[SearchHit]:
        """Files and processes one of whose digest properties is ``digest``, by a scan.

        See :meth:`~graphsiem.store.base.GraphStore.entities_by_digest`.
        """
        if entity_type is not None:
            check_type(entity_type)
        needle = digest.lower()
        if not is_digest(needle):
            return []
        self._refresh()
        hits: list[SearchHit] = []
        for uid, attrs in self._graph._node.items():
            if entity_type is not None and attrs["type"] != entity_type:
                continue
            prop = digest_match(needle, attrs["type"], attrs)
            if prop is not None:
                hits.append(SearchHit(self._entity(uid), prop, PREFIX))
                if len(hits) > limit:
                    break
        return hits

    def iter_relations(self, relation_type: str | None = None) -> Iterator[Relation]:
        """Every relation, optionally of one type."""
        if relation_type is not None:
            check_relation_type(relation_type)
        self._refresh()
        edges = self._edges if relation_type is None else self._edges_of_type.get(relation_type, {})
        for (src, _, dst), data in list(edges.items()):
            yield self._relation(src, dst, data)

    def alerted_by_signature(self, needle: str, *, limit: int) -> tuple[list[Relation], int]:
        """See :meth:`~graphsiem.store.base.GraphStore.alerted_by_signature` (matched in memory)."""
        self._refresh()
        found: list[tuple[tuple[int, EntityKey, EntityKey], Relation]] = []
        for (src, _, dst), data in list(self._edges_of_type.get("ALERTED", {}).items()):
            best = signature_containing(data.get("signatures"), needle)
            if best is not None:
                relation = self._relation(src, dst, data)
                found.append(((-best[1], relation.src, relation.dst), relation))
        found.sort(key=lambda item: item[0])
        return [relation for _, relation in found[:limit]], len(found)

    def relations_active(self, relation_type: str, start: float, end: float) -> list[Relation]:
        """The relations of one type with ``last_seen >= start`` and ``first_seen <= end``."""
        check_relation_type(relation_type)
        self._refresh()
        edges = self._edges_of_type.get(relation_type, {})  # one type's edges, not all ~50,000
        return [self._relation(src, dst, data) for (src, _, dst), data in list(edges.items())
                if data["last_seen"] >= start and data["first_seen"] <= end]

    def counts(self) -> dict[str, dict[str, int]]:
        """Entities and relations by type, and the number of sightings."""
        self._refresh()
        entities = Counter(attrs["type"] for attrs in self._graph._node.values())
        relations = Counter(rel_type for _, rel_type, _ in self._edges)
        sightings = sum(len(hosts) for hosts in self._sightings.values())
        return {
            "entities": dict(sorted(entities.items())),
            "relations": dict(sorted(relations.items())),
            "sightings": {"total": sightings},
        }
