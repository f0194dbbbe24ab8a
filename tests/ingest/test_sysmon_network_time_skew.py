"""A Sysmon ``UtcTime`` far from its record's written time gives way to that time (``ingest.host_clocks``).

The OTRF ``empire_enable_rdp`` file's 63 Sysmon network connections (event 3)
on HR001 say ``UtcTime`` 11.4 days before their own ``@timestamp`` (Sysmon
dates a connection at the first packet of the flow it caches), while every
other Sysmon event of the host agrees within seconds: the Empire agent's C2
connection was dated eleven days before the attack.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from graphsiem.model import Event
from ingest.host_clocks import RECORD_TIME, HostClocks
from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def _winlogbeat(host: str, event_id: int, timestamp: str, utc: str, **data: str) -> dict:
    """A Winlogbeat 6.7 Sysmon record as the empire_enable_rdp file writes them."""
    return {
        "@timestamp": timestamp, "log_name": SYSMON, "source_name": "Microsoft-Windows-Sysmon",
        "event_id": event_id, "computer_name": host, "host": {"name": "WECserver"},
        "event_data": {"UtcTime": utc, "ProcessGuid": "{905CC552-0000-0000-0000-000000000001}",
                       "ProcessId": "4242", "Image": "C:\\Windows\\System32\\notepad.exe", **data},
    }


def _connection(host: str, timestamp: str, utc: str, source_ip: str = "172.18.39.106") -> dict:
    return _winlogbeat(
        host, 3, timestamp, utc, Protocol="tcp", Initiated="true", SourceIp=source_ip, SourcePort="50123",
        DestinationIp="10.0.10.106", DestinationPort="443", User="SHIRE\\nmartha",
    )


def _registry(host: str, timestamp: str, utc: str) -> dict:
    return _winlogbeat(host, 12, timestamp, utc, EventType="CreateKey", TargetObject="HKLM\\SOFTWARE\\x")


def _events(journal: Journal) -> list[Event]:
    return [row.event for row in journal.iter_events()]


def test_a_connection_eleven_days_behind_its_record_is_dated_by_the_record(journal: Journal) -> None:
    records = [
        _registry("HR001.shire.com", "2019-05-18T20:36:47.262Z", "2019-05-18 20:36:47.253"),
        _connection("HR001.shire.com", "2019-05-18T20:36:48.363Z", "2019-05-07 11:50:05.128"),
        _registry("HR001.shire.com", "2019-05-18T20:36:49.025Z", "2019-05-18 20:36:48.988"),
        # a host whose every written time is days after UtcTime (a backfilled collector):
        # nothing says its record times are true, so its UtcTime stands
        _registry("IT002.shire.com", "2019-05-28T20:36:47.000Z", "2019-05-18 20:36:47.000"),
        _connection("IT002.shire.com", "2019-05-28T20:36:48.000Z", "2019-05-18 20:36:48.000", "172.18.39.107"),
    ]
    report = ingest_records(records, store=None, journal=journal)
    assert (report.total.received, report.total.accepted) == (5, 5)
    by_host_code = {(event.host, event.fields["event.code"]): event for event in _events(journal)}
    connection = by_host_code[("hr001", "3")]
    assert connection.ts == _epoch("2019-05-18 20:36:48.363")
    assert connection.fields["sysmon.utc_time"] == "2019-05-07 11:50:05.128"
    assert connection.fields["event.time_note"] == (
        "time from the record (its own timestamp): Sysmon's UtcTime was 11.4 days earlier"
    )
    assert "event.timezone" not in connection.fields  # the record's time is UTC: no zone was applied
    # the host's other Sysmon events keep their UtcTime, and say nothing
    registry = [event for event in _events(journal) if event.host == "hr001" and event.fields["event.code"] == "12"]
    assert sorted(event.ts for event in registry) == [
        _epoch("2019-05-18 20:36:47.253"), _epoch("2019-05-18 20:36:48.988")
    ]
    assert all("event.time_note" not in event.fields for event in registry)
    backfilled = by_host_code[("it002", "3")]
    assert backfilled.ts == _epoch("2019-05-18 20:36:48")
    assert "event.time_note" not in backfilled.fields and "sysmon.utc_time" not in backfilled.fields
    # the IP map learns where the host really was at that time
    rows = journal.connection.execute("SELECT start, end FROM ip_hosts WHERE host = 'hr001'").fetchall()
    assert rows and all(start <= _epoch("2019-05-18 20:36:48.363") <= end for start, end in rows)


def test_a_skewed_connection_before_any_other_event_of_its_host_is_dated_at_the_commit(journal: Journal) -> None:
    records = [
        _connection("HR001.shire.com", "2019-05-18T20:36:48.363Z", "2019-05-07 11:50:05.128"),
        _registry("HR001.shire.com", "2019-05-18T20:36:49.025Z", "2019-05-18 20:36:48.988"),
    ]
    ingest_records(records, store=None, journal=journal)
    connection = next(event for event in _events(journal) if event.fields["event.code"] == "3")
    assert connection.ts == _epoch("2019-05-18 20:36:48.363")
    # re-dated at the commit, the journaled fields say so too
    assert connection.fields["sysmon.utc_time"] == "2019-05-07 11:50:05.128"


def _nxlog(event_id: int, channel: str, created: str, **data: str) -> dict:
    return {"EventID": event_id, "Channel": channel, "Hostname": "WS5.theshire.local", "TimeCreated": created, **data}


def test_a_host_that_writes_local_time_as_z_is_judged_by_its_learnt_offset(journal: Journal) -> None:
    # the 2020-10 OTRF NXLog trap: TimeCreated is local time (UTC-4) with a Z
    process = {"Image": "C:\\w.exe", "ProcessId": "1", "ProcessGuid": "{1b8c4b5e-1111-2222-3333-444455556666}"}
    connection = {**process, "Protocol": "tcp", "SourceIp": "192.168.2.5", "DestinationIp": "10.0.0.9",
                  "SourcePort": "50000", "DestinationPort": "443", "Initiated": "true"}
    records = [
        _nxlog(1, SYSMON, "2020-10-27T08:28:57.070Z", UtcTime="2020-10-27 12:28:57.069", **process),
        # four hours (and 50 s of a flow) from its TimeCreated: that is the host's zone, UtcTime stands
        _nxlog(3, SYSMON, "2020-10-27T08:29:47.000Z", UtcTime="2020-10-27 12:28:57.500", **connection),
        # eleven days before: dated by TimeCreated read in the host's zone
        _nxlog(3, SYSMON, "2020-10-27T08:30:00.000Z", UtcTime="2020-10-16 02:00:00.000",
               **{**connection, "DestinationPort": "8443"}),
    ]
    ingest_records(records, store=None, journal=journal)
    connections = {event.fields["destination.port"]: event for event in _events(journal)
                   if event.fields["event.code"] == "3"}
    assert connections[443].ts == _epoch("2020-10-27 12:28:57.5")
    assert "event.time_note" not in connections[443].fields
    assert connections[8443].ts == _epoch("2020-10-27 12:30:00")
    assert connections[8443].fields["event.timezone"] == "-04:00"
    assert connections[8443].fields["sysmon.utc_time"] == "2020-10-16 02:00:00.000"
    assert "TimeCreated" in connections[8443].fields["event.time_note"]


def test_a_connection_s_utc_time_teaches_no_host_clock(journal: Journal) -> None:
    # a flow cached two hours: TimeCreated (true UTC) two hours after UtcTime, a whole number
    # of quarter hours that would read as a zone; the logon after it must keep its true time
    flow = _nxlog(3, SYSMON, "2020-10-27T12:00:00.000Z", UtcTime="2020-10-27 10:00:00.000", Image="C:\\w.exe",
                  ProcessId="1", Protocol="tcp", SourceIp="192.168.2.5", DestinationIp="10.0.0.9",
                  SourcePort="50000", DestinationPort="443")
    logon = _nxlog(4624, "Security", "2020-10-27T12:00:05.000Z", TargetUserName="bob", LogonType="3")
    ingest_records([flow, logon], store=None, journal=journal)
    logons = [event for event in _events(journal) if event.fields["event.code"] == "4624"]
    assert logons[0].ts == _epoch("2020-10-27 12:00:05")
    assert "event.timezone" not in logons[0].fields


def test_the_clock_alone_judges_by_the_run_learnt_later_in_the_batch() -> None:
    clocks = HostClocks()
    skewed = Event("", "sysmon:network_connect", _epoch("2019-05-07 11:50:05.128"), "hr001", "winlogbeat", {},
                   "t:17", None)
    clocks.check_utc_time(skewed, RECORD_TIME, "2019-05-18T20:36:48.363Z", "2019-05-07 11:50:05.128")
    assert skewed.ts == _epoch("2019-05-07 11:50:05.128")  # nothing learnt of hr001 yet
    clocks.observe("hr001", RECORD_TIME, "2019-05-18T20:36:49.025Z", _epoch("2019-05-18 20:36:48.988"))
    assert clocks.settle() == [skewed]
    assert skewed.ts == _epoch("2019-05-18 20:36:48.363")


def test_hr001_network_connections_of_the_otrf_enable_rdp_file_are_dated_on_the_attack_day(
    corpus: Path, tmp_path: Path
) -> None:
    path = corpus / "otrf-security-datasets" / "empire_enable_rdp_2019-05-18203650.json"
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([path], store=None, journal=journal, progress=False)
        events = _events(journal)
        ip_rows = journal.connection.execute(
            "SELECT start, end FROM ip_hosts WHERE host = 'hr001' AND ip = '172.18.39.106'"
        ).fetchall()
    attack_day = (_epoch("2019-05-18 00:00:00"), _epoch("2019-05-19 00:00:00"))
    hr001_connections = [e for e in events if e.host == "hr001" and e.kind == "sysmon:network_connect"]
    assert len(hr001_connections) == 63
    assert all(attack_day[0] <= event.ts < attack_day[1] for event in hr001_connections)
    assert all(event.fields["sysmon.utc_time"].startswith("2019-05-07") for event in hr001_connections)
    assert all("11.4 days earlier" in event.fields["event.time_note"] for event in hr001_connections)
    # the Empire agent's C2: notepad.exe -> 10.0.10.106:443, at its record's time (line 17)
    c2 = [e for e in hr001_connections if e.fields.get("destination.ip") == "10.0.10.106"]
    assert c2 and min(event.ts for event in c2) == _epoch("2019-05-18 20:36:48.363")
    # no other event of the file was judged skewed
    others = [e for e in events if "event.time_note" in e.fields and e not in hr001_connections]
    assert others == []
    assert ip_rows and all(attack_day[0] <= start and end < attack_day[1] for start, end in ip_rows)


def test_the_journal_keeps_the_learnt_record_clock(journal: Journal) -> None:
    ingest_records([_registry("HR001.shire.com", "2019-05-18T20:36:47.262Z", "2019-05-18 20:36:47.253")],
                   store=None, journal=journal)
    later = _connection("HR001.shire.com", "2019-05-18T20:37:48.363Z", "2019-05-07 11:51:05.128")
    ingest_records([later], store=None, journal=journal)  # a later call judges by what the first learnt
    connection = next(event for event in _events(journal) if event.fields["event.code"] == "3")
    assert connection.ts == _epoch("2019-05-18 20:37:48.363")
    rows = sqlite3.connect(journal.path).execute("SELECT host, field, offset FROM host_clocks").fetchall()
    assert rows == [("hr001", RECORD_TIME, 0.0)]
