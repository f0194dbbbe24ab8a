"""How an append writes rows (:mod:`ingest.journal_append`): prepared JSON, seqs, many rows a statement."""

from __future__ import annotations

import gc
import sqlite3

import pytest

from ingest.id_index import id_prefix, shared_index
from ingest.journal import ROWS_PER_INSERT, Journal
from tests.ingest.journal_events import make


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
