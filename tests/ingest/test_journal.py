"""The journal: durable, idempotent by event id, rejections kept, checkpoint."""

from __future__ import annotations

import sqlite3

import pytest

from ingest.id_index import shared_index
from ingest.journal import Journal
from tests.ingest.journal_events import make


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


def test_events_survive_reopening(tmp_path):
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.append([make("a", **{"url.full": "http://x/"})])
    with Journal(tmp_path / "j.sqlite") as journal:
        (event,) = journal.get(["a", "missing"])
    assert event.fields == {"url.full": "http://x/"} and event.raw == {"id": "a"}
    assert event.origin == "f:a" and event.host == "ws-1"


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
