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

An emptying by a version from before the flag, cut off halfway, left no flag:
the mark at 0 (a rebuild's claim) or no mark (a plain emptying) over the rest
of the old graph.  A graph holding relations or sightings while the mark says
nothing was projected cannot come from a projection: relations and sightings
are written in the one transaction that moves the mark past 0.  So
:func:`unmarked_links` finds it, and the projection is *refused*
(:class:`GraphNotMarked`, telling the operator to run ``graphsiem rebuild``)
rather than the emptying finished: unlike the flag, this state is inferred,
and a graph of the same shape from before projection marks (written up to the
journal's checkpoint, which a projection would go on from) would lose what
the journal no longer replays into it; a rebuild loses nothing (the journal
is the system of record) and is one command (task G5).
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


UNMARKED_LINKS_READ = """
OPTIONAL MATCH (m:GraphsiemMeta {name: 'projection'})
WITH m
WHERE m IS NULL OR (coalesce(m.seq, 0) = 0 AND coalesce(m.journal, $journal) = $journal)
MATCH (:Entity)-[r]->()
WITH r LIMIT 1
RETURN count(r) AS links
"""
"""Whether the graph holds a relation or sighting although the projection mark (none, or
``$journal``'s at 0) says nothing was projected: one row with ``links`` 1, else ``links`` 0 or
no row (the mark is past 0, or another journal's: that refusal is the owner check's)."""


class GraphHalfEmptied(StoreError):
    """A batch met the ``clearing`` flag: an emptying was cut off and is not finished yet."""

    def __init__(self, where: str) -> None:
        super().__init__(
            f"{where}: an interrupted rebuild left the graph half-emptied; nothing was written. "
            f"The next catch-up finishes emptying it, or run graphsiem rebuild again"
        )


class GraphNotMarked(StoreError):
    """The graph holds relations or sightings but its projection mark says nothing was projected."""

    def __init__(self, where: str) -> None:
        super().__init__(
            f"{where} holds relations and sightings, but its projection mark says none were projected: an "
            f"emptying by an earlier graphsiem version was cut off halfway (or the graph was written without "
            f"marks). Nothing was written: projecting the journal over it would count its sightings twice. "
            f"Run graphsiem rebuild --store neo4j on the data directory (it empties the graph and projects "
            f"the whole journal into it)"
        )


def unmarked_links(read: Callable[..., list[Any]], journal: str) -> bool:
    """Whether the graph holds relations or sightings with no projection mark of ``journal`` past 0.

    Parameters
    ----------
    read : callable
        The store's read (``query, **params -> records``).
    journal : str
        The journal about to be projected (a mark of another journal is not this check's).
    """
    records = read(UNMARKED_LINKS_READ, journal=journal)
    return bool(records and records[0]["links"])


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
