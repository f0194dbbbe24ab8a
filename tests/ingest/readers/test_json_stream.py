"""Streaming JSON reader: arrays, concatenated pretty-printed objects, bounded window."""

from __future__ import annotations

import io

import pytest

from ingest.readers import json_stream
from ingest.readers.base import RawRecord, ReadError
from ingest.readers.json_stream import JsonStreamReader


def read(data: bytes, chunk: int | None = None, monkeypatch=None) -> list[RawRecord | ReadError]:
    if chunk is not None:
        monkeypatch.setattr(json_stream, "_CHUNK", chunk)
    return list(JsonStreamReader().read(io.BytesIO(data), "f.json"))


def test_pretty_array_elements_are_records(fixtures):
    items = read((fixtures / "array_pretty.json").read_bytes())
    assert all(isinstance(i, RawRecord) for i in items)
    assert [i.origin for i in items] == ["f.json#1", "f.json#2", "f.json#3"]
    assert items[1].record["message"] == 'a string with "quotes", [brackets] and {braces}'


def test_concatenated_pretty_objects_are_records(fixtures):
    items = read((fixtures / "concatenated_pretty.json").read_bytes())
    assert [i.record["process"]["command_line"] for i in items] == ["sh -c id", "id"]


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_tiny_windows_give_the_same_records(fixtures, monkeypatch, chunk):
    data = (fixtures / "array_pretty.json").read_bytes()
    expected = [i.text for i in read(data)]
    assert [i.text for i in read(data, chunk, monkeypatch)] == expected


def test_window_is_trimmed_while_streaming(monkeypatch):
    monkeypatch.setattr(json_stream, "_CHUNK", 4096)
    element = b'{"k": "' + b"x" * 100 + b'"}'
    data = b"[" + b",\n".join([element] * 5000) + b"]"
    window = json_stream._JsonWindow(io.BytesIO(data), "big")
    peak = count = 0
    for _item in window.records():
        count += 1
        peak = max(peak, len(window.buffer))
    assert count == 5000
    assert peak < 3 * 4096  # bounded by the chunk size, not the file size


def test_utf8_split_across_chunks_is_decoded(monkeypatch):
    data = '[{"name": "naïve – ünïcödé"}]'.encode()
    assert read(data, 1, monkeypatch)[0].record["name"] == "naïve – ünïcödé"


def test_non_object_elements_and_garbage_are_read_errors():
    items = read(b'[{"a": 1}, 2, {"b": 2}]')
    assert isinstance(items[1], ReadError) and "not a JSON object" in items[1].reason
    assert [i.record for i in items if isinstance(i, RawRecord)] == [{"a": 1}, {"b": 2}]


def test_malformed_element_is_reported_and_reading_resumes():
    data = b'{\n  "a": 1\n}\n{\n  "b": tru\n}\n{\n  "c": 3\n}\n'
    items = read(data)
    errors = [i for i in items if isinstance(i, ReadError)]
    assert len(errors) == 1 and "invalid JSON" in errors[0].reason
    assert [i.record for i in items if isinstance(i, RawRecord)] == [{"a": 1}, {"c": 3}]


def test_unterminated_array_is_reported():
    items = read(b'[{"a": 1},')
    assert isinstance(items[-1], ReadError) and "unterminated" in items[-1].reason


def _pretty_array_with_bad_elements() -> tuple[bytes, dict[int, int]]:
    """A pretty-printed array of 400 objects where some elements are bad; element -> its line."""
    parts, lines, line = [], {}, 2  # line 1 is "["
    for n in range(1, 401):
        if n % 97 == 0:
            element = "[1, 2]"  # not an object
        elif n % 131 == 0:
            element = f'{{\n    "n": {n},\n    "bad": tru\n  }}'  # invalid JSON on its third line
        else:
            element = f'{{\n    "n": {n},\n    "pad": "{"x" * (n % 50)}"\n  }}'
        lines[n] = line
        parts.append("  " + element)
        line += element.count("\n") + 1
    return ("[\n" + ",\n".join(parts) + "\n]\n").encode(), lines


@pytest.mark.parametrize("chunk", [64, 1000, 1 << 20])
def test_errors_name_the_right_line_anywhere_in_a_long_file(monkeypatch, chunk):
    # the window is cut many times with small chunks: line numbers must survive every cut
    data, lines = _pretty_array_with_bad_elements()
    items = read(data, chunk, monkeypatch)
    not_objects = {i.origin: i.reason for i in items if isinstance(i, ReadError) and "not a JSON object" in i.reason}
    invalid = {i.origin: i.reason for i in items if isinstance(i, ReadError) and "invalid JSON" in i.reason}
    assert not_objects == {f"f.json#{n}": f"element is not a JSON object (a list, line {lines[n]})"
                           for n in (97, 194, 291, 388)}
    assert set(invalid) == {"f.json#131", "f.json#262", "f.json#393"}
    for n in (131, 262, 393):
        assert invalid[f"f.json#{n}"].endswith(f"(line {lines[n] + 2})"), invalid[f"f.json#{n}"]
    records = [i.record["n"] for i in items if isinstance(i, RawRecord)]
    assert records == [n for n in range(1, 401) if n % 97 and n % 131]


def test_data_after_the_array_names_its_line(monkeypatch):
    data, _ = _pretty_array_with_bad_elements()
    last_line = data.count(b"\n") + 1
    items = read(data + b"trailing\n", 64, monkeypatch)
    assert items[-1].reason == f"unexpected data after the JSON array (line {last_line})"


# -- evtx_dump -o json: a "Record <id>" line before each object ---------------------------
def _without_record_lines(data: bytes) -> bytes:
    return b"".join(line for line in data.splitlines(keepends=True) if not line.startswith(b"Record "))


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
def test_evtx_dump_record_lines_between_objects_are_skipped(fixtures, monkeypatch, chunk):
    data = (fixtures / "evtx_dump_records.json").read_bytes()
    assert data.startswith(b"Record 5021\n{") and data.count(b"\nRecord ") == 2
    items = read(data, chunk, monkeypatch)
    assert all(isinstance(i, RawRecord) for i in items)
    assert [i.record["Event"]["System"]["EventRecordID"] for i in items] == [5021, 5022, 88213]
    assert items == read(_without_record_lines(data), chunk, monkeypatch)


def test_evtx_dump_output_gives_the_events_of_the_same_file_without_record_lines(fixtures, tmp_path, journaled):
    from ingest.readers.files import choose_reader, default_readers

    dumped = tmp_path / "dumped" / "Security.json"
    plain = tmp_path / "plain" / "Security.json"
    data = (fixtures / "evtx_dump_records.json").read_bytes()
    for path, text in [(dumped, data), (plain, _without_record_lines(data))]:
        path.parent.mkdir()
        path.write_bytes(text)
    assert choose_reader(dumped, default_readers()).reader.name == "json"
    got = journaled(dumped, dumped.parent)  # before: no event, a rejection per line
    assert [kind for _, kind, *_ in got] == ["sysmon:process_create", "sysmon:network_connect", "winsec:logon"]
    assert got == journaled(plain, plain.parent)


def test_evtx_dump_without_indent_and_crlf_record_lines_are_skipped():
    data = b'Record 1\r\n{"Event": {"a": 1}}\r\nRecord 2\r\n{"Event": {"a": 2}}\r\nRecord 3'
    assert [i.record for i in read(data)] == [{"Event": {"a": 1}}, {"Event": {"a": 2}}]


@pytest.mark.parametrize(
    "data",
    [
        b'{\n  "a": 1,\nRecord 2\n  "b": 2\n}\n',  # inside an object: invalid JSON, not skipped
        b'[\nRecord 1\n{"a": 1}\n]\n',  # inside an array
        b'Record 1 of 2\n{"a": 1}\n',  # not evtx_dump's line
    ],
)
def test_record_lines_are_skipped_only_between_top_level_values(data):
    assert any(isinstance(i, ReadError) for i in read(data))


@pytest.mark.parametrize(
    ("head", "is_json"),
    [
        (b"Record 5021\n{\n", True),
        (b"Record 18446744073709551615\r\n  {", True),
        (b"\xef\xbb\xbfRecord 1\n{", True),
        (b"Record 5021\n<Event>", False),  # evtx_dump -o xml
        (b"Record of the meeting\n{", False),
        (b"Record 12345678901234567890123\n{", False),
    ],
)
def test_sniff_accepts_evtx_dump_json_output(head, is_json):
    assert JsonStreamReader().sniff(head, "x") is is_json


@pytest.mark.parametrize("chunk", range(1, 12))
def test_literals_cut_by_the_window_are_read_whole(monkeypatch, chunk):
    # "nul" at the window's end failed as "Expecting value": a valid element rejected
    data = b'[{"a": null, "bb": true, "c": false, "d": -Infinity, "e": 12345}]'
    assert [i.record for i in read(data, chunk, monkeypatch)] == [
        {"a": None, "bb": True, "c": False, "d": float("-inf"), "e": 12345}
    ]
