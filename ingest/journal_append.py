"""How :meth:`ingest.journal.Journal.append` writes rows: the insert statements, the seqs, the rejections.

Part of :mod:`ingest.journal`; every function here runs inside the caller's
write transaction.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from itertools import chain, islice

from graphsiem.model import Event, stable_hash
from ingest.event_ids import AS_READ, CANONICAL_TEXT

_INSERT_COLUMNS = "INSERT OR FAIL INTO events (id, kind, ts, host, source, origin, fields, raw, id_scheme) VALUES "
_ROW_VALUES = {  # the scheme as a literal, not a parameter bound again for every row
    CANONICAL_TEXT: "(?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), 1)",
    AS_READ: "(?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), 2)",
}
_ROW_PARAMETERS = 8
ROWS_PER_INSERT = 64
"""Rows one ``INSERT`` statement writes (the rest of a batch goes one row a statement).

Each execution of a statement costs SQLite its own setup and, with
``AUTOINCREMENT``, a read and a rewrite of ``sqlite_sequence``; Python's
``executemany`` resets and binds it, and lets go of the GIL and takes it back,
for each execution.  One statement of 64 rows pays that once for all of them:
the same rows, in the same order, with the same seqs.  Measured on Windows
rows (``Journal.append`` alone, 12k rows): 5,700 fewer instructions a row
(valgrind), 7.80 against 8.12 us of CPU a row (median of 12 alternating runs).

``OR FAIL``: a statement that writes several rows and may abort (the ``NOT
NULL`` columns) makes SQLite keep a statement journal, a copy of the 64 KiB
page the statement starts on, spilled to a temporary file: 1,422 more writes
for those 12k rows, which made the change a loss.  With ``FAIL`` a failing row
ends the statement without undoing the rows before it, and :meth:`ingest.journal.Journal.append`
then rolls its whole transaction back, as it did before.
"""
INSERT_EVENTS = {scheme: _INSERT_COLUMNS + values for scheme, values in _ROW_VALUES.items()}
INSERT_MANY = {scheme: _INSERT_COLUMNS + ", ".join([values] * ROWS_PER_INSERT) for scheme, values in _ROW_VALUES.items()}


def insert_rows(
    db: sqlite3.Connection,
    id_scheme: int,
    events: Sequence[Event],
    order: list[int],
    fields_json: Sequence[bytes],
    raw_json: Sequence[str | bytearray],
) -> None:
    """Insert the rows of ``events[n]`` for each ``n`` of ``order`` (in that order), ids of ``id_scheme``."""
    if len(order) == len(events):  # every event new (order is 0 .. n-1): no lookups by index
        chosen, fields, raws = events, fields_json, raw_json
    else:
        chosen = list(map(events.__getitem__, order))
        fields = list(map(fields_json.__getitem__, order))
        raws = list(map(raw_json.__getitem__, order))
    # fields as bytearray: the same BLOB, but Python's sqlite3 binds bytes through
    # its adapter lookup (~3,000 instructions a value), bytearray directly.  Rows
    # from a generator, each bound while its values are still in cache: ~4% more
    # Windows events per CPU second than a list of 5,000 tuples (measured).  raw
    # is cast to TEXT: a bytearray of UTF-8 is stored as the text it holds.
    rows = (
        (e.id, e.kind, e.ts, e.host, e.source, e.origin, bytearray(fields[k]), raws[k])
        for k, e in enumerate(chosen)
    )
    statements, rest = divmod(len(order), ROWS_PER_INSERT)
    if statements:
        # ROWS_PER_INSERT rows a statement, their values in one flat tuple: islice
        # takes exactly that many rows from ``rows``, and the rest go one a statement
        values = chain.from_iterable(rows)
        width = ROWS_PER_INSERT * _ROW_PARAMETERS
        db.executemany(INSERT_MANY[id_scheme], (tuple(islice(values, width)) for _ in range(statements)))
    if rest:
        db.executemany(INSERT_EVENTS[id_scheme], rows)


def new_seqs(db: sqlite3.Connection, before: int, count: int) -> list[int]:
    """The seqs of the ``count`` rows just inserted after seq ``before``, in order.

    Inside the write transaction every row above ``before`` is one of
    ours, so when the lowest and highest of them are ``count - 1`` apart
    they are exactly that range.  Two min/max lookups walk one edge of the
    seq B-tree each; ``COUNT(*)`` over the rows walked all of them
    (~0.3 us a Windows row, measured).
    """
    if not count:
        return []
    low = db.execute("SELECT MIN(seq) FROM events WHERE seq > ?", (before,)).fetchone()[0]
    high = db.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    if low is not None and high - low + 1 == count:  # AUTOINCREMENT numbers one transaction's rows in a row
        return list(range(low, high + 1))
    return [r[0] for r in db.execute("SELECT seq FROM events WHERE seq > ? ORDER BY seq", (before,))]


def insert_rejections(db: sqlite3.Connection, rejections: Iterable[tuple[str, str, str, str]]) -> int:
    """Insert rejections (inside a transaction); return how many were new (unique per origin+reason+raw)."""
    now = time.time()
    before = db.total_changes
    db.executemany(
        "INSERT OR IGNORE INTO rejected (key, origin, format, reason, raw, at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (stable_hash(origin, reason, raw), origin, fmt, reason, raw, now)
            for origin, fmt, reason, raw in rejections
        ],
    )
    return db.total_changes - before
