"""The embedded store's writes: entities, relations and sightings merged into the networkx graph.

Split from :mod:`graphsiem.store.embedded`: the ingest hot path writes
networkx's dicts directly and pauses the cyclic garbage collector for a batch
(:func:`_gc_paused`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import networkx as nx

from graphsiem.contact_times import merge_times
from graphsiem.evidence_keep import keep_ends
from graphsiem.model import (
    Entity,
    Projection,
    Relation,
    Sighting,
    add_signatures,
    add_tallies,
)
from graphsiem.store.batch_guard import batch_is_new
from graphsiem.store.earliest_build import merge_props
from graphsiem.store.embedded_state import EmbeddedState
from graphsiem.store.merge import (
    check_entities,
    check_relation,
    check_sighting,
    is_plausible_relation,
    is_plausible_sighting,
    merge_evidence,
)


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


class EmbeddedWrites(EmbeddedState):
    """The writing half of :class:`~graphsiem.store.embedded.EmbeddedStore`."""

    def apply_batch(self, projection: Projection, seq: int, journal: str, *, first: int | None = None) -> bool:
        """Write one projected batch of journal events ``first..seq`` and move the mark to ``seq``, exactly once.

        Compared with the projection mark under the write lock, after loading
        another writer's flush (:meth:`_take_write_lock`): a batch the graph
        holds already is skipped, one it holds part of raises
        :class:`~graphsiem.store.batch_guard.BatchOverlap` before anything is
        written (see :mod:`graphsiem.store.batch_guard`).  The mark is kept
        in memory and written with the graph at the flush, atomically.

        Parameters
        ----------
        projection : Projection
            One batch of the journal, projected.
        seq : int
            The journal seq of the batch's last event.
        journal : str
            The journal's identity; the embedded graph lives beside its one
            journal, so it is not compared.
        first : int, optional
            The seq of the batch's first event (default ``seq``: only a batch
            wholly at or below the mark is recognised).

        Returns
        -------
        bool
            False when the graph held the batch already (nothing changed).
        """
        self._take_write_lock()
        if not batch_is_new(self._mark, seq if first is None else first, seq):
            return False
        if projection.entities:
            self.upsert_entities(projection.entities)
        if projection.relations:
            self.upsert_relations(projection.relations)
        if projection.sightings:
            self.upsert_sightings(projection.sightings)
        self._begin_write()
        self._mark = seq
        return True

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
                merge_props(attrs, props)
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
        edges, graph, of_type = self._edges, self._graph, self._edges_of_type
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
                if relation.signatures or relation.signatures_dropped:  # an ALERTED edge's IDS signatures
                    data["signatures_dropped"] = data.get("signatures_dropped", 0) + relation.signatures_dropped \
                        + add_signatures(data.setdefault("signatures", {}), relation.signatures or {})
                if relation.tallies or relation.tallies_dropped:  # a VALIDATED_AT edge's outcomes and claims
                    add_tallies(data.setdefault("tallies", {}), data.setdefault("tallies_dropped", {}),
                                relation.tallies, relation.tallies_dropped)
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
            keep_ends(evidence)  # past the cap: its first and most recent ids (evidence_keep)
            data = edges[edge_id] = {
                "type": rel_type, "count": count if count > 0 else 0,
                "first_seen": relation.first_seen, "last_seen": relation.last_seen,
                "evidence": evidence,
            }
            of_type.setdefault(rel_type, {})[edge_id] = data
            if relation.signatures or relation.signatures_dropped:
                data["signatures"] = {}
                data["signatures_dropped"] = relation.signatures_dropped + add_signatures(
                    data["signatures"], relation.signatures or {})
            if relation.tallies or relation.tallies_dropped:
                data["tallies"], data["tallies_dropped"] = {}, {}
                add_tallies(data["tallies"], data["tallies_dropped"], relation.tallies, relation.tallies_dropped)
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
        """Create or merge host x entity sightings (min first, max last, summed count, merged contact times).

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
        contact_times = self._contact_times
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
            if sighting.times:
                timed = contact_times.get(uid)
                if timed is None:
                    timed = contact_times[uid] = {}
                kept = timed.get(host)
                timed[host] = sighting.times if kept is None else merge_times(kept, sighting.times)
        nx._clear_cache(graph)
