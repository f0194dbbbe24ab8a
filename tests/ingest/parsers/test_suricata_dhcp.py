"""Suricata EVE DHCP: an ACK without a host name takes its request's (audit item 2), into the graph.

EVE logs each DHCP message alone: the client names itself in its request
(option 12), the server grants the address in the ACK, which seldom echoes the
name.  The IP map joins them by transaction id and client MAC within
``DHCP_JOIN_SECONDS``, keeps at most ``DHCP_REQUESTS_LIMIT`` waiting requests,
and persists them beside its intervals so that the join holds across ingest
calls and on replay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsiem.model import Event
from ingest.ipmap import DHCP_JOIN_SECONDS, DHCP_REQUESTS_LIMIT, IpHostMap
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.replay import replay

MAC = "00:11:22:33:44:aa"
TARGET = "203.0.113.9"


def eve(time: str, src: str, dest: str, dhcp: dict[str, Any], flow_id: int = 1) -> dict[str, Any]:
    return {"timestamp": f"2024-03-05T{time}.000000+0000", "flow_id": flow_id, "event_type": "dhcp",
            "src_ip": src, "src_port": 68 if src == "0.0.0.0" else 67, "dest_ip": dest,
            "dest_port": 67 if src == "0.0.0.0" else 68, "proto": "UDP", "dhcp": dhcp}


def request(time: str = "09:00:00", *, xid: int = 7, mac: str = MAC, name: str | None = "WS-0300") -> dict[str, Any]:
    dhcp: dict[str, Any] = {"type": "request", "id": xid, "client_mac": mac, "assigned_ip": "0.0.0.0",
                            "client_ip": "0.0.0.0", "dhcp_type": "request", "requested_ip": "10.1.5.5"}
    if name is not None:
        dhcp["hostname"] = name
    return eve(time, "0.0.0.0", "255.255.255.255", dhcp)


def ack(time: str = "09:00:01", *, xid: int = 7, mac: str = MAC, name: str | None = None,
        dest: str = "10.1.5.5") -> dict[str, Any]:
    dhcp: dict[str, Any] = {"type": "reply", "id": xid, "client_mac": mac, "assigned_ip": "10.1.5.5",
                            "client_ip": "0.0.0.0", "dhcp_type": "ack", "lease_time": 86400}
    if name is not None:
        dhcp["hostname"] = name
    return eve(time, "10.1.0.1", dest, dhcp, flow_id=2)


def flow(time: str = "10:00:00") -> dict[str, Any]:
    return {"timestamp": f"2024-03-05T{time}.000000+0000", "flow_id": 3, "event_type": "flow",
            "src_ip": "10.1.5.5", "src_port": 50000, "dest_ip": TARGET, "dest_port": 443, "proto": "TCP",
            "flow": {"start": f"2024-03-05T{time}.000000+0000"}}


def ingest(tmp_path: Path, journal: Journal, graph, records: list[dict[str, Any]], name: str = "eve.json") -> None:
    path = tmp_path / name
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    report = ingest_paths([path], store=graph, journal=journal, progress=False)
    assert report.total.accepted == len(records)


def clients(graph) -> set:
    """Who connected to the flow's target."""
    return {r.src for r in graph.iter_relations("CONNECTED") if r.dst == ("ip", TARGET)}


def test_an_ack_without_a_name_takes_its_requests(tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, [request(), ack(), flow()])
    assert clients(graph) == {("host", "ws-0300")}
    assert [(i.host, i.source) for i in IpHostMap().load(journal.connection).intervals("10.1.5.5")] == [
        ("ws-0300", "dhcp")]


def test_a_broadcast_ack_is_its_clients_event(tmp_path, journal, graph) -> None:
    # the reply went to the broadcast address: the lease the map learnt says whose it is
    ingest(tmp_path, journal, graph, [request(), ack(dest="255.255.255.255")])
    assert ("ws-0300", ("ip", "10.1.5.5")) in {(s.host, s.entity) for s in graph.iter_sightings()}


@pytest.mark.parametrize("records", [
    [request(xid=8), ack()],  # another transaction
    [request(mac="00:11:22:33:44:bb"), ack()],  # another client
    [request(), ack(time="09:05:00")],  # five minutes later: no answer to that request
    [ack(), request(time="09:00:02")],  # read after the ACK: it granted nothing to a name yet
    [request(name="iPhone"), ack()],  # a generic name teaches no lease, joined or not
    [request(name=None), ack()],
], ids=["other-transaction", "other-mac", "too-late", "request-after", "generic-name", "no-name"])
def test_an_ack_not_joined_to_a_named_request_teaches_nothing(records, tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, [*records, flow()])
    assert clients(graph) == {("ip", "10.1.5.5")}


def test_the_acks_own_name_comes_first(tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, [request(name="WS-0300"), ack(name="WS-0301"), flow()])
    assert clients(graph) == {("host", "ws-0301")}


def test_the_join_holds_across_ingest_calls_and_on_replay(tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, [request()], name="first.json")
    ingest(tmp_path, journal, graph, [ack(), flow()], name="second.json")  # a new map, loaded from the journal
    assert clients(graph) == {("host", "ws-0300")}
    replay(journal, graph)
    assert clients(graph) == {("host", "ws-0300")}


def test_the_waiting_requests_are_bounded_oldest_first(tmp_path, journal) -> None:
    ipmap = IpHostMap().load(journal.connection)
    start = 1709629200.0
    for xid in range(DHCP_REQUESTS_LIMIT + 1):
        ipmap.observe(_event(start + xid * 0.01, {"dhcp.transaction_id": str(xid), "dhcp.mac": MAC,
                                                  "dhcp.hostname": f"ws-{xid}"}))
    ipmap.save(journal.connection)
    rows = journal.connection.execute("SELECT COUNT(*), MIN(CAST(transaction_id AS INTEGER)) FROM dhcp_requests")
    assert rows.fetchone() == (DHCP_REQUESTS_LIMIT, 1)  # transaction 0 went first
    loaded = IpHostMap().load(journal.connection)
    for xid in (0, DHCP_REQUESTS_LIMIT):
        loaded.observe(_event(start + 50, {"dhcp.transaction_id": str(xid), "dhcp.mac": MAC,
                                           "dhcp.assigned_ip": f"10.2.{xid // 256}.{xid % 256}",
                                           "dhcp.message_types": ["ACK"]}))
    assert loaded.lookup("10.2.0.0", start + 60) is None
    assert loaded.lookup(f"10.2.16.{DHCP_REQUESTS_LIMIT % 256}", start + 60) == f"ws-{DHCP_REQUESTS_LIMIT}"


@pytest.mark.parametrize(("delay", "expected"), [(DHCP_JOIN_SECONDS, "ws-1"), (DHCP_JOIN_SECONDS + 1.0, None),
                                               (-DHCP_JOIN_SECONDS - 1.0, None)])
def test_an_ack_joins_a_request_within_the_window(delay: float, expected: str | None) -> None:
    assert 60.0 <= DHCP_JOIN_SECONDS <= 300.0  # a minute of a client's retries, not a lease's length
    ipmap = IpHostMap()
    ipmap.observe(_event(1000.0, {"dhcp.transaction_id": "7", "dhcp.mac": MAC, "dhcp.hostname": "ws-1"}))
    ipmap.observe(_event(1000.0 + delay, {"dhcp.transaction_id": "7", "dhcp.mac": MAC, "dhcp.assigned_ip": "10.9.9.9"}))
    assert ipmap.lookup("10.9.9.9", 1000.0 + delay + 1.0) == expected


def _event(ts: float, fields: dict[str, Any]) -> Event:
    return Event(id=f"e{ts}", kind="suricata:dhcp", ts=ts, host=None, source="suricata", fields=fields)
