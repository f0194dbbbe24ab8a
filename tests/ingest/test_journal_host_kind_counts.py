"""The host timeline's count is kept per (host, kind), not counted on the index (task OPS.3).

The count read the host's entries of ``events_by_host`` until it had 10,001
matches: a kind that never occurs on a host of 1M events read all 1M entries
(0.3 s), and so did the page.  The journal now keeps ``host_kind_counts``
(:mod:`ingest.journal_host_kinds`), added to in each append's transaction:
kinds the host never had answer without reading the index, and a count with
no time range reads the kept counts.  Pages are read as before, exact.
Real journal files.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from graphsiem.model import Event
from ingest.journal import Journal
from ingest.journal_host_events import HostEvents, HostFilter, host_events
from ingest.journal_host_kinds import host_kind_total, hosts_of_kinds
from ingest.journal_id_migration import _delete


def _event(n: int, host: str | None, kind: str) -> Event:
    return Event(f"e{n}", kind, 1000.0 + n, host, "winlogbeat", {"message": f"event {n}"}, f"f.json:{n}")


def _traced_host_reads(db: sqlite3.Connection, host: str, where: HostFilter) -> tuple[HostEvents, list[str]]:
    traced: list[str] = []
    db.set_trace_callback(traced.append)
    try:
        found = host_events(db, host, limit=5, where=where)
    finally:
        db.set_trace_callback(None)
    return found, [sql for sql in traced if "FROM events WHERE host" in sql]


def test_a_kind_the_host_never_had_reads_no_index_entry(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.append([_event(n, "ws-1", "windows:logon") for n in range(50)])
        found, reads = _traced_host_reads(journal.connection, "ws-1", HostFilter(kinds=("windows:service",)))
        ranged, ranged_reads = _traced_host_reads(
            journal.connection, "ws-1", HostFilter(since=1000.0, until=1010.0, kinds=("windows:service",)))
    assert found.events == [] and found.total == 0 and found.next_cursor is None
    assert ranged.events == [] and ranged.total == 0
    assert reads == [] and ranged_reads == []


def test_a_count_without_a_time_range_is_the_kept_count_and_exact(tmp_path: Path) -> None:
    events = [_event(n, f"ws-{n % 3}", "logon" if n % 2 else "dns") for n in range(60)]
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.append(events[:40])
        journal.append(events[20:] + [_event(99, None, "dns")])  # 20 already held: not counted twice
        db = journal.connection
        found, reads = _traced_host_reads(db, "ws-1", HostFilter(kinds=("logon",)))
        everything, _ = _traced_host_reads(db, "ws-1", HostFilter())
        on_the_index = db.execute("SELECT COUNT(*) FROM events WHERE host = 'ws-1' AND kind = 'logon'").fetchone()[0]
    assert found.total == on_the_index == 10 and not found.total_capped
    assert everything.total == 20
    assert [event.id for event in found.events] == ["e55", "e49", "e43", "e37", "e31"]
    assert len(reads) == 1 and "COUNT" not in reads[0]  # the page only


def test_rows_written_without_the_counts_are_counted_on_the_index_until_the_next_open_recounts(
        tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        journal.append([_event(n, "ws-1", "logon") for n in range(10)])
        # a writer that keeps no counts (a version from before them) adds a row of a new kind
        journal.connection.execute(
            "INSERT INTO events (id, kind, ts, host, source, origin, fields, raw, id_scheme) "
            "VALUES ('old', 'dns', 2000.0, 'ws-1', 's', 'o', x'7b7d', NULL, 2)")
        journal.append([_event(50, "ws-1", "dns")])  # the counts are behind: they stay so
        behind, behind_reads = _traced_host_reads(journal.connection, "ws-1", HostFilter(kinds=("dns",)))
    with Journal(path) as journal:  # opening recounts
        found, reads = _traced_host_reads(journal.connection, "ws-1", HostFilter(kinds=("dns",)))
        kept = journal.connection.execute(
            "SELECT kind, n FROM host_kind_counts WHERE host = 'ws-1' ORDER BY kind").fetchall()
    assert behind.total == 2 and len(behind_reads) == 2  # counted on the index, exact
    assert found.total == 2 and [e.id for e in found.events] == ["old", "e50"]
    assert kept == [("dns", 2), ("logon", 10)]
    assert len(reads) == 1  # the page; the count was the kept one


def test_a_host_whose_only_cleared_log_was_merged_is_not_listed_for_it(tmp_path: Path) -> None:
    """The id migration takes a merged copy off the counts: a host's last row of a kind leaves a 0."""
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.append([_event(1, "dc01", "windows:log_cleared"), _event(2, "dc01", "windows:log_cleared"),
                        _event(3, "ws01", "windows:log_cleared"), _event(4, "ws01", "windows:other")])
        db = journal.connection
        (seq,) = db.execute("SELECT seq FROM events WHERE kind = 'windows:log_cleared' AND host = 'ws01'").fetchone()
        _delete(db, seq, "windows:log_cleared", "ws01")  # as the migration deletes a merged copy

        assert host_kind_total(db, "ws01", ["windows:log_cleared"]) == 0
        assert hosts_of_kinds(db, ["windows:log_cleared"], 10) == [("dc01", 2)]
