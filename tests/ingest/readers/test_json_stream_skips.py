"""A malformed element of a JSON array is skipped to its own end, not to the next line (red team T17).

A compact array (an API body, ``jq -c -s``) has no line to resume at: one
element nested deeper than Python's stack, valid JSON a collector passes on,
made every element after it vanish, neither accepted nor rejected.
"""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.readers import json_stream
from ingest.readers.base import RawRecord, ReadError
from ingest.readers.json_stream import JsonStreamReader

DEEP = b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"
CHUNKS = [7, 64, 1000, 1 << 20]


def read(data: bytes, chunk: int, monkeypatch: pytest.MonkeyPatch) -> list[RawRecord | ReadError]:
    monkeypatch.setattr(json_stream, "_CHUNK", chunk)
    return list(JsonStreamReader().read(io.BytesIO(data), "f.json"))


def _compact(*elements: bytes) -> bytes:
    return b"[" + b",".join(elements) + b"]"


@pytest.mark.parametrize("chunk", CHUNKS)
def test_an_element_too_deep_for_the_stack_loses_only_itself(chunk, monkeypatch):
    items = read(_compact(b'{"n": 1}', DEEP, b'{"n": 2}', b'{"n": 3}'), chunk, monkeypatch)
    assert [i.record for i in items if isinstance(i, RawRecord)] == [{"n": 1}, {"n": 2}, {"n": 3}]
    errors = [i for i in items if isinstance(i, ReadError)]
    assert len(errors) == 1 and "nested too deeply" in errors[0].reason and errors[0].origin == "f.json#2"


@pytest.mark.parametrize("chunk", CHUNKS)
def test_an_invalid_element_of_a_compact_array_loses_only_itself(chunk, monkeypatch):
    # brackets and an escaped quote inside its strings are no brackets of the element
    bad = b'{"s": "]}\\"[{", "t": [1, {"u": "x"}], "v": tru}'
    items = read(_compact(b'{"n": 1}', bad, b'{"n": 2}'), chunk, monkeypatch)
    assert [i.record for i in items if isinstance(i, RawRecord)] == [{"n": 1}, {"n": 2}]
    assert [i.origin for i in items if isinstance(i, ReadError)] == ["f.json#2"]


@pytest.mark.parametrize("chunk", CHUNKS)
def test_concatenated_objects_resume_after_a_deep_one(chunk, monkeypatch):
    items = read(b'{"n": 1}' + DEEP + b' {"n": 2}', chunk, monkeypatch)
    assert [i.record for i in items if isinstance(i, RawRecord)] == [{"n": 1}, {"n": 2}]


def test_brackets_that_do_not_match_fall_back_to_the_next_line_that_opens_an_object(monkeypatch):
    # '{"a": [1}' closes a bracket it never opened: where it ends is not known
    data = b'[\n{"a": [1},\n{"n": 2}\n]'
    items = read(data, 1 << 20, monkeypatch)
    assert [i.record for i in items if isinstance(i, RawRecord)] == [{"n": 2}]


def test_every_element_of_a_compact_file_is_counted(tmp_path: Path):
    good = [{"@timestamp": f"2024-03-05T09:00:0{n}Z", "event": {"kind": "event", "category": ["process"],
             "type": ["start"]}, "host": {"name": "ws-1"}, "process": {"pid": 100 + n, "executable": "C:\\\\a.exe",
             "command_line": f"a.exe {n}"}} for n in range(5)]
    path = tmp_path / "batch.json"
    path.write_bytes(_compact(*(orjson.dumps(r) for r in good[:2]), DEEP, *(orjson.dumps(r) for r in good[2:])))
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)
    assert (report.total.received, report.total.accepted, report.total.rejected) == (6, 5, 1)
