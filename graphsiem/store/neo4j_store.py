"""The Neo4j store, through the official ``neo4j`` driver.

Nodes carry the label ``Entity`` plus their type's label (``Host``, ``Process``
...) and the properties ``uid``, ``key``, ``type``, ``value`` and the entity
props; ``key`` is unique per label and ``uid`` over ``Entity``.  Relations are
relationships of the :class:`~graphsiem.model.RelationType` types with
``count``, ``first_seen``, ``last_seen`` and ``evidence``; sightings are
``(:Host)-[:SEEN {first_seen, last_seen, count}]->(:Entity)``.

Writes are batched ``UNWIND $rows ... MERGE`` statements grouped by label and
relation type, one managed transaction per chunk (``execute_write`` retries
transient errors such as deadlocks).  The ingest's projection writes each batch through
:meth:`Neo4jStore.apply_batch` instead: its relations, sightings and the projection
mark in one transaction, so a batch is written exactly once.  Upsert semantics are those of
:mod:`graphsiem.store.merge`, written in Cypher in :mod:`.neo4j_queries`.

Neo4j cannot index a string of more than about 8 KB, so a key longer than
:data:`MAX_INDEXED_KEY_BYTES` (or one that starts with :data:`HASHED_PREFIX`)
is indexed as ``HASHED_PREFIX + hash`` and kept verbatim in ``full_key``; reads
return the verbatim key, so callers never see the difference.

Entity search (:meth:`Neo4jStore.search_entities`) reads TEXT indexes over
lower-cased copies of each node's value, key and searched property, written by
every statement that writes the node (see ``SEARCH_VALUE`` in
:mod:`.neo4j_queries`).  Copies are lower-cased here, with Python's
``str.lower``, so both stores agree on what matches (Cypher's ``toLower``
differs on a few characters).  A copy longer than :data:`MAX_TEXT_INDEX_BYTES`
cannot be indexed: it is kept unindexed on a node labelled ``SearchOverflow``,
and searches scan those nodes.  A graph written before the copies existed gets
them when a store first opens it (:meth:`Neo4jStore._backfill_search`).
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

import networkx as nx
from neo4j import (
    READ_ACCESS,
    Driver,
    GraphDatabase,
    ManagedTransaction,
    NotificationDisabledClassification,
    Result,
    RoutingControl,
)
from neo4j.exceptions import ConstraintError, DriverError, Neo4jError

from graphsiem.model import (
    EVIDENCE_CAP,
    Entity,
    EntityKey,
    EntityType,
    Projection,
    Relation,
    RelationType,
    Sighting,
    entity_uid,
    stable_hash,
)
from graphsiem.store import neo4j_queries as q
from graphsiem.store.base import (
    CONTAINS,
    IN_PROP,
    PREFIX,
    SEARCHED_PROP,
    Direction,
    EntityPrevalence,
    HostSighting,
    Neighbor,
    SearchHit,
    StoreError,
)
from graphsiem.store.merge import (
    RESERVED_PROPS,
    bfs_nodes,
    check_neighbor_query,
    check_type,
    coalesce_entities,
    coalesce_relations,
    coalesce_sightings,
)

MAX_INDEXED_KEY_BYTES = 4000
HASHED_PREFIX = "~h:"
DEFAULT_BATCH_SIZE = 10_000
T = TypeVar("T")

MAX_TEXT_INDEX_BYTES = 32766
"""Longest string (UTF-8 bytes) a TEXT index takes: measured on Neo4j 5.26, one
byte more fails the writing transaction ("Property value is too large to
index"); the documentation says "around 32 kb"."""

_SHORT_TEXT_CHARS = MAX_TEXT_INDEX_BYTES // 4
"""A string of at most this many characters fits a TEXT index whatever it holds."""

MAX_SEARCH_CHARS_PER_TX = 2_000_000
"""Characters of search copies an entity write sends in one transaction, at most
about (one entity more may pass it).  The TEXT indexes' transaction state takes
~10 bytes per character (measured: 25M characters of script copies passed
256 MiB), so this stays near 20 MiB."""

SEARCH_BACKFILL_BATCH = 5_000
"""Nodes read per transaction when an older graph gets its search copies."""


def index_key(key: str) -> tuple[str, str | None]:
    """``(indexed key, full key or None)`` for a verbatim entity key.

    Examples
    --------
    >>> index_key("ws-0001")
    ('ws-0001', None)
    >>> index_key("x" * 5000)[0].startswith(HASHED_PREFIX)
    True
    """
    if key.startswith(HASHED_PREFIX) or len(key.encode("utf-8", "surrogatepass")) > MAX_INDEXED_KEY_BYTES:
        return HASHED_PREFIX + stable_hash(key, length=64), key
    return key, None


def _node_row(entity_type: str, key: str) -> dict[str, Any]:
    indexed, full = index_key(key)
    return {"key": indexed, "uid": entity_uid(entity_type, indexed), "full_key": full}


_NOT_PROPS = RESERVED_PROPS


def _entity(props: dict[str, Any]) -> Entity:
    key = props.get("full_key") or props["key"]
    extra = {k: v for k, v in props.items() if k not in _NOT_PROPS}
    return Entity(props["type"], key, props["value"], extra)


def _copy(name: str, text: str | None) -> dict[str, str | None]:
    """The search copy ``name`` of ``text`` (lower-cased), and its long twin nulled, or the other way round.

    Examples
    --------
    >>> _copy("_search_value", "WS-01")
    {'_search_value': 'ws-01', '_search_value_long': None}
    >>> _copy("_search_value", None)
    {'_search_value': None, '_search_value_long': None}
    """
    if text is None:
        return {name: None, name + q.LONG: None}
    lowered = text.lower()
    if len(lowered) <= _SHORT_TEXT_CHARS or len(
        lowered.encode("utf-8", "surrogatepass")
    ) <= MAX_TEXT_INDEX_BYTES:
        return {name: lowered, name + q.LONG: None}
    return {name: None, name + q.LONG: lowered}


def _key_copy(row: dict[str, Any]) -> None:
    """Give a node row ``sv`` / ``svl``: the value copy of a node created with value = key."""
    copy = _copy(q.SEARCH_VALUE, row["full_key"] or row["key"])
    row["sv"], row["svl"] = copy[q.SEARCH_VALUE], copy[q.SEARCH_VALUE + q.LONG]


def _search_copies(entity: Entity) -> dict[str, str | None]:
    """The search copies an entity upsert changes (nulls remove stale ones).

    Value and key when the entity has a value (the key copy only when it
    differs from the value copy); the searched property's copy when the
    props have it (none when it is not a string: only strings are searched).
    """
    copies: dict[str, str | None] = {}
    if entity.value:
        value, key = _copy(q.SEARCH_VALUE, entity.value), _copy(q.SEARCH_KEY, entity.key)
        if list(value.values()) == list(key.values()):
            key = _copy(q.SEARCH_KEY, None)
        copies.update(value)
        copies.update(key)
    name = SEARCHED_PROP.get(entity.type)
    if name is not None and name in entity.props:
        text = entity.props[name]
        copies.update(_copy(q.SEARCH_TEXT, text if isinstance(text, str) else None))
    return copies


def _is_overflow(copies: dict[str, Any]) -> bool:
    return any(copies.get(name + q.LONG) is not None
               for name in (q.SEARCH_VALUE, q.SEARCH_KEY, q.SEARCH_TEXT))


KNOWN_NODES_MAX = 1_000_000
"""Endpoints remembered as existing; past this the memory is dropped and rebuilt."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Statement:
    """One relationship write of a linked batch (see ``Neo4jStore._write_linked``)."""

    query: str
    params: dict[str, Any]
    rows: int
    """Rows the statement must write; fewer means an endpoint was not found."""
    ends: tuple[list[EntityKey], list[EntityKey]] | None = None
    """Each row's endpoints, when the query takes their element ids as ``$a`` / ``$b``."""


class _AlreadyApplied(Exception):
    """The projection mark is already at or past this batch: roll back, write nothing."""


def _relation_statements(relations: Sequence[Relation]) -> list[_Statement]:
    """Relation writes as columns per ``(src type, relation type, dst type)``."""
    groups: dict[tuple[str, str, str], list[Relation]] = defaultdict(list)
    for rel in relations:
        groups[(rel.src[0], rel.type, rel.dst[0])].append(rel)
    return [
        _Statement(q.upsert_relations(*group), _relation_columns(rels), len(rels),
                   ([r.src for r in rels], [r.dst for r in rels]))
        for group, rels in groups.items()
    ]


def _sighting_statements(sightings: Sequence[Sighting]) -> list[_Statement]:
    """Sighting writes as columns per entity type."""
    by_type: dict[str, list[Sighting]] = defaultdict(list)
    for s in sightings:
        by_type[s.entity[0]].append(s)
    return [
        _Statement(q.upsert_sightings(entity_type), _sighting_columns(typed), len(typed),
                   ([("host", s.host) for s in typed], [s.entity for s in typed]))
        for entity_type, typed in by_type.items()
    ]


class _StaleNodeCache(Exception):
    """A node this store believed existed is gone; replay the transaction in full."""


class _NodeRace(Exception):
    """Another transaction created a node this one was creating; replay with ``MERGE``."""


def _has_unencodable(value: Any) -> bool:
    """True when a string anywhere in ``value`` cannot be encoded as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_unencodable(k) or _has_unencodable(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_unencodable(v) for v in value)
    if dataclasses.is_dataclass(value):
        return any(_has_unencodable(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


_SHORT_KEY_CHARS = MAX_INDEXED_KEY_BYTES // 4
"""A key of at most this many characters fits the index whatever it holds
(UTF-8 takes at most 4 bytes per character)."""


def _indexed(key: str) -> str:
    """``index_key(key)[0]``, without encoding the usual short key to measure it."""
    if len(key) <= _SHORT_KEY_CHARS and not key.startswith(HASHED_PREFIX):
        return key
    return index_key(key)[0]


def _relation_columns(relations: Sequence[Relation]) -> dict[str, Any]:
    """The parameters of :func:`~graphsiem.store.neo4j_queries.upsert_relations`."""
    return {
        "src": [_indexed(r.src[1]) for r in relations],
        "dst": [_indexed(r.dst[1]) for r in relations],
        "count": [r.count for r in relations],
        "first_seen": [r.first_seen for r in relations],
        "last_seen": [r.last_seen for r in relations],
        "evidence": [r.evidence for r in relations],
        "cap": EVIDENCE_CAP,
    }


def _sighting_columns(sightings: Sequence[Sighting]) -> dict[str, Any]:
    """The parameters of :func:`~graphsiem.store.neo4j_queries.upsert_sightings`."""
    return {
        "host": [_indexed(s.host) for s in sightings],
        "key": [_indexed(s.entity[1]) for s in sightings],
        "first_seen": [s.first_seen for s in sightings],
        "last_seen": [s.last_seen for s in sightings],
        "count": [s.count for s in sightings],
    }


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
            if row.get("svl") is not None or _is_overflow(row.get("search", {}))]
    if keys:
        tx.run(q.mark_search_overflow(entity_type), keys=keys).consume()


def _chunks(rows: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class Neo4jStore:
    """A :class:`~graphsiem.store.base.GraphStore` in a Neo4j 5 database.

    Parameters
    ----------
    uri : str
        ``bolt://host:port`` or ``neo4j://host:port``.
    user, password : str
        Credentials (auth is always on).
    database : str
        Database name, passed explicitly on every call.
    batch_size : int
        Rows per write transaction.
    driver : neo4j.Driver, optional
        An existing driver (the store does not close it then).

    Raises
    ------
    StoreError
        When the server cannot be reached or refuses the credentials.
    """

    name = "neo4j"

    def __init__(
        self,
        uri: str,
        *,
        user: str = "neo4j",
        password: str = "",
        database: str = "neo4j",
        batch_size: int = DEFAULT_BATCH_SIZE,
        driver: Driver | None = None,
    ) -> None:
        self.uri = uri
        self.database = database
        self.batch_size = batch_size
        self._owns_driver = driver is None
        self._known_nodes: dict[EntityKey, str] = {}  # endpoint -> element id
        try:
            # "Relationship type does not exist" warnings are expected: queries
            # name every RelationType, used or not.
            self._driver = driver or GraphDatabase.driver(
                uri, auth=(user, password),
                notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
            )
            self._driver.verify_connectivity()
            for statement in q.constraint_statements() + q.search_index_statements():
                self._driver.execute_query(statement, database_=database)
            # A new index fills in the background; searches hint it, so wait.
            self._driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
        except (DriverError, Neo4jError, ValueError) as exc:
            raise StoreError(f"Neo4j at {uri} (database {database!r}): {exc}") from exc
        self._backfill_search()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Neo4jStore:
        """A store configured from ``GRAPHSIEM_NEO4J_URI``, ``_USER``, ``_PASSWORD``, ``_DATABASE``."""
        env = os.environ if environ is None else environ
        uri = env.get("GRAPHSIEM_NEO4J_URI")
        if not uri:
            raise StoreError("GRAPHSIEM_NEO4J_URI is not set (e.g. bolt://127.0.0.1:7687)")
        return cls(
            uri,
            user=env.get("GRAPHSIEM_NEO4J_USER", "neo4j"),
            password=env.get("GRAPHSIEM_NEO4J_PASSWORD", ""),
            database=env.get("GRAPHSIEM_NEO4J_DATABASE", "neo4j"),
        )

    def _backfill_search(self) -> None:
        """Give every node of a graph written before search copies existed its copies.

        Runs when the database's search mark is below
        :data:`~graphsiem.store.neo4j_queries.SEARCH_VERSION` (a new database
        gets the mark at once): reads the nodes in ``uid`` order, computes the
        copies of those that have none, and writes them in batches of
        :data:`SEARCH_BACKFILL_BATCH`; the mark is set only after the last
        batch, so an interrupted backfill starts again at the next open.
        Writers of this version give nodes copies as they write them, and the
        write skips nodes that have one by then.  Writers of an older version
        writing at the same time are not supported: their new nodes would
        have no copies and never be found.
        """
        records = self._read(q.SEARCH_MARK_READ)
        if records and (records[0]["version"] or 0) >= q.SEARCH_VERSION:
            return
        after = ""
        while True:
            batch = self._read(q.SEARCH_BACKFILL_READ, after=after, batch=SEARCH_BACKFILL_BATCH)
            if not batch:
                break
            after = batch[-1]["uid"]
            rows, chars = [], 0
            for r in batch:
                if r["done"]:
                    continue
                props = r["props"]
                entity = Entity(r["type"], r["key"], r["value"],
                                {k: v for k, v in props.items() if k not in _NOT_PROPS})
                search = _search_copies(entity)
                rows.append({"uid": r["uid"], "search": search, "overflow": _is_overflow(search)})
                chars += sum(len(copy) for copy in search.values() if copy is not None)
                if chars >= MAX_SEARCH_CHARS_PER_TX:
                    self._read_write(q.SEARCH_BACKFILL_WRITE, rows=rows)
                    rows, chars = [], 0
            if rows:
                self._read_write(q.SEARCH_BACKFILL_WRITE, rows=rows)
        self._read_write(q.SEARCH_MARK_SET, version=q.SEARCH_VERSION)

    # -- plumbing -------------------------------------------------------------
    def _write(
        self, work: Callable[[ManagedTransaction], T], records: Sequence[Any], *,
        on_conflict: type[Exception] | None = None,
    ) -> T:
        """Run ``work`` in a managed write transaction (retried on transient errors).

        A uniqueness-constraint failure raises ``on_conflict`` when given, so
        the caller can redo its transaction another way; otherwise, like every
        other driver or server error, a :class:`StoreError`.
        """
        try:
            with self._driver.session(database=self.database) as session:
                return session.execute_write(work)
        except ConstraintError as exc:
            if on_conflict is None:
                raise StoreError(f"Neo4j write failed: {exc}") from exc
            raise on_conflict from exc
        except UnicodeEncodeError as exc:
            # Bolt carries UTF-8: a lone surrogate (e.g. from a JSON "\ud800"
            # escape) cannot be sent.  Name the record instead of the codec.
            culprit = next((r for r in records if _has_unencodable(r)), None)
            raise ValueError(
                f"{culprit!r}: holds a string that is not valid Unicode "
                f"(lone surrogate); Neo4j stores UTF-8 only"
            ) from exc
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j write failed: {exc}") from exc

    def _read(self, query: str, **params: Any) -> list[Any]:
        try:
            records, _, _ = self._driver.execute_query(
                query, params, database_=self.database, routing_=RoutingControl.READ
            )
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j read failed: {exc}") from exc
        return records

    def _stream(self, query: str, **params: Any) -> Iterator[Any]:
        """Records of a read query, fetched lazily (the driver pulls 1000 at a time).

        For the ``iter_*`` methods, whose results can be the whole graph.  An
        auto-commit transaction, since a managed one cannot outlive its
        function; a read has nothing to retry halfway anyway.
        """
        try:
            with self._driver.session(
                database=self.database, default_access_mode=READ_ACCESS
            ) as session:
                yield from session.run(query, params)
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j read failed: {exc}") from exc

    def _write_linked(
        self,
        records: Sequence[Any],
        endpoints: list[EntityKey],
        statements: list[_Statement],
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
                rows = [_node_row(entity_type, key) for _, key in typed]
                if create:
                    keys = [row["key"] for row in rows]
                    ids = _node_ids(tx.run(q.find_nodes(entity_type), keys=keys))
                    missing = [row for row in rows if row["key"] not in ids]
                    if missing:
                        for row in missing:
                            _key_copy(row)
                        ids.update(_node_ids(
                            tx.run(q.create_nodes(entity_type), rows=missing, type=entity_type)))
                        _mark_overflow(tx, entity_type, missing)
                else:
                    for row in rows:
                        _key_copy(row)
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
        rows: list[tuple[Entity, dict[str, Any]]] = []
        chars = 0
        for entity in coalesce_entities(entities):
            row = _node_row(entity.type, entity.key)
            search = _search_copies(entity)
            row.update(value=entity.value, props=entity.props, search=search)
            if entity.value:
                row["sv"] = row["svl"] = None  # ``search`` sets the value copy
            else:
                _key_copy(row)  # created with value = key; else the copies stay
            rows.append((entity, row))
            chars += sum(len(copy) for copy in search.values() if copy is not None)
            if len(rows) >= self.batch_size or chars >= MAX_SEARCH_CHARS_PER_TX:
                self._upsert_entity_rows(rows)
                rows, chars = [], 0
        if rows:
            self._upsert_entity_rows(rows)

    def _upsert_entity_rows(self, chunk: list[tuple[Entity, dict[str, Any]]]) -> None:
        """One transaction of :meth:`upsert_entities`."""
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for entity, row in chunk:
            by_type[entity.type].append(row)

        def work(tx: ManagedTransaction) -> dict[tuple[str, str], str]:
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
            self._write_linked(chunk, [r.src for r in chunk] + [r.dst for r in chunk], _relation_statements(chunk))

    def upsert_sightings(self, sightings: Sequence[Sighting]) -> None:
        """Create or merge host x entity sightings (min first, max last, summed count)."""
        merged = coalesce_sightings(sightings)
        for chunk in _chunks(merged, self.batch_size):
            self._write_linked(
                chunk, [("host", s.host) for s in chunk] + [s.entity for s in chunk], _sighting_statements(chunk)
            )

    def apply_batch(self, projection: Projection, seq: int, journal: str) -> bool:
        """Write one projected batch and move the projection mark to ``seq``, exactly once.

        Relations past their evidence cap and sightings add counts, so a batch
        written twice would count twice.  Entities are merged first (writing
        them again changes nothing); then every relation and sighting of the
        batch and the mark go in **one** transaction, which first checks the
        mark: a batch whose ``seq`` is not above it was already written and is
        skipped.  After a failure anywhere in the batch, the catch-up starts
        again after the mark (see :meth:`batch_mark`), so nothing is lost and
        nothing is counted twice.

        Parameters
        ----------
        projection : Projection
            One batch of the journal, projected.
        seq : int
            The journal seq of the batch's last event.
        journal : str
            The journal's identity (:attr:`ingest.journal.Journal.identity`):
            seqs of different journals are not comparable.

        Returns
        -------
        bool
            False when the batch had already been written (nothing changed).
        """
        if projection.entities:
            self.upsert_entities(projection.entities)
        relations = coalesce_relations(projection.relations)
        sightings = coalesce_sightings(projection.sightings)

        def guard(tx: ManagedTransaction) -> None:
            before = tx.run(q.PROJECTION_MARK_ADVANCE, seq=seq, journal=journal).single(strict=True)["before"]
            if before >= seq:
                raise _AlreadyApplied

        try:
            self._write_linked(
                [*relations, *sightings],
                [r.src for r in relations] + [r.dst for r in relations]
                + [("host", s.host) for s in sightings] + [s.entity for s in sightings],
                _relation_statements(relations) + _sighting_statements(sightings),
                guard=guard,
            )
        except _AlreadyApplied:
            return False
        return True

    def batch_mark(self, journal: str) -> int | None:
        """The seq of ``journal`` up to which :meth:`apply_batch` wrote batches (None: none here)."""
        records = self._read(q.PROJECTION_MARK_READ, journal=journal)
        return int(records[0]["seq"]) if records else None

    def flush(self) -> None:
        """Nothing to do: every batch is committed when its call returns."""

    def close(self) -> None:
        """Close the driver (unless it was passed in)."""
        if self._owns_driver:
            self._driver.close()

    def clear(self) -> None:
        """Delete every entity (in batches, so a large graph fits in memory); keep the schema."""
        self._known_nodes.clear()
        self._read_write(q.CLEAR_PROJECTION_MARK)  # a rebuilt graph starts from seq 0
        for query in (q.CLEAR_RELATIONSHIPS, q.CLEAR_NODES):
            while True:
                records = self._read_write(query, batch=20_000)
                if not records or records[0]["deleted"] == 0:
                    break

    def _read_write(self, query: str, **params: Any) -> list[Any]:
        try:
            records, _, _ = self._driver.execute_query(query, params, database_=self.database)
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j write failed: {exc}") from exc
        return records

    # -- reads ----------------------------------------------------------------
    def ping(self) -> bool:
        """True when the server answers."""
        try:
            self._driver.verify_connectivity()
        except (DriverError, Neo4jError, OSError):
            return False
        return True

    def get_entity(self, entity_type: str, key: str) -> Entity | None:
        """The entity ``(entity_type, key)`` or ``None``."""
        records = self._read(q.get_entity(entity_type), key=index_key(key)[0])
        return _entity(records[0]["n"]) if records else None

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
        records = self._read(
            q.neighbors(entity_type, direction),
            key=index_key(key)[0],
            rel_types=rel_types,
            entity_types=ent_types,
            limit=limit,
        )
        here = (entity_type, key)
        result = []
        for record in records:
            other = _entity(record["m"])
            props = record["r"]
            src, dst = (here, other.ref) if record["is_out"] else (other.ref, here)
            relation = Relation(
                src, record["type"], dst, props["first_seen"], props["last_seen"],
                props["count"], list(props["evidence"]),
            )
            result.append(Neighbor(relation, other))
        return result

    def subgraph(
        self, keys: Iterable[EntityKey], *, radius: int = 1, limit: int = 5000
    ) -> nx.MultiDiGraph:
        """The induced graph on the nodes within ``radius`` hops of ``keys`` (either direction)."""
        seed_uids = [_node_row(check_type(t), k)["uid"] for t, k in keys]
        existing = [r["n"]["uid"] for r in self._read(q.NODES_BY_UID, uids=seed_uids)]

        def expand(frontier: list[str]) -> list[str]:
            return [r["uid"] for r in self._read(q.EXPAND, uids=frontier)]

        db_uids = bfs_nodes(existing, radius=radius, limit=limit, expand=expand)
        nodes = {r["n"]["uid"]: _entity(r["n"]) for r in self._read(q.NODES_BY_UID, uids=db_uids)}
        graph = nx.MultiDiGraph()
        for db_uid in db_uids:
            entity = nodes[db_uid]
            graph.add_node(entity.uid, **entity.props, type=entity.type, key=entity.key,
                           value=entity.value)
        for record in self._read(q.INDUCED, uids=db_uids):
            props = record["r"]
            graph.add_edge(
                nodes[record["src"]].uid, nodes[record["dst"]].uid, key=record["type"],
                type=record["type"], count=props["count"], first_seen=props["first_seen"],
                last_seen=props["last_seen"], evidence=list(props["evidence"]),
            )
        return graph

    def host_prevalence(self, keys: Iterable[EntityKey] | None = None) -> dict[EntityKey, int]:
        """Distinct hosts per entity (every sighted entity when ``keys`` is None)."""
        if keys is None:
            return {
                (r["type"], r["full_key"] or r["key"]): r["hosts"]
                for r in self._read(q.HOST_PREVALENCE_ALL)
            }
        refs = {_node_row(check_type(t), k)["uid"]: (t, k) for t, k in keys}
        records = self._read(q.HOST_PREVALENCE_KEYS, uids=list(refs))
        return {refs[r["uid"]]: r["hosts"] for r in records}

    def iter_sightings(
        self, *, entity_types: Sequence[str] | None = None, since: float | None = None
    ) -> Iterator[HostSighting]:
        """Every host x entity sighting, optionally of some types and with last_seen >= since."""
        types = [check_type(t) for t in entity_types] if entity_types else None
        for r in self._stream(q.SIGHTINGS, types=types, since=since):
            yield HostSighting(
                r["host_full"] or r["host"], (r["type"], r["full_key"] or r["key"]),
                r["first_seen"], r["last_seen"], r["count"],
            )

    def entity_prevalence(
        self, *, entity_types: Sequence[str] | None = None, min_hosts: int = 1
    ) -> Iterator[EntityPrevalence]:
        """Per-entity aggregation of sightings, computed in the database, ordered by (type, key)."""
        types = [check_type(t) for t in entity_types] if entity_types else None
        for r in self._stream(q.ENTITY_PREVALENCE, types=types, min_hosts=min_hosts):
            yield EntityPrevalence(
                entity=(r["type"], r["full_key"] or r["key"]), value=r["value"], hosts=r["hosts"],
                first_seen=r["first_seen"], last_seen=r["last_seen"], count=r["count"],
                host_first_seen=tuple(sorted(r["firsts"])),
            )

    def hosts_of(self, entity_type: str, key: str) -> list[HostSighting]:
        """The sightings of one entity, one per host, sorted by host."""
        records = self._read(q.hosts_of(entity_type), key=index_key(key)[0])
        return [
            HostSighting(r["host_full"] or r["host"], (entity_type, key), r["first_seen"],
                         r["last_seen"], r["count"])
            for r in records
        ]

    def iter_entities(self, entity_type: str | None = None) -> Iterator[Entity]:
        """Every entity, optionally of one type."""
        query = q.entities_of(entity_type) if entity_type is not None else q.ALL_ENTITIES
        for record in self._stream(query):
            yield _entity(record["n"])

    def iter_relations(self, relation_type: str | None = None) -> Iterator[Relation]:
        """Every relation, optionally of one type."""
        for r in self._stream(q.relations_of(relation_type)):
            props = r["r"]
            yield Relation(
                (r["src_type"], r["src_key"]), r["type"], (r["dst_type"], r["dst_key"]),
                props["first_seen"], props["last_seen"], props["count"], list(props["evidence"]),
            )

    def search_entities(
        self, needle: str, *, entity_type: str | None = None, limit: int = 20
    ) -> list[SearchHit]:
        """Entities whose value, key or searched property contains ``needle``, from TEXT indexes.

        See :meth:`~graphsiem.store.base.GraphStore.search_entities`.  One
        query per rank (:func:`~graphsiem.store.neo4j_queries.search_rank`),
        each asking for the ``limit + 1`` hits still wanted, and none once
        that many are found; within a rank, hits come in index order.
        """
        if entity_type is not None:
            check_type(entity_type)
        needle = needle.lower()
        hits: list[SearchHit] = []
        for rank in (PREFIX, CONTAINS, IN_PROP):
            wanted = limit + 1 - len(hits)
            if wanted <= 0:
                break
            for record in self._read(q.search_rank(rank, entity_type), needle=needle, limit=wanted):
                entity = _entity(record["n"])
                matched = SEARCHED_PROP[entity.type] if rank == IN_PROP else record["matched"]
                hits.append(SearchHit(entity, matched, rank))
        return hits

    def counts(self) -> dict[str, dict[str, int]]:
        """Entities and relations by type, and the number of sightings (from the count store)."""

        def work(tx: ManagedTransaction) -> dict[str, dict[str, int]]:
            def one(query: str) -> int:
                return int(tx.run(query).single(strict=True)["n"])

            entities = Counter({t.value: one(q.count_label(t.value)) for t in EntityType})
            relations = Counter({t.value: one(q.count_rel_type(t.value)) for t in RelationType})
            return {
                "entities": dict(sorted((+entities).items())),
                "relations": dict(sorted((+relations).items())),
                "sightings": {"total": one(q.count_rel_type(q.SEEN))},
            }

        try:
            with self._driver.session(database=self.database) as session:
                return session.execute_read(work)
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j read failed: {exc}") from exc

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
