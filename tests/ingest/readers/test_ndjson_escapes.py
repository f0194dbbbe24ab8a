"""NDJSON reader: the ``\\u00`` escape test is a compiled search that agrees with ``bytes.find`` everywhere."""

from __future__ import annotations

import io

import pytest

from ingest.readers import ndjson
from ingest.readers.ndjson import NdjsonReader, may_not_be_compact

PAD = b'"pad":"' + b"C:\\\\Windows\\\\System32 0 5 u p " * 20 + b'"'
"""Text of the digits, backslashes and letters Windows lines are full of (the find's worst case)."""

LINES = [
    b'{"a":1}',
    b'{"a":"x\\u003cy"}',  # Go's escape of "<", early
    b'{' + PAD + b',"b":"\\u00e9"}',  # Python's escape of an accented letter, late
    b'{' + PAD + b',"b":"\\u0001"}',  # a control character, as orjson itself writes it
    b'{' + PAD + b',"b":"\\\\u00"}',  # an escaped backslash before "u00": the bytes hold \u00 all the same
    b'{' + PAD + b',"b":"\\u0100"}',  # \u01..: no \u00 in the bytes
    b'{' + PAD + b',"b":"u00 \\\\ x"}',
    b'{"\\u0041":1}',  # at the very start of a key
    b'{' + PAD + b'}',
]


def reference(data: bytes) -> bool:
    """The test as it was written with ``bytes.find``."""
    return (data.find(b'": ', 0, 48) != -1 or data.find(b"\\u00") != -1
            or data[-1:] != b"}" or data[:1] != b"{")


def test_the_escape_search_is_a_compiled_pattern_not_a_find():
    # bytes.find took ~1.55 us a 2.6 KB Windows line, the pattern ~1.0 us (measured)
    assert ndjson._ESCAPE.__self__.pattern == rb"\\u00"


@pytest.mark.parametrize("line", LINES)
def test_a_line_may_not_be_compact_exactly_when_the_find_said_so(line):
    assert may_not_be_compact(line) == reference(line)


@pytest.mark.parametrize("line", LINES)
def test_the_reader_redumps_exactly_the_lines_the_find_flagged(line):
    (framed,) = NdjsonReader().read(io.BytesIO(line + b"\n"), "f.ndjson")
    flagged = reference(line)
    # a flagged line is dumped again; its dump differs from the line only where it had an escape
    assert framed.is_redumped == (flagged and framed.read_as is not None)
    if not flagged:
        assert framed.data == line and framed.read_as is None
