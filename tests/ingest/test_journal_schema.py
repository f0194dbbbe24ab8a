"""The journal's file (:mod:`ingest.journal_schema`): rollback journal, durable commits, id scheme, migrations."""

from __future__ import annotations

import sqlite3

import pytest

from ingest.journal import ROLLBACK_MODE, Journal
from tests.ingest.journal_events import make


def test_a_new_journal_uses_a_rollback_journal_not_wal(journal):
    journal.append([make("a")])
    assert journal.sqlite_journal_mode == ROLLBACK_MODE == "truncate"
    assert journal.connection.execute("PRAGMA journal_mode").fetchone()[0] == "truncate"
    assert not journal.path.with_name(journal.path.name + "-wal").exists()


def test_commits_wait_for_the_disk(journal):
    # synchronous=FULL: a commit returns after fsync, so an accepted batch survives
    # power loss (NORMAL would only survive a crash of the process); 2 is FULL
    assert journal.connection.execute("PRAGMA synchronous").fetchone()[0] == 2


def _wal_journal(path):
    """A journal as an earlier version left it: WAL mode, kept in the file."""
    with Journal(path) as journal:
        journal.append([make("old")])
    db = sqlite3.connect(path, isolation_level=None)
    assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    db.close()


def test_a_wal_journal_of_an_earlier_version_is_switched_when_opened_alone(tmp_path):
    path = tmp_path / "j.sqlite"
    _wal_journal(path)
    with Journal(path) as journal:
        assert journal.sqlite_journal_mode == "truncate"
        assert [e.id for e in journal.append([make("old"), make("new")])] == ["new"]
    with Journal(path) as journal:
        assert journal.sqlite_journal_mode == "truncate" and journal.counts()["events"] == 2


def test_a_wal_journal_held_open_elsewhere_stays_wal_and_works(tmp_path):
    path = tmp_path / "j.sqlite"
    _wal_journal(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("SELECT COUNT(*) FROM events").fetchone()  # opens the WAL
    with Journal(path) as journal:
        assert journal.sqlite_journal_mode == "wal"  # cannot leave WAL while another connection has it
        assert [e.id for e in journal.append([make("new")])] == ["new"]
    assert holder.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2
    holder.close()


def scheme_key(path) -> list[tuple[str]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT value FROM meta WHERE key = 'id_scheme'").fetchall()
    finally:
        db.close()


def drop_scheme_key(path) -> None:
    """Leave the journal as code from before id schemes did: no ``id_scheme`` key."""
    db = sqlite3.connect(path)
    with db:
        db.execute("DELETE FROM meta WHERE key = 'id_scheme'")
    db.close()


def test_a_new_journal_gets_id_scheme_2_and_keeps_it(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        assert journal.id_scheme == 2
        journal.append([make("a")])
    assert scheme_key(path) == [("2",)]  # stored when the journal was made, not on first use
    with Journal(path) as journal:
        assert journal.id_scheme == 2  # events now, but the key decides


@pytest.mark.parametrize("held", ["events", "rejections"])
def test_a_journal_with_content_and_no_scheme_key_stays_on_scheme_1(tmp_path, held):
    # (rejections too: they are keyed by their raw text, which scheme 1 keeps canonical)
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        if held == "events":
            journal.append([make("a")])
        else:
            journal.reject([("f:1", "ecs", "no ts", "{}")])
    drop_scheme_key(path)
    with Journal(path) as journal:
        assert journal.id_scheme == 1
    assert scheme_key(path) == [("1",)]


def test_an_empty_journal_without_the_key_gets_scheme_2(tmp_path):
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    drop_scheme_key(path)
    with Journal(path) as journal:
        assert journal.id_scheme == 2


def test_an_unknown_id_scheme_is_refused(tmp_path):
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE meta SET value = '3' WHERE key = 'id_scheme'")
    db.close()
    with pytest.raises(ValueError, match="unknown event id scheme '3'"):
        Journal(path)


PRE_SCHEME_INSERT = (
    "INSERT INTO events (id, kind, ts, host, source, origin, fields, raw)"
    " VALUES (?, 'ecs:event', 1.0, 'ws-1', 'ecs', 'f:x', x'7b7d', '{}')"
)
"""How versions from before id schemes insert a row (the same statement, without ``id_scheme``)."""

PRE_SCHEME_TABLE = (
    "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, kind TEXT NOT NULL,"
    " ts REAL NOT NULL, host TEXT, source TEXT NOT NULL, origin TEXT NOT NULL, fields BLOB NOT NULL, raw BLOB)"
)
"""The events table as versions from before id schemes made it."""


def event_rows(path) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT id, id_scheme FROM events ORDER BY seq").fetchall()
    finally:
        db.close()


def test_rows_keep_the_scheme_that_made_their_id(tmp_path):
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.append([make("a"), make("b")])
        assert event_rows(journal.path) == [("a", 2), ("b", 2)]


def test_an_older_version_cannot_write_its_ids_into_a_scheme_2_journal(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        journal.append([make("a")])
    old = sqlite3.connect(path)  # what an older version's append runs, in its own transaction
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL constraint failed: events.id_scheme"):
        with old:
            old.execute(PRE_SCHEME_INSERT, ("b",))
    old.close()
    assert event_rows(path) == [("a", 2)]  # nothing of the failed batch, nothing lost before it
    with Journal(path) as journal:
        assert [e.id for e in journal.append([make("a"), make("c")])] == ["c"]


def test_a_table_from_before_schemes_gets_the_column_and_keeps_working(tmp_path):
    path = tmp_path / "j.sqlite"
    db = sqlite3.connect(path)
    with db:
        db.execute(PRE_SCHEME_TABLE)
        db.execute(PRE_SCHEME_INSERT, ("a",))
    db.close()
    with Journal(path) as journal:
        assert journal.id_scheme == 1  # it held events
        assert [e.id for e in journal.append([make("a"), make("b")])] == ["b"]
    # ALTER TABLE can only add the column nullable: the old row has none, an older
    # version may still write (it hashes as scheme 1 does, so that is harmless here)
    db = sqlite3.connect(path)
    with db:
        db.execute(PRE_SCHEME_INSERT, ("c",))
    db.close()
    assert event_rows(path) == [("a", None), ("b", 1), ("c", None)]
    with Journal(path) as journal:  # opened again: the column is there, nothing is redone
        assert [e.event.id for e in journal.iter_events()] == ["a", "b", "c"]


def test_an_empty_table_from_before_schemes_is_made_again_with_the_guard(tmp_path):
    path = tmp_path / "j.sqlite"
    db = sqlite3.connect(path)
    with db:
        db.execute(PRE_SCHEME_TABLE)
    db.close()
    with Journal(path) as journal:
        assert journal.id_scheme == 2
        journal.append([make("a")])
    old = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="events.id_scheme"):
        with old:
            old.execute(PRE_SCHEME_INSERT, ("b",))
    old.close()
    assert event_rows(path) == [("a", 2)]


def test_a_hosts_addresses_are_read_by_an_index_not_a_scan_of_the_ip_map(tmp_path):
    """The API's entity answer of a host lists its addresses (graphsiem.api.services.address_map):
    by host, the map's table (keyed by ip) was scanned whole for every host page."""
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    db = sqlite3.connect(path)
    plan = db.execute("EXPLAIN QUERY PLAN SELECT ip, host, start, end, source FROM ip_hosts "
                      "WHERE host = ? ORDER BY start DESC LIMIT 20", ("ws-1",)).fetchall()
    db.close()
    details = " ".join(str(row[-1]) for row in plan)
    assert "USING INDEX ip_hosts_by_host" in details, details
