"""CSV exports (Defender XDR, Sentinel / Log Analytics, Splunk): framing, rejections, bounds, sniff."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.readers.base import RawRecord, ReadError
from ingest.readers.csv_rows import MAX_COLUMNS, CsvRowsReader
from ingest.readers.files import choose_reader, default_readers, iter_files, read_head

REPO = Path(__file__).resolve().parents[3]
PARSER_FIXTURES = REPO / "tests" / "ingest" / "parsers" / "fixtures"
MDE_EXPORT = PARSER_FIXTURES / "exports" / "mde_advanced_hunting.csv"
HEADER = "Timestamp,DeviceId,DeviceName,ActionType,ProcessCommandLine\r\n"


def read(data: bytes, reader: CsvRowsReader | None = None) -> list[RawRecord | ReadError]:
    return list((reader or CsvRowsReader()).read(io.BytesIO(data), "x.csv"))


def records(data: bytes) -> list[RawRecord]:
    found = read(data)
    assert all(isinstance(item, RawRecord) for item in found), found
    return found  # type: ignore[return-value]


# -- rows ------------------------------------------------------------------------------------

def test_each_row_is_a_dict_keyed_by_the_header_with_empty_cells_absent():
    (row,) = records((HEADER + "2024-03-05T10:20:00.1234567Z,,ws-1.corp,ProcessCreated,cmd.exe\r\n").encode())
    assert row.record == {"Timestamp": "2024-03-05T10:20:00.1234567Z", "DeviceName": "ws-1.corp",
                          "ActionType": "ProcessCreated", "ProcessCommandLine": "cmd.exe"}
    assert row.origin == "x.csv:2"


def test_quoted_values_keep_line_breaks_commas_and_doubled_quotes():
    command = 'cmd.exe /c "echo a,b" & powershell -c "Write-Host ""x"""\nsecond line, with a comma'
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Timestamp", "DeviceId", "DeviceName", "ActionType", "ProcessCommandLine"])
    writer.writerow(["t1", "d", "ws-1", "ProcessCreated", command])
    writer.writerow(["t2", "d", "ws-1", "ProcessCreated", "plain"])
    first, second = records(out.getvalue().encode())
    assert first.record["ProcessCommandLine"] == command
    # a row's origin is the line it starts on: the first row spans lines 2 and 3
    assert (first.origin, second.origin) == ("x.csv:2", "x.csv:4")
    assert second.record["Timestamp"] == "t2"


def test_log_analytics_utc_marks_are_left_out_of_the_column_names():
    (row,) = records(b'"TimeGenerated [UTC]",Computer,EventID\n"2/25/2025, 9:19:25.391 AM",ws-1,4688\n')
    assert row.record == {"TimeGenerated": "2/25/2025, 9:19:25.391 AM", "Computer": "ws-1", "EventID": "4688"}


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_a_tab_or_semicolon_header_splits_its_rows_on_that_delimiter(delimiter):
    data = delimiter.join(["_time", "host", "_raw"]) + "\n" + delimiter.join(["1700000000", "h", '"a, b; c\td"']) + "\n"
    assert CsvRowsReader().sniff(data.encode(), "x.csv")
    (row,) = records(data.encode())
    assert row.record == {"_time": "1700000000", "host": "h", "_raw": "a, b; c\td"}


def test_a_long_header_of_another_delimiter_keys_every_column():
    # Log Analytics' SecurityEvent names some 230 columns: a header of several KiB
    names = ["TimeGenerated", "Computer", "EventID", *(f"Column{i:04d}" for i in range(600))]
    values = ["t", "ws-1", "4688", *(f"v{i}" for i in range(600))]
    (row,) = records(("\t".join(names) + "\n" + "\t".join(values) + "\n").encode())
    assert row.record == dict(zip(names, values, strict=True))


def test_leading_blank_lines_and_a_header_too_long_are_told_by_line():
    assert [item.origin for item in records(b"\n\r\n" + HEADER.encode() + b"t,d,h,A,x\n")] == ["x.csv:4"]
    found = read(HEADER.encode() * 2 + b"t,d,h,A,x\n", CsvRowsReader(max_record_bytes=40))
    assert found[0].origin == "x.csv:1" and "header (line 1) too long" in found[0].reason
    assert [item.origin for item in found[1:]] == ["x.csv:2", "x.csv:3"]
    assert all(isinstance(item, ReadError) for item in found)


def test_a_byte_order_mark_and_crlf_are_read_as_the_file_without_them(tmp_path):
    plain = MDE_EXPORT.read_bytes().removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    assert MDE_EXPORT.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" in MDE_EXPORT.read_bytes()
    (tmp_path / "plain.csv").write_bytes(plain)
    events = {}
    for path in (MDE_EXPORT, tmp_path / "plain.csv"):
        with Journal(tmp_path / f"{path.stem}.sqlite") as journal:
            report = ingest_paths([path], store=None, journal=journal, progress=False)
            assert report.total.rejected == 0 and report.total.accepted == 14
            events[path] = [(e.id, e.kind, e.ts, e.host, e.fields)
                            for e in journal.get(j.event.id for j in journal.iter_events())]
    assert events[MDE_EXPORT] == events[tmp_path / "plain.csv"]


def test_a_utf16_tab_separated_resave_reads_as_the_csv(tmp_path):
    # a spreadsheet's "Unicode Text" save of the export: UTF-16 with its mark, tabs between cells
    rows = list(csv.reader(io.StringIO(MDE_EXPORT.read_text(encoding="utf-8-sig"), newline="")))
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\r\n").writerows(rows)
    resaved = tmp_path / "export.txt"
    resaved.write_bytes(b"\xff\xfe" + out.getvalue().encode("utf-16-le"))
    assert [item.record for item in records(resaved.read_bytes().decode("utf-16").encode())] == [
        item.record for item in records(MDE_EXPORT.read_bytes().removeprefix(b"\xef\xbb\xbf"))]
    with Journal(tmp_path / "journal.sqlite") as journal:
        first = ingest_paths([MDE_EXPORT], store=None, journal=journal, progress=False)
        again = ingest_paths([resaved], store=None, journal=journal, progress=False)
    # the same rows: the same ids, so the resave adds nothing
    assert (first.total.events, again.total.accepted, again.total.events) == (15, 14, 0)


def test_the_same_file_again_adds_nothing(tmp_path):
    with Journal(tmp_path / "journal.sqlite") as journal:
        first = ingest_paths([MDE_EXPORT], store=None, journal=journal, progress=False)
        again = ingest_paths([MDE_EXPORT], store=None, journal=journal, progress=False)
        assert journal.counts()["events"] == first.total.events > 0
    assert again.total.accepted == 14 and again.total.events == 0


# -- rejections ------------------------------------------------------------------------------

def test_rows_with_more_or_fewer_cells_are_rejected_by_line_and_the_others_read():
    data = (HEADER + "t1,d,ws-1,A,x\r\n" + "t2,d,ws-1,A\r\n" + "t3,d,ws-1,A,x,extra\r\n" + "t4,d,ws-1,A,y\r\n").encode()
    found = read(data)
    assert [type(item).__name__ for item in found] == ["RawRecord", "ReadError", "ReadError", "RawRecord"]
    assert found[1].origin == "x.csv:3" and "4 cells" in found[1].reason and "5 columns" in found[1].reason
    assert found[2].origin == "x.csv:4" and "6 cells" in found[2].reason
    assert found[1].raw == "t2,d,ws-1,A"


def test_text_after_a_closing_quote_is_rejected_and_the_next_row_read():
    found = read((HEADER + 't1,d,ws-1,A,"x"y\r\n' + "t2,d,ws-1,A,z\r\n").encode())
    assert isinstance(found[0], ReadError) and found[0].origin == "x.csv:2" and "not readable" in found[0].reason
    assert isinstance(found[1], RawRecord) and found[1].record["ProcessCommandLine"] == "z"


def test_a_quote_left_open_at_the_end_is_rejected_where_its_row_starts():
    found = read((HEADER + "t1,d,ws-1,A,x\r\n" + 't2,d,ws-1,A,"open\r\nand on\r\n').encode())
    assert isinstance(found[0], RawRecord)
    assert isinstance(found[1], ReadError) and found[1].origin == "x.csv:3"
    assert "never closed" in found[1].reason and found[1].raw == 't2,d,ws-1,A,"open'
    # the line after it is read as a row of its own (one cell: rejected by its own line)
    assert isinstance(found[2], ReadError) and found[2].origin == "x.csv:4" and "1 cells" in found[2].reason
    assert len(found) == 3


def test_a_quote_never_closed_does_not_swallow_the_rows_after_it():
    # a hand-edited or damaged export: before, ws2 and ws3 went into the open value (up to 4 MiB
    # of rows) and one rejection of line 2 was all the report showed
    found = read((HEADER + 't1,d,ws1,ProcessCreated,"abc\r\n' + "t2,d,ws2,ProcessCreated,z\r\n"
                  + "t3,d,ws3,ProcessCreated,z\r\n").encode())
    assert [(type(item).__name__, item.origin) for item in found] == [
        ("ReadError", "x.csv:2"), ("RawRecord", "x.csv:3"), ("RawRecord", "x.csv:4")]
    assert [item.record["DeviceName"] for item in found[1:]] == ["ws2", "ws3"]


@pytest.mark.parametrize(("header", "reason"), [
    ("Timestamp,DeviceName,ActionType,DeviceName", "'DeviceName' is named twice (columns 2 and 4)"),
    ("Timestamp,DeviceName,ActionType,", "column 4 has no name"),
    ("Timestamp,DeviceName,\"ActionType [UTC]\",ActionType", "'ActionType' is named twice"),
])
def test_a_header_that_cannot_key_rows_is_rejected_and_so_is_every_row_under_it(header, reason):
    found = read(f"{header}\na,b,c,d\ne,f,g,h\n".encode())
    assert [item.origin for item in found] == ["x.csv:1", "x.csv:2", "x.csv:3"]
    assert all(isinstance(item, ReadError) and reason in item.reason for item in found)


def test_received_is_accepted_plus_rejected_through_the_pipeline(tmp_path):
    path = tmp_path / "export.csv"
    rows = MDE_EXPORT.read_bytes().split(b"\r\n")
    # a short row and a row cut by a quote it opens, among the 14 good ones
    path.write_bytes(b"\r\n".join([*rows[:3], b"a,b,c", *rows[3:6], b'x,"never closed', b""]))
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)
        rejected = journal.connection.execute("SELECT origin, reason FROM rejected ORDER BY rowid").fetchall()
    assert report.total.received == report.total.accepted + report.total.rejected == 7
    assert report.total.accepted == 5
    assert rejected[0][0].endswith("export.csv:4") and "cells" in rejected[0][1]
    assert rejected[1][0].endswith("export.csv:8") and "unexpected end of data" in rejected[1][1]


# -- bounds ----------------------------------------------------------------------------------

class Generated(io.RawIOBase):
    """A stream of ``head``, ``size`` bytes of ``fill`` made as read, then ``tail``: never all in memory."""

    def __init__(self, head: bytes, fill: bytes, size: int, tail: bytes) -> None:
        self._parts = [head]
        self._fill, self._left, self._tail = fill, size, tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        if self._parts:
            part = self._parts[0][: len(buffer)]
            self._parts[0] = self._parts[0][len(part):]
            if not self._parts[0]:
                self._parts.pop()
        elif self._left:
            count = min(len(buffer), self._left)
            part = (self._fill * (count // len(self._fill) + 1))[:count]
            self._left -= count
        else:
            part, self._tail = self._tail[: len(buffer)], self._tail[len(buffer):]
        buffer[: len(part)] = part
        return len(part)


@pytest.mark.parametrize(("opening", "fill", "closing"), [
    (b'"', b"A,b" * 40 + b"\n", b'"'),  # a quoted value of 100 MB, commas and line breaks in it
    (b"", b"A", b""),  # one unquoted line of 100 MB
])
def test_a_100_mb_value_is_rejected_in_bounded_memory_and_the_next_row_read(opening, fill, closing):
    size = 100 << 20
    stream = io.BufferedReader(Generated(
        (HEADER + "t1,d,ws-1,A,").encode() + opening, fill, size, closing + b"\r\nt2,d,ws-1,A,after\r\n"),
        buffer_size=1 << 20)
    tracemalloc.start()
    try:
        found = list(CsvRowsReader().read(stream, "x.csv"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 << 20, f"peak {peak >> 20} MiB"
    assert isinstance(found[0], ReadError) and found[0].origin == "x.csv:2"
    assert "CSV row too long" in found[0].reason and f"{4 << 20} bytes" in found[0].reason
    assert isinstance(found[1], RawRecord) and found[1].record["ProcessCommandLine"] == "after"
    assert len(found) == 2


def test_a_header_of_too_many_columns_is_rejected():
    names = ",".join(["Timestamp", "DeviceName", "ActionType", *(f"c{i}" for i in range(MAX_COLUMNS))])
    found = read(f"{names}\nx\n".encode())
    assert len(found) == 2 and all(isinstance(item, ReadError) for item in found)
    assert f"over the limit of {MAX_COLUMNS}" in found[0].reason


def test_a_row_of_a_million_cells_is_rejected_in_bounded_memory():
    tracemalloc.start()
    try:
        found = read((HEADER + "," * 1_000_000 + "\r\nt2,d,ws-1,A,after\r\n").encode())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 << 20, f"peak {peak >> 20} MiB"
    assert isinstance(found[0], ReadError) and "1000001 cells" in found[0].reason
    assert isinstance(found[1], RawRecord)


# -- sniff -----------------------------------------------------------------------------------

@pytest.mark.parametrize("head", [
    b"Timestamp,DeviceId,DeviceName,ActionType,FileName\r\n2024-03-05T10:20:00.1234567Z,a,b,c,d\r\n",
    b'\xef\xbb\xbf"TimeGenerated [UTC]",Computer,EventID,EventData\r\n',
    b"TimeGenerated,Type,Computer\n",
    b'"_serial","_time",source,sourcetype,host,"_raw"\n',
    b"_time\thost\t_raw\n",
    b"Timestamp;DeviceName;ActionType\n",
])
def test_the_header_of_each_export_is_claimed(head):
    assert CsvRowsReader().sniff(head, "x.csv")


@pytest.mark.parametrize("head", [
    b"Nov 29 10:31:02 web01 app[12]: Timestamp,DeviceName,ActionType\n",
    b"<13>Nov 29 10:31:02 web01 app: _time,_raw\n",
    b"CEF:0|Vendor|Product|1.0|100|Timestamp,DeviceName|5|src=10.0.0.1\n",
    b"#separator \\x09\n#fields\tts\tuid\n",
    b'{"Timestamp": "t", "DeviceName": "d", "ActionType": "a"}\n',
    b'[{"_raw": "x", "_time": "1"}]\n',
    b"<Events><Event/></Events>\n",
    b"name,value,other\n1,2,3\n",
    b"Timestamp,Value\n1,2\n",
    b"Timestamp ,DeviceName,ActionType\n",
    b"Timestamp,Device=Name,ActionType\n",
    b"2024-03-05 10:20:00,Timestamp,DeviceName\n",
])
def test_other_text_is_not_claimed(head):
    assert not CsvRowsReader().sniff(head, "x.csv")


def test_every_sample_file_keeps_the_reader_it_had_before_csv(samples_dir):
    before = [reader for reader in default_readers() if reader.name != "csv"]
    compared = 0
    for path in iter_files([samples_dir]):
        try:
            head = read_head(path)
        except OSError:
            continue
        chosen = choose_reader(path, default_readers(), head).reader
        assert chosen is None or chosen.name != "csv", path
        previous = choose_reader(path, before, head).reader
        assert (chosen and chosen.name) == (previous and previous.name), path
        compared += 1
    assert compared > 20


def test_the_project_fixtures_keep_their_readers():
    for path in iter_files([REPO / "tests" / "ingest" / "fixtures", PARSER_FIXTURES]):
        chosen = choose_reader(path, default_readers(), read_head(path)).reader
        assert (chosen is not None and chosen.name == "csv") is (path.suffix == ".csv"), path


# -- a pipe ----------------------------------------------------------------------------------

def test_rows_piped_with_pauses_are_journaled_while_the_pipe_stays_open(tmp_path):
    lines = MDE_EXPORT.read_bytes().split(b"\r\n")
    child = subprocess.Popen(
        [sys.executable, "-m", "graphsiem", "ingest", "-", "--data", str(tmp_path), "--json", "--no-progress",
         "--flush-seconds", "0.2"],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdin is not None
    journal = tmp_path / "journal.sqlite"

    def journaled() -> int:
        if not journal.exists():
            return 0
        with Journal(journal) as opened:
            return opened.counts()["events"]

    try:
        for end, expected in ((3, 2), (6, 5)):  # the header and two rows, then three more
            child.stdin.write(b"\r\n".join(lines[: end] if end == 3 else lines[3:end]) + b"\r\n")
            child.stdin.flush()
            give_up = time.monotonic() + 30
            while journaled() < expected:
                assert time.monotonic() < give_up, f"{expected} events not journaled within 30 s"
                time.sleep(0.05)
    finally:
        out, err = child.communicate(timeout=30)
    assert b"Traceback" not in err, err.decode()
    assert child.returncode == 0, err.decode()


# -- properties ------------------------------------------------------------------------------

SEEDS = [path.read_bytes().removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n").split(b"\n")
         for path in sorted((PARSER_FIXTURES / "exports").glob("*.csv"))]


@st.composite
def mutated_exports(draw: st.DrawFn) -> bytes:
    """An export (Defender, Log Analytics, Splunk) with rows dropped, repeated, cut or spliced with
    random text and quotes (a cut may fall inside a quoted value of several lines)."""
    seed = draw(st.sampled_from(SEEDS))
    lines = [seed[0]]
    for _ in range(draw(st.integers(0, 6))):
        line = draw(st.sampled_from(seed[1:]))
        cut = draw(st.integers(0, len(line)))
        noise = draw(st.text(alphabet=st.sampled_from('",\r\n\t;ab\x00é{}[]'), max_size=12)).encode()
        choice = draw(st.integers(0, 3))
        if choice == 0:
            line = line[:cut]
        elif choice == 1:
            line = line[:cut] + noise + line[cut:]
        elif choice == 2:
            line = noise
        lines.append(line)
    return draw(st.sampled_from([b"\n", b"\r\n"])).join(lines) + draw(st.sampled_from([b"", b"\r\n", b'"']))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mutated_exports())
def test_mutated_exports_never_raise_out_of_the_pipeline(tmp_path_factory, data):
    directory = tmp_path_factory.mktemp("csv")
    path = directory / "export.csv"
    path.write_bytes(data)
    with Journal(directory / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)
        kept = journal.counts()["rejected"]
    total = report.total
    assert total.received == total.accepted + total.rejected
    assert kept == total.rejected
    os.remove(path)
