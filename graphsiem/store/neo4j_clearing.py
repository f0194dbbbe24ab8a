"""Emptying a Neo4j database so that a crash halfway cannot be mistaken for an empty graph.

A large graph is deleted in many bounded transactions (a single one could
pass ``dbms.memory.transaction.total.max``), so an emptying can be cut off
with most of the old graph still there.  It used to set the projection mark
to 0 (or delete it) *first*: after a crash the mark said "empty", the next
``graphsiem ingest`` or catch-up projected the journal from 0 over the old
graph, and every sighting and capped relation counted twice (review T4,
finding 1: 47,802 sightings at count x2.00, exit 0).

So the transaction that claims or releases the mark also sets
``clearing = true`` on it, and only the transaction after the last delete
batch removes it.  Whoever finds the flag (:func:`finish_clearing`, from
:meth:`~graphsiem.store.neo4j_writes.Neo4jWrites.batch_mark`, which every
projection reads first) finishes the emptying before anything is projected:
deleting is idempotent, and the mark (0, or gone) is then true.  A batch
written while the flag is up is refused (:class:`GraphHalfEmptied`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphsiem.store.base import StoreError

DELETE_BATCH_ROWS = 20_000
"""Relationships or nodes deleted per transaction (bounded: see the module docstring)."""

RELEASE_FOR_CLEARING = """
MERGE (m:GraphsiemMeta {name: 'projection'})
SET m._lock = true
REMOVE m._lock
SET m.seq = 0, m.clearing = true
REMOVE m.journal
WITH m
OPTIONAL MATCH (o:GraphsiemMeta {name: 'owner'})
DELETE o
RETURN true AS started
"""
"""The start of a plain emptying (:meth:`Neo4jStore.clear`): under the mark's lock, the mark
held by no journal, at 0 and flagged ``clearing``, and the owner released; the mark node
itself goes when the emptying is done (:data:`CLEARING_DONE`)."""

CLEARING_READ = """
OPTIONAL MATCH (m:GraphsiemMeta {name: 'projection'})
RETURN coalesce(m.clearing, false) AS clearing
"""

CLEARING_DONE = """
MATCH (m:GraphsiemMeta {name: 'projection'})
WHERE m.clearing
REMOVE m.clearing
WITH m
WHERE m.journal IS NULL
DELETE m
"""
"""Run after the last delete batch: the flag removed; a mark no journal holds (a plain
emptying) deleted, so the database reads as a new one."""


class GraphHalfEmptied(StoreError):
    """A batch met the ``clearing`` flag: an emptying was cut off and is not finished yet."""

    def __init__(self, where: str) -> None:
        super().__init__(
            f"{where}: an interrupted rebuild left the graph half-emptied; nothing was written. "
            f"The next catch-up finishes emptying it, or run graphsiem rebuild again"
        )


def finish_clearing(read_write: Callable[..., list[Any]], delete_queries: tuple[str, ...],
                    batch: int = DELETE_BATCH_ROWS) -> None:
    """Delete what is left of the graph in batches of ``batch``, then lower the ``clearing`` flag.

    Parameters
    ----------
    read_write : callable
        The store's auto-commit write (``query, **params -> records``).
    delete_queries : tuple of str
        The bounded deletes, run in order until each deletes nothing (each
        takes ``$batch`` and returns ``deleted``).
    batch : int
        Rows per delete transaction.
    """
    for query in delete_queries:
        while True:
            records = read_write(query, batch=batch)
            if not records or records[0]["deleted"] == 0:
                break
    read_write(CLEARING_DONE)


def clearing_started(read_write: Callable[..., list[Any]]) -> bool:
    """Whether an emptying was started and not finished (the mark's ``clearing`` flag)."""
    records = read_write(CLEARING_READ)
    return bool(records and records[0]["clearing"])
