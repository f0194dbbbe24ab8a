"""A live pipe's head ends at a pause only once it decides the reader the whole head would choose."""

from __future__ import annotations

import pytest

from ingest.readers.files import HEAD_BYTES, choose_reader, default_readers, is_head_decided
from tests.ingest.readers.test_xml_events import event_viewer, fixture_records
from tests.ingest.stdin_sources import FIXTURES, PARSER_FIXTURES, mixed_formats_ndjson

SYSLOG = (
    b"<38>Nov 29 10:00:01 bastion sshd[811]: Accepted publickey for ops from 10.1.2.3 port 50514 ssh2\n"
    b"Nov 29 10:00:02 bastion sshd[812]: Failed password for root from 203.0.113.9 port 4022 ssh2\n"
)

SOURCES = {
    "xml with a declaration": lambda: event_viewer(fixture_records()).replace(b"\r\n", b"\n"),
    "json array": lambda: (FIXTURES / "array_pretty.json").read_bytes(),
    "concatenated json": lambda: (FIXTURES / "concatenated_pretty.json").read_bytes(),
    "evtx_dump records": lambda: (FIXTURES / "evtx_dump_records.json").read_bytes(),
    "zeek tsv": lambda: (PARSER_FIXTURES / "zeek" / "conn_http.log").read_bytes(),
    "ndjson": mixed_formats_ndjson,
    "syslog": lambda: SYSLOG,
}


def _reader(head: bytes) -> str | None:
    chosen = choose_reader("<stdin>", default_readers(), head)
    return None if chosen.reader is None else chosen.reader.name


@pytest.mark.parametrize("name", SOURCES)
def test_every_decided_head_of_whole_lines_chooses_the_reader_of_the_whole_head(name):
    data = SOURCES[name]()[:HEAD_BYTES]
    expected = _reader(data)
    assert expected is not None
    ends = [n + 1 for n, byte in enumerate(data) if byte == ord("\n")]
    decided = [end for end in ends if is_head_decided(data[:end])]
    assert decided, "no head of whole lines decides: a pipe of it would wait for 64 KiB"
    assert {end: _reader(data[:end]) for end in decided} == dict.fromkeys(decided, expected)


@pytest.mark.parametrize(
    ("head", "decided"),
    [
        pytest.param(b'<?xml version="1.0" encoding="utf-8"?>\n', False, id="xml declaration"),
        pytest.param(b"<!-- exported -->\n", False, id="xml comment"),
        pytest.param(b'<?xml version="1.0"?>\n<Events>\n', True, id="events root"),
        pytest.param(b"Record 5021\n", False, id="evtx_dump record line"),
        pytest.param(b"Record 5021\n{\n", True, id="evtx_dump record"),
        pytest.param(b'{"a": 1}', False, id="no whole line"),
        pytest.param(b'{"a": 1}\n', True, id="ndjson line"),
        pytest.param(SYSLOG[:SYSLOG.index(b"\n") + 1], True, id="syslog line with a priority"),
    ],
)
def test_a_head_waits_only_where_more_bytes_may_change_the_reader(head, decided):
    assert is_head_decided(head) is decided
