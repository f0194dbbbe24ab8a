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

Modules: :mod:`.neo4j_connection` (the driver, errors as ``StoreError``),
:mod:`.neo4j_schema` (constraints, indexes, the search backfill),
:mod:`.neo4j_writes` and :mod:`.neo4j_reads` (the two halves of the store),
:mod:`.neo4j_rows` (keys, search copies and columns, without a driver) and
:mod:`.neo4j_queries` (the Cypher).  This module puts them together as
:class:`Neo4jStore`.
"""

from __future__ import annotations

import os

from neo4j import Driver
from neo4j.exceptions import DriverError, Neo4jError

from graphsiem.model import EntityKey
from graphsiem.store.base import StoreError
from graphsiem.store.neo4j_reads import Neo4jReads
from graphsiem.store.neo4j_rows import (
    HASHED_PREFIX,
    MAX_INDEXED_KEY_BYTES,
    MAX_SEARCH_CHARS_PER_TX,
    MAX_TEXT_INDEX_BYTES,
    index_key,
)
from graphsiem.store.neo4j_schema import SEARCH_BACKFILL_BATCH, backfill_search
from graphsiem.store.neo4j_writes import KNOWN_NODES_MAX, Neo4jWrites

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
        self.batch_size = batch_size
        self._known_nodes: dict[EntityKey, str] = {}  # endpoint -> element id
        super().__init__(uri, user=user, password=password, database=database, driver=driver)
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

    def unreachable_reason(self) -> str | None:
        """Why the server does not answer now, or ``None`` when it does: one attempt, no retries.

        :meth:`ping` with the driver's error: a write's managed transaction
        retries a server that is down for 30 s before it fails, so a caller
        that can wait for a later attempt (a live ingest's settle,
        :mod:`ingest.pipeline_projection`) asks this first.
        """
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
