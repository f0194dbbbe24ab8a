"""NDJSON reader: framing, the line as read as the record's text, per-line errors."""

from __future__ import annotations

import io

import orjson
import pytest

from ingest.readers.base import RawRecord, ReadError
from ingest.readers.ndjson import NdjsonReader, canonical_json


def read(data: bytes) -> list[RawRecord | ReadError]:
    return list(NdjsonReader().read(io.BytesIO(data), "f.ndjson"))


def test_sniff_accepts_object_lines_and_refuses_pretty_json():
    reader = NdjsonReader()
    assert reader.sniff(b'\n{"a": 1}\n{"b": 2}\n', "x")
    assert not reader.sniff(b"{\n  \"a\": 1\n}\n", "x")
    assert not reader.sniff(b"[1, 2]\n", "x")
    assert not reader.sniff(b"Mar  1 10:00:00 host app: msg\n", "x")


def test_records_carry_line_origins_and_the_line_as_read_without_its_ending():
    items = read(b'{"b": 1, "a": "\xc3\xa9"}\r\n\n{"c": [1, 2]}')
    assert [i.origin for i in items] == ["f.ndjson:1", "f.ndjson:3"]
    assert items[0].record == {"b": 1, "a": "\u00e9"}
    # kept as read: key order, spacing and bytes
    assert items[0].read_as == b'{"b": 1, "a": "\xc3\xa9"}' and items[0].text == '{"b": 1, "a": "\u00e9"}'
    # a line that is not compact: its id's input is its compact dump (task IDS)
    assert items[0].data == b'{"b":1,"a":"\xc3\xa9"}' and items[0].is_redumped
    assert (items[1].read_as, items[1].data, items[1].text) == (b'{"c": [1, 2]}', b'{"c":[1,2]}', '{"c": [1, 2]}')
    # so it is flagged: a scheme-1 journal derives its ids from canonical_json(record) instead
    assert not any(i.is_canonical for i in items)
    assert canonical_json(items[0].record) == '{"a":"\u00e9","b":1}'


def test_a_line_is_decoded_to_text_only_when_asked():
    (item,) = read(b'{"a": "\xc3\xa9"}\n')
    assert item._text is None  # the pipeline hashes and journals the bytes; a rejection asks for text
    assert item.text == '{"a": "\u00e9"}' and item._text == item.text
    assert item == RawRecord({"a": "\u00e9"}, "f.ndjson:1", '{"a": "\u00e9"}', None, None, b'{"a":"\xc3\xa9"}', False,
                             True, b'{"a": "\xc3\xa9"}')


def test_a_record_needs_its_text_or_its_bytes():
    with pytest.raises(ValueError, match="f:1: a record needs its text or its bytes"):
        RawRecord({}, "f:1", None)


def test_blank_and_whitespace_lines_are_skipped_but_counted():
    items = read(b'\n  \t\r\n {"a": 1} \r\n\r\n{"b": 2}\n   ')
    assert [i.origin for i in items] == ["f.ndjson:3", "f.ndjson:5"]
    # surrounding spaces are JSON whitespace: the record is read, its text keeps them
    assert (items[0].record, items[0].read_as, items[0].data) == ({"a": 1}, b' {"a": 1} ', b'{"a":1}')
    assert all(isinstance(i, RawRecord) for i in items)


def test_canonical_text_ignores_key_order_and_spacing():
    assert canonical_json({"b": 1, "a": {"y": 1, "x": 2}}) == canonical_json(
        orjson.loads(b'{ "a": {"x": 2, "y": 1}, "b": 1 }')
    )


def test_bad_lines_become_read_errors_and_reading_goes_on(fixtures):
    with open(fixtures / "mixed_quality.ndjson", "rb") as stream:
        items = list(NdjsonReader().read(stream, "m"))
    errors = [i for i in items if isinstance(i, ReadError)]
    records = [i for i in items if isinstance(i, RawRecord)]
    assert [e.origin for e in errors] == ["m:2", "m:3"]
    assert "invalid JSON" in errors[0].reason and errors[0].raw == "this line is not json"
    assert "not a JSON object" in errors[1].reason
    assert len(records) == 3


def test_over_long_lines_are_read_errors():
    data = b'{"a": 1}\n{"b": "' + b"z" * 200 + b'"}\n{"c": 3}\n'
    items = list(NdjsonReader(max_line_bytes=64).read(io.BytesIO(data), "f"))
    assert isinstance(items[1], ReadError) and items[1].reason == "line too long: 209 bytes, over the limit of 64 bytes"
    assert items[1].origin == "f:2"
    assert [i.record for i in items if isinstance(i, RawRecord)] == [{"a": 1}, {"c": 3}]
