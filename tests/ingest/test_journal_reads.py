"""Rows read back (:mod:`ingest.journal_reads`): events in seq order, raw text, kept rejections."""

from __future__ import annotations

from tests.ingest.journal_events import make


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
