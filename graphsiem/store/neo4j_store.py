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

A server that does not answer when the store opens (``defer_unreachable``,
what :func:`graphsiem.store.open_store` asks for) is not an error: the store
opens unconnected, every call tries to connect first and fails with a
:class:`~graphsiem.store.base.StoreError` while the server is down (so an
ingest journals on and the service answers), and the first call that reaches
it makes the schema.  Credentials it refuses, or a server that answers but
fails, still fail the open.

Whose graph the database holds (:mod:`.neo4j_owner`): :meth:`Neo4jStore.owner_state`,
:meth:`Neo4jStore.claim_graph`; :meth:`Neo4jStore.clear` releases it.

Modules: :mod:`.neo4j_connection` (the driver, errors as ``StoreError``),
:mod:`.neo4j_schema` (constraints, indexes, the search backfill),
:mod:`.neo4j_writes` and :mod:`.neo4j_reads` (the two halves of the store),
:mod:`.neo4j_rows` (keys, search copies and columns, without a driver) and
:mod:`.neo4j_queries` (the Cypher).  This module puts them together as
:class:`Neo4jStore`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from graphsiem.model import EntityKey, Projection
from graphsiem.store.base import StoreError
from graphsiem.store.neo4j_owner import GraphOwner, OwnerState, claim, read_owner, release
from graphsiem.store.neo4j_reads import Neo4jReads
from graphsiem.store.neo4j_rows import (
    HASHED_PREFIX,
    MAX_INDEXED_KEY_BYTES,
    MAX_SEARCH_CHARS_PER_TX,
    MAX_TEXT_INDEX_BYTES,
    index_key,
)
from graphsiem.store.neo4j_schema import SEARCH_BACKFILL_BATCH, backfill_search, create_schema
from graphsiem.store.neo4j_writes import KNOWN_NODES_MAX, Neo4jWrites
from graphsiem.store.unavailable import neo4j_unavailable

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "HASHED_PREFIX",
    "KNOWN_NODES_MAX",
    "MAX_INDEXED_KEY_BYTES",
    "MAX_SEARCH_CHARS_PER_TX",
    "MAX_TEXT_INDEX_BYTES",
    "SEARCH_BACKFILL_BATCH",
    "Neo4jStore",
    "index_key",
]

DEFAULT_BATCH_SIZE = 10_000

T = TypeVar("T")

logger = logging.getLogger("graphsiem.store.neo4j")


class Neo4jStore(Neo4jWrites, Neo4jReads):
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
    defer_unreachable : bool
        Open unconnected when the server does not answer (see the module
        docstring) instead of raising.

    Raises
    ------
    StoreError
        When the server refuses the credentials, or cannot be reached and
        ``defer_unreachable`` is false.
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
        defer_unreachable: bool = False,
    ) -> None:
        self.batch_size = batch_size
        self._known_nodes: dict[EntityKey, str] = {}  # endpoint -> element id
        self.connected = False
        """Whether the server answered and the schema is made (see the module docstring)."""
        self.binding_pending = False
        """Set when the store was opened for a data directory it could not be checked against
        (the server was down): batches are refused until :mod:`ingest.store_binding` checks it."""
        super().__init__(uri, user=user, password=password, database=database, driver=driver, lazy=True)
        try:
            self._connect()
        except StoreError as exc:
            if not (defer_unreachable and _is_unreachable(exc)):
                self.close()
                raise
            logger.warning(
                "%s; starting without it: the journal keeps every record, and the graph is brought "
                "up to it once the server answers", " ".join(str(exc).split()),
            )

    def _connect(self) -> None:
        """Reach the server, make the schema and the search copies (once)."""
        try:
            self._driver.verify_connectivity()
            create_schema(self._driver, self.database)
        except (AuthError, ServiceUnavailable, SessionExpired, OSError) as exc:
            # named plainly, with what to check: the driver's words named no setting (review T4)
            raise neo4j_unavailable(f"Neo4j at {self.uri} (database {self.database!r})", exc) from exc
        except (DriverError, Neo4jError, ValueError) as exc:
            raise StoreError(f"Neo4j at {self.uri} (database {self.database!r}): {exc}") from exc
        self.connected = True
        self._backfill_search()

    def _ready(self) -> None:
        if not self.connected:
            self._connect()

    # Every way to the server connects first (a store opened while the server was down).
    def _write(
        self, work: Callable[[ManagedTransaction], T], records: Sequence[Any], *,
        on_conflict: type[Exception] | None = None,
    ) -> T:
        self._ready()
        return super()._write(work, records, on_conflict=on_conflict)

    def _read(self, query: str, **params: Any) -> list[Any]:
        self._ready()
        return super()._read(query, **params)

    def _stream(self, query: str, **params: Any) -> Iterator[Any]:
        self._ready()
        yield from super()._stream(query, **params)

    def _read_write(self, query: str, **params: Any) -> list[Any]:
        self._ready()
        return super()._read_write(query, **params)

    def counts(self) -> dict[str, dict[str, int]]:
        """See :meth:`graphsiem.store.base.GraphStore.counts` (connects first)."""
        self._ready()
        return super().counts()

    def ping(self) -> bool:
        """True when the server answers (connecting first, if it did not at start)."""
        return self.unreachable_reason() is None

    def apply_batch(self, projection: Projection, seq: int, journal: str, **options: Any) -> bool:
        """See :meth:`.neo4j_writes.Neo4jWrites.apply_batch`; refused while :attr:`binding_pending`.

        A store opened while the server was down has not been checked against
        the data directory's journal: whose graph the database holds, and from
        which seq this journal's graph is in it.  A batch streamed in before
        that check could land in another journal's graph, or after a gap; the
        next catch-up (:func:`ingest.replay.project_pending`) checks it first.
        """
        self._ready()
        if self.binding_pending:
            raise StoreError(
                f"Neo4j at {self.uri} (database {self.database!r}) answers again but is not yet checked "
                "against this data directory's journal: the next catch-up checks it and projects from there"
            )
        return super().apply_batch(projection, seq, journal, **options)

    def owner_state(self) -> OwnerState:
        """Whose graph the database holds, and the projection mark (:mod:`.neo4j_owner`)."""
        return read_owner(self)

    def claim_graph(self, journal: str, data_dir: str | None) -> GraphOwner:
        """Claim the database for ``journal`` unless someone holds it; returns who holds it now."""
        return claim(self, journal, data_dir)

    def clear(self) -> None:
        """Delete every entity (see :meth:`.neo4j_writes.Neo4jWrites.clear`) and release the database."""
        super().clear()
        release(self)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, *, defer_unreachable: bool = False) -> Neo4jStore:
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
            defer_unreachable=defer_unreachable,
        )

    def unreachable_reason(self) -> str | None:
        """Why the server does not answer now, or ``None`` when it does: one attempt, no retries.

        :meth:`ping` with the driver's error: a write's managed transaction
        retries a server that is down for 30 s before it fails, so a caller
        that can wait for a later attempt (a live ingest's settle,
        :mod:`ingest.pipeline_projection`) asks this first.
        """
        if not self.connected:
            try:
                self._connect()
            except StoreError as exc:
                return str(exc)
        try:
            self._driver.verify_connectivity()
        except (DriverError, Neo4jError, OSError) as exc:
            return f"Neo4j at {self.uri} (database {self.database!r}): {exc}"
        return None

    def _backfill_search(self) -> None:
        """Give every node of a graph written before search copies existed its copies.

        See :func:`~graphsiem.store.neo4j_schema.backfill_search`.
        """
        backfill_search(self)

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_unreachable(exc: StoreError) -> bool:
    """Whether ``exc`` says the server did not answer (not that it refused the credentials)."""
    cause = exc.__cause__
    return isinstance(cause, (ServiceUnavailable, SessionExpired, OSError))
