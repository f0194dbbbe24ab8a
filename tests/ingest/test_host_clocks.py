"""Host clocks learnt from Sysmon ``UtcTime`` (``ingest.host_clocks``), alone and through the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from graphsiem.model import Event
from ingest.host_clocks import HostClocks, offset_text
from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def _event(host: str = "ws5", ts: float = 0.0) -> Event:
    return Event("", "windows:other", ts, host, "nxlog", {}, "t:1", None)


# -- the learner alone --------------------------------------------------------


def test_offset_text_is_ecs_timezone() -> None:
    assert offset_text(-14400.0) == "-04:00"
    assert offset_text(19800.0) == "+05:30"
    assert offset_text(0.0) == "+00:00"


def test_a_quarter_hour_skew_is_learnt_and_dates_the_host() -> None:
    clocks = HostClocks()
    # Sysmon at 12:28:54.351 UTC, its TimeCreated written as local time with a Z, 2 ms later
    clocks.observe("ws5", "TimeCreated", "2020-10-27T08:28:54.353Z", _epoch("2020-10-27 12:28:54.351"))
    assert clocks.offset("ws5", "TimeCreated", _epoch("2020-10-27 08:28:57")) == -14400.0
    event = _event(ts=_epoch("2020-10-27 08:28:57.061"))
    clocks.date(event, "TimeCreated", "2020-10-27T08:28:57.061Z")
    assert event.ts == pytest.approx(_epoch("2020-10-27 12:28:57.061"))
    assert event.fields["event.timezone"] == "-04:00"


def test_a_skew_that_is_no_zone_teaches_nothing() -> None:
    clocks = HostClocks()
    # 7 minutes off: a late write or a wrong clock, not a zone offset
    clocks.observe("ws5", "EventTime", "2020-09-04 16:16:38", _epoch("2020-09-04 20:09:38.962"))
    # 15 hours: wider than any zone
    clocks.observe("ws5", "TimeCreated", "2020-09-05T11:09:38Z", _epoch("2020-09-04 20:09:38"))
    assert clocks.runs == {}


def test_a_true_utc_time_created_is_left_alone() -> None:
    clocks = HostClocks()
    clocks.observe("ws5", "TimeCreated", "2020-11-02T12:00:01Z", _epoch("2020-11-02 12:00:00"))
    event = _event(ts=_epoch("2020-11-02 12:00:05"))
    clocks.date(event, "TimeCreated", "2020-11-02T12:00:05Z")
    assert event.ts == _epoch("2020-11-02 12:00:05")
    assert "event.timezone" not in event.fields


def test_each_record_takes_the_offset_of_its_own_time_whatever_order_they_came_in() -> None:
    # a backfill of last summer after this winter: the winter run must not date summer records
    clocks = HostClocks()
    clocks.observe("nyc02", "TimeCreated", "2021-01-15T07:00:00Z", _epoch("2021-01-15 12:00:00"))  # EST
    clocks.observe("nyc02", "TimeCreated", "2020-07-15T08:00:02Z", _epoch("2020-07-15 12:00:02"))  # EDT
    clocks.observe("nyc02", "TimeCreated", "2020-07-20T08:00:00Z", _epoch("2020-07-20 12:00:00"))
    assert [(run.offset, run.start, run.end) for run in clocks.runs[("nyc02", "TimeCreated")]] == [
        (-14400.0, _epoch("2020-07-15 12:00:02"), _epoch("2020-07-20 12:00:00")),
        (-18000.0, _epoch("2021-01-15 12:00:00"), _epoch("2021-01-15 12:00:00")),
    ]
    # as the parser gives them: dated as written until the clock rule
    summer = _event(host="nyc02", ts=_epoch("2020-07-15 08:00:00"))
    winter = _event(host="nyc02", ts=_epoch("2021-01-16 07:00:00"))
    clocks.date(summer, "TimeCreated", "2020-07-15T08:00:00Z")
    clocks.date(winter, "TimeCreated", "2021-01-16T07:00:00Z")
    assert summer.ts == _epoch("2020-07-15 12:00:00")
    assert winter.ts == _epoch("2021-01-16 12:00:00")


def test_an_offset_inside_a_run_cuts_it() -> None:
    clocks = HostClocks()
    for hour in (0, 12):
        clocks.observe("ws5", "TimeCreated", f"2020-10-27T{hour:02d}:00:00Z", _epoch(f"2020-10-27 {hour + 4:02d}:00:00"))
    clocks.observe("ws5", "TimeCreated", "2020-10-27T06:00:00Z", _epoch("2020-10-27 11:00:00"))  # -5 at 11:00
    offsets = [run.offset for run in clocks.runs[("ws5", "TimeCreated")]]
    assert offsets == [-14400.0, -18000.0, -14400.0]
    assert clocks.offset("ws5", "TimeCreated", _epoch("2020-10-27 06:00:00")) == -18000.0
    assert clocks.offset("ws5", "TimeCreated", _epoch("2020-10-27 01:00:00")) == -14400.0


def test_the_batch_is_dated_by_the_run_nearest_each_record_not_the_last_one() -> None:
    # the end of daylight saving time inside one batch: a logon at 20:00 local (EDT) comes
    # before the 00:00:05 UTC process, whatever the later EST observation says
    clocks = HostClocks()
    logon = _event(host="nyc01", ts=_epoch("2020-10-31 20:00:00"))
    clocks.date(logon, "TimeCreated", "2020-10-31T20:00:00Z")
    clocks.observe("nyc01", "TimeCreated", "2020-10-31T20:00:05Z", _epoch("2020-11-01 00:00:05"))
    clocks.observe("nyc01", "TimeCreated", "2020-11-01T07:00:00Z", _epoch("2020-11-01 12:00:00"))
    assert clocks.settle() == [logon]
    assert logon.ts == _epoch("2020-11-01 00:00:00")
    assert logon.fields["event.timezone"] == "-04:00"


def test_events_before_the_first_sysmon_record_are_settled_at_the_batch_end() -> None:
    clocks = HostClocks()
    early = _event(ts=_epoch("2020-09-04 20:09:40.845"))  # Logstash's receipt time
    other_host = _event(host="dc01", ts=_epoch("2020-09-04 20:09:41"))
    clocks.date(early, "EventTime", "2020-09-04 16:09:38")
    clocks.date(other_host, "EventTime", "2020-09-04 16:09:39")
    clocks.observe("ws5", "EventTime", "2020-09-04 16:09:38", _epoch("2020-09-04 20:09:38.962"))
    assert clocks.settle() == [early]
    assert early.ts == _epoch("2020-09-04 20:09:38")
    assert other_host.ts == _epoch("2020-09-04 20:09:41")  # no clock learnt for dc01: as written
    assert clocks.settle() == []  # each batch settles its own records once


def test_runs_round_trip_the_journal_and_another_writers_runs_are_merged(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        db = journal.connection
        first = HostClocks()
        first.observe("ws5", "TimeCreated", "2020-07-01T08:00:00Z", _epoch("2020-07-01 12:00:00"))
        with db:
            first.write(db)
        first.saved()
        # a second writer, loaded before, learnt the winter: both runs are kept
        second = HostClocks()
        second.observe("ws5", "TimeCreated", "2021-01-15T07:00:00Z", _epoch("2021-01-15 12:00:00"))
        with db:
            second.write(db)
        loaded = HostClocks().load(db)
        assert [run.offset for run in loaded.runs[("ws5", "TimeCreated")]] == [-14400.0, -18000.0]
        assert loaded.offset("ws5", "TimeCreated", _epoch("2020-07-02 08:00:00")) == -14400.0


# -- through the pipeline -----------------------------------------------------


def _nxlog(event_id: int, channel: str, created: str, **data: object) -> dict:
    return {"EventID": event_id, "Channel": channel, "Hostname": "WS5.corp.local", "TimeCreated": created, **data}


SECURITY_FIRST = [
    _nxlog(1102, "Security", "2020-10-27T08:28:50.000Z"),
    _nxlog(
        4688, "Security", "2020-10-27T08:28:57.061Z",
        NewProcessName="C:\\Tools\\mimikatz.exe", NewProcessId="0x27b4", ProcessId="0x2730",
        ParentProcessName="C:\\Windows\\System32\\cmd.exe", CommandLine="mimikatz.exe",
    ),
    _nxlog(
        1, "Microsoft-Windows-Sysmon/Operational", "2020-10-27T08:28:57.070Z",
        UtcTime="2020-10-27 12:28:57.069", Image="C:\\Tools\\mimikatz.exe", ProcessId="10164",
        ProcessGuid="{1b8c4b5e-1111-2222-3333-444455556666}", CommandLine="mimikatz.exe",
    ),
]


def _times(journal: Journal) -> dict[str, tuple[float, str | None]]:
    return {
        row.event.fields["event.code"]: (row.event.ts, row.event.fields.get("event.timezone"))
        for row in journal.iter_events()
    }


def test_a_file_that_starts_with_security_events_is_dated_by_its_sysmon_clock(journal: Journal) -> None:
    report = ingest_records(SECURITY_FIRST, store=None, journal=journal)
    assert (report.total.received, report.total.accepted) == (3, 3)
    times = _times(journal)
    assert times["4688"] == (pytest.approx(_epoch("2020-10-27 12:28:57.061")), "-04:00")
    assert times["1102"] == (pytest.approx(_epoch("2020-10-27 12:28:50")), "-04:00")
    assert times["1"] == (pytest.approx(_epoch("2020-10-27 12:28:57.069")), None)  # Sysmon: its UtcTime


def test_a_later_ingest_call_dates_by_what_an_earlier_call_learnt(journal: Journal) -> None:
    ingest_records(SECURITY_FIRST[2:], store=None, journal=journal)
    later = _nxlog(4624, "Security", "2020-10-27T09:00:00.000Z", TargetUserName="bob", LogonType="3")
    ingest_records([later], store=None, journal=journal)
    assert _times(journal)["4624"] == (pytest.approx(_epoch("2020-10-27 13:00:00")), "-04:00")


def test_a_host_whose_time_created_is_true_utc_keeps_it(journal: Journal) -> None:
    records = [dict(record) for record in SECURITY_FIRST]
    for record in records:  # the same events from a collector that writes UTC
        hour = int(record["TimeCreated"][11:13]) + 4
        record["TimeCreated"] = record["TimeCreated"][:11] + f"{hour:02d}" + record["TimeCreated"][13:]
    ingest_records(records, store=None, journal=journal)
    times = _times(journal)
    assert times["4688"] == (pytest.approx(_epoch("2020-10-27 12:28:57.061")), None)
    assert times["1102"] == (pytest.approx(_epoch("2020-10-27 12:28:50")), None)


def test_nxlog_behind_logstash_is_dated_by_event_time_not_the_collector(journal: Journal) -> None:
    def logstash(event_id: int, channel: str, local: str, received: str, **data: object) -> dict:
        return {
            "EventID": event_id, "Channel": channel, "Hostname": "WS5.corp.local", "EventTime": local,
            "EventReceivedTime": local, "@timestamp": received, "@version": "1", "host": "wec.corp.local", **data,
        }

    records = [
        logstash(5158, "Security", "2020-09-04 16:09:38", "2020-09-04T20:09:40.845Z"),
        logstash(
            11, "Microsoft-Windows-Sysmon/Operational", "2020-09-04 16:09:38", "2020-09-04T20:09:40.845Z",
            UtcTime="2020-09-04 20:09:38.962", TargetFilename="C:\\x.txt", Image="C:\\w.exe", ProcessId="1",
        ),
    ]
    ingest_records(records, store=None, journal=journal)
    assert _times(journal)["5158"] == (_epoch("2020-09-04 20:09:38"), "-04:00")


def test_the_otrf_herpaderping_security_events_line_up_with_sysmon(corpus: Path, tmp_path: Path) -> None:
    path = corpus / "otrf-security-datasets" / "cmd_process_herpaderping_snippingtool_2020-10-2708290130.json"
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([path], store=None, journal=journal, progress=False)
        created = {}
        for event in (row.event for row in journal.iter_events()):
            image = str(event.fields.get("process.executable") or "").lower()
            if image.endswith("processherpaderping.exe") and event.kind.endswith(":process_create"):
                created[event.kind] = event.ts
    # Security 4688 and Sysmon 1 of the same process creation: the same moment, not four hours apart
    assert abs(created["winsec:process_create"] - created["sysmon:process_create"]) < 2.0


def test_a_backfill_of_another_season_does_not_move_the_later_calls(journal: Journal) -> None:
    # three ingest calls: winter, then last summer's backfill, then winter again (the audit's case)
    def record(event_id: int, channel: str, created: str, **data: object) -> dict:
        return {"EventID": event_id, "Channel": channel, "Hostname": "NYC02", "TimeCreated": created, **data}

    sysmon = "Microsoft-Windows-Sysmon/Operational"
    process = {"Image": "C:\\w.exe", "ProcessId": "1", "ProcessGuid": "{1b8c4b5e-1111-2222-3333-444455556666}"}
    ingest_records([record(1, sysmon, "2021-01-15T07:00:00Z", UtcTime="2021-01-15 12:00:00", **process)],
                   store=None, journal=journal)
    ingest_records([record(4624, "Security", "2020-07-15T08:00:00Z", TargetUserName="a", LogonType="3"),
                    record(1, sysmon, "2020-07-15T08:00:02Z", UtcTime="2020-07-15 12:00:02", **process)],
                   store=None, journal=journal)
    ingest_records([record(4625, "Security", "2021-01-16T07:00:00Z", TargetUserName="b", LogonType="3")],
                   store=None, journal=journal)
    times = _times(journal)
    assert times["4624"] == (_epoch("2020-07-15 12:00:00"), "-04:00")
    assert times["4625"] == (_epoch("2021-01-16 12:00:00"), "-05:00")


def test_only_the_sysmon_channel_teaches_a_clock(journal: Journal) -> None:
    crafted = _nxlog(1000, "Application", "2020-10-27T04:00:00.000Z", UtcTime="2020-10-27 08:00:00.000")
    logon = _nxlog(4624, "Security", "2020-10-27T09:00:00.000Z", TargetUserName="bob", LogonType="3")
    ingest_records([crafted, logon], store=None, journal=journal)
    assert _times(journal)["4624"] == (_epoch("2020-10-27 09:00:00"), None)


def test_re_dating_at_the_commit_keeps_the_ingest_s_time_window(journal: Journal) -> None:
    # the window ends at 10:00; the logon, read before the Sysmon record that teaches -4 h,
    # would move to 12:00: it keeps the time it was checked with instead of leaving the window
    logon = _nxlog(4624, "Security", "2020-10-27T08:00:00.000Z", TargetUserName="bob", LogonType="3")
    sysmon = _nxlog(1, "Microsoft-Windows-Sysmon/Operational", "2020-10-27T05:00:00.000Z",
                    UtcTime="2020-10-27 09:00:00.000", Image="C:\\w.exe", ProcessId="1")
    window = (_epoch("2020-10-01 00:00:00"), _epoch("2020-10-27 10:00:00"))
    ingest_records([logon, sysmon], store=None, journal=journal, time_window=window)
    assert _times(journal)["4624"] == (_epoch("2020-10-27 08:00:00"), None)
