"""The Neo4j store's schema: constraints, search indexes, and search copies for older graphs.

Part of the Neo4j store (:mod:`graphsiem.store.neo4j_store`): what a store
does to a database when it opens it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neo4j import Driver

from graphsiem.model import Entity
from graphsiem.store import neo4j_queries as q
from graphsiem.store.neo4j_rows import (
    MAX_SEARCH_CHARS_PER_TX,
    NOT_PROPS,
    is_overflow,
    original_copy,
    search_copies,
)

if TYPE_CHECKING:
    from graphsiem.store.neo4j_connection import Neo4jConnection

SEARCH_BACKFILL_BATCH = 5_000
"""Nodes read per transaction when an older graph gets its search copies."""


def create_schema(driver: Driver, database: str) -> None:
    """Make the key constraints and search indexes of ``database`` (those missing), and wait for them."""
    for statement in q.constraint_statements() + q.search_index_statements() + q.digest_index_statements():
        driver.execute_query(statement, database_=database)
    # A new index fills in the background; searches hint it, so wait.
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)


def backfill_search(conn: Neo4jConnection) -> None:
    """Give every node of a graph written before search copies existed its copies.

    Runs when the database's search mark is below
    :data:`~graphsiem.store.neo4j_queries.SEARCH_VERSION` (a new database
    gets the mark at once): reads the nodes in ``uid`` order, computes the
    copies of those that have none, and writes them in batches of
    :data:`SEARCH_BACKFILL_BATCH`; the mark is set only after the last
    batch, so an interrupted backfill starts again at the next open.
    A graph of search version 1 has every copy but the PE original name's
    (:data:`~graphsiem.store.neo4j_queries.SEARCH_ORIGINAL`): its nodes that
    carry an original name get that copy alone, the same way.
    Writers of this version give nodes copies as they write them, and the
    write skips nodes that have one by then.  Writers of an older version
    writing at the same time are not supported: their new nodes would
    have no copies and never be found.
    """
    records = conn._read(q.SEARCH_MARK_READ)
    if records and (records[0]["version"] or 0) >= q.SEARCH_VERSION:
        return
    after = ""
    while True:
        batch = conn._read(q.SEARCH_BACKFILL_READ, after=after, batch=SEARCH_BACKFILL_BATCH)
        if not batch:
            break
        after = batch[-1]["uid"]
        pending: dict[str, tuple[list[dict[str, Any]], int]] = {
            q.SEARCH_BACKFILL_WRITE: ([], 0), q.SEARCH_BACKFILL_ORIGINAL_WRITE: ([], 0)}
        for r in batch:
            if r["done"] and r["named"]:
                continue
            props = r["props"]
            entity = Entity(r["type"], r["key"], r["value"],
                            {k: v for k, v in props.items() if k not in NOT_PROPS})
            write = q.SEARCH_BACKFILL_ORIGINAL_WRITE if r["done"] else q.SEARCH_BACKFILL_WRITE
            search = original_copy(entity) if r["done"] else search_copies(entity)
            if not search:
                continue
            rows, chars = pending[write]
            rows.append({"uid": r["uid"], "search": search, "overflow": is_overflow(search)})
            chars += sum(len(copy) for copy in search.values() if copy is not None)
            if chars >= MAX_SEARCH_CHARS_PER_TX:
                conn._read_write(write, rows=rows)
                rows, chars = [], 0
            pending[write] = (rows, chars)
        for write, (rows, _) in pending.items():
            if rows:
                conn._read_write(write, rows=rows)
    conn._read_write(q.SEARCH_MARK_SET, version=q.SEARCH_VERSION)
