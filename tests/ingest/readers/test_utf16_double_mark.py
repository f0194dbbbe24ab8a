"""UTF-16/UTF-32 text whose own text starts with U+FEFF (two marks): one goes with the encoding, one more is dropped.

A UTF-16 file written from text that already held a mark (``Out-File -Encoding
Unicode`` of UTF-8-with-mark content) transcoded to UTF-8 beginning with
``EF BB BF``: the UTF-8 mark was skipped only on files that were UTF-8 to
begin with, so a syslog file lost its first line as rejected.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records
from ingest.readers.files import open_binary
from ingest.readers.streams import as_utf8

SYSLOG = ("<34>1 2026-03-01T10:00:00Z ws-0001 sshd 42 - - Failed password for root\r\n"
          "<13>1 2026-03-01T10:00:01Z ws-0002 su 7 - - session opened for user bob\r\n")
NDJSON = ('{"_path":"dns","ts":1772359203.5,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":5300,'
          '"id.resp_h":"10.0.0.1","id.resp_p":53,"query":"example.com"}\n')
ENCODINGS = ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]


def _event_ids(tmp_path: Path, name: str, data: bytes) -> tuple[tuple[int, int], list[str]]:
    folder = tmp_path / name.replace(".", "_")
    folder.mkdir()
    (folder / name).write_bytes(data)
    with Journal(folder / "journal.sqlite") as journal:
        report = ingest_paths([folder / name], store=None, journal=journal, progress=False)
        ids = sorted(row.event.id for row in journal.iter_events())
    return (report.total.accepted, report.total.rejected), ids


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_syslog_file_with_two_marks_reads_as_the_plain_utf8_file(tmp_path: Path, encoding: str) -> None:
    plain = _event_ids(tmp_path, "plain.log", SYSLOG.encode())
    assert plain[0] == (2, 0)
    # the codec with a mark writes one itself; the text's own U+FEFF is the second
    marked = ("\ufeff" + SYSLOG).encode(encoding)
    doubled = ("\ufeff\ufeff" + SYSLOG).encode(encoding)
    assert _event_ids(tmp_path, "one.log", marked) == plain
    assert _event_ids(tmp_path, "two.log", doubled) == plain


def test_only_one_more_mark_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "three.log"
    path.write_bytes(("\ufeff\ufeff\ufeffx").encode("utf-16-le"))
    with open_binary(path) as stream:
        assert stream.read() == codecs.BOM_UTF8 + b"x"  # a third mark is the text's: kept


def test_a_mark_later_in_the_text_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    path.write_bytes(("\ufeffa\ufeffb").encode("utf-16-le"))
    with open_binary(path) as stream:
        assert stream.read() == b"a" + codecs.BOM_UTF8 + b"b"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_an_api_body_with_two_marks_reads_as_without(tmp_path: Path, encoding: str) -> None:
    body = as_utf8(("\ufeff\ufeff" + NDJSON).encode(encoding))  # as the API service reads a body
    assert body == NDJSON.encode()
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records(body, store=None, journal=journal)
        assert (report.total.accepted, report.total.rejected) == (1, 0)
