"""Input files: directory walking, skipping non-telemetry, gzip, reader choice."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ingest.readers.files import (
    READ_BUFFER_BYTES,
    choose_reader,
    default_readers,
    iter_files,
    open_binary,
    path_hint,
    skip_reason,
)
from ingest.readers.streams import text_encoding
from ingest.readers.text_lines import iter_lines


def test_directories_are_walked_recursively_and_sorted(fixtures):
    files = [p.relative_to(fixtures / "tree").as_posix() for p in iter_files([fixtures / "tree"])]
    assert files == ["LICENSE", "README.md", "blob.bin", "info.yml", "sub/ecs_events.ndjson"]


@pytest.mark.parametrize(
    ("name", "skipped"),
    [
        ("LICENSE", True),
        ("README.md", True),
        ("info.yml", True),
        ("SHA256SUMS", True),
        ("conn.log", False),
        ("conn.log.gz", False),
        ("events.json", False),
        ("Security.evtx", False),
    ],
)
def test_non_telemetry_is_skipped_by_name(name, skipped):
    assert (skip_reason(Path(name)) is not None) is skipped


@pytest.mark.parametrize(
    ("fixture", "reader"),
    [
        ("ecs_events.ndjson", "ndjson"),
        ("array_pretty.json", "json"),
        ("concatenated_pretty.json", "json"),
        ("lines.log", "text"),
        ("mixed_quality.ndjson", "ndjson"),
    ],
)
def test_reader_is_chosen_by_content(fixtures, fixture, reader):
    assert choose_reader(fixtures / fixture, default_readers()).reader.name == reader


def test_gzip_is_recognised_by_magic_bytes_whatever_the_name(fixtures, tmp_path):
    packed = tmp_path / "events.data"  # no .gz suffix on purpose
    packed.write_bytes(gzip.compress((fixtures / "ecs_events.ndjson").read_bytes()))
    assert choose_reader(packed, default_readers()).reader.name == "ndjson"
    with open_binary(packed) as stream:
        assert stream.read() == (fixtures / "ecs_events.ndjson").read_bytes()


@pytest.mark.parametrize("packing", [bytes, gzip.compress])
def test_lines_are_framed_whole_across_read_buffer_boundaries(tmp_path, packing):
    # lines of every length around the buffer size, and one longer than the buffer
    sizes = [1, 2, 3, READ_BUFFER_BYTES - 1, READ_BUFFER_BYTES, READ_BUFFER_BYTES + 1, 2 * READ_BUFFER_BYTES + 7, 5]
    lines = [bytes([97 + n % 26]) * size + b"\n" for n, size in enumerate(sizes)]
    path = tmp_path / "lines.log"
    path.write_bytes(packing(b"".join(lines) + b"tail without newline"))
    with open_binary(path) as stream:
        assert [line for _, line in iter_lines(stream)] == [*lines, b"tail without newline"]


def test_binary_and_empty_files_get_no_reader(fixtures, tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    assert choose_reader(fixtures / "tree" / "blob.bin", default_readers()).reader is None
    assert choose_reader(empty, default_readers()).reason == "empty file"


def test_path_hint_is_the_log_name():
    assert path_hint(Path("/x/conn.log")) == "conn"
    assert path_hint(Path("dns.00:00:00-01:00:00.log.gz")) == "dns"


# -- what every reader sees: UTF-8, whatever the file's encoding ---------------------------
@pytest.mark.parametrize("fixture", ["ecs_events.ndjson", "array_pretty.json", "concatenated_pretty.json"])
@pytest.mark.parametrize(
    ("encoding", "packing"),
    [("utf-16", bytes), ("utf-16", gzip.compress), ("utf-16-be", bytes), ("utf-32", bytes), ("utf-32-be", bytes)],
)
@pytest.mark.parametrize("has_mark", [True, False], ids=["marked", "unmarked"])
def test_utf16_and_utf32_exports_give_the_events_of_utf8(
    fixtures, tmp_path, journaled, fixture, encoding, packing, has_mark
):
    # Windows PowerShell 5.1's Out-File and ">" write UTF-16LE with a mark and CRLF line ends:
    # before, "no reader recognises this file" and nothing was counted.  .NET's
    # Encoding.Unicode.GetBytes and iconv -t UTF-16LE write no mark: before, the file was
    # rejected as one bad record (LE) or skipped as unknown (BE)
    text = (fixtures / fixture).read_text(encoding="utf-8")
    marked = {"utf-16": "utf-16-le", "utf-16-be": "utf-16-be", "utf-32": "utf-32-le", "utf-32-be": "utf-32-be"}[encoding]
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff", "utf-32-le": b"\xff\xfe\x00\x00",
           "utf-32-be": b"\x00\x00\xfe\xff"}[marked]
    exported = tmp_path / "export" / fixture
    exported.parent.mkdir()
    exported.write_bytes(packing((bom if has_mark else b"") + text.replace("\n", "\r\n").encode(marked)))
    assert journaled(exported, exported.parent) == journaled(fixtures / fixture, tmp_path)
    assert choose_reader(exported, default_readers()).reader.name == choose_reader(
        fixtures / fixture, default_readers()).reader.name


def test_the_encoding_is_decided_once_a_file_not_once_a_record(fixtures, tmp_path, monkeypatch):
    # the per-record path of a UTF-8 file is what it was: the sniff runs when the file is
    # opened (for the head, then for the read), whatever its number of records
    from ingest.journal import Journal
    from ingest.pipeline import ingest_paths
    from ingest.readers import files_open

    calls: list[bytes] = []

    def counted(head: bytes):
        calls.append(head)
        return text_encoding(head)

    monkeypatch.setattr(files_open, "text_encoding", counted)  # what open_binary reads
    rows = (fixtures / "ecs_events.ndjson").read_bytes().splitlines(keepends=True)
    many = tmp_path / "many.ndjson"
    many.write_bytes(b"".join(rows) * 50)
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([many], store=None, journal=journal, progress=False)
    assert report.total.received == report.total.accepted == len(rows) * 50 > 100
    assert len(calls) == 2 and all(head.startswith(b'{"@timestamp"') for head in calls)
