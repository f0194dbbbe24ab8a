"""Collector shapes: one Windows event as Winlogbeat 8 and as NXLog flat JSON."""

from __future__ import annotations

from graphsiem.simulator.collectors import to_nxlog, to_winlogbeat
from graphsiem.simulator.fleet import build_fleet
from graphsiem.simulator.winevents import SYSTEM_ACCOUNT, logon, script_block

TS = 1793527323.25  # 2026-11-01T10:02:03.250Z


def _host():
    return build_fleet(10, 1, 1793491200.0, seed=3)[0]


def test_winlogbeat_keeps_event_data_nested_with_string_ids():
    host = _host()
    event = script_block(TS, text="Get-Date", block_id="abc", path="", account=SYSTEM_ACCOUNT, pid=5124)
    document = to_winlogbeat(event, host, 42, TS + 1)
    assert document["@timestamp"] == "2026-11-01T10:02:03.250Z"
    assert document["event"]["code"] == "4104"
    winlog = document["winlog"]
    assert (winlog["event_id"], winlog["record_id"]) == ("4104", "42")
    assert winlog["channel"] == "Microsoft-Windows-PowerShell/Operational"
    assert winlog["computer_name"] == host.computer_name
    assert winlog["event_data"]["ScriptBlockText"] == "Get-Date"
    assert winlog["process"]["pid"] == 5124  # written by the PowerShell process that ran the block
    assert document["host"]["name"] == host.short


def test_nxlog_is_flat_with_local_zone_less_event_time():
    host = _host()
    event = logon(TS, logon_type=3, target=("CORP", "svc-deploy", "S-1-5-21-1"), target_logon_id="0x1",
                  workstation="IT-0001", ip="10.32.0.9", port=50123, logon_guid="{0}",
                  process=("0x0", "-"))
    utc = to_nxlog(event, host, 7, TS + 1, "UTC")
    berlin = to_nxlog(event, host, 7, TS + 1, "Europe/Berlin")
    assert (utc["EventID"], utc["Channel"], utc["Hostname"]) == (4624, "Security", host.computer_name)
    assert utc["EventTime"] == "2026-11-01 10:02:03"
    assert berlin["EventTime"] == "2026-11-01 11:02:03"
    assert utc["TargetUserName"] == "svc-deploy" and utc["IpAddress"] == "10.32.0.9"
    assert utc["Keywords"] == -9214364837600034816 and utc["EventType"] == "AUDIT_SUCCESS"
