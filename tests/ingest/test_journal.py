"""The journal: durable, idempotent by event id, rejections kept, checkpoint."""

from __future__ import annotations

import gc
import sqlite3

import pytest

from graphsiem.model import Event
from ingest.id_index import id_prefix, shared_index
from ingest.journal import ROLLBACK_MODE, ROWS_PER_INSERT, Journal


def make(event_id: str, ts: float = 1.0, **fields) -> Event:
    return Event(id=event_id, kind="ecs:event", ts=ts, host="ws-1", source="ecs",
                 fields=fields, origin=f"f:{event_id}", raw={"id": event_id})


def test_append_returns_only_new_events_in_order(journal):
    assert [e.id for e in journal.append([make("a"), make("b")])] == ["a", "b"]
    assert [e.id for e in journal.append([make("b"), make("c"), make("c")])] == ["c"]
    assert journal.counts()["events"] == 3


def test_events_are_committed_before_append_returns(journal):
    journal.append([make("a", **{"process.pid": 4})])
    # a second, independent connection sees the row: it is committed, not pending
    other = sqlite3.connect(journal.path)
    assert other.execute("SELECT id, kind FROM events").fetchall() == [("a", "ecs:event")]
    other.close()


def test_a_new_journal_uses_a_rollback_journal_not_wal(journal):
    journal.append([make("a")])
    assert journal.sqlite_journal_mode == ROLLBACK_MODE == "truncate"
    assert journal.connection.execute("PRAGMA journal_mode").fetchone()[0] == "truncate"
    assert not journal.path.with_name(journal.path.name + "-wal").exists()


def test_commits_wait_for_the_disk(journal):
    # synchronous=FULL: a commit returns after fsync, so an accepted batch survives
    # power loss (NORMAL would only survive a crash of the process); 2 is FULL
    assert journal.connection.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_a_reader_sees_none_of_a_batch_until_it_commits(journal):
    journal.append([make("a")])
    reader = sqlite3.connect(journal.path, timeout=5)
    journal.connection.execute("BEGIN IMMEDIATE")
    journal.connection.execute(
        "INSERT INTO events (id, kind, ts, source, origin, fields, id_scheme) VALUES ('b', 'k', 0, 's', 'o', x'7b7d', 2)"
    )
    # the writer holds its lock, the reader still reads (the state before the batch)
    assert reader.execute("SELECT id FROM events").fetchall() == [("a",)]
    journal.connection.execute("COMMIT")
    assert reader.execute("SELECT id FROM events ORDER BY seq").fetchall() == [("a",), ("b",)]
    reader.close()


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


def test_events_survive_reopening(tmp_path):
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.append([make("a", **{"url.full": "http://x/"})])
    with Journal(tmp_path / "j.sqlite") as journal:
        (event,) = journal.get(["a", "missing"])
    assert event.fields == {"url.full": "http://x/"} and event.raw == {"id": "a"}
    assert event.origin == "f:a" and event.host == "ws-1"


def test_iter_events_streams_in_seq_order_after_a_seq(journal):
    journal.append([make(str(i)) for i in range(12)])
    assert [e.event.id for e in journal.iter_events(after_seq=10, batch=2)] == ["10", "11"]
    assert [e.seq for e in journal.iter_events(batch=5)] == list(range(1, 13))


def test_raw_text_given_by_the_caller_is_stored(journal):
    journal.append([make("a")], raw_json=['{"line":"as read"}'])
    assert journal.get(["a"])[0].raw == {"line": "as read"}


def test_raw_given_as_utf8_bytes_is_stored_as_the_same_text(journal):
    line = '{"b": 1, "a": "caf\u00e9 \u2603"}'
    journal.append([make("text")], raw_json=[line])
    journal.append([make("bytes")], raw_json=[bytearray(line.encode("utf-8"))])
    rows = journal.connection.execute("SELECT raw, typeof(raw) FROM events ORDER BY seq").fetchall()
    assert rows == [(line, "text"), (line, "text")]
    assert journal.get(["bytes"])[0].raw == {"b": 1, "a": "caf\u00e9 \u2603"}


def test_rejections_are_kept_once_with_their_reason(journal):
    rows = [("f.json:3", "ndjson", "invalid JSON: x", "{oops"), ("f.json:9", "zeek", "no ts", "{}")]
    assert journal.reject(rows) == 2
    assert journal.reject(rows) == 0  # the same file twice keeps one copy
    kept = journal.rejected(limit=10)
    assert [(r.origin, r.format, r.reason, r.raw) for r in kept] == rows
    assert journal.rejected(limit=1, offset=1)[0].origin == "f.json:9"


def test_checkpoint_starts_at_zero_and_moves(journal):
    journal.append([make("a"), make("b")])
    assert journal.checkpoint() == 0 and journal.last_seq() == 2
    journal.set_checkpoint(2)
    assert journal.counts() == {"events": 2, "rejected": 0, "projected_seq": 2, "last_seq": 2}


def test_a_join_state_is_kept_with_its_checkpoint_and_read_at_or_before_one(journal):
    journal.append([make("a"), make("b"), make("c")])
    assert journal.join_state(3) is None
    journal.set_checkpoint(1, b"one")
    journal.set_checkpoint(2)  # a checkpoint without a state keeps the older state
    assert journal.join_state(3) == (1, b"one") and journal.join_state(0) is None
    journal.set_checkpoint(3, b"three")  # a newer state replaces the older one
    assert journal.join_state(3) == (3, b"three") and journal.join_state(2) is None
    assert journal.connection.execute("SELECT COUNT(*) FROM projection_state").fetchone()[0] == 1
    journal.set_checkpoint(0)  # moved back (a replay): the state is past it, so it goes
    assert journal.join_state(3) is None and journal.checkpoint() == 0


def test_prepared_json_and_dumped_json_give_the_same_rows_and_new_events(tmp_path):
    import orjson

    batches = [[make("a", x=1), make("b", y=[2])], [make("b", y=[2]), make("c", z="3")]]
    tables, returned = [], []
    for prepared in (False, True):
        with Journal(tmp_path / f"{prepared}.sqlite") as journal:
            for batch in batches:
                options = {}
                if prepared:  # what the pipeline passes: distinct ids, JSON made beforehand
                    options = {"fields_json": [orjson.dumps(e.fields) for e in batch],
                               "raw_json": [orjson.dumps(e.raw).decode() for e in batch]}
                returned.append([e.id for e in journal.append(batch, **options)])
            tables.append(journal.connection.execute(
                "SELECT *, typeof(fields), typeof(raw) FROM events ORDER BY seq").fetchall())
    assert returned == [["a", "b"], ["c"]] * 2
    assert tables[0] == tables[1] and len(tables[0]) == 3
    assert {row[-2:] for row in tables[1]} == {("blob", "text")}  # fields bound as bytearray stay a BLOB


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


def test_appends_after_deleted_top_rows_index_the_seqs_autoincrement_gave(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        journal.append([make("a"), make("b"), make("c")])
    del journal
    gc.collect()  # the next Journal loads its id index afresh: it has seen seq 1 only
    db = sqlite3.connect(path)
    with db:
        db.execute("DELETE FROM events WHERE seq >= 2")
    db.close()
    with Journal(path) as journal:
        # AUTOINCREMENT never reuses a seq: the new rows are 4 and 5, not 2 and 3
        assert [e.id for e in journal.append([make("d"), make("e")])] == ["d", "e"]
        assert [e.seq for e in journal.iter_events()] == [1, 4, 5]
        assert [e.id for e in journal.get(["e", "d", "a"])] == ["e", "d", "a"]
        shared = shared_index(path, journal.identity)
        with shared.lock:  # the id index points at those seqs, not at 2 and 3
            index = shared.synced(journal.connection)
            assert [index.candidate_seqs([id_prefix(i)]) for i in "de"] == [[4], [5]]
        assert journal.append([make("d"), make("e")]) == []


def test_the_id_index_is_shared_per_journal_identity_not_per_inode(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal(path) as first, Journal(path) as second:
        assert first.identity == second.identity
        assert shared_index(path, first.identity) is shared_index(path, second.identity)
        # another journal on the same inode (a deleted file's inode reused) gets its own index
        assert shared_index(path, "another journal") is not shared_index(path, first.identity)


def test_a_journal_made_again_at_a_path_does_not_inherit_the_old_index(tmp_path):
    # The old journal stays open while its file is deleted and made again: file
    # systems hand the freed inode to the new file, and an index keyed by inode
    # alone was stale (it had indexed seqs the new journal has not written).
    path = tmp_path / "j.sqlite"
    previous = Journal(path)
    previous.append([make(f"old-{n}") for n in range(50)])
    for round_ in range(20):
        previous.close()
        for suffix in ("", "-journal", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        journal = Journal(path)
        events = [make(f"r{round_}-{n}") for n in range(3)] + [make("old-1")]
        assert [e.id for e in journal.append(events)] == [e.id for e in events]
        assert journal.append(events) == []
        previous = journal
    previous.close()


def test_a_batch_its_rejections_and_the_callers_writes_commit_together(journal):
    rejected = [("f.json:2", "ndjson", "invalid JSON: x", "{oops")]
    seen = []

    def before_commit(new):
        seen.append([e.id for e in new])
        journal.connection.execute("INSERT INTO meta (key, value) VALUES ('written', 'with the batch')")

    assert [e.id for e in journal.append([make("a"), make("a"), make("b")], rejections=rejected,
                                         before_commit=before_commit)] == ["a", "b"]
    assert seen == [["a", "b"]]
    assert [(r.origin, r.reason) for r in journal.rejected()] == [("f.json:2", "invalid JSON: x")]
    assert journal.connection.execute("SELECT value FROM meta WHERE key = 'written'").fetchone() == ("with the batch",)


def test_a_failing_before_commit_rolls_the_whole_batch_back(journal):
    journal.append([make("a")])

    def fail(new):
        journal.connection.execute("INSERT INTO meta (key, value) VALUES ('written', 'no')")
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError, match="disk gone"):
        journal.append([make("b")], rejections=[("f:1", "ndjson", "bad", "x")], before_commit=fail)
    assert journal.counts()["events"] == 1 and journal.rejected() == []
    assert journal.connection.execute("SELECT value FROM meta WHERE key = 'written'").fetchone() is None
    # the id index did not take b in: it is new on the next try
    assert [e.id for e in journal.append([make("b")])] == ["b"]


def test_rejections_alone_are_kept_by_append(journal):
    assert journal.append([], rejections=[("f:1", "ndjson", "bad", "x")]) == []
    assert [r.raw for r in journal.rejected()] == ["x"]


def test_a_batch_written_many_rows_a_statement_keeps_each_row_its_values_and_order(journal):
    journal.append([make("held-1"), make("held-2")])
    count = 2 * ROWS_PER_INSERT + 5  # two full statements, then rows one a statement
    events = [make(f"e{n}", ts=float(n), n=n) for n in range(count)]
    # held ids and a repeat in the batch: the rows written are a subset, in batch order
    batch = events[:3] + [make("held-1")] + events[3:70] + [make("e5")] + events[70:] + [make("held-2")]
    new = journal.append(batch)
    assert [e.id for e in new] == [e.id for e in events]
    rows = journal.connection.execute(
        "SELECT seq, id, ts, fields, raw, typeof(fields), typeof(raw) FROM events WHERE seq > 2 ORDER BY seq"
    ).fetchall()
    assert [row[0] for row in rows] == list(range(3, 3 + count))
    assert [(row[1], row[2]) for row in rows] == [(e.id, e.ts) for e in events]
    assert [row[3] for row in rows] == [f'{{"n":{n}}}'.encode() for n in range(count)]
    assert [row[4] for row in rows] == [f'{{"id":"e{n}"}}' for n in range(count)]
    assert {row[5:] for row in rows} == {("blob", "text")}
    last = journal.connection.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    assert last == (2 + count,)


def test_a_row_failing_inside_a_many_row_statement_rolls_the_whole_batch_back(journal):
    journal.append([make("a")])
    events = [make(f"e{n}") for n in range(2 * ROWS_PER_INSERT)]
    events[ROWS_PER_INSERT + 3].kind = None  # NOT NULL: fails in the second statement, after a whole one
    with pytest.raises(sqlite3.IntegrityError, match="events.kind"):
        journal.append(events)
    assert journal.counts()["events"] == 1
    assert journal.connection.execute("SELECT seq FROM sqlite_sequence").fetchall() == [(1,)]
    # nothing of the batch was kept, in the table or the id index
    events[ROWS_PER_INSERT + 3].kind = "ecs:event"
    assert len(journal.append(events)) == 2 * ROWS_PER_INSERT
    assert journal.last_seq() == 1 + 2 * ROWS_PER_INSERT
