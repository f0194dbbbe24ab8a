"""The host timeline's sensor rows (:mod:`ingest.journal_mapped_events`, :mod:`ingest.journal_sensor_ends`).

A row naming no host is a host's when the IP -> host map held its source or
destination for that host at its time, by the map's rule: of the intervals
holding the time, the one that started last.  An address another host held at
that moment must not pull the row in (review U2, TL #1).
"""

from __future__ import annotations

from pathlib import Path

from graphsiem.model import Event
from ingest.journal import Journal
from ingest.journal_host_events import HostFilter, host_events
from ingest.journal_sensor_ends import UPTO_KEY

ADDRESS = "10.9.0.5"


def _conn(n: int, ts: float, src: str = ADDRESS, dst: str = "93.184.216.34") -> Event:
    return Event(f"z{n}", "zeek:conn", ts, None, "zeek", {"source.ip": src, "destination.ip": dst}, f"conn.log:{n}")


def _own(n: int, host: str, ts: float) -> Event:
    return Event(f"w{n}", "windows:other", ts, host, "winlogbeat", {"message": f"event {n}"}, f"w.json:{n}")


def _held(journal: Journal, *intervals: tuple[str, str, float, float, str]) -> None:
    journal.connection.executemany("INSERT INTO ip_hosts (ip, start, end, host, source) VALUES (?, ?, ?, ?, ?)",
                                   intervals)


def _ids(journal: Journal, host: str, **kwargs: object) -> list[str]:
    return [event.id for event in host_events(journal.connection, host, limit=50, **kwargs).events]  # type: ignore[arg-type]


def test_a_later_lease_inside_an_interval_takes_the_address_for_its_span_only(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        # ws-a's lease covers 0..1000; ws-b was seen holding the address from 400 to 600 (started later: it wins)
        _held(journal, (ADDRESS, 0.0, 1000.0, "ws-a", "dhcp"), (ADDRESS, 400.0, 600.0, "ws-b", "endpoint"))
        journal.append([_conn(n, ts) for n, ts in enumerate((300.0, 400.0, 500.0, 600.0, 700.0, 1000.0, 1001.0))])
        assert _ids(journal, "ws-a") == ["z5", "z4", "z0"]
        assert _ids(journal, "ws-b") == ["z3", "z2", "z1"]
        found = host_events(journal.connection, "ws-b", limit=50)
        assert found.total == 3 and found.mapped_ids == {"z1", "z2", "z3"}
        assert _ids(journal, "ws-c") == []


def test_own_and_mapped_rows_page_in_one_order_and_count_once(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        _held(journal, (ADDRESS, 0.0, 1000.0, "ws-a", "dhcp"), ("10.9.0.6", 0.0, 1000.0, "ws-a", "endpoint"))
        journal.append([_own(0, "ws-a", 150.0), _conn(1, 100.0), _conn(2, 200.0, dst="10.9.0.6"),
                        _own(3, "ws-a", 250.0), _conn(4, 300.0, src="10.1.1.1", dst=ADDRESS), _own(5, "ws-b", 260.0)])
        pages, cursor = [], None
        while True:
            page = host_events(journal.connection, "ws-a", limit=2, before=cursor)
            pages.append([event.id for event in page.events])
            assert page.total == 5  # z2 has both its ends on ws-a: counted once
            cursor = page.next_cursor
            if cursor is None:
                break
        assert pages == [["z4", "w3"], ["z2", "w0"], ["z1"]]
        assert _ids(journal, "ws-a", where=HostFilter(since=120.0, until=280.0)) == ["w3", "z2", "w0"]
        assert _ids(journal, "ws-a", where=HostFilter(kinds=("zeek:conn",))) == ["z4", "z2", "z1"]
        assert _ids(journal, "ws-a", by_address=False) == ["w3", "w0"]


def test_a_journal_written_before_the_table_is_caught_up_on_open(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        _held(journal, (ADDRESS, 0.0, 1000.0, "ws-a", "dhcp"))
        journal.append([_conn(1, 100.0)])
        # as a version without the table leaves it: no table, no mark
        journal.connection.execute("DROP TABLE sensor_ends")
        journal.connection.execute("DELETE FROM meta WHERE key = ?", (UPTO_KEY,))
    with Journal(path) as journal:
        journal.append([_conn(2, 200.0)])
        assert _ids(journal, "ws-a") == ["z2", "z1"]


def _sqlite_kilo_steps(connection, read):
    """``read()``'s result and how many thousand SQLite VM steps it took (a measure of rows
    read that a loaded machine does not change, unlike a clock)."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    connection.set_progress_handler(count, 1000)
    try:
        return read(), steps[0]
    finally:
        connection.set_progress_handler(None, 0)


def test_a_host_with_a_million_sensor_rows_reads_a_page_not_the_rows(tmp_path: Path) -> None:
    # A page reads its 100 rows through the indexes, not the million: compared with one scan of
    # the table, in SQLite steps (speed figures are the benchmarks' and docs/performance.md's).
    with Journal(tmp_path / "j.sqlite") as journal:
        _held(journal, (ADDRESS, 0.0, 2e6, "ws-a", "dhcp"), ("10.9.0.7", 0.0, 2e6, "ws-b", "dhcp"))
        batch = 50_000
        for first in range(0, 1_000_000, batch):
            journal.append([_conn(n, float(n)) for n in range(first, first + batch)])
        journal.append([_conn(2_000_000, 5.5, src="10.9.0.7")])
        db = journal.connection
        page, page_steps = _sqlite_kilo_steps(db, lambda: host_events(db, "ws-a", limit=100))
        older, older_steps = _sqlite_kilo_steps(db, lambda: host_events(db, "ws-a", limit=100,
                                                                          before=page.next_cursor))
        other, other_steps = _sqlite_kilo_steps(db, lambda: host_events(db, "ws-b", limit=100))
        _, scan_steps = _sqlite_kilo_steps(db, lambda: db.execute(
            "SELECT count(*) FROM events WHERE raw LIKE '%never%'").fetchone())
        assert [e.id for e in page.events][:2] == ["z999999", "z999998"] and page.total_capped
        assert older.events[0].id == "z999899"
        assert [e.id for e in other.events] == ["z2000000"] and other.total == 1
        assert scan_steps > 1000  # the scan the pages must not do: over a million steps
        assert page_steps * 10 < scan_steps and older_steps * 10 < scan_steps, (page_steps, older_steps, scan_steps)
        assert other_steps * 100 < scan_steps, (other_steps, scan_steps)
