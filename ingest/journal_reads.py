"""Rows read back from the journal: events in seq order, kept rejections.

Part of :mod:`ingest.journal` (which re-exports :class:`Rejection` and
:class:`JournalEvent`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from graphsiem.model import Event


@dataclass(slots=True, frozen=True)
class Rejection:
    """A record the ingest could not accept, kept with the reason."""

    origin: str
    format: str
    reason: str
    raw: str
    at: float


@dataclass(slots=True)  # not frozen: a frozen init costs ~1 us per event on the replay path
class JournalEvent:
    """An event as journaled, with its sequence number (the projection order)."""

    seq: int
    event: Event


EVENT_COLUMNS = "seq, id, kind, ts, host, source, origin, fields"
"""The columns :func:`event_from_row` reads, in its order (``raw`` follows when wanted)."""


def event_from_row(row: tuple, *, with_raw: bool) -> Event:
    """The event of an ``events`` row of :data:`EVENT_COLUMNS` (and ``raw``)."""
    raw = orjson.loads(row[8]) if with_raw and row[8] is not None else None
    # positional (id, kind, ts, host, source, fields, origin, raw): keywords cost more per event
    return Event(row[1], row[2], row[3], row[4], row[5], orjson.loads(row[7]), row[6], raw)


def iter_events(db: sqlite3.Connection, after_seq: int, *, with_raw: bool, batch: int) -> Iterator[JournalEvent]:
    """Stream events with ``seq > after_seq`` in seq order, ``batch`` rows a query (bounded memory)."""
    columns = EVENT_COLUMNS + (", raw" if with_raw else "")
    last = after_seq
    while True:
        rows = db.execute(
            f"SELECT {columns} FROM events WHERE seq > ? ORDER BY seq LIMIT ?",  # noqa: S608 - fixed column list
            (last, batch),
        ).fetchall()
        if not rows:
            return
        for row in rows:
            yield JournalEvent(row[0], event_from_row(row, with_raw=with_raw))
        last = rows[-1][0]


def rejections(db: sqlite3.Connection, limit: int, offset: int) -> list[Rejection]:
    """Kept rejections, oldest first, ``limit`` of them after the first ``offset``."""
    rows = db.execute(
        "SELECT origin, format, reason, raw, at FROM rejected ORDER BY at, rowid LIMIT ? OFFSET ?",
        (limit, offset),
    ).fetchall()
    return [Rejection(*row) for row in rows]
