"""Standard input that trickles: a pipe's records are journaled while the writer keeps it open.

``tail -F eve.json | graphsiem ingest -`` hands records over one at a time and
never ends.  These tests feed a real OS pipe a few records at a time, with
pauses, to the real command (``python -m graphsiem ingest -``, a child process)
or to :func:`ingest.pipeline.ingest_paths`, and read the journal with
:class:`ingest.journal.Journal` while the pipe is still open.  Deadlines are
generous bounds on waiting, not claims about speed.
"""

from __future__ import annotations

import array
import fcntl
import gzip
import json
import os
import subprocess
import sys
import termios
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from graphsiem.cli import main
from graphsiem.store import open_store
from ingest.journal import Journal
from ingest.pipeline import StopRequest, ingest_paths
from tests.ingest.stdin_sources import FIXTURES, mixed_formats_ndjson
from tests.ingest.test_pipeline_stores import graph_facts

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 30.0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail after :data:`DEADLINE` seconds, naming ``what``."""
    give_up = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < give_up, f"not within {DEADLINE:.0f} s: {what}"
        time.sleep(0.02)


def unread_bytes(write_fd: int) -> int:
    """Bytes written to a pipe that its reader has not read yet (Linux answers on either end)."""
    count = array.array("i", [0])
    fcntl.ioctl(write_fd, termios.FIONREAD, count)
    return count[0]


def _journaled(path: Path) -> int:
    """Events and rejections the journal at ``path`` holds (0 before the ingest has made it)."""
    if not path.exists():
        return 0
    with Journal(path) as journal:
        counts = journal.counts()
    return counts["events"] + counts["rejected"]


def _start(data_dir: Path, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "graphsiem", "ingest", "-", "--data", str(data_dir), "--json", "--no-progress",
         *options],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _groups() -> list[bytes]:
    """Records in groups, written one group at a time: endpoint, sensor (a Zeek conn before the
    DHCP lease that maps its client), mixed formats, and lines that are rejected."""
    parts = [
        (FIXTURES / "ecs_events.ndjson").read_bytes(),
        (FIXTURES / "sensor" / "a_conn.json").read_bytes(),
        (FIXTURES / "sensor" / "b_dhcp.json").read_bytes(),
        mixed_formats_ndjson(),
        (FIXTURES / "mixed_quality.ndjson").read_bytes(),
    ]
    return [part if part.endswith(b"\n") else part + b"\n" for part in parts]


def _lines(data: bytes) -> int:
    return sum(1 for line in data.splitlines() if line.strip())


def _feed_groups(child: subprocess.Popen[bytes], journal: Path) -> int:
    """Write each group to the child's pipe, left open, and wait until the journal holds it; the records written."""
    assert child.stdin is not None
    written = 0
    for group in _groups():
        child.stdin.write(group)
        child.stdin.flush()
        written += _lines(group)
        # the pipe stays open and a batch holds 5,000 records: only the clock can journal these
        wait_for(lambda target=written: _journaled(journal) >= target, f"{written} records journaled")
    return written


def test_records_piped_with_pauses_are_journaled_while_the_pipe_stays_open(tmp_path):
    child = _start(tmp_path, "--flush-seconds", "0.2")
    try:
        written = _feed_groups(child, tmp_path / "journal.sqlite")
    finally:
        out, err = child.communicate(timeout=DEADLINE)
    assert b"Traceback" not in err, err.decode()
    report = json.loads(out)
    assert child.returncode == 1  # mixed_quality.ndjson holds rejected lines
    assert report["received"] == written == report["accepted"] + report["rejected"]
    assert report["interrupted"] is False
    assert _journaled(tmp_path / "journal.sqlite") == report["events"] + report["rejected"]


def _rows(journal_path: Path) -> tuple[list[tuple], list[tuple]]:
    with Journal(journal_path) as journal:
        db = journal.connection
        events = db.execute(
            "SELECT id, kind, ts, host, source, origin, fields, raw FROM events ORDER BY seq").fetchall()
        rejected = db.execute("SELECT origin, format, reason, raw FROM rejected ORDER BY rowid").fetchall()
    return events, rejected


def test_batches_made_by_the_clock_journal_and_project_what_one_batch_does(tmp_path):
    data = b"".join(_groups())
    as_file = tmp_path / "records.ndjson"
    as_file.write_bytes(data)
    reference = open_store("embedded", data_dir=tmp_path / "file")
    with Journal(tmp_path / "file" / "journal.sqlite") as journal:
        one_batch = ingest_paths([as_file], store=reference, journal=journal, progress=False)
    expected = graph_facts(reference)
    reference.close()

    # the same bytes piped a group at a time, each group journaled (a batch of its own) before the next
    live = tmp_path / "live"
    child = _start(live, "--flush-seconds", "0.05", "--source-name", str(as_file))
    try:
        _feed_groups(child, live / "journal.sqlite")
    finally:
        out, err = child.communicate(timeout=DEADLINE)
    assert b"Traceback" not in err, err.decode()
    report = json.loads(out)
    assert {k: report[k] for k in ("received", "accepted", "rejected", "events")} == {
        "received": one_batch.total.received, "accepted": one_batch.total.accepted,
        "rejected": one_batch.total.rejected, "events": one_batch.total.events}
    # same ids, same rows in the same order, same rejections (origins too: --source-name is the file)
    assert _rows(live / "journal.sqlite") == _rows(tmp_path / "file" / "journal.sqlite")
    # the Zeek conn was projected before its DHCP lease came: the graph is still the one-batch graph
    store = open_store("embedded", data_dir=live)
    try:
        assert graph_facts(store) == expected
    finally:
        store.close()
    assert report["projected"]["events"] == one_batch.projected["events"]


def test_a_stop_request_ends_a_read_waiting_on_a_pipe_and_journals_what_came(tmp_path):
    read_end, write_end = os.pipe()
    records = mixed_formats_ndjson()
    reports = []
    with StopRequest() as stop, open(read_end, "rb") as stdin:

        def ingest() -> None:  # a journal is used by the thread that opened it
            with Journal(tmp_path / "journal.sqlite") as journal:
                reports.append(ingest_paths(
                    ["-"], store=None, journal=journal, stdin=stdin, progress=False, flush_seconds=60.0, stop=stop))

        worker = threading.Thread(target=ingest)
        worker.start()
        try:
            os.write(write_end, records)
            # once the worker holds every byte, it reads each whole line before it reads
            # (and so stops) again: all the records count, whatever the timing
            wait_for(lambda: unread_bytes(write_end) == 0, "the records read from the pipe")
            stop.set()
            worker.join(DEADLINE)
            assert not worker.is_alive(), "the stop did not end the read"
        finally:
            os.close(write_end)
            worker.join(DEADLINE)
    (report,) = reports
    with Journal(tmp_path / "journal.sqlite") as journal:
        counts = journal.counts()
    # the pipe never ended and no batch was due: the stop alone journaled what was read
    assert report.total.received == report.total.accepted == _lines(records)
    assert counts["events"] == report.total.events == report.total.accepted


@pytest.mark.parametrize("seconds", ["-1", "nan", "inf"])
def test_a_flush_interval_that_is_no_number_of_seconds_is_refused_before_reading(tmp_path, capsys, seconds):
    path = FIXTURES / "ecs_events.ndjson"
    assert main(["ingest", str(path), "--data", str(tmp_path), "--flush-seconds", seconds, "--no-progress"]) == 2
    assert "--flush-seconds" in capsys.readouterr().err
    assert not (tmp_path / "journal.sqlite").exists()
    with pytest.raises(ValueError, match="flush_seconds"), Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([path], store=None, journal=journal, flush_seconds=0.0)


def _feed_with_a_pause(child: subprocess.Popen[bytes], data: bytes, cut: int, pause: float) -> None:
    """Write ``data[:cut]``, wait until the child holds it and ``pause`` seconds more, then write the rest
    (``communicate`` closes the pipe)."""
    assert child.stdin is not None
    child.stdin.write(data[:cut])
    child.stdin.flush()
    wait_for(lambda: unread_bytes(child.stdin.fileno()) == 0, "the first bytes read from the pipe")
    time.sleep(pause)  # several of the child's pauses (--flush-seconds) with no byte
    rest = memoryview(data)[cut:]
    try:
        while rest:  # by descriptor: nothing is left buffered for close to flush into a closed pipe
            rest = rest[os.write(child.stdin.fileno(), rest):]
    except BrokenPipeError:  # the child took the pause for the end and left: its report says what it read
        pass


def _powershell_xml() -> tuple[bytes, int]:
    from tests.ingest.readers.test_xml_events import fixture_records, powershell

    records = fixture_records()
    return powershell(records), len(records)


def _encoded_ndjson(encode: Callable[[bytes], bytes]) -> tuple[bytes, int]:
    records = mixed_formats_ndjson()
    return encode(records), _lines(records)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: _encoded_ndjson(gzip.compress), id="gzip ndjson"),
        pytest.param(lambda: _encoded_ndjson(lambda data: data.decode().encode("utf-16")), id="utf-16 ndjson"),
        pytest.param(_powershell_xml, id="utf-16 ToXml xml"),
    ],
)
def test_a_pause_in_a_decoded_pipe_is_not_its_end(tmp_path, make):
    # a decoder (gunzip, UTF-16) takes a read of 0 bytes for the end of its input: a
    # pause of the pipe under it must be waited out, never handed to it as 0 bytes
    data, records = make()
    cut = 600
    assert len(data) > 2 * cut
    child = _start(tmp_path, "--flush-seconds", "0.2")
    try:
        _feed_with_a_pause(child, data, cut, 1.5)
    finally:
        out, err = child.communicate(timeout=DEADLINE)
    assert b"Traceback" not in err, err.decode()
    report = json.loads(out)
    assert (report["received"], report["accepted"], report["rejected"]) == (records, records, 0), err.decode()
    assert child.returncode == 0


def _xml_with_declaration() -> bytes:
    from tests.ingest.readers.test_xml_events import event_viewer, fixture_records

    # Event Viewer's file with LF line ends: its first line is the 39-byte declaration
    return event_viewer(fixture_records()).replace(b"\r\n", b"\n")


@pytest.mark.parametrize(
    ("make", "cut"),
    [
        pytest.param(_xml_with_declaration, lambda data: data.index(b"\n") + 1, id="xml declaration, pause"),
        pytest.param(lambda: (FIXTURES / "array_pretty.json").read_bytes(), lambda data: data.index(b"{") + 5,
                     id="json array [ newline {, pause"),
        pytest.param(lambda: (FIXTURES / "evtx_dump_records.json").read_bytes(),
                     lambda data: data.index(b"\n") + 1, id="evtx_dump Record line, pause"),
        pytest.param(lambda: (REPO / "tests/ingest/parsers/fixtures/zeek/conn_http.log").read_bytes(),
                     lambda data: data.index(b"\n") + 1, id="zeek #separator, pause"),
    ],
)
def test_a_pause_after_the_first_line_keeps_the_reader_of_the_whole_stream(tmp_path, make, cut):
    data = make()
    as_file = tmp_path / "records"
    as_file.write_bytes(data)
    with Journal(tmp_path / "file.sqlite") as journal:
        expected = ingest_paths([as_file], store=None, journal=journal, progress=False)
    child = _start(tmp_path / "live", "--flush-seconds", "0.2")
    try:
        _feed_with_a_pause(child, data, cut(data), 1.5)
    finally:
        out, err = child.communicate(timeout=DEADLINE)
    assert b"Traceback" not in err, err.decode()
    report = json.loads(out)
    (file_report,) = expected.files.values()
    assert report["files"][0]["reader"] == file_report.reader
    assert (report["received"], report["accepted"], report["rejected"]) == (
        expected.total.received, expected.total.accepted, expected.total.rejected)
    assert expected.total.accepted > 1 and expected.total.rejected == 0


def _json_array(lines: list[bytes]) -> bytes:
    return b"[\n" + b",\n".join(lines) + b"\n]\n"


def _json_array_groups() -> tuple[bytes, bytes, bytes]:
    """A JSON array of the mixed records: its first 20 elements (and the comma after), the rest, and
    an array of those 20 alone."""
    lines = mixed_formats_ndjson().splitlines()
    whole = _json_array(lines)
    cut = whole.index(lines[20])
    return whole[:cut], whole[cut:], _json_array(lines[:20])


def _xml_groups() -> tuple[bytes, bytes, bytes]:
    """Event Viewer XML: its first 3 events, the rest, and a file of those 3 alone."""
    from tests.ingest.readers.test_xml_events import event_viewer, fixture_records

    records = fixture_records()
    whole = event_viewer(records)
    cut = 0
    for _ in range(3):
        cut = whole.index(b"</Event>", cut) + len(b"</Event>\r\n")
    return whole[:cut], whole[cut:], event_viewer(records[:3])


def _gzip_groups() -> tuple[bytes, bytes, bytes]:
    """Gzip NDJSON, flushed after its first 20 records (the head read pauses through the decoder)."""
    lines = mixed_formats_ndjson().splitlines(keepends=True)
    first = b"".join(lines[:20])
    packer = zlib.compressobj(wbits=31)
    head = packer.compress(first) + packer.flush(zlib.Z_SYNC_FLUSH)
    return head, packer.compress(b"".join(lines[20:])) + packer.flush(), first


@pytest.mark.parametrize("groups", [_json_array_groups, _xml_groups, _gzip_groups],
                         ids=["json array", "event viewer xml", "gzip ndjson"])
def test_whole_records_of_a_chunked_format_are_journaled_while_the_pipe_stays_open(tmp_path, groups):
    # a reader that takes its chunks by read(1 MiB) waits for 1 MiB or the end of the pipe
    first, rest, first_alone = groups()
    path = tmp_path / "first"
    path.write_bytes(first_alone)
    with Journal(tmp_path / "first.sqlite") as journal:
        expected = ingest_paths([path], store=None, journal=journal, progress=False).total
    assert expected.events > 1 and expected.rejected == 0
    child = _start(tmp_path / "live", "--flush-seconds", "0.2")
    try:
        assert child.stdin is not None
        child.stdin.write(first)
        child.stdin.flush()
        wait_for(lambda: _journaled(tmp_path / "live" / "journal.sqlite") >= expected.events,
                 f"the first {expected.events} events journaled")
        child.stdin.write(rest)
    finally:
        out, err = child.communicate(timeout=DEADLINE)
    assert b"Traceback" not in err, err.decode()
    report = json.loads(out)
    assert report["rejected"] == 0 and report["accepted"] > expected.accepted
