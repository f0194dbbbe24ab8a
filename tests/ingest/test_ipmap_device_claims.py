"""A network device's name for an address ranks below a host's own evidence (task T17B).

A CEF ``shost`` (or a LEEF ``identHostName``) is a device's word over syslog,
which any machine on the network can send.  One forged line naming ``ws-v`` as
the machine at ws-a's address counted as ws-v's own sighting for an hour either
side: ws-a's sensor-seen traffic (its C2 beacon) was drawn from ws-v for two
hours, and by the lease rule (``ingest/ipmap_sightings.py``) the line outranked
a lease too.  Now a device's claim is source ``device``: it holds an address only
where no lease or sighting does.  Each test runs both learning orders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.ipmap import IpHostMap
from ingest.ipmap_evidence import holders, mapped_hosts
from ingest.journal import Journal
from ingest.journal_mapped_events import held_ranges
from ingest.pipeline import ingest_paths
from tests.ingest.test_ipmap_sightings import IP, _sysmon_3  # ws-a's own Sysmon 3 at IP

H = 3600.0
C2 = "203.0.113.66"


def _forged_cef(when: str) -> str:
    """One syslog line anyone can send: a 'firewall' naming ws-v as the machine at ws-a's address."""
    return ("<134>Mar  5 12:00:00 fw01 CEF:0|Example Corp|Edge Firewall|2.1|100|Allowed|3|"
            f"src={IP} spt=50999 dst=10.1.0.10 dpt=445 shost=ws-v rt=Mar 05 2024 {when} UTC\n")


def _zeek_conn(when: str) -> dict[str, Any]:  # ws-a's beacon to its C2
    return {"_path": "conn", "ts": f"2024-03-05T{when}Z", "uid": f"C{when[:2]}", "id.orig_h": IP,
            "id.orig_p": 50000, "id.resp_h": C2, "id.resp_p": 443, "proto": "tcp"}


def _ndjson(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    return path


@pytest.mark.parametrize("claim_first", [True, False])
def test_a_devices_claim_gives_way_to_the_hosts_own_sightings_on_the_map(claim_first: bool) -> None:
    ipmap = IpHostMap()
    if claim_first:
        ipmap.add_claim(IP, "ws-v", 12 * H)
    for n in range(8 * 12, 14 * 12 + 1):  # ws-a's own connections every 5 minutes, 08:00 to 14:00
        ipmap.add_endpoint(IP, "ws-a", n * 300.0)
    if not claim_first:
        ipmap.add_claim(IP, "ws-v", 12 * H)
    assert [ipmap.lookup(IP, h * H) for h in (11, 11.5, 12, 12.5, 13)] == ["ws-a"] * 5


@pytest.mark.parametrize("claim_first", [True, False])
def test_a_devices_claim_gives_way_to_a_lease(claim_first: bool) -> None:
    ipmap = IpHostMap()
    if claim_first:
        ipmap.add_claim(IP, "ws-v", 12 * H)
    ipmap.add_lease(IP, "ws-a", 10 * H, 86400.0)
    if not claim_first:
        ipmap.add_claim(IP, "ws-v", 12 * H)
    assert [ipmap.lookup(IP, h * H) for h in (11.5, 12, 12.5)] == ["ws-a"] * 3
    # and the lease's own rule still holds under it: nobody else was sighted
    assert [i.source for i in ipmap.intervals(IP)] in (["dhcp", "device"], ["device", "dhcp"])


def test_where_only_a_device_names_the_address_its_claim_holds() -> None:
    ipmap = IpHostMap()
    ipmap.add_claim(IP, "ws-v", 12 * H)
    ipmap.add_endpoint(IP, "ws-a", 9 * H)  # ws-a was here in the morning: its sighting ends at 10:00
    assert ipmap.lookup(IP, 12 * H) == ipmap.lookup(IP, 11.5 * H) == "ws-v"
    assert ipmap.lookup(IP, 9.5 * H) == "ws-a"


# -- through the ingest: the graph, the evidence and the host's timeline -------------------------


@pytest.mark.parametrize("claim_first", [True, False])
def test_a_forged_cef_line_does_not_take_the_hosts_traffic_in_graph_evidence_or_timeline(
    tmp_path: Path, journal: Journal, graph, claim_first: bool
) -> None:
    cef = tmp_path / "fw.log"
    cef.write_text(_forged_cef("12:00:00"), encoding="utf-8")
    sysmon = _ndjson(tmp_path / "sysmon.ndjson",
                     [_sysmon_3(f"{hour:02d}:{minute:02d}:00") for hour in range(8, 14) for minute in range(0, 60, 10)])
    first, second = (cef, sysmon) if claim_first else (sysmon, cef)
    received = 0
    for path in (first, second, _ndjson(tmp_path / "conn.ndjson", [_zeek_conn("12:05:00")])):
        report = ingest_paths([path], store=graph, journal=journal, progress=False, reference_year=2024)
        assert report.total.received == report.total.accepted
        received += report.total.received
    assert received == 36 + 2

    beacon = {(r.src, r.dst) for r in graph.iter_relations("CONNECTED") if r.dst == ("ip", C2)}
    assert beacon == {(("host", "ws-a"), ("ip", C2))}

    db = journal.connection
    conn = next(row.event for row in journal.iter_events() if row.event.kind == "zeek:conn")
    assert holders(db, [(IP, conn.ts)])[(IP, conn.ts)][0] == "ws-a"
    assert [m.host for m in mapped_hosts(db, [conn])[conn.id]] == ["ws-a"]
    assert any(r.ip == IP and r.lo <= conn.ts <= r.hi for r in held_ranges(db, "ws-a"))
    assert not any(r.ip == IP and r.lo <= conn.ts <= r.hi for r in held_ranges(db, "ws-v"))


def test_where_only_a_cef_device_names_the_address_the_traffic_is_its_hosts(
    tmp_path: Path, journal: Journal, graph
) -> None:
    cef = tmp_path / "fw.log"
    cef.write_text(_forged_cef("12:00:00"), encoding="utf-8")
    for path in (cef, _ndjson(tmp_path / "conn.ndjson", [_zeek_conn("12:05:00")])):
        ingest_paths([path], store=graph, journal=journal, progress=False, reference_year=2024)
    beacon = {(r.src, r.dst) for r in graph.iter_relations("CONNECTED") if r.dst == ("ip", C2)}
    assert beacon == {(("host", "ws-v"), ("ip", C2))}
    db = journal.connection
    conn = next(row.event for row in journal.iter_events() if row.event.kind == "zeek:conn")
    found = holders(db, [(IP, conn.ts)])[(IP, conn.ts)]
    assert (found[0], found[3]) == ("ws-v", "device")
    assert any(r.ip == IP and r.lo <= conn.ts <= r.hi for r in held_ranges(db, "ws-v"))
