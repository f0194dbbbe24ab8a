"""The journal's id index: exact dedupe across sealed runs, writers, reopening and repair."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from graphsiem.model import Event, stable_hash
from ingest import id_index
from ingest.id_index import IdIndex, id_prefix, id_prefixes
from ingest.journal import Journal


def make(event_id: str) -> Event:
    return Event(id=event_id, kind="ecs:event", ts=1.0, host="ws-1", source="ecs",
                 fields={"n": event_id}, origin=f"f:{event_id}", raw={"id": event_id})


def ids(first: int, count: int) -> list[str]:
    """Pipeline-like ids: hex digests."""
    return [stable_hash("test", str(i)) for i in range(first, first + count)]


def append(journal: Journal, event_ids: list[str]) -> list[str]:
    return [e.id for e in journal.append([make(i) for i in event_ids])]


def duplicated_ids(path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute("SELECT id FROM events GROUP BY id HAVING COUNT(*) > 1")]


def run_keys(path) -> list[tuple[int, int]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT first_seq, last_seq FROM id_runs ORDER BY first_seq").fetchall()


@pytest.fixture
def small_seal(monkeypatch):
    """Seal every 16 rows, so a few dozen events exercise runs and merges."""
    monkeypatch.setattr(id_index, "SEAL_SIZE", 16)


def test_prefix_of_hex_ids_is_their_first_64_bits_and_other_ids_are_hashed():
    digest = stable_hash("x")
    assert id_prefix(digest) == int(digest[:16], 16)
    assert id_prefix("e1") == id_prefix("e1") != id_prefix("e2")
    assert 0 <= id_prefix("-123456789abcdef0123") < 2**64  # a sign is not hex digits


@pytest.mark.parametrize(
    "odd_one",
    ["e1", "0x123456789abcdef0ff", "-123456789abcdef0123", "+123456789abcdef0123", "1234_6789abcdef01ff",
     " 123456789abcdef01", "ab cdef012345678999", "ABCDEF0123456789ff", "\u0663" * 20, "g" * 32],
)
def test_the_batch_prefixes_are_the_prefixes_id_by_id(odd_one):
    digests = [stable_hash(str(n)) for n in range(50)]
    for batch in (digests, [*digests, odd_one], [odd_one, *digests], [odd_one]):
        assert id_prefixes(batch) == [id_prefix(i) for i in batch]
    assert id_prefixes([]) == []


def test_sealed_runs_still_refuse_every_id_already_held(tmp_path, small_seal):
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        for first in range(0, 200, 10):
            assert len(append(journal, ids(first, 10))) == 10
        assert journal.counts()["events"] == 200
        # every old id, in any batch mix, is refused; new ones among them are kept
        assert append(journal, ids(0, 200)) == []
        assert append(journal, ids(195, 10)) == ids(200, 5)
    keys = run_keys(path)
    assert keys and keys[0][0] == 1  # the runs cover the journal from its first row...
    assert all(b[0] == a[1] + 1 for a, b in zip(keys, keys[1:], strict=False))  # ...without gaps
    assert len(keys) <= 5  # similar-sized runs were merged
    assert duplicated_ids(path) == []


def test_ids_sharing_a_prefix_are_told_apart_by_their_full_id(tmp_path, monkeypatch, small_seal):
    # every id gets the same prefix: each lookup finds every row as a candidate
    monkeypatch.setattr(id_index, "id_prefix", lambda _id: 7)
    monkeypatch.setattr("ingest.journal.id_prefixes", lambda ids: [7] * len(ids))
    with Journal(tmp_path / "j.sqlite") as journal:
        assert append(journal, ["a", "b", "c"]) == ["a", "b", "c"]
        for first in range(0, 40, 8):
            append(journal, [f"x{i}" for i in range(first, first + 8)])
        assert append(journal, ["a", "d", "x3", "x39", "x40"]) == ["d", "x40"]
        assert [e.id for e in journal.get(["x39", "nope", "b"])] == ["x39", "b"]
        assert journal.get(["x39"])[0].fields == {"n": "x39"}


def test_two_connections_appending_in_turn_share_one_id_set(tmp_path, small_seal):
    path = tmp_path / "j.sqlite"
    first, second = Journal(path), Journal(path)
    assert first._ids is second._ids  # one index per file in a process, not one per connection
    try:
        for start in range(0, 120, 20):
            writer, other = (first, second) if start % 40 == 0 else (second, first)
            assert len(append(writer, ids(start, 20))) == 20
            assert append(other, ids(start + 10, 10)) == []  # the other wrote those
        assert append(second, ids(0, 130)) == ids(120, 10)
        assert [e.id for e in first.get(ids(125, 2))] == ids(125, 2)
    finally:
        first.close()
        second.close()
    assert duplicated_ids(path) == []


def test_an_index_adopts_the_runs_and_rows_another_writer_committed(tmp_path, small_seal):
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        append(journal, ids(0, 10))
    db = sqlite3.connect(path)
    try:
        index = IdIndex.load(db)  # as another process would hold it
        assert index.high_water == 10 and not index.runs
        with Journal(path) as journal:
            append(journal, ids(10, 50))  # seals and merges runs this index has not seen
        index.sync(db)
        assert [(run.first_seq, run.last_seq) for run in index.runs] == run_keys(path)
        assert index.high_water == 60
        wanted = ids(0, 70)
        assert index.existing(db, wanted, [id_prefix(i) for i in wanted]) == set(ids(0, 60))
    finally:
        db.close()


def test_threads_with_their_own_connections_store_each_id_once(tmp_path, small_seal):
    import threading

    path = tmp_path / "j.sqlite"
    Journal(path).close()
    barrier = threading.Barrier(4)

    def writer() -> None:
        with Journal(path) as journal:
            for r in range(20):
                barrier.wait(30)
                journal.append([make(i) for i in ids(r * 10, 25)])

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert duplicated_ids(path) == []
    with Journal(path) as journal:
        assert journal.counts()["events"] == 19 * 10 + 25


def _writer(path: str, start: int, rounds: int, barrier) -> None:
    with Journal(path) as journal:
        for r in range(rounds):
            barrier.wait(30)  # both processes offer round r at the same moment
            # overlapping windows: each id is offered by both processes, in two rounds
            journal.append([make(i) for i in ids(start + r * 10, 25)])


def test_processes_writing_overlapping_ids_at_once_store_each_id_once(tmp_path, small_seal):
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    # fork keeps the patched seal size in the children
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_writer, args=(str(path), 0, 30, barrier)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    assert duplicated_ids(path) == []
    with Journal(path) as journal:
        assert journal.counts()["events"] == 29 * 10 + 25
        assert append(journal, ids(0, 315)) == []


def test_reopening_loads_the_persisted_runs_instead_of_every_id(tmp_path, small_seal):
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        append(journal, ids(0, 100))
    with sqlite3.connect(path) as db:
        index = IdIndex.load(db)
        assert index.sealed_to >= 90 and len(index.recent) == 100 - index.sealed_to
        assert index.high_water == 100
    with Journal(path) as journal:
        assert append(journal, ids(50, 60)) == ids(100, 10)


@pytest.mark.parametrize("damage", [
    "DELETE FROM id_runs WHERE first_seq = 1",  # a gap at the start
    "UPDATE id_runs SET last_seq = last_seq + 1000",  # a run naming rows that do not exist
    "DELETE FROM id_runs",  # lost altogether
])
def test_damaged_runs_are_rebuilt_from_the_rows(tmp_path, small_seal, damage):
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        append(journal, ids(0, 100))
    with sqlite3.connect(path) as db:
        db.execute(damage)
    with Journal(path) as journal:
        assert append(journal, ids(0, 120)) == ids(100, 20)
        assert [e.id for e in journal.get(ids(3, 1))] == ids(3, 1)
    keys = run_keys(path)
    assert keys[0][0] == 1 and all(b[0] == a[1] + 1 for a, b in zip(keys, keys[1:], strict=False))
    assert duplicated_ids(path) == []


def test_a_failed_append_leaves_no_phantom_ids(tmp_path, small_seal):
    with Journal(tmp_path / "j.sqlite") as journal:
        append(journal, ids(0, 10))
        bad = [make(i) for i in ids(10, 20)]
        bad[-1].kind = None  # NOT NULL: the whole batch rolls back
        with pytest.raises(sqlite3.IntegrityError):
            journal.append(bad)
        assert journal.counts()["events"] == 10
        # the rolled-back ids were never held: they go in now
        assert append(journal, ids(5, 25)) == ids(10, 20)


def test_journals_made_with_a_unique_id_index_keep_working(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # the events table as journals made before the id index
        db.execute(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
            " kind TEXT NOT NULL, ts REAL NOT NULL, host TEXT, source TEXT NOT NULL,"
            " origin TEXT NOT NULL, fields BLOB NOT NULL, raw BLOB)"
        )
        db.executemany(
            "INSERT INTO events (id, kind, ts, source, origin, fields) VALUES (?, 'k', 1.0, 's', 'o', '{}')",
            [(i,) for i in ids(0, 5)],
        )
    with Journal(path) as journal:
        assert append(journal, ids(0, 8)) == ids(5, 3)
        assert [e.id for e in journal.get(ids(1, 1))] == ids(1, 1)
    assert duplicated_ids(path) == []
