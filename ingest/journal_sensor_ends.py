"""The addresses of events that name no host, by address and time: how a host timeline finds its sensor rows.

A Zeek, Suricata, firewall or proxy record names addresses, never a host
(``events.host`` is null): the projection ties it to the host the IP -> host
map held for its source or destination at its time (:mod:`ingest.ipmap`).
``events_by_host`` leaves such rows out, so a host seen only by a network
sensor had an empty timeline though its relations showed hundreds of
connections (review U2).  ``sensor_ends`` keeps, for each such event, its
canonical source and destination addresses with its time and seq (one row
per distinct address; primary key ``(ip, ts, seq)``): "the sensor rows of
10.0.5.13 from 10:00 to 10:30, newest first" is one range read of it
(:mod:`ingest.journal_mapped_events` decides which ranges are a host's).

Kept by :meth:`ingest.journal.Journal.append` in the transaction that inserts
the rows (:func:`index_appended`), as :mod:`ingest.journal_host_kinds` keeps its
counts: the meta key :data:`UPTO_KEY` says up to which seq the table holds.  A
journal made before the table, or written since by a version without it, is
caught up on its next open by this version (:func:`install_sensor_ends`: the
rows of no host after that seq are read once, their fields decoded).  The
timeline reads the table only when it is current (:func:`is_current`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson

from graphsiem.model import Event
from ingest.ipmap_evidence import end_addresses
from ingest.journal_host_kinds import (  # one meta-seq rule for both kept tables
    _last_seq,
    _set_upto,
    _upto,
)
from ingest.journal_schema import Transaction

UPTO_KEY = "sensor_ends_upto"
"""The ``meta`` key: the seq up to which ``sensor_ends`` holds every hostless row's addresses."""

SENSOR_ENDS = (
    "CREATE TABLE IF NOT EXISTS sensor_ends (ip TEXT NOT NULL, ts REAL NOT NULL, seq INTEGER NOT NULL, "
    "PRIMARY KEY (ip, ts, seq)) WITHOUT ROWID"
)

CATCH_UP_BATCH = 20_000
"""Rows read per statement while an older journal is caught up (bounded memory)."""


def _rows(seqs: Sequence[int], events: Iterable[tuple[float, Mapping[str, Any]]]) -> Iterator[tuple[str, float, int]]:
    """``(ip, ts, seq)`` for each end address of each event (``(ts, fields)``), one per distinct address."""
    for seq, (ts, fields) in zip(seqs, events, strict=True):
        for ip in dict.fromkeys(ip for _, ip in end_addresses(fields)):
            yield ip, ts, seq


def install_sensor_ends(db: sqlite3.Connection) -> None:
    """Make the table, and add the hostless rows it does not hold yet (none on a current journal).

    A new journal, or one whose table is current: two lookups.  One made before
    the table: its rows of no host are read once, in one write transaction.
    """
    db.execute(SENSOR_ENDS)
    if _upto(db, UPTO_KEY) == _last_seq(db):
        return
    with Transaction(db):  # two first opens at once: the second finds the table current
        last = _last_seq(db)
        held = _upto(db, UPTO_KEY)
        if held == last:
            return
        after = held or 0
        if held is None:
            db.execute("DELETE FROM sensor_ends")
        while True:
            batch = db.execute("SELECT seq, ts, fields FROM events WHERE host IS NULL AND seq > ? AND seq <= ? "
                               "ORDER BY seq LIMIT ?", (after, last, CATCH_UP_BATCH)).fetchall()
            if not batch:
                break
            db.executemany("INSERT OR IGNORE INTO sensor_ends (ip, ts, seq) VALUES (?, ?, ?)",
                           _rows([row[0] for row in batch], ((row[1], _fields(row[2])) for row in batch)))
            after = int(batch[-1][0])
        _set_upto(db, last, UPTO_KEY)


def _fields(blob: bytes | str) -> Mapping[str, Any]:
    try:
        fields = orjson.loads(blob)
    except orjson.JSONDecodeError:
        return {}  # not ours to judge here: the row reads as it always did elsewhere
    return fields if isinstance(fields, dict) else {}


def index_appended(db: sqlite3.Connection, events: Sequence[Event], seqs: Sequence[int]) -> None:
    """Add the hostless rows just inserted (``events``, at ``seqs``), inside the append's transaction.

    Only when the table held up to the row before these: otherwise it stays
    behind (the timeline leaves sensor rows out) until the next open catches it up.
    """
    if not seqs:
        return
    before = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events WHERE seq < ?", (seqs[0],)).fetchone()[0]
    if _upto(db, UPTO_KEY) != before:
        return
    hostless = [(seq, event) for seq, event in zip(seqs, events, strict=True) if not event.host]
    # in key order: each B-tree page is written once per batch, not once per row (the pages are 64 KiB)
    db.executemany("INSERT OR IGNORE INTO sensor_ends (ip, ts, seq) VALUES (?, ?, ?)",
                   sorted(_rows([seq for seq, _ in hostless], ((e.ts, e.fields) for _, e in hostless))))
    _set_upto(db, seqs[-1], UPTO_KEY)


def forget_row(db: sqlite3.Connection, seq: int, ts: float, fields: bytes | str) -> None:
    """Take a hostless row the id migration deletes (:mod:`ingest.journal_id_migration`) off the table.

    One primary-key delete per end address (the row's ``fields`` as journaled),
    so the table keeps holding only rows the journal has.
    """
    db.executemany("DELETE FROM sensor_ends WHERE ip = ? AND ts = ? AND seq = ?",
                   [(ip, ts, row_seq) for ip, ts, row_seq in _rows([seq], [(ts, _fields(fields))])])


def is_current(db: sqlite3.Connection) -> bool:
    """Whether ``sensor_ends`` holds every row of the journal (False on a database without it)."""
    try:
        return _upto(db, UPTO_KEY) == _last_seq(db)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return False
        raise
