"""Standard input as a source (``ingest_paths(["-"], stdin=...)``): read once, detected as a file is.

A stream is not seekable and cannot be reopened: gzip and UTF-16/32 are told
from bytes read ahead, the reader from a replayed head.  These tests read
real streams (``io.BytesIO``, an OS pipe) through the real pipeline and journal.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import threading
import time
from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.progress import IngestProgress
from ingest.readers.files import STDIN_NAME, StreamInput, open_stream
from ingest.report import IngestReport
from tests.ingest.stdin_sources import (
    FIXTURES,
    PARSER_FIXTURES,
    mixed_formats_ndjson,
    zeek_tsv_without_path,
)


def _ingest(data: Path, paths: list, stdin: io.BufferedIOBase | None = None, **options) -> IngestReport:
    data.mkdir(parents=True, exist_ok=True)
    with Journal(data / "journal.sqlite") as journal:
        return ingest_paths(paths, store=None, journal=journal, stdin=stdin, progress=False, **options)


def _ids(data: Path) -> set[str]:
    with Journal(data / "journal.sqlite") as journal:
        return {item.event.id for item in journal.iter_events()}


def _origins(data: Path) -> list[str]:
    with Journal(data / "journal.sqlite") as journal:
        return sorted(row.origin for row in journal.rejected(limit=1000))


def _counts(report: IngestReport) -> dict:
    """The report without its source names and timings: what must not depend on file or stream."""
    shape = report.to_dict()
    return {"formats": shape["formats"], "total": [shape[k] for k in ("received", "accepted", "rejected", "events")]}


def test_stdin_counts_as_the_same_bytes_in_a_file(tmp_path):
    data = mixed_formats_ndjson() + (FIXTURES / "mixed_quality.ndjson").read_bytes()
    as_file = tmp_path / "records.ndjson"
    as_file.write_bytes(data)
    by_file = _ingest(tmp_path / "file", [str(as_file)])
    by_stdin = _ingest(tmp_path / "stdin", ["-"], io.BytesIO(data))
    assert _counts(by_stdin) == _counts(by_file)
    formats = by_stdin.formats
    assert {"winlogbeat", "zeek", "suricata"} <= set(formats)
    assert (formats["winlogbeat"].accepted, formats["zeek"].accepted, formats["suricata"].accepted) == (5, 17, 18)
    assert by_stdin.total.rejected == 4  # the four bad lines of mixed_quality.ndjson
    for counts in [*formats.values(), by_stdin.total]:
        assert counts.received == counts.accepted + counts.rejected
    (source,) = by_stdin.files.values()
    assert (source.path, source.reader, source.counts.received) == (STDIN_NAME, "ndjson", by_stdin.total.received)


def test_same_records_get_the_same_ids_by_file_and_by_stdin(tmp_path):
    # The id hashes the parser's name and the line's bytes, never the source's name:
    # piping a file that was ingested before adds nothing, and the reverse.
    data = mixed_formats_ndjson()
    as_file = tmp_path / "records.ndjson"
    as_file.write_bytes(data)
    _ingest(tmp_path / "file", [str(as_file)])
    _ingest(tmp_path / "stdin", ["-"], io.BytesIO(data), stdin_name="renamed.ndjson")
    assert _ids(tmp_path / "stdin") == _ids(tmp_path / "file") and len(_ids(tmp_path / "file")) == 40
    again = _ingest(tmp_path / "file", ["-"], io.BytesIO(data))
    assert (again.total.accepted, again.total.duplicates, again.total.events) == (40, 40, 0)


def _utf16_without_mark(data: bytes) -> bytes:
    return data.decode().encode("utf-16-le")


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(gzip.compress, id="gzip"),
        pytest.param(lambda data: codecs.BOM_UTF8 + data, id="utf-8 with mark"),
        pytest.param(lambda data: data.decode().encode("utf-16"), id="utf-16 with mark"),
        pytest.param(_utf16_without_mark, id="utf-16-le without mark"),
        pytest.param(lambda data: gzip.compress(data.decode().encode("utf-32")), id="gzip of utf-32"),
        pytest.param(lambda data: gzip.compress(data[:100]) + gzip.compress(data[100:]), id="two gzip members"),
    ],
)
def test_encoded_stdin_gives_the_ids_of_plain_utf8(tmp_path, encode):
    data = mixed_formats_ndjson()
    plain = _ingest(tmp_path / "plain", ["-"], io.BytesIO(data))
    encoded = _ingest(tmp_path / "encoded", ["-"], io.BytesIO(encode(data)))
    assert _counts(encoded) == _counts(plain) and encoded.total.accepted == 40
    assert _ids(tmp_path / "encoded") == _ids(tmp_path / "plain")


def test_a_pipe_that_hands_over_one_byte_first_is_still_read_as_gzip(tmp_path):
    # peek() on a pipe sees only what one read brings: here the first byte of the
    # gzip magic alone.  The head is read ahead until it can decide.
    packed = gzip.compress(mixed_formats_ndjson())
    read_end, write_end = os.pipe()

    def trickle() -> None:
        with open(write_end, "wb", buffering=0) as pipe:
            pipe.write(packed[:1])
            time.sleep(0.3)  # the ingest is blocked in its first read by now
            pipe.write(packed[1:])

    writer = threading.Thread(target=trickle)
    writer.start()
    try:
        with open(read_end, "rb") as stdin:  # what sys.stdin.buffer is: a BufferedReader over a pipe
            report = _ingest(tmp_path, ["-"], stdin)
    finally:
        writer.join()
    assert (report.total.accepted, report.total.rejected) == (40, 0)


def test_a_gzip_stream_cut_short_keeps_its_complete_lines_and_rejects_the_rest(tmp_path):
    lines = (FIXTURES / "ecs_events.ndjson").read_bytes()
    packed = gzip.compress(lines * 50)
    report = _ingest(tmp_path, ["-"], io.BytesIO(packed[: len(packed) - 20]))
    assert report.total.accepted >= 4 and report.total.rejected == 1
    with Journal(tmp_path / "journal.sqlite") as journal:
        (rejection,) = journal.rejected()
    assert rejection.origin == STDIN_NAME and "stream could not be read to the end" in rejection.reason


def test_a_gzip_stream_damaged_from_the_start_is_one_rejection(tmp_path):
    report = _ingest(tmp_path, ["-"], io.BytesIO(b"\x1f\x8b\x08\x00junk, not deflate"))
    assert (report.total.received, report.total.rejected) == (1, 1)
    assert report.formats["unreadable"].rejected == 1


def test_empty_stdin_is_skipped_with_zero_counts(tmp_path):
    report = _ingest(tmp_path, ["-"], io.BytesIO(b""))
    assert (report.total.received, report.total.accepted, report.total.rejected) == (0, 0, 0)
    assert report.files[STDIN_NAME].skipped == "empty file"


def test_dash_twice_is_refused_before_anything_is_read(tmp_path):
    stdin = io.BytesIO(b'{"a": 1}\n')
    with pytest.raises(ValueError, match="named 2 times; it can be read only once"):
        _ingest(tmp_path, ["-", str(FIXTURES / "ecs_events.ndjson"), "-"], stdin)
    assert stdin.tell() == 0
    with Journal(tmp_path / "journal.sqlite") as journal:
        assert journal.counts()["events"] == 0


def test_stdin_keeps_its_place_among_files_and_is_not_closed(tmp_path):
    stdin = io.BytesIO((FIXTURES / "sensor" / "a_conn.json").read_bytes())
    paths = [str(FIXTURES / "ecs_events.ndjson"), "-", str(FIXTURES / "sensor" / "b_dhcp.json")]
    report = _ingest(tmp_path, paths, stdin)
    assert [Path(name).name for name in report.files] == ["ecs_events.ndjson", STDIN_NAME, "b_dhcp.json"]
    assert report.files[STDIN_NAME].counts.accepted == 2
    assert not stdin.closed  # sys.stdin.buffer is the caller's


def test_rejections_name_the_source_and_the_line(tmp_path):
    data = (FIXTURES / "mixed_quality.ndjson").read_bytes()
    _ingest(tmp_path / "default", ["-"], io.BytesIO(data))
    _ingest(tmp_path / "named", ["-"], io.BytesIO(data), stdin_name="sensor7/upstream.ndjson")
    assert _origins(tmp_path / "default") == [f"{STDIN_NAME}:{n}" for n in (2, 3, 5, 6)]
    assert _origins(tmp_path / "named") == [f"sensor7/upstream.ndjson:{n}" for n in (2, 3, 5, 6)]


def test_a_zeek_log_without_path_takes_its_log_from_the_source_name(tmp_path):
    # Zeek TSV without #path: the log name comes from the file's name, else from the
    # row's keys; the id is the record's content, the log included (test_zeek_content_ids).
    # Named as the file was, stdin gives the file's ids; unnamed, these rows' keys are conn's.
    tsv = zeek_tsv_without_path((PARSER_FIXTURES / "zeek" / "conn_http.log").read_bytes())
    as_file = tmp_path / "conn.log"
    as_file.write_bytes(tsv)
    by_file = _ingest(tmp_path / "file", [str(as_file)])
    assert by_file.total.accepted > 0 and by_file.total.rejected == 0
    _ingest(tmp_path / "named", ["-"], io.BytesIO(tsv), stdin_name="conn.log")
    _ingest(tmp_path / "unnamed", ["-"], io.BytesIO(tsv))
    assert _ids(tmp_path / "named") == _ids(tmp_path / "file")
    assert _ids(tmp_path / "unnamed") == _ids(tmp_path / "file")


def test_a_stdin_name_that_looks_like_documentation_is_still_read(tmp_path):
    report = _ingest(tmp_path, ["-"], io.BytesIO((FIXTURES / "ecs_events.ndjson").read_bytes()), stdin_name="README.md")
    assert report.files["README.md"].skipped is None and report.total.accepted == 4


def test_a_path_object_named_dash_is_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("-").write_bytes((FIXTURES / "ecs_events.ndjson").read_bytes())
    stdin = io.BytesIO(b"")
    report = _ingest(tmp_path / "data", [Path("-")], stdin)
    assert report.total.accepted == 4 and STDIN_NAME not in report.files


def test_progress_on_stdin_counts_bytes_and_records_without_a_percentage(tmp_path, capsys):
    data = (FIXTURES / "ecs_events.ndjson").read_bytes()
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths(
            [str(FIXTURES / "sensor" / "a_conn.json"), "-"], store=None, journal=journal,
            stdin=io.BytesIO(data), progress=True,
        )
    err = capsys.readouterr().err
    assert report.total.accepted == 6
    assert "6 records" in err and "%" not in err


def test_progress_position_follows_the_bytes_taken_from_the_stream():
    stream = StreamInput(io.BytesIO(b'{"a": 1}\n' * 100_000))
    progress = IngestProgress([Path(__file__), stream], file=io.StringIO())
    assert progress.bar.total is None
    progress.file_started(Path(__file__))
    progress.file_finished()
    size = Path(__file__).stat().st_size
    assert progress.position == size
    opened = open_stream(stream.stream, stream.name)
    progress.stream_started(lambda: opened.source.consumed)
    opened.stream.read(300_000)
    assert size < progress.position <= size + 900_000
    opened.stream.read()
    progress.file_finished()
    assert progress.position == size + 900_000
    progress.close()
