"""The host timeline's journal read (:mod:`ingest.journal_host_events`) and its index ``events_by_host``.

"The newest events of host H" must be an index range read: without the index
it scanned every event of the journal.  A journal made before the index gets
it on its first open by this version.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from graphsiem.model import Event
from ingest.journal import Journal
from ingest.journal_host_events import COUNT_CAP, HostFilter, has_events, host_events, parse_cursor

PRE_INDEX_TABLE = (
    "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, kind TEXT NOT NULL,"
    " ts REAL NOT NULL, host TEXT, source TEXT NOT NULL, origin TEXT NOT NULL, fields BLOB NOT NULL,"
    " raw BLOB, id_scheme INTEGER NOT NULL)"
)
"""The events table as the version before the index made it (no index on host)."""


def _event(n: int, host: str | None, ts: float, kind: str = "windows:other") -> Event:
    return Event(f"e{n}", kind, ts, host, "winlogbeat", {"message": f"event {n}"}, f"f.json:{n}")


def test_a_page_and_its_count_read_the_host_index_not_the_table(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.append([_event(n, f"ws-{n % 3}", 1000.0 + n) for n in range(30)])
        db = journal.connection
        traced: list[str] = []
        db.set_trace_callback(traced.append)
        found = host_events(db, "ws-1", limit=4, where=HostFilter(since=1000.0, kinds=("windows:other",)))
        db.set_trace_callback(None)
        assert [event.id for event in found.events] == ["e28", "e25", "e22", "e19"]
        assert found.total == 10 and not found.total_capped
        selects = [sql for sql in traced if sql.lstrip().upper().startswith("SELECT")]
        by_host = [sql for sql in selects if "FROM events WHERE host" in sql]
        assert len(by_host) == 2  # the page and (a time range: not the kept counts) the count
        for sql in selects:  # the kept counts' reads too (ingest.journal_host_kinds): none scans
            plan = db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
            text = " | ".join(row[3] for row in plan)
            if sql in by_host:
                assert "INDEX events_by_host (host=?" in text, text
            assert "SCAN events" not in text and "SCAN host_kind_counts" not in text, text


def test_pages_go_on_from_the_cursor_through_ties(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.append([_event(n, "ws-1", 1000.0 + n // 4) for n in range(10)]  # four events a second
                       + [_event(99, None, 1001.0), _event(98, "ws-2", 1001.0)])
        db = journal.connection
        walked, cursor = [], None
        while True:
            page = host_events(db, "ws-1", limit=3, before=cursor)
            walked += [event.id for event in page.events]
            cursor = page.next_cursor
            if cursor is None:
                break
            cursor = parse_cursor(cursor.text())  # as the API hands it out and gets it back
        assert walked == ["e9", "e8", "e7", "e6", "e5", "e4", "e3", "e2", "e1", "e0"]
        assert has_events(db, "ws-2") and not has_events(db, "ws-3")


def test_the_count_stops_at_the_cap(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.append([_event(n, "ws-1", 1000.0 + n) for n in range(COUNT_CAP + 5)])
        page = host_events(journal.connection, "ws-1", limit=2)
        assert (page.total, page.total_capped) == (COUNT_CAP, True)
        assert [event.id for event in page.events] == [f"e{COUNT_CAP + 4}", f"e{COUNT_CAP + 3}"]


def test_a_journal_made_before_the_index_gets_it_on_open(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    db = sqlite3.connect(path)
    with db:
        db.execute(PRE_INDEX_TABLE)
        db.execute("INSERT INTO events (id, kind, ts, host, source, origin, fields, raw, id_scheme)"
                   " VALUES ('old', 'windows:other', 5.0, 'ws-1', 'winlogbeat', 'f:1', x'7b7d', '{}', 2)")
    db.close()
    with Journal(path) as journal:
        indexes = {row[1] for row in journal.connection.execute("PRAGMA index_list(events)")}
        assert "events_by_host" in indexes
        journal.append([_event(1, "ws-1", 6.0)])
        assert [event.id for event in host_events(journal.connection, "ws-1", limit=10).events] == ["e1", "old"]


def test_too_many_kinds_are_refused(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal, pytest.raises(ValueError, match="at most 20 kinds"):
        host_events(journal.connection, "ws-1", limit=1, where=HostFilter(kinds=tuple(f"k{n}" for n in range(21))))
