"""Ids the id migration took from rows, read back: an event journaled under one is held, and found.

``graphsiem rebuild --recompute-ids`` (:mod:`ingest.journal_id_migration`)
gives old rows the content ids of this release and deletes the copies of one
event; the ids rows had before are kept in ``event_id_aliases`` (id -> the
seq of the row that is their event now).  :meth:`ingest.journal.Journal.append`
treats an event whose id, or one of its aliases, is there as held, and
:meth:`ingest.journal.Journal.get` answers such an id with its event (evidence
saved by a detection before the migration).  A journal the migration never
changed has no rows there and pays nothing: the check is made once, at open.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

from graphsiem.model import Event
from ingest.id_index import rows_by_seq
from ingest.journal_reads import EVENT_COLUMNS, event_from_row

_CHUNK = 500  # SQLite's default variable limit is 999 on older builds


def has_id_aliases(db: sqlite3.Connection) -> bool:
    """Whether the journal on ``db`` holds ids the id migration took from rows."""
    table = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_id_aliases'").fetchone()
    return table is not None and db.execute("SELECT EXISTS (SELECT 1 FROM event_id_aliases)").fetchone()[0] == 1


def _seqs_of(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, int]:
    """The kept row's seq of each of ``ids`` the migration took from a row."""
    found: dict[str, int] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        found.update(db.execute(f"SELECT id, seq FROM event_id_aliases WHERE id IN ({marks})", chunk))  # noqa: S608 - placeholders only
    return found


def migrated_positions(db: sqlite3.Connection, ids: Sequence[str], order: Sequence[int],
                       aliases: Mapping[int, str | tuple[str, ...]] | None) -> set[int]:
    """Positions ``k`` in ``order`` of the events whose id or an alias the migration took from a row.

    Parameters
    ----------
    db : sqlite3.Connection
        The journal's connection.
    ids : sequence of str
        The batch's event ids (``ids[order[k]]`` is the ``k``-th candidate's).
    order : sequence of int
        The candidates, as indexes into ``ids``.
    aliases : mapping, optional
        Per index into ``ids``, the event's other ids (:meth:`ingest.journal.Journal.append`).
    """
    wanted: list[tuple[int, str]] = []
    for k, n in enumerate(order):
        wanted.append((k, ids[n]))
        alias = aliases.get(n) if aliases else None
        if isinstance(alias, str):
            wanted.append((k, alias))
        elif alias is not None:
            wanted.extend((k, each) for each in alias)
    held = _seqs_of(db, list(dict.fromkeys(each for _, each in wanted)))
    return {k for k, each in wanted if each in held}


def migrated_events(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Event]:
    """Per id the migration took from a row, the event that row is now (under its current id), with ``raw``."""
    seqs = _seqs_of(db, ids)
    if not seqs:
        return {}
    by_seq = {row[0]: event_from_row(row, with_raw=True)
              for row in rows_by_seq(db, EVENT_COLUMNS + ", raw", sorted(set(seqs.values())))}
    return {old: by_seq[seq] for old, seq in seqs.items() if seq in by_seq}
