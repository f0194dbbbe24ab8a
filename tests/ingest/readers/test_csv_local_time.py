"""CSV exports written in local time: ``X [Local Time]`` columns read in the zone given, or rejected.

The local exports here are the UTC fixtures rewritten as the portal set to
local time would write them (the wall clock of Europe/Berlin or
America/New_York, the header marked ``[Local Time]``): read in their zone they
must give the very events of the UTC export.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from graphsiem.cli import main
from ingest.journal import Journal
from ingest.parsers.portal_times import from_portal_time
from ingest.pipeline import ingest_paths
from ingest.readers.base import RawRecord, ReadError
from ingest.readers.csv_rows import CsvRowsReader
from ingest.readers.files import choose_reader, default_readers
from tests.ingest.parsers.export_events import file_events

EXPORTS = Path(__file__).resolve().parents[2] / "ingest" / "parsers" / "fixtures" / "exports"
BERLIN = "Europe/Berlin"
LOGON_HEADER = '"TimeGenerated [Local Time]",Computer,EventID,Channel,TargetUserName,LogonType,IpAddress\n'


def logon_row(time_text: str, host: str = "ws-0001") -> str:
    return f'"{time_text}",{host},4624,Security,alice,3,10.0.0.5\n'


def read(data: str, zone: str | None = None) -> list[RawRecord | ReadError]:
    return list(CsvRowsReader(local_timezone=zone).read(io.BytesIO(data.encode()), "x.csv"))


def portal_text(moment: datetime) -> str:
    """``moment`` as the Log Analytics portal writes a time: ``3/5/2024, 11:00:05.000 AM``."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (f"{moment.month}/{moment.day}/{moment.year}, {hour}:{moment:%M:%S}."
            f"{moment.microsecond // 1000:03d} {half}")


def localised(source: Path, column: str, zone: str, write: Callable[[datetime], str]) -> str:
    """The export at ``source`` as written by a portal set to ``zone``: ``column`` marked local, its times moved."""
    rows = list(csv.reader(io.StringIO(source.read_bytes().decode("utf-8-sig"), newline="")))
    header = rows[0]
    index = next(i for i, name in enumerate(header) if name.split(" [", 1)[0] == column)
    header[index] = f"{column} [Local Time]"
    for row in rows[1:]:
        text = row[index]
        iso = from_portal_time(text) or text
        instant = datetime.fromisoformat(iso[:26] + "+00:00")
        row[index] = write(instant.astimezone(ZoneInfo(zone)))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def ingest_text(tmp_path: Path, text: str, zone: str | None, name: str = "export.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False,
                              readers=default_readers(local_timezone=zone), default_timezone=zone or "UTC")
        times = sorted(e.ts for e in journal.get(j.event.id for j in journal.iter_events()))
    return report, times


# -- the header ----------------------------------------------------------------------------------

def test_both_log_analytics_time_marks_are_claimed_and_left_out_of_the_key():
    for mark in ("[UTC]", "[Local Time]"):
        data = f'"TimeGenerated {mark}",Computer,EventID\n"2/25/2025, 9:19:25.391 AM",ws-1,4688\n'
        assert isinstance(choose_reader("x.csv", default_readers(), data.encode()).reader, CsvRowsReader), mark
        (row,) = read(data, BERLIN)
        assert set(row.record) == {"TimeGenerated", "Computer", "EventID"}, mark


# -- in the zone given -----------------------------------------------------------------------------

@pytest.mark.parametrize("zone", [BERLIN, "America/New_York", "Asia/Kolkata"])
def test_a_log_analytics_export_in_local_time_gives_the_events_of_the_utc_export(tmp_path, zone):
    local = tmp_path / "local.csv"
    local.write_text(localised(EXPORTS / "security_event.csv", "TimeGenerated", zone, portal_text))
    with Journal(tmp_path / "local.sqlite") as journal:
        report = ingest_paths([local], store=None, journal=journal, progress=False,
                              readers=default_readers(local_timezone=zone))
        assert report.total.rejected == 0
        events = [(e.kind, e.ts, e.host, e.fields) for e in journal.get(j.event.id for j in journal.iter_events())]
    assert events == file_events(EXPORTS / "security_event.csv", tmp_path)


def test_a_defender_export_in_local_iso_time_gives_the_events_of_the_utc_export(tmp_path):
    def iso_wall(moment: datetime) -> str:
        return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

    local = tmp_path / "local.csv"
    local.write_text(localised(EXPORTS / "mde_advanced_hunting.csv", "Timestamp", "America/New_York", iso_wall))
    with Journal(tmp_path / "local.sqlite") as journal:
        report = ingest_paths([local], store=None, journal=journal, progress=False,
                              readers=default_readers(local_timezone="America/New_York"))
        assert report.total.rejected == 0
        local_times = sorted(e.ts for e in journal.get(j.event.id for j in journal.iter_events()))
    # the fixture's 7th fractional digit is cut by the export written here (microseconds)
    utc_times = sorted(ts for _, ts, _, _ in file_events(EXPORTS / "mde_advanced_hunting.csv", tmp_path))
    assert local_times == pytest.approx(utc_times, abs=1e-6)


def test_the_value_keeps_its_wall_clock_with_the_zones_offset_of_that_day():
    winter, summer = read(LOGON_HEADER + logon_row("2/25/2025, 10:19:25.391 AM")
                          + logon_row("7/1/2025, 2:00:00 PM"), BERLIN)
    assert winter.record["TimeGenerated"] == "2025-02-25T10:19:25.3910000+01:00"
    assert summer.record["TimeGenerated"] == "2025-07-01T14:00:00.0000000+02:00"


def test_a_time_with_its_own_zone_is_kept_as_written():
    (row,) = read(LOGON_HEADER + logon_row("2025-02-25T09:19:25Z"), BERLIN)
    assert row.record["TimeGenerated"] == "2025-02-25T09:19:25Z"


# -- clock changes -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("zone", "repeated", "earlier_utc"), [
    # Europe/Berlin leaves summer time on 2025-10-26 at 03:00 CEST: 02:00-02:59 happens twice
    (BERLIN, "10/26/2025, 2:30:00.000 AM", datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),
    # America/New_York on 2025-11-02 at 02:00 EDT: 01:00-01:59 happens twice
    ("America/New_York", "11/2/2025, 1:30:00.000 AM", datetime(2025, 11, 2, 5, 30, tzinfo=UTC)),
])
def test_a_repeated_hour_is_read_as_its_earlier_instant(tmp_path, zone, repeated, earlier_utc):
    report, times = ingest_text(tmp_path, LOGON_HEADER + logon_row(repeated), zone)
    assert report.total.accepted == 1
    assert times == [earlier_utc.timestamp()]


@pytest.mark.parametrize(("zone", "skipped"), [
    (BERLIN, "3/30/2025, 2:30:00.000 AM"),  # 02:00 CET -> 03:00 CEST
    ("America/New_York", "3/9/2025, 2:15:00.000 AM"),  # 02:00 EST -> 03:00 EDT
])
def test_a_time_the_clocks_skipped_is_rejected_as_not_of_that_zone(zone, skipped):
    before, gap, after = read(LOGON_HEADER + logon_row("3/1/2025, 9:00:00 AM") + logon_row(skipped)
                              + logon_row("4/1/2025, 9:00:00 AM"), zone)
    assert isinstance(before, RawRecord) and isinstance(after, RawRecord)
    assert isinstance(gap, ReadError) and gap.origin == "x.csv:3"
    assert "'TimeGenerated [Local Time]'" in gap.reason and f"does not exist in {zone}" in gap.reason
    assert gap.raw == logon_row(skipped).rstrip("\n")


@pytest.mark.parametrize(("zone", "out_of_range"), [
    (BERLIN, "0001-01-01 00:30:00"),  # 23:30 of the year 0 in UTC
    ("America/New_York", "9999-12-31 23:59:59"),  # 04:59 of the year 10000 in UTC
    (BERLIN, "1/1/0001, 12:30:00 AM"),
])
def test_a_time_outside_the_years_read_rejects_its_row_and_the_file_reads_on(tmp_path, zone, out_of_range):
    text = (LOGON_HEADER + logon_row("3/1/2025, 9:00:00 AM", "ws-0001") + logon_row(out_of_range, "ws-0002")
            + logon_row("4/1/2025, 9:00:00 AM", "ws-0003") + logon_row("5/1/2025, 9:00:00 AM", "ws-0004"))
    before, bad, *after = read(text, zone)
    assert isinstance(before, RawRecord) and [type(row) for row in after] == [RawRecord, RawRecord]
    assert isinstance(bad, ReadError) and bad.origin == "x.csv:3"
    assert "'TimeGenerated [Local Time]'" in bad.reason and "outside years 1 to 9999 UTC" in bad.reason
    report, times = ingest_text(tmp_path, text, zone)
    assert (report.total.received, report.total.accepted, report.total.rejected) == (4, 3, 1)
    assert len(times) == 3


def test_a_local_value_that_is_no_time_is_rejected_naming_the_column():
    (row,) = read(LOGON_HEADER + logon_row("13/25/2025, 9:00:00 AM"), BERLIN)
    assert isinstance(row, ReadError)
    assert "'TimeGenerated [Local Time]'" in row.reason and "not a time read here" in row.reason


# -- without a zone ----------------------------------------------------------------------------------

def test_without_a_zone_each_row_with_a_local_time_is_rejected_naming_the_column_and_the_option():
    empty_time = '"",ws-0002,4624,Security,bob,3,10.0.0.6\n'
    first, second, blank = read(LOGON_HEADER + logon_row("2/25/2025, 10:19:25.391 AM")
                                + logon_row("2/25/2025, 10:20:00.000 AM") + empty_time)
    for row, line in ((first, 2), (second, 3)):
        assert isinstance(row, ReadError) and row.origin == f"x.csv:{line}"
        assert "'TimeGenerated [Local Time]'" in row.reason and "--timezone" in row.reason
    # a row whose local-time cells are empty has no time to shift: read as any row
    assert isinstance(blank, RawRecord) and "TimeGenerated" not in blank.record


def test_the_cli_rejects_without_timezone_and_the_same_file_is_read_again_with_it(tmp_path, capsys):
    export = tmp_path / "export.csv"
    export.write_text(LOGON_HEADER + logon_row("2/25/2025, 10:19:25.391 AM")
                      + logon_row("2/25/2025, 10:20:00.000 AM", "ws-0002"))
    data = tmp_path / "data"
    assert main(["ingest", str(export), "--data", str(data), "--json", "--no-progress"]) == 1
    first = json.loads(capsys.readouterr().out)
    assert (first["received"], first["accepted"], first["rejected"]) == (2, 0, 2)
    assert main(["rejected", "--data", str(data), "--json"]) == 0
    kept = json.loads(capsys.readouterr().out)["rejected"]
    assert [r["origin"].rsplit(":", 1)[1] for r in kept] == ["2", "3"]
    assert all("--timezone" in r["reason"] for r in kept)
    # nothing was journaled at a guessed time: with the zone, every row is new and read at its instant
    assert main(["ingest", str(export), "--data", str(data), "--json", "--no-progress",
                 "--timezone", BERLIN]) == 0
    second = json.loads(capsys.readouterr().out)
    assert (second["accepted"], second["events"]) == (2, 2)
    with Journal(data / "journal.sqlite") as journal:
        times = sorted(e.ts for e in journal.get(j.event.id for j in journal.iter_events()))
    assert times == [datetime(2025, 2, 25, 9, 19, 25, 391000, tzinfo=UTC).timestamp(),
                     datetime(2025, 2, 25, 9, 20, tzinfo=UTC).timestamp()]


def test_a_utc_column_stays_utc_whatever_the_zone_given(tmp_path):
    text = LOGON_HEADER.replace("[Local Time]", "[UTC]") + logon_row("2/25/2025, 9:19:25.391 AM")
    local = LOGON_HEADER + logon_row("2/25/2025, 10:19:25.391 AM", "ws-0002")
    (tmp_path / "utc").mkdir()
    (tmp_path / "local").mkdir()
    _, utc_times = ingest_text(tmp_path / "utc", text, BERLIN)
    _, local_times = ingest_text(tmp_path / "local", local, BERLIN)
    assert utc_times == local_times == [datetime(2025, 2, 25, 9, 19, 25, 391000, tzinfo=UTC).timestamp()]
