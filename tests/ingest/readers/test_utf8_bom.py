"""A UTF-8 byte-order mark at the start of a file (or an API body) is skipped once, by the stream.

Windows PowerShell 5.1's ``Out-File -Encoding UTF8`` (and ``Set-Content
-Encoding UTF8``) writes one.  Before, only the JSON stream reader skipped it:
an NDJSON file with a mark failed the NDJSON sniff and was framed by the JSON
reader (canonical ids, ``#n`` origins, so the same records with and without
the mark were different events), a Zeek TSV file was rejected whole and a
syslog file lost its first line.
"""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import orjson
import pytest

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.readers.files import open_binary, read_head
from ingest.readers.streams import as_utf8

BOM = codecs.BOM_UTF8

NDJSON = (
    b'{"@timestamp":"2026-03-01T10:00:00Z","event":{"category":"process"},"host":{"name":"ws-1"},'
    b'"process":{"executable":"C:\\\\w\\\\a.exe","command_line":"a.exe /x","pid":1}}\r\n'
    b'{"@timestamp":"2026-03-01T10:00:01Z","event":{"category":"process"},"host":{"name":"ws-1"},'
    b'"process":{"executable":"C:\\\\w\\\\b.exe","command_line":"b.exe","pid":2}}\r\n'
    b"\r\n"
    b'{"@timestamp":"2026-03-01T10:00:02Z","event":{"category":"process"},"host":{"name":"ws-2"},'
    b'"process":{"executable":"C:\\\\w\\\\c.exe","command_line":"c.exe","pid":3}}\r\n'
    b'{"_path":"dns","ts":1772359203.5,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":5300,'
    b'"id.resp_h":"10.0.0.1","id.resp_p":53,"query":"example.com"}\r\n'
    b'{"timestamp":"2026-03-01T10:00:04.000000+0000","event_type":"dns","src_ip":"10.0.0.5",'
    b'"dest_ip":"10.0.0.1","dns":{"type":"query","rrname":"example.org"}}\r\n'
)
"""Six lines (one blank), five records of three formats, CRLF as PowerShell writes them."""

ZEEK_TSV = (
    b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    b"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n"
    b"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n"
    b"1772359200.1\tCa1\t10.0.0.5\t50000\t93.184.216.34\t443\ttcp\n"
    b"1772359201.2\tCa2\t10.0.0.6\t50001\t93.184.216.34\t80\ttcp\n"
    b"#close\t2026-03-01-10-00-02\n"
)

SYSLOG = (b"<34>1 2026-03-01T10:00:00Z ws-0001 sshd 42 - - Failed password for root\r\n"
          b"<13>1 2026-03-01T10:00:01Z ws-0002 su 7 - - session opened for user bob\r\n")

FILES = {"ndjson": ("events.ndjson", NDJSON, 5), "zeek": ("conn.log", ZEEK_TSV, 2),
         "syslog": ("messages.log", SYSLOG, 2)}


def _ingest(journal: Journal, path: Path):
    return ingest_paths([path], store=None, journal=journal, progress=False)


def _events(journal: Journal) -> list[tuple]:
    return sorted((j.event.id, j.event.origin.rsplit("/", 1)[-1]) for j in journal.iter_events())


@pytest.mark.parametrize("kind", list(FILES))
@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_a_file_with_a_utf8_mark_reads_as_the_same_file_without(tmp_path: Path, kind: str,
                                                                 packed: bool) -> None:
    name, data, records = FILES[kind]
    plain, marked = tmp_path / "plain", tmp_path / "marked"
    plain.mkdir(), marked.mkdir()
    pack = gzip.compress if packed else (lambda b: b)
    (plain / name).write_bytes(pack(data))
    (marked / name).write_bytes(pack(BOM + data))
    with Journal(tmp_path / "a.sqlite") as a, Journal(tmp_path / "b.sqlite") as b:
        without = _ingest(a, plain / name)
        with_mark = _ingest(b, marked / name)
        assert (with_mark.total.received, with_mark.total.accepted) == (records, records), with_mark.files
        assert with_mark.files[str(marked / name)].reader == without.files[str(plain / name)].reader
        # the same ids and the same origins (line numbers), so re-ingesting either adds nothing
        assert _events(b) == _events(a)
        again = _ingest(b, plain / name)
        assert again.total.duplicates == records and again.total.events == 0


def test_the_six_line_ndjson_file_is_five_events_whichever_is_ingested_first(tmp_path: Path) -> None:
    (tmp_path / "a.ndjson").write_bytes(BOM + NDJSON)
    (tmp_path / "b.ndjson").write_bytes(NDJSON)
    with Journal(tmp_path / "j.sqlite") as journal:
        report = ingest_paths([tmp_path / "a.ndjson", tmp_path / "b.ndjson"], store=None,
                              journal=journal, progress=False)
        assert report.files[str(tmp_path / "a.ndjson")].reader == "ndjson"
        assert report.total.events == 5 and report.total.duplicates == 5
        assert all(":" in j.event.origin.rsplit("/", 1)[-1] for j in journal.iter_events())


def test_the_mark_is_skipped_once_and_only_at_the_start(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_bytes(BOM + b"first\n" + BOM + b"second\n")
    with open_binary(path) as stream:
        assert stream.read() == b"first\n" + BOM + b"second\n"
    path.write_bytes(BOM + BOM + b"x\n")
    assert read_head(path) == BOM + b"x\n"


def test_a_file_that_is_only_the_mark_is_empty_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "only.log"
    path.write_bytes(BOM)
    with Journal(tmp_path / "j.sqlite") as journal:
        report = _ingest(journal, path)
    assert report.files[str(path)].skipped == "empty file" and report.total.received == 0


def test_utf16_with_its_mark_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "u.ndjson"
    path.write_bytes(codecs.BOM_UTF16_LE + NDJSON.decode().encode("utf-16-le"))
    with Journal(tmp_path / "j.sqlite") as journal:
        assert _ingest(journal, path).total.accepted == 5


def test_as_utf8_drops_a_leading_utf8_mark_once() -> None:
    assert as_utf8(BOM + b'[{"a": 1}]') == b'[{"a": 1}]'
    assert as_utf8(BOM + BOM + b"x") == BOM + b"x"
    assert as_utf8(b"x" + BOM) == b"x" + BOM
    assert orjson.loads(as_utf8(BOM + b"{}")) == {}
