"""Journal append cost as the journal grows: the id index against SQLite's UNIQUE index.

Appends ``--rows`` synthetic events (hex-digest ids like the pipeline's, rows
of about ``--row-bytes``) in the pipeline's batches of 5,000 to two fresh
journals and prints, every ``--every`` rows, the CPU and wall microseconds
per row of the last stretch:

* **id index**: :class:`ingest.journal.Journal` as it is (no SQLite index on
  ``id``; :mod:`ingest.id_index` keeps ids unique);
* **unique index**: the same journal file layout, pragmas and batches, with
  the ``UNIQUE`` index on ``id`` that journals had before and an
  ``INSERT OR IGNORE`` per row doing the dedupe (the previous append path).

The second column grows with the journal: each commit rewrites every index
leaf its random ids land on (64 KiB pages) into the WAL and again at the
checkpoint.  Figures (2026-11-28, 2 cores, 1 KB rows; both include making the
batch's events), CPU us a row:

=============  ==========================  ==========================
load           first 250k rows             rows 1.75M-2M
=============  ==========================  ==========================
0.1            id 7.1, unique 7.2          id 8.0, unique 32.5 (x4.1)
2-3            id 6.6, unique 8.9          id 9.0, unique 35.9 (x4.0)
=============  ==========================  ==========================

The unique index is still rising at 2M rows (wall 45-60 us a row there).

Run: ``python benchmarks/bench_journal.py [--rows 2000000] [--row-bytes 1000]``.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from graphsiem.model import Event, stable_hash  # noqa: E402
from ingest.journal import Journal  # noqa: E402

BATCH = 5000

_UNIQUE_SCHEMA = """
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    ts REAL NOT NULL, host TEXT, source TEXT NOT NULL, origin TEXT NOT NULL,
    fields BLOB NOT NULL, raw BLOB, id_scheme INTEGER NOT NULL
)
"""


def batches(rows: int, row_bytes: int):
    """Yield (events, fields_json, raw_json) batches of pipeline-shaped rows."""
    fields = b'{"pad":"' + b"f" * max(0, row_bytes * 3 // 10 - 10) + b'"}'
    raw = '{"pad":"' + "r" * max(0, row_bytes * 7 // 10 - 10) + '"}'
    for first in range(0, rows, BATCH):
        count = min(BATCH, rows - first)
        events = [
            Event(stable_hash("bench", str(n)), "bench:event", float(n), "ws-1", "bench", {}, f"bench:{n}")
            for n in range(first, first + count)
        ]
        yield events, [fields] * count, [raw] * count


def unique_index_append(journal: Journal) -> Callable[[list[Event], list[bytes], list[str]], None]:
    """The append path of journals with a UNIQUE id index: INSERT OR IGNORE per row."""
    db = journal.connection

    def append(events: list[Event], fields: list[bytes], raw: list[str]) -> None:
        rows = [
            (e.id, e.kind, e.ts, e.host, e.source, e.origin, bytearray(f), r)
            for e, f, r in zip(events, fields, raw, strict=True)
        ]
        db.execute("BEGIN IMMEDIATE")
        db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        db.executemany(
            "INSERT OR IGNORE INTO events (id, kind, ts, host, source, origin, fields, raw, id_scheme)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 2)",
            rows,
        )
        db.execute("COMMIT")

    return append


def run(label: str, journal: Journal, append, rows: int, row_bytes: int, every: int) -> list[float]:
    """Append every batch; print and return CPU us/row per ``every`` rows."""
    figures = []
    done = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for events, fields, raw in batches(rows, row_bytes):
        append(events, fields, raw)
        done += len(events)
        if done % every == 0 or done == rows:
            stretch = every if done % every == 0 else done % every
            cpu_us = (time.process_time() - cpu) / stretch * 1e6
            wall_us = (time.perf_counter() - wall) / stretch * 1e6
            figures.append(cpu_us)
            print(f"{label:<13} rows {done:>10,}  cpu {cpu_us:6.2f} us/row  wall {wall_us:6.2f} us/row",
                  flush=True)
            cpu, wall = time.process_time(), time.perf_counter()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--row-bytes", type=int, default=1000)
    parser.add_argument("--every", type=int, default=250_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-journal-"))
    try:
        with Journal(tmp / "id-index.sqlite") as journal:
            def append_new(events, fields, raw):
                journal.append(events, fields_json=fields, raw_json=raw)

            new = run("id index", journal, append_new, args.rows, args.row_bytes, args.every)
        (tmp / "id-index.sqlite").unlink()
        with sqlite3.connect(tmp / "unique.sqlite") as db:
            db.execute("PRAGMA page_size=65536")  # as Journal sets it, before the first table
            db.execute(_UNIQUE_SCHEMA)
        with Journal(tmp / "unique.sqlite") as journal:
            old = run("unique index", journal, unique_index_append(journal), args.rows,
                      args.row_bytes, args.every)
        print(f"last stretch: id index {new[-1]:.2f} us/row, unique index {old[-1]:.2f} us/row "
              f"(x{old[-1] / new[-1]:.1f}); first stretch {new[0]:.2f} vs {old[0]:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
