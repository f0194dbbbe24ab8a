"""Sensor clock gaps kept in the journal: per host, sender and sensor, the latest ingest's measure.

:mod:`ingest.sensor_clock_gaps` measures, in one ingest call, how far a host's own clock is
from a sensor's on records both dated (a Windows event sent by syslog: its header's time
against Zeek's capture time).  That warning was only in the call's report and lost afterwards,
though every later reader of the host's timeline needs it: Brim's domain controller dates its
logons 76 minutes behind the connections Zeek logged for them.

The ``sensor_clock_gaps`` table keeps one row per ``(host, sender, sensor)``: the median offset,
its bounds and the records of the latest ingest call that measured the pair, and when
(``measured_at``, epoch seconds).  A later measure replaces it (a clock set right clears its
warning: its median falls under :data:`ingest.sensor_clock_gaps.GAP_BOUND_S`).  Written in each
batch's transaction (:func:`write_clock_gaps`, the pairs the batch's records measured), made on
a journal's first open by this release (:func:`install_clock_gaps`: an older journal has no
gap kept until its next ingest of such records); read by ``graphsiem stats``, ``/healthz`` and
the host timeline (:func:`kept_clock_gaps`, :func:`clock_gaps_in_file`).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from ingest.sensor_clock_gaps import GAP_BOUND_S, ClockGaps, gap_note

CLOCK_GAPS_TABLE = (
    "CREATE TABLE IF NOT EXISTS sensor_clock_gaps (host TEXT NOT NULL, sender TEXT NOT NULL, "
    "sensor TEXT NOT NULL, offset_s REAL NOT NULL, min_s REAL NOT NULL, max_s REAL NOT NULL, "
    "records INTEGER NOT NULL, measured_at REAL NOT NULL, PRIMARY KEY (host, sender, sensor)) WITHOUT ROWID"
)

KEPT_MAX = 1000
"""Gaps a reader lists at most (the widest first): the senders are whatever the network carried."""


def install_clock_gaps(db: sqlite3.Connection) -> None:
    """Make the table on a journal that lacks it (a journal made before it keeps no gap until its next ingest)."""
    db.execute(CLOCK_GAPS_TABLE)


def write_clock_gaps(db: sqlite3.Connection, gaps: ClockGaps, *, now: float | None = None) -> int:
    """Save the pairs ``gaps`` measured since its last save (inside the caller's transaction); how many.

    Each row is the call's measure so far (its median, bounds and records), replacing the one a
    former call left.
    """
    changed = gaps.take_changed()
    if not changed:
        return 0
    at = time.time() if now is None else now
    db.executemany(
        "INSERT OR REPLACE INTO sensor_clock_gaps (host, sender, sensor, offset_s, min_s, max_s, records, "
        "measured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*key, *gaps.measure(key), at) for key in sorted(changed)])
    return len(changed)


def kept_clock_gaps(db: sqlite3.Connection, *, host: str | None = None,
                    bound_s: float = GAP_BOUND_S) -> list[dict[str, Any]]:
    """The kept gaps of ``bound_s`` or more (of ``host`` only when given), the widest first.

    Returns
    -------
    list of dict
        ``host``, ``sender``, ``sensor``, ``offset_s``, ``min_s``, ``max_s``, ``records``,
        ``measured_at`` (epoch seconds) and ``note``; empty on a journal without the table.
    """
    query = ("SELECT host, sender, sensor, offset_s, min_s, max_s, records, measured_at FROM sensor_clock_gaps "
             "WHERE abs(offset_s) >= ?")
    params: list[Any] = [bound_s]
    if host is not None:
        query += " AND host = ?"
        params.append(host)
    query += " ORDER BY abs(offset_s) DESC, host, sender LIMIT ?"
    params.append(KEPT_MAX)
    try:
        rows = db.execute(query, params).fetchall()
    except sqlite3.OperationalError:
        return []  # a journal made before the table, opened read-only
    return [{"host": row[0], "sender": row[1], "sensor": row[2], "offset_s": round(row[3], 1),
             "min_s": round(row[4], 1), "max_s": round(row[5], 1), "records": row[6], "measured_at": row[7],
             "note": gap_note(row[0], row[1], row[2], row[3], row[6])} for row in rows]


def clock_gaps_in_file(path: str | Path) -> list[dict[str, Any]]:
    """:func:`kept_clock_gaps` of the journal file at ``path``, opened read-only (nothing is made or
    migrated); empty when there is no journal or it cannot be read."""
    path = Path(path)
    if not path.is_file():
        return []
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error:
        return []
    try:
        return kept_clock_gaps(db)
    except sqlite3.Error:
        return []  # locked past the timeout: the command's own reads say more
    finally:
        db.close()
