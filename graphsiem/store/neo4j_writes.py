"""The Neo4j store's writes: entities, relations, sightings, and projected batches exactly once.

Part of the Neo4j store (:mod:`graphsiem.store.neo4j_store`).  Writes are
batched ``UNWIND $rows ... MERGE`` statements grouped by label and relation
type, one managed transaction per chunk; upsert semantics are those of
:mod:`graphsiem.store.merge`, written in Cypher in :mod:`.neo4j_queries`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

from neo4j import ManagedTransaction, Result

from graphsiem.model import Entity, EntityKey, Projection, Relation, Sighting
from graphsiem.store import neo4j_queries as q
from graphsiem.store.base import StoreError
from graphsiem.store.batch_guard import batch_is_new
from graphsiem.store.earliest_build import BUILD_SEEN, split_build
from graphsiem.store.merge import coalesce_entities, coalesce_relations, coalesce_sightings
from graphsiem.store.neo4j_clearing import (
    DELETE_BATCH_ROWS,
    RELEASE_FOR_CLEARING,
    GraphHalfEmptied,
    GraphNotMarked,
    clearing_started,
    finish_clearing,
    unmarked_links,
)
from graphsiem.store.neo4j_connection import Neo4jConnection
from graphsiem.store.neo4j_rows import (
    MAX_SEARCH_CHARS_PER_TX,
    Statement,
    index_key,
    is_overflow,
    key_copy,
    node_row,
    original_copy,
    relation_statements,
    search_copies,
    search_copy,
    sighting_statements,
)

T = TypeVar("T")

KNOWN_NODES_MAX = 1_000_000
"""Endpoints remembered as existing; past this the memory is dropped and rebuilt."""


class _AlreadyApplied(Exception):
    """The projection mark is already at or past this batch: roll back, write nothing."""


class ProjectionMarkTaken(StoreError):
    """The database's projection mark is another journal's: it was taken over; the batch was not written.

    Attributes
    ----------
    journal : str
        The journal whose batch was refused.
    holder : str
        The journal that holds the mark (``graphsiem rebuild --take-over`` of its data directory).
    """

    def __init__(self, where: str, journal: str, holder: str, first: int, last: int) -> None:
        super().__init__(
            f"{where} holds the graph of journal {holder}, not of journal {journal} (this data directory's): "
            f"another data directory took the database over (graphsiem rebuild --take-over); the batch of "
            f"journal events {first}..{last} was not written. Use another database or server for this data "
            f"directory, or take it back with graphsiem rebuild --store neo4j --take-over"
        )
        self.journal = journal
        self.holder = holder


class _StaleNodeCache(Exception):
    """A node this store believed existed is gone; replay the transaction in full."""


class _NodeRace(Exception):
    """Another transaction created a node this one was creating; replay with ``MERGE``."""


def _node_ids(result: Result) -> dict[str, str]:
    """``{indexed key: element id}`` from a node write's ``keys, ids`` record."""
    record = result.single(strict=True)
    return dict(zip(record["keys"], record["ids"], strict=True))


def _element_ids(
    refs: list[EntityKey], created: dict[EntityKey, str], known: dict[EntityKey, str]
) -> list[str]:
    """Element ids of ``refs``: written in this transaction, else remembered from before."""
    if not created:
        return [known[ref] for ref in refs]
    return [created[ref] if ref in created else known[ref] for ref in refs]


def _mark_overflow(tx: ManagedTransaction, entity_type: str, rows: list[dict[str, Any]]) -> None:
    """Label the nodes of ``rows`` that got a search copy too long to index (rarely any)."""
    keys = [row["key"] for row in rows
            if row.get("svl") is not None or is_overflow(row.get("search", {}))]
    if keys:
        tx.run(q.mark_search_overflow(entity_type), keys=keys).consume()


def _chunks(rows: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class Neo4jWrites(Neo4jConnection):
    """The writing half of :class:`~graphsiem.store.neo4j_store.Neo4jStore`."""

    batch_size: int
    """Rows per write transaction."""
    delete_batch_size: int = DELETE_BATCH_ROWS
    """Relationships or nodes per delete transaction of an emptying (:mod:`.neo4j_clearing`)."""
    _known_nodes: dict[EntityKey, str]
    """Endpoints this instance has written -> their element ids."""

    def _write_linked(
        self,
        records: Sequence[Any],
        endpoints: list[EntityKey],
        statements: list[Statement],
        guard: Callable[[ManagedTransaction], None] | None = None,
    ) -> None:
        """Run relationship ``statements`` in one transaction after creating missing endpoints.

        ``guard`` runs first in the transaction; an exception from it rolls
        the whole transaction back and propagates.

        Endpoints this instance has already written are not merged again (on
        a busy fleet that was ~40% of the server's work per batch), and their
        element ids are remembered for statements that find endpoints by id.
        The others are looked up with a lock-free read and the missing ones
        created with ``CREATE``, cheaper than ``MERGE`` for a new node; if
        another writer creates one of them first, the key constraint fails the
        transaction and it is replayed with ``MERGE``, which waits for that
        writer and finds its node.  Each statement reports how many rows found
        both endpoints; if a "known" node has gone (another client cleared the
        database) the transaction is rolled back and replayed with every
        endpoint merged, so nothing is lost and nothing counted twice.
        """
        known = self._known_nodes
        unknown = [ref for ref in dict.fromkeys(endpoints) if ref not in known]

        def work(tx: ManagedTransaction, refs: list[EntityKey], create: bool) -> dict[EntityKey, str]:
            if guard is not None:
                guard(tx)
            by_type: dict[str, list[EntityKey]] = defaultdict(list)
            for ref in refs:
                by_type[ref[0]].append(ref)
            created: dict[EntityKey, str] = {}
            for entity_type, typed in by_type.items():
                rows = [node_row(entity_type, key) for _, key in typed]
                if create:
                    keys = [row["key"] for row in rows]
                    ids = _node_ids(tx.run(q.find_nodes(entity_type), keys=keys))
                    missing = [row for row in rows if row["key"] not in ids]
                    if missing:
                        for row in missing:
                            key_copy(row)
                        ids.update(_node_ids(
                            tx.run(q.create_nodes(entity_type), rows=missing, type=entity_type)))
                        _mark_overflow(tx, entity_type, missing)
                else:
                    for row in rows:
                        key_copy(row)
                    ids = _node_ids(tx.run(q.ensure_nodes(entity_type), rows=rows, type=entity_type))
                    _mark_overflow(tx, entity_type, rows)
                created.update((ref, ids[row["key"]]) for ref, row in zip(typed, rows, strict=True))
            for statement in statements:
                params = statement.params
                if statement.ends is not None:
                    starts, ends = statement.ends
                    params = dict(params, a=_element_ids(starts, created, known),
                                  b=_element_ids(ends, created, known))
                written = tx.run(statement.query, params).single(strict=True)["written"]
                if written != statement.rows:
                    raise _StaleNodeCache
            return created

        refs, create = unknown, True
        for _ in range(3):  # at most: a race, then a stale cache (or the other way round)
            try:
                created = self._write(partial(work, refs=refs, create=create), records,
                                      on_conflict=_NodeRace)
                break
            except _StaleNodeCache:
                known.clear()
                refs, create = list(dict.fromkeys(endpoints)), False
            except _NodeRace:
                create = False
        else:
            raise StoreError("Neo4j write failed: endpoints kept changing under the transaction")
        self._remember(created)

    def _remember(self, ids: dict[EntityKey, str]) -> None:
        if len(self._known_nodes) + len(ids) > KNOWN_NODES_MAX:
            self._known_nodes.clear()
        self._known_nodes.update(ids)

    # -- writes ---------------------------------------------------------------
    def upsert_entities(self, entities: Sequence[Entity]) -> None:
        """Create entities or merge props into existing ones (see ``merge.py``).

        A transaction takes at most ``batch_size`` entities and about
        :data:`MAX_SEARCH_CHARS_PER_TX` characters of search copies: a TEXT
        index update holds every trigram in the transaction's state, so
        10,000 scripts of 5 KiB (measured) passed the test server's 256 MiB
        ``dbms.memory.transaction.total.max``.
        """
        self._upsert_entities(entities, None)

    def _upsert_entities(
        self, entities: Sequence[Entity], guard: Callable[[ManagedTransaction], None] | None
    ) -> None:
        """:meth:`upsert_entities`, with ``guard`` run first in each transaction (see :meth:`_write_linked`)."""
        rows: list[tuple[Entity, dict[str, Any]]] = []
        chars = 0
        for entity in coalesce_entities(entities):
            row = node_row(entity.type, entity.key)
            search = search_copies(entity)
            props, build = split_build(entity.props)
            if build is not None and BUILD_SEEN in build:
                # the PE original name is the build's: its search copy is kept or replaced with it
                build.update(search_copy(q.SEARCH_ORIGINAL, None) | original_copy(entity))
                search = {name: copy for name, copy in search.items() if name not in build}
            row.update(value=entity.value, props=props, build=build, search=search)
            if entity.value:
                row["sv"] = row["svl"] = None  # ``search`` sets the value copy
            else:
                key_copy(row)  # created with value = key; else the copies stay
            rows.append((entity, row))
            chars += sum(len(copy) for copy in search.values() if copy is not None)
            if len(rows) >= self.batch_size or chars >= MAX_SEARCH_CHARS_PER_TX:
                self._upsert_entity_rows(rows, guard)
                rows, chars = [], 0
        if rows:
            self._upsert_entity_rows(rows, guard)

    def _upsert_entity_rows(
        self, chunk: list[tuple[Entity, dict[str, Any]]], guard: Callable[[ManagedTransaction], None] | None
    ) -> None:
        """One transaction of :meth:`upsert_entities`."""
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for entity, row in chunk:
            by_type[entity.type].append(row)

        def work(tx: ManagedTransaction) -> dict[tuple[str, str], str]:
            if guard is not None:
                guard(tx)
            ids: dict[tuple[str, str], str] = {}
            for entity_type, rows in by_type.items():
                written = _node_ids(tx.run(q.upsert_entities(entity_type), rows=rows, type=entity_type))
                ids.update(((entity_type, key), element_id) for key, element_id in written.items())
                _mark_overflow(tx, entity_type, rows)
            return ids

        entities = [entity for entity, _ in chunk]
        ids = self._write(work, entities)
        self._remember({e.ref: ids[(e.type, index_key(e.key)[0])] for e in entities})

    def upsert_relations(self, relations: Sequence[Relation]) -> None:
        """Create or merge aggregated relations; endpoints are created when missing.

        Rows go to the server as columns per ``(src type, relation type, dst
        type)`` (see :func:`~graphsiem.store.neo4j_queries.upsert_relations`).
        """
        merged = coalesce_relations(relations)
        for chunk in _chunks(merged, self.batch_size):
            self._write_linked(chunk, [r.src for r in chunk] + [r.dst for r in chunk], relation_statements(chunk))

    def upsert_sightings(self, sightings: Sequence[Sighting]) -> None:
        """Create or merge host x entity sightings (min first, max last, summed count)."""
        merged = coalesce_sightings(sightings)
        for chunk in _chunks(merged, self.batch_size):
            self._write_linked(
                chunk, [("host", s.host) for s in chunk] + [s.entity for s in chunk], sighting_statements(chunk)
            )

    def apply_batch(self, projection: Projection, seq: int, journal: str, *, first: int | None = None) -> bool:
        """Write one projected batch of journal events ``first..seq`` and move the mark to ``seq``, exactly once.

        Relations past their evidence cap and sightings add counts, so a batch
        written twice would count twice.  Entities are merged first; then every
        relation and sighting of the batch and the mark go in **one**
        transaction, which first takes the mark node's lock and compares the
        batch with the mark (:func:`~graphsiem.store.batch_guard.batch_is_new`):
        a batch at or below it was already written (a retry, or another writer
        of the same journal) and is skipped; one the mark falls inside raises
        :class:`~graphsiem.store.batch_guard.BatchOverlap` with nothing of the
        batch's relations written, and the caller projects again from the mark.
        The entity transactions take the mark's lock and compare too, so an
        older batch's entity props do not overwrite a newer batch's once its
        relations are in.  After a failure anywhere in the batch, the catch-up
        starts again after the mark (see :meth:`batch_mark`), so nothing is
        lost and nothing is counted twice.

        Parameters
        ----------
        projection : Projection
            One batch of the journal, projected.
        seq : int
            The journal seq of the batch's last event.
        journal : str
            The journal's identity (:attr:`ingest.journal.Journal.identity`):
            seqs of different journals are not comparable.
        first : int, optional
            The seq of the batch's first event (default ``seq``: only a batch
            wholly at or below the mark is recognised).

        Returns
        -------
        bool
            False when the batch had already been written (nothing changed).

        Raises
        ------
        ProjectionMarkTaken
            When another journal holds the database's projection mark (a take-over,
            see :meth:`empty_for`): nothing of the batch is written.
        """
        start = seq if first is None else first

        def compare(row: Any) -> None:
            # a mark another journal holds was claimed by a take-over: nothing of this batch may
            # land in that graph, and the mark is not taken back (neo4j_queries.PROJECTION_MARK_CLAIM)
            holder = row["holder"]
            if holder is not None and holder != journal:
                raise ProjectionMarkTaken(
                    f"Neo4j at {self.uri} (database {self.database!r})", journal, holder, start, seq)
            if row["clearing"]:  # the rest of an old graph is still there: projecting would count twice
                raise GraphHalfEmptied(f"Neo4j at {self.uri} (database {self.database!r})")
            if not batch_is_new(row["before"], start, seq):
                raise _AlreadyApplied

        def check(tx: ManagedTransaction) -> None:
            compare(tx.run(q.PROJECTION_MARK_LOCK).single(strict=True))

        def advance(tx: ManagedTransaction) -> None:
            compare(tx.run(q.PROJECTION_MARK_ADVANCE, seq=seq, journal=journal).single(strict=True))

        relations = coalesce_relations(projection.relations)
        sightings = coalesce_sightings(projection.sightings)
        try:
            if projection.entities:
                self._upsert_entities(projection.entities, check)
            self._write_linked(
                [*relations, *sightings],
                [r.src for r in relations] + [r.dst for r in relations]
                + [("host", s.host) for s in sightings] + [s.entity for s in sightings],
                relation_statements(relations) + sighting_statements(sightings),
                guard=advance,
            )
        except _AlreadyApplied:
            return False
        return True

    def batch_mark(self, journal: str) -> int | None:
        """The seq of ``journal`` up to which :meth:`apply_batch` wrote batches (None: none here).

        Every projection reads it first (:func:`ingest.store_binding.bind`), so an
        emptying that was cut off (the mark's ``clearing`` flag) is finished here,
        before the mark it left (0, or none) is trusted (:mod:`.neo4j_clearing`).

        Raises
        ------
        GraphNotMarked
            When the mark says nothing was projected (none, or 0) but the graph holds
            relations or sightings: an emptying by a version from before the ``clearing``
            flag was cut off; projecting from 0 over it would count twice.
        """
        if clearing_started(self._read):
            self._known_nodes.clear()
            finish_clearing(self._read_write, _DELETES, self.delete_batch_size)
        records = self._read(q.PROJECTION_MARK_READ, journal=journal)
        mark = int(records[0]["seq"]) if records else None
        if not mark and unmarked_links(self._read, journal):  # read only when the mark is none or 0
            raise GraphNotMarked(f"Neo4j at {self.uri} (database {self.database!r})")
        return mark

    def flush(self) -> None:
        """Nothing to do: every batch is committed when its call returns."""

    def clear(self) -> None:
        """Delete every entity (in batches, so a large graph fits in memory) and the projection mark; keep the schema.

        The mark is flagged ``clearing`` first and deleted last, so an emptying cut
        off halfway is finished by the next projection, not taken for a new database.
        """
        self._known_nodes.clear()
        self._read_write(RELEASE_FOR_CLEARING)
        finish_clearing(self._read_write, _DELETES, self.delete_batch_size)

    def empty_for(self, journal: str) -> str | None:
        """Give the database to ``journal`` (its projection mark at 0, no owner), then delete every entity.

        What ``graphsiem rebuild`` does before it projects the journal again,
        ``--take-over`` or not.  The mark is claimed *first*, in one
        transaction under its lock (:data:`~.neo4j_queries.PROJECTION_MARK_CLAIM`):
        from then on a batch of any other journal is refused where it is
        written (:class:`ProjectionMarkTaken`), so the old owner's service,
        mid catch-up, cannot write into the emptied graph, nor create a mark
        of its own in the window that :meth:`clear` (mark deleted, graph
        emptied, owner released) would leave open.  The claim also flags the
        mark ``clearing`` until the last delete batch: an emptying cut off
        halfway is finished by the next projection (:meth:`batch_mark`) instead
        of the journal being projected from 0 over the rest of the old graph.

        Returns
        -------
        str or None
            The journal that held the mark before (None: none did).
        """
        self._known_nodes.clear()
        previous = self._read_write(q.PROJECTION_MARK_CLAIM, journal=journal)[0]["previous"]
        finish_clearing(self._read_write, _DELETES, self.delete_batch_size)
        return None if previous is None else str(previous)


_DELETES = (q.CLEAR_RELATIONSHIPS, q.CLEAR_NODES)
"""Every entity relationship, then every entity node (the mark and owner nodes stay)."""
