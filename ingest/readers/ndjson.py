"""NDJSON reader: one JSON object per line (Winlogbeat, NXLog, Zeek JSON, EVE...)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import orjson

from ingest.readers.base import RawRecord, ReadError
from ingest.readers.text_lines import MAX_LINE_BYTES, TOO_LONG, iter_lines

_SORTED = orjson.OPT_SORT_KEYS


def canonical_json(record: dict) -> str:
    """The canonical text of a JSON object: sorted keys, compact (the stable-id input)."""
    return orjson.dumps(record, option=_SORTED).decode("utf-8")


def _first_line(head: bytes) -> bytes | None:
    for line in head.splitlines():
        if line.strip():
            return line.strip()
    return None


class NdjsonReader:
    """Frames a file whose lines are JSON objects; blank lines are ignored.

    A line that is not a JSON object comes out as a :class:`ReadError` naming
    its line number, and reading goes on.
    """

    name = "ndjson"

    def sniff(self, head: bytes, path: str) -> bool:
        line = _first_line(head)
        if not line or not line.startswith(b"{"):
            return False
        try:
            return isinstance(orjson.loads(line), dict)
        except orjson.JSONDecodeError:
            return False

    def read(self, stream: BinaryIO, path: str) -> Iterator[RawRecord | ReadError]:
        loads = orjson.loads
        dumps = orjson.dumps
        for number, line in iter_lines(stream):
            origin = f"{path}:{number}"
            if line is TOO_LONG:
                yield ReadError(origin, f"line longer than {MAX_LINE_BYTES} bytes", "")
                continue
            if line[:1] != b"{" and not line.strip():  # the prefix test spares copying every line
                continue
            try:
                record = loads(line)
            except orjson.JSONDecodeError as exc:
                yield ReadError(origin, f"invalid JSON: {exc}", _text(line))
                continue
            if not isinstance(record, dict):
                yield ReadError(
                    origin, f"not a JSON object (a {type(record).__name__})", _text(line)
                )
                continue
            yield RawRecord(record, origin, dumps(record, option=_SORTED).decode("utf-8"))


def _text(line: bytes) -> str:
    return line.decode("utf-8", "replace").rstrip("\r\n")
