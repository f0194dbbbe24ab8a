"""A lease under another machine's name gives way to the host seen using the address (red team T17).

A compromised workstation that renews its DHCP lease naming itself ``ws-v``
had every sensor record of its own traffic attributed to ws-v for the
lease's day, though its own Sysmon network events kept proving it held the
address (``ingest/ipmap_sightings.py``).  Each test runs both learning orders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.ipmap import ENDPOINT_SLACK, IpHostMap
from ingest.ipmap_evidence import holders, mapped_hosts
from ingest.journal import Journal
from ingest.journal_mapped_events import held_ranges
from ingest.pipeline import ingest_paths

H = 3600.0
IP = "10.1.5.5"
C2 = "203.0.113.66"


def _sightings(ipmap: IpHostMap, host: str, first: float, last: float) -> None:
    ts = first
    while ts <= last:
        ipmap.add_endpoint(IP, host, ts)
        ts += 300.0


@pytest.mark.parametrize("lease_first", [True, False])
def test_a_host_seen_using_the_address_after_a_lease_under_another_name_keeps_it(lease_first):
    ipmap = IpHostMap()
    if lease_first:
        ipmap.add_lease(IP, "ws-v", 10 * H, 86400.0)
    _sightings(ipmap, "ws-a", 8 * H, 14 * H)  # ws-a's own connections, every 5 minutes until 14:00
    if not lease_first:
        ipmap.add_lease(IP, "ws-v", 10 * H, 86400.0)
    assert [ipmap.lookup(IP, h * H) for h in (9, 10.5, 12, 14.9)] == ["ws-a"] * 4
    # an hour after ws-a's last sighting the lease's name holds again
    assert ipmap.lookup(IP, 15.1 * H) == "ws-v"


@pytest.mark.parametrize("lease_first", [True, False])
def test_an_address_that_moved_goes_to_the_new_lease(lease_first):
    ipmap = IpHostMap()
    if lease_first:
        ipmap.add_lease(IP, "ws-b", 10 * H, 86400.0)
    _sightings(ipmap, "ws-a", 8 * H, 10 * H - 60)  # last seen a minute before ws-b's lease
    if not lease_first:
        ipmap.add_lease(IP, "ws-b", 10 * H, 86400.0)
    assert ipmap.lookup(IP, 9 * H) == "ws-a"
    assert ipmap.lookup(IP, 10 * H + 1) == ipmap.lookup(IP, 10.9 * H) == "ws-b"
    assert ipmap.lookup(IP, 10 * H - 60 + ENDPOINT_SLACK - 1) == "ws-b"


# -- through the ingest: the graph, the evidence and the host's timeline -------------------------


def _sysmon_3(when: str) -> dict[str, Any]:
    return {"Hostname": "WS-A.corp.example", "EventID": 3, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "UtcTime": f"2024-03-05 {when}.000", "Image": "C:\\Windows\\System32\\svchost.exe", "ProcessId": "880",
            "Protocol": "tcp", "Initiated": "true", "SourceIp": IP, "SourcePort": "50100",
            "SourceHostname": "-", "DestinationIp": "10.1.0.10", "DestinationPort": "445",
            "DestinationHostname": "-"}


def _zeek_dhcp() -> dict[str, Any]:  # ws-a's renewal naming itself ws-v: one DHCP packet, no log forged
    return {"_path": "dhcp", "ts": "2024-03-05T10:00:00Z", "uids": ["C1"], "mac": "00:11:22:33:44:aa",
            "host_name": "ws-v", "assigned_addr": IP, "lease_time": 86400.0, "msg_types": ["REQUEST", "ACK"]}


def _zeek_conn() -> dict[str, Any]:  # ws-a's beacon to its C2 at noon
    return {"_path": "conn", "ts": "2024-03-05T12:00:00Z", "uid": "Cbeacon", "id.orig_h": IP, "id.orig_p": 50000,
            "id.resp_h": C2, "id.resp_p": 443, "proto": "tcp"}


@pytest.mark.parametrize("lease_first", [True, False])
def test_the_renamed_lease_does_not_take_the_hosts_traffic_in_graph_evidence_or_timeline(
    tmp_path: Path, journal: Journal, graph, lease_first: bool
) -> None:
    sysmon = [_sysmon_3(f"{hour:02d}:{minute:02d}:00") for hour in range(8, 14) for minute in range(0, 60, 10)]
    records = [_zeek_dhcp(), *sysmon] if lease_first else [*sysmon, _zeek_dhcp()]
    path = tmp_path / "records.ndjson"
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in [*records, _zeek_conn()]))
    report = ingest_paths([path], store=graph, journal=journal, progress=False)
    assert report.total.received == report.total.accepted == len(records) + 1

    beacon = {(r.src, r.dst) for r in graph.iter_relations("CONNECTED") if r.dst == ("ip", C2)}
    assert beacon == {(("host", "ws-a"), ("ip", C2))}

    db = journal.connection
    noon = next(row.event for row in journal.iter_events() if row.event.kind == "zeek:conn").ts
    assert holders(db, [(IP, noon)])[(IP, noon)][0] == "ws-a"
    conn = next(row.event for row in journal.iter_events() if row.event.kind == "zeek:conn")
    assert [m.host for m in mapped_hosts(db, [conn])[conn.id]] == ["ws-a"]
    assert any(r.ip == IP and r.lo <= noon <= r.hi for r in held_ranges(db, "ws-a"))
    assert not any(r.ip == IP and r.lo <= noon <= r.hi for r in held_ranges(db, "ws-v"))
