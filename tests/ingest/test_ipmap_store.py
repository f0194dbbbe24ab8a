"""The IP map's saves write what changed since the last one, and still merge other writers' rows.

A save used to read and compare every row of each changed address: an address
leased thousands of times in turn paid for its whole history at every save
(``benchmarks/bench_ipmap.py --case churn``).  It now writes the changed keys
only, and reads an address's rows only when SQLite says another connection
committed since the map last loaded or wrote it (``PRAGMA data_version``).
"""

from __future__ import annotations

import sqlite3

from ingest.ipmap import IpHostMap

IP = "10.0.0.5"


def churned(leases: int) -> IpHostMap:
    """One address taken in turn by three hosts, every 300 s for an hour: each lease cuts the one before."""
    ipmap = IpHostMap()
    for n in range(leases):
        ipmap.add_lease(IP, f"ws-{n % 3}", n * 300.0, 3600.0)
    return ipmap


def traced_save(ipmap: IpHostMap, db: sqlite3.Connection) -> tuple[list[str], int]:
    """The statements a save ran, and how many rows it inserted, replaced or deleted."""
    statements: list[str] = []
    changes = db.total_changes
    db.set_trace_callback(statements.append)
    try:
        ipmap.save(db)
    finally:
        db.set_trace_callback(None)
    return statements, db.total_changes - changes


def rows(db: sqlite3.Connection) -> set[tuple]:
    return set(db.execute("SELECT ip, start, end, host, source FROM ip_hosts"))


def reads_rows(statements: list[str]) -> bool:
    return any("FROM ip_hosts" in s and s.lstrip().upper().startswith("SELECT") for s in statements)


def test_a_save_after_a_load_reads_no_row_and_writes_only_the_rows_that_changed(journal):
    db = journal.connection
    churned(300).save(db)
    ipmap = IpHostMap().load(db)
    before = rows(db)
    ipmap.add_lease(IP, "ws-9", 300 * 300.0, 600.0)  # cuts the last lease, [89700, 93300], at 90000
    statements, written = traced_save(ipmap, db)
    assert not reads_rows(statements)  # read all 300 rows before
    assert written == 2  # the new lease and the one it cut (the same before)
    assert rows(db) == (before - {(IP, 89700.0, 93300.0, "ws-2", "dhcp")}) | {
        (IP, 89700.0, 90000.0, "ws-2", "dhcp"), (IP, 90000.0, 90600.0, "ws-9", "dhcp")}
    assert traced_save(ipmap, db) == ([], 0)  # nothing changed since: not even a transaction


def test_saves_of_a_live_map_read_no_row_after_its_first(journal):
    db = journal.connection
    ipmap = churned(50)
    ipmap.save(db)  # a map never loaded reads the rows of the addresses it saves, once
    for n in range(50, 60):
        ipmap.add_lease(IP, "ws-7", n * 300.0, 3600.0)
        ipmap.add_endpoint(IP, "ws-7", n * 300.0)
        assert not reads_rows(traced_save(ipmap, db)[0])
    assert {(ip, start, host) for ip, start, _, host, _ in rows(db)} == {
        (IP, i.start, i.host) for i in ipmap.intervals(IP)}
    assert IpHostMap().load(db).intervals(IP) == ipmap.intervals(IP)


def test_rows_another_connection_saved_between_two_saves_are_merged_not_overwritten(journal):
    """Another connection committed: the address's rows are read and merged, as every save did before."""
    db = journal.connection
    churned(10).save(db)
    ipmap = IpHostMap().load(db)
    # the API beside this ingest (another process, or an older version) saves a lease the map does not hold
    other = sqlite3.connect(journal.path, isolation_level=None)
    try:
        other.execute("INSERT INTO ip_hosts (ip, start, end, host, source) VALUES (?, 50000.0, 50100.0, 'srv-x', 'dhcp')",
                      (IP,))
    finally:
        other.close()
    ipmap.add_lease(IP, "ws-8", 40000.0, 600.0)
    statements, _ = traced_save(ipmap, db)
    assert reads_rows(statements)
    assert ipmap.lookup(IP, 50050.0) == "srv-x"  # merged into the live map
    assert {(IP, 50000.0, 50100.0, "srv-x", "dhcp"), (IP, 40000.0, 40600.0, "ws-8", "dhcp")} <= rows(db)
    ipmap.add_lease(IP, "ws-8", 41000.0, 600.0)
    assert not reads_rows(traced_save(ipmap, db)[0])  # nobody else committed since its last save
    assert IpHostMap().load(db).intervals(IP) == ipmap.intervals(IP)


def test_a_save_on_another_connection_reads_the_rows_again(journal):
    """``data_version`` is a connection's own count: a map saving through a new one cannot trust it."""
    churned(10).save(journal.connection)
    ipmap = IpHostMap().load(journal.connection)
    other = sqlite3.connect(journal.path, isolation_level=None)
    try:
        ipmap.add_lease(IP, "ws-8", 40000.0, 600.0)
        assert reads_rows(traced_save(ipmap, other)[0])
        ipmap.add_lease(IP, "ws-8", 41000.0, 600.0)
        assert not reads_rows(traced_save(ipmap, other)[0])
    finally:
        other.close()
    assert IpHostMap().load(journal.connection).intervals(IP) == ipmap.intervals(IP)


def test_a_write_rolled_back_leaves_its_changes_to_the_next_save(journal):
    db = journal.connection
    churned(20).save(db)
    ipmap = IpHostMap().load(db)
    ipmap.add_lease(IP, "ws-8", 20 * 300.0, 600.0)
    db.execute("BEGIN IMMEDIATE")
    assert ipmap.write(db) == [IP]
    db.execute("ROLLBACK")  # the caller's transaction failed: nothing was saved
    ipmap.add_lease(IP, "ws-9", 21 * 300.0, 600.0)
    assert ipmap.save(db) == 1
    loaded = IpHostMap().load(db)
    assert loaded.intervals(IP) == ipmap.intervals(IP)
    assert [loaded.lookup(IP, t) for t in (6050.0, 6350.0)] == ["ws-8", "ws-9"]
