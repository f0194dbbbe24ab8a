"""Rule 6 (``ingest.host_clocks``) re-dates flow-cache gaps only: not a zone change, not a backlog.

A laptop that flies from +01:00 to -05:00 writes its NXLog ``EventTime`` in the
new zone at once, while the host's runs still hold the old one until another
Sysmon record teaches the new: its network connections (event 3 teaches no
clock) must keep their true ``UtcTime``.  A pipeline that stamps Winlogbeat's
``@timestamp`` at delivery, hours after a backlog was written, is no skew either.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graphsiem.model import Event
from ingest.host_clocks import HostClocks
from ingest.journal import Journal
from ingest.pipeline import ingest_records

SYSMON = "Microsoft-Windows-Sysmon/Operational"
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # at +01:00
T1 = datetime(2026, 11, 2, 18, 0, 30, tzinfo=UTC)  # after the flight, at -05:00


def _nxlog(serial: int, utc: datetime, local_hours: int, event_id: int = 1, written: datetime | None = None) -> dict:
    """An NXLog Sysmon record whose ``EventTime`` is the host's local time without a zone."""
    local = (written or utc) + timedelta(hours=local_hours)
    record = {
        "EventTime": local.strftime("%Y-%m-%d %H:%M:%S"), "Hostname": "laptop1.corp", "Channel": SYSMON,
        "EventID": event_id, "SourceName": "Microsoft-Windows-Sysmon",
        "UtcTime": utc.strftime("%Y-%m-%d %H:%M:%S.000"),
        "ProcessGuid": f"{{905CC552-0000-0000-0000-{serial:012d}}}", "ProcessId": str(1000 + serial),
        "Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": f"cmd /c echo {serial}",
        "ParentImage": "C:\\Windows\\explorer.exe", "User": "CORP\\bob",
    }
    if event_id == 3:
        record.update(Protocol="tcp", Initiated="true", SourceIp="10.0.0.5", SourcePort=str(5000 + serial),
                      DestinationIp="10.9.9.9", DestinationPort="443")
    return record


def _travel() -> list[dict]:
    before = [_nxlog(i, T0 + timedelta(minutes=i), 1) for i in range(30)]
    connections = [_nxlog(200 + k, T1 + timedelta(seconds=30 * k), -5, event_id=3) for k in range(20)]
    after = [_nxlog(100 + i, T1 + timedelta(minutes=10, seconds=10 * i), -5) for i in range(12)]
    return before + connections + after


def test_a_travelling_laptop_s_connections_keep_their_utc_time(journal: Journal) -> None:
    ingest_records(_travel(), store=None, journal=journal)
    events = [row.event for row in journal.iter_events()]
    assert len(events) == 62
    assert [e.fields["event.time_note"] for e in events if "event.time_note" in e.fields] == []
    connections = sorted(e.ts for e in events if e.fields["event.code"] == "3")
    assert connections == [(T1 + timedelta(seconds=30 * k)).timestamp() for k in range(20)]


def test_a_flow_cache_gap_after_the_flight_is_read_in_the_new_zone(journal: Journal) -> None:
    # an 11-day-old flow reported right after the flight, before the new zone is learnt:
    # judged at the batch's end, its written time is read at -05:00 (not the old +01:00)
    records = _travel()
    stale = _nxlog(300, T1 - timedelta(days=11), -5, event_id=3, written=T1 + timedelta(seconds=5))
    records.insert(30, stale)
    ingest_records(records, store=None, journal=journal)
    moved = [row.event for row in journal.iter_events() if "event.time_note" in row.event.fields]
    assert len(moved) == 1
    assert moved[0].ts == (T1 + timedelta(seconds=5)).timestamp()
    assert moved[0].fields["event.timezone"] == "-05:00"
    assert moved[0].fields["sysmon.utc_time"] == (T1 - timedelta(days=11)).strftime("%Y-%m-%d %H:%M:%S.000")


def _winlogbeat(timestamp: datetime, utc: datetime, command: str) -> dict:
    return {
        "@timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "log_name": SYSMON,
        "source_name": "Microsoft-Windows-Sysmon", "event_id": 1, "computer_name": "srv1.corp",
        "event_data": {"UtcTime": utc.strftime("%Y-%m-%d %H:%M:%S.000"), "CommandLine": command,
                       "ProcessGuid": "{905CC552-0000-0000-0000-000000000001}", "ProcessId": "4242",
                       "Image": "C:\\Windows\\System32\\cmd.exe"},
    }


def test_a_backlog_stamped_at_delivery_keeps_its_utc_time(journal: Journal) -> None:
    live = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
    records = [_winlogbeat(live + timedelta(minutes=i), live + timedelta(minutes=i), f"a{i}") for i in range(30)]
    # written from 10:00, delivered at once at 13:05: @timestamp is the delivery
    written, delivered = datetime(2026, 11, 2, 10, 0, tzinfo=UTC), datetime(2026, 11, 2, 13, 5, tzinfo=UTC)
    records += [_winlogbeat(delivered + timedelta(seconds=i), written + timedelta(minutes=i), f"b{i}")
                for i in range(20)]
    ingest_records(records, store=None, journal=journal)
    events = [row.event for row in journal.iter_events()]
    assert len(events) == 50
    assert [e.fields["event.time_note"] for e in events if "event.time_note" in e.fields] == []
    backlog = sorted(e.ts for e in events if e.fields["process.command_line"].startswith("b"))
    assert backlog == [(written + timedelta(minutes=i)).timestamp() for i in range(20)]


def test_the_clock_defers_a_disagreeing_record_although_its_host_has_runs() -> None:
    clocks = HostClocks()
    clocks.observe("laptop1", "EventTime", "2026-11-02 11:00:00", T0.timestamp())  # +01:00 learnt
    utc = T1 - timedelta(days=11)
    flow = Event("", "sysmon:network_connect", utc.timestamp(), "laptop1", "nxlog", {}, "t:1", None)
    clocks.check_utc_time(flow, "EventTime", "2026-11-02 13:00:35", utc.strftime("%Y-%m-%d %H:%M:%S.000"))
    assert flow.ts == utc.timestamp() and flow.fields == {}  # not judged by the old zone at once
    clocks.observe("laptop1", "EventTime", "2026-11-02 13:10:30", (T1 + timedelta(minutes=10)).timestamp())
    assert clocks.settle() == [flow]
    assert flow.ts == (T1 + timedelta(seconds=5)).timestamp()
