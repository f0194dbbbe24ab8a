"""The embedded default store: a networkx ``MultiDiGraph`` persisted in a directory.

Nodes are ``entity_uid(type, key)`` with attributes ``type``, ``key``, ``value``
and the entity props; edges are keyed by relation type with ``type``, ``count``,
``first_seen``, ``last_seen`` and ``evidence``.  Sightings (host x entity) live
beside the graph in ``{entity uid: {host: [first_seen, last_seen, count]}}``.

Persistence (:mod:`graphsiem.store.snapshot`): ``flush()`` atomically replaces
``graph.pickle``, so a reader never sees a half-written file.  Writers hold an
exclusive lock on ``write.lock`` from their first write until ``flush()``; a
writer that finds the file changed since it loaded it reloads first, so two
processes never overwrite each other's batches.  Reads reload a newer file when
this instance has nothing unflushed.  An instance is not thread-safe: callers
that share one between threads serialise access (the API context holds a lock).
"""

from __future__ import annotations

import gc
import os
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx

from graphsiem.model import EVIDENCE_CAP, Entity, EntityKey, Relation, Sighting, entity_uid
from graphsiem.store.base import (
    Direction,
    EntityPrevalence,
    HostSighting,
    Neighbor,
    SearchHit,
    StoreError,
    scan_search,
)
from graphsiem.store.merge import (
    bfs_nodes,
    check_entities,
    check_neighbor_query,
    check_relation,
    check_relation_type,
    check_sighting,
    check_type,
    is_plausible_relation,
    is_plausible_sighting,
    merge_evidence,
)
from graphsiem.store.snapshot import SnapshotFile, WriterLock

GRAPH_FILE = "graph.pickle"
LOCK_FILE = "write.lock"
FORMAT_VERSION = 1
_NODE_FIELDS = ("type", "key", "value")

@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (restoring its previous state after)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # The graph is long-lived and holds no reference cycles: move everything
        # alive now out of the collector's sight, or the collections that the
        # batch's allocations trigger right after re-enabling rescan the new
        # containers (measured: 30% of an upsert batch's CPU time).  Refcounting
        # still frees what the graph drops; clear() unfreezes.  Only on the main
        # thread (CLI, notebooks, benchmarks): freezing is process-wide, and in a
        # server whose projector runs on a worker thread it would also freeze
        # in-flight request objects whose cycles then could never be collected.
        if threading.current_thread() is threading.main_thread():
            gc.freeze()
        if was_enabled:
            gc.enable()


EdgeId = tuple[str, str, str]
"""``(src uid, relation type, dst uid)``."""


class EmbeddedStore:
    """A :class:`~graphsiem.store.base.GraphStore` on networkx, persisted in ``directory``.

    Parameters
    ----------
    directory : path
        Created when missing; holds ``graph.pickle`` and ``write.lock``.
    lock_timeout : float
        Seconds a write waits for another process's write lock before failing.

    Examples
    --------
    >>> import tempfile
    >>> from graphsiem.model import Relation
    >>> store = EmbeddedStore(tempfile.mkdtemp())
    >>> store.upsert_relations([Relation(("host", "ws-1"), "RAN", ("process", "p1"), 1.0, 2.0, 1, ["e1"])])
    >>> store.counts()["relations"]
    {'RAN': 1}
    >>> store.close()
    """

    name = "embedded"

    def __init__(self, directory: str | os.PathLike[str], *, lock_timeout: float = 30.0) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.lock_timeout = lock_timeout
        self._file = SnapshotFile(self.directory / GRAPH_FILE, format_version=FORMAT_VERSION)
        self._lock = WriterLock(self.directory / LOCK_FILE, timeout=lock_timeout)
        self._dirty = False
        self._closed = False
        self._stamp: tuple[int, int, int] | None = None
        self._reset()
        self._load()

    # -- persistence ----------------------------------------------------------
    def _reset(self) -> None:
        self._graph = nx.MultiDiGraph()
        self._edges: dict[EdgeId, dict[str, Any]] = {}
        self._sightings: dict[str, dict[str, list[Any]]] = {}
        self._mark: int | None = None

    def _load(self) -> None:
        stamp = self._file.stamp()
        if stamp is None:
            self._reset()
            self._stamp = None
            return
        state = self._file.load()
        self._graph = state["graph"]
        self._sightings = state["sightings"]
        self._mark = state.get("projection_mark")
        self._edges = {
            (u, k, v): data for u, v, k, data in self._graph.edges(keys=True, data=True)
        }
        self._stamp = stamp

    def _refresh(self) -> None:
        """Pick up another process's flush, unless this instance has unflushed writes."""
        self._check_open()
        if not self._dirty and self._file.stamp() != self._stamp:
            self._load()

    def _begin_write(self) -> None:
        self._check_open()
        if not self._lock.is_held:
            self._lock.acquire()
            if self._file.stamp() != self._stamp:
                self._load()  # another writer flushed since we loaded: build on its graph
        self._dirty = True

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"embedded store {self.directory} is closed")

    def flush(self) -> None:
        """Write the graph atomically (temp file + rename) and release the write lock."""
        self._check_open()
        if self._dirty:
            self._stamp = self._file.save({
                "graph": self._graph, "sightings": self._sightings,
                "projection_mark": self._mark,
            })
            self._dirty = False
        self._lock.release()

    def close(self) -> None:
        """Flush and release the lock; the instance cannot be used afterwards."""
        if not self._closed:
            self.flush()
            self._closed = True

    def projection_mark(self) -> int | None:
        """The journal seq this graph was projected up to (see :meth:`set_projection_mark`)."""
        self._refresh()
        return self._mark

    def set_projection_mark(self, seq: int) -> None:
        """Record, in the same atomic file as the graph, the last journal seq it holds.

        The journal's checkpoint is written after the graph's flush; a crash in
        between (the checkpoint may wait for the journal's write lock behind
        ingest commits) would project those events again and double their
        sighting counts.  This mark lands with the graph, so catch-up trusts it.
        """
        self._begin_write()
        self._mark = seq

    def clear(self) -> None:
        """Delete every entity, relation and sighting (persisted at the next flush)."""
        self._begin_write()
        self._reset()
        gc.unfreeze()  # what upserts froze may now be garbage (see _gc_paused)

    def ping(self) -> bool:
        """True while the store is open (there is no server to reach)."""
        return not self._closed

    # -- writes ---------------------------------------------------------------
    def upsert_entities(self, entities: Sequence[Entity]) -> None:
        """Create entities or merge props into existing ones (see ``merge.py``).

        The batch is checked whole first, then merged row by row, which gives
        what merging the coalesced batch would (see
        :func:`~graphsiem.store.merge.check_entities`) without building it.
        New nodes get networkx's three dicts directly (:meth:`_new_node`).
        """
        cleaned = check_entities(entities)
        self._begin_write()
        graph = self._graph
        nodes = graph._node
        for entity, props in zip(entities, cleaned, strict=True):
            uid = f"{entity.type}:{entity.key}"
            attrs = nodes.get(uid)
            if attrs is None:
                attrs = {"type": entity.type, "key": entity.key, "value": entity.value or entity.key}
                attrs.update(props)
                self._new_node(uid, attrs)
            else:
                attrs.update(props)
                if entity.value:
                    attrs["value"] = entity.value
        nx._clear_cache(graph)

    def upsert_relations(self, relations: Sequence[Relation]) -> None:
        """Create or merge aggregated relations; endpoints are created when missing.

        This is the ingest hot path (target >= 200,000 relations/s, see
        ``benchmarks/bench_store.py``), so it writes networkx's adjacency dicts
        directly instead of calling ``add_edge`` (which costs as much as the
        rest of the loop): ``_succ[u][v]`` and ``_pred[v][u]`` share one
        ``{relation type: attributes}`` dict, exactly as ``add_edge`` builds it.
        The cyclic garbage collector is paused for the batch: every new edge
        allocates containers, and the collections they trigger rescan the whole
        graph (measured: 2.4x slower).  The graph holds no reference cycles.
        """
        for relation in relations:  # validate the whole batch before changing anything
            if not is_plausible_relation(relation):
                check_relation(relation)
        self._begin_write()
        with _gc_paused():
            self._merge_relations(relations)

    def _merge_relations(self, relations: Sequence[Relation]) -> None:
        edges, graph = self._edges, self._graph
        nodes, succ, pred = graph._node, graph._succ, graph._pred
        for relation in relations:
            src_type, src_key = relation.src
            dst_type, dst_key = relation.dst
            rel_type = relation.type
            src, dst = f"{src_type}:{src_key}", f"{dst_type}:{dst_key}"
            edge_id = (src, rel_type, dst)
            data = edges.get(edge_id)
            if data is not None:
                data["count"] += merge_evidence(data["evidence"], relation.evidence, relation.count)
                if relation.first_seen < data["first_seen"]:
                    data["first_seen"] = relation.first_seen
                if relation.last_seen > data["last_seen"]:
                    data["last_seen"] = relation.last_seen
                continue
            if src not in nodes:
                self._add_endpoint(src, src_type, src_key)
            if dst not in nodes:
                self._add_endpoint(dst, dst_type, dst_key)
            evidence = relation.evidence[:]  # a copy: merges append to it
            count = relation.count
            if len(evidence) > 1 and len(set(evidence)) < len(evidence):
                evidence = list(dict.fromkeys(evidence))
                count -= len(relation.evidence) - len(evidence)
            if len(evidence) > EVIDENCE_CAP:
                del evidence[EVIDENCE_CAP:]
            data = edges[edge_id] = {
                "type": rel_type, "count": count if count > 0 else 0,
                "first_seen": relation.first_seen, "last_seen": relation.last_seen,
                "evidence": evidence,
            }
            out = succ[src]
            keyed = out.get(dst)
            if keyed is None:
                out[dst] = pred[dst][src] = {rel_type: data}
            else:
                keyed[rel_type] = data
        nx._clear_cache(graph)

    def _add_endpoint(self, uid: str, entity_type: str, key: str) -> None:
        """A node for a relation or sighting endpoint not upserted as an entity (``value = key``)."""
        self._new_node(uid, {"type": entity_type, "key": key, "value": key})

    def _new_node(self, uid: str, attrs: dict[str, Any]) -> None:
        """Add node ``uid`` with ``attrs``: the three dicts networkx's ``add_node`` would
        create, without its per-call overhead (half the cost of a new edge when both
        ends are new)."""
        graph = self._graph
        graph._node[uid] = attrs
        graph._succ[uid] = {}
        graph._pred[uid] = {}

    def upsert_sightings(self, sightings: Sequence[Sighting]) -> None:
        """Create or merge host x entity sightings (min first, max last, summed count).

        Rows are checked whole first, then merged one by one: min/max/sum into
        the stored row gives what coalescing the batch first would.
        """
        for sighting in sightings:
            if not is_plausible_sighting(sighting):
                check_sighting(sighting)
        self._begin_write()
        graph = self._graph
        nodes = graph._node
        stored = self._sightings
        known_hosts: set[str] = set()  # a batch's few hosts: each host node is checked once
        for sighting in sightings:
            host = sighting.host
            entity_type, key = sighting.entity
            uid = f"{entity_type}:{key}"
            if host not in known_hosts:
                known_hosts.add(host)
                host_uid = f"host:{host}"
                if host_uid not in nodes:
                    self._add_endpoint(host_uid, "host", host)
            if uid not in nodes:
                self._add_endpoint(uid, entity_type, key)
            hosts = stored.get(uid)
            if hosts is None:
                hosts = stored[uid] = {}
            row = hosts.get(host)
            if row is None:
                hosts[host] = [sighting.first_seen, sighting.last_seen, sighting.count]
            else:
                if sighting.first_seen < row[0]:
                    row[0] = sighting.first_seen
                if sighting.last_seen > row[1]:
                    row[1] = sighting.last_seen
                row[2] += sighting.count
        nx._clear_cache(graph)

    # -- reads ----------------------------------------------------------------
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
                        result.add_edge(src, dst, key=rel_type, **dict(data, evidence=list(data["evidence"])))
        return result

    def host_prevalence(self, keys: Iterable[EntityKey] | None = None) -> dict[EntityKey, int]:
        """Distinct hosts per entity (every sighted entity when ``keys`` is None)."""
        self._refresh()
        if keys is None:
            return {self._ref(uid): len(hosts) for uid, hosts in self._sightings.items()}
        return {
            (t, k): len(self._sightings.get(entity_uid(check_type(t), k), ())) for t, k in keys
        }

    def iter_sightings(
        self, *, entity_types: Sequence[str] | None = None, since: float | None = None
    ) -> Iterator[HostSighting]:
        """Every host x entity sighting, optionally of some types and with last_seen >= since."""
        wanted = {check_type(t) for t in entity_types} if entity_types else None
        self._refresh()
        for uid, hosts in list(self._sightings.items()):
            ref = self._ref(uid)
            if wanted is not None and ref[0] not in wanted:
                continue
            for host, (first, last, count) in hosts.items():
                if since is None or last >= since:
                    yield HostSighting(host, ref, first, last, count)

    def entity_prevalence(
        self, *, entity_types: Sequence[str] | None = None, min_hosts: int = 1
    ) -> Iterator[EntityPrevalence]:
        """Per-entity aggregation of sightings, ordered by (type, key)."""
        wanted = {check_type(t) for t in entity_types} if entity_types else None
        self._refresh()
        rows = []
        for uid, hosts in self._sightings.items():
            attrs = self._graph._node[uid]
            if (wanted is None or attrs["type"] in wanted) and len(hosts) >= min_hosts:
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

    def iter_relations(self, relation_type: str | None = None) -> Iterator[Relation]:
        """Every relation, optionally of one type."""
        if relation_type is not None:
            check_relation_type(relation_type)
        self._refresh()
        for (src, rel_type, dst), data in list(self._edges.items()):
            if relation_type is None or rel_type == relation_type:
                yield self._relation(src, dst, data)

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

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
