"""A sensor's connection to a mapped address reaches that host (audit L3), into the embedded graph.

An inbound connection to a known machine is ``ip CONNECTED host``, as an inbound
Sysmon 3 is (L1); between two known machines ``host CONNECTED host`` (lateral
movement).  A flow never teaches the map who owns an address: an unmapped
server stays an IP, and no host is made from a flow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.replay import replay

LEASE = {"_path": "dhcp", "ts": "2024-03-05T09:00:00Z", "uids": ["C1"], "mac": "00:11:22:33:44:aa",
         "host_name": "SRV-01", "assigned_addr": "10.1.2.42", "lease_time": 86400.0, "msg_types": ["REQUEST", "ACK"]}
"""srv-01 holds 10.1.2.42 from 09:00 for a day."""
LEASE_2 = {**LEASE, "uids": ["C2"], "mac": "00:11:22:33:44:bb", "host_name": "WS-0007", "assigned_addr": "10.1.2.7"}


def zeek_conn(orig: str, resp: str, port: int = 3389, ts: str = "2024-03-05T10:00:00Z") -> dict[str, Any]:
    return {"_path": "conn", "ts": ts, "uid": f"C{orig}{resp}{ts}", "id.orig_h": orig, "id.orig_p": 51000,
            "id.resp_h": resp, "id.resp_p": port, "proto": "tcp", "service": "rdp"}


def eve_flow(src: str, dest: str, time: str = "2024-03-05T10:00:00.000000+0000") -> dict[str, Any]:
    return {"timestamp": time, "flow_id": 9, "event_type": "flow", "src_ip": src, "src_port": 51000,
            "dest_ip": dest, "dest_port": 445, "proto": "TCP", "app_proto": "smb", "flow": {"start": time}}


def ingest(tmp_path: Path, journal: Journal, graph, records: list[dict[str, Any]]) -> None:
    path = tmp_path / "records.ndjson"
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    report = ingest_paths([path], store=graph, journal=journal, progress=False)
    assert report.total.accepted == len(records)


def connected(graph) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    return {(r.src, r.dst) for r in graph.iter_relations("CONNECTED")}


@pytest.mark.parametrize("flow", [zeek_conn("198.51.100.23", "10.1.2.42"), eve_flow("198.51.100.23", "10.1.2.42")],
                         ids=["zeek-conn", "eve-flow"])
def test_an_inbound_connection_to_a_mapped_address_reaches_its_host(flow, tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, [LEASE, flow])
    assert connected(graph) == {(("ip", "198.51.100.23"), ("host", "srv-01"))}
    assert ("srv-01", ("ip", "198.51.100.23")) in {(s.host, s.entity) for s in graph.iter_sightings()}


@pytest.mark.parametrize("flow", [zeek_conn("10.1.2.7", "10.1.2.42"), eve_flow("10.1.2.7", "10.1.2.42")],
                         ids=["zeek-conn", "eve-flow"])
def test_a_connection_between_two_mapped_addresses_is_host_to_host(flow, tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, [LEASE, LEASE_2, flow])
    assert (("host", "ws-0007"), ("host", "srv-01")) in connected(graph)
    assert not {pair for pair in connected(graph) if ("ip", "10.1.2.42") in pair}


def test_a_server_known_only_outside_the_lease_stays_an_address(tmp_path, journal, graph) -> None:
    # the lease starts at 09:00: a connection at 08:00 reached an address nobody is known to hold
    ingest(tmp_path, journal, graph, [LEASE, zeek_conn("198.51.100.23", "10.1.2.42", ts="2024-03-05T08:00:00Z")])
    assert connected(graph) == {(("ip", "198.51.100.23"), ("ip", "10.1.2.42"))}


def test_a_flow_makes_no_host_and_teaches_no_address(tmp_path, journal, graph) -> None:
    # no lease: flows alone (even many, both ways) never say who owns an address
    ingest(tmp_path, journal, graph, [zeek_conn("198.51.100.23", "10.1.2.42"), eve_flow("10.1.2.42", "198.51.100.23"),
                                      zeek_conn("198.51.100.23", "10.1.2.42", ts="2024-03-05T10:05:00Z")])
    assert {entity.key for entity in graph.iter_entities("host")} == set()
    assert journal.connection.execute("SELECT COUNT(*) FROM ip_hosts").fetchone()[0] == 0


def test_a_connection_between_two_addresses_of_one_host_keeps_the_address(tmp_path, journal, graph) -> None:
    second = {**LEASE, "uids": ["C3"], "mac": "00:11:22:33:44:cc", "assigned_addr": "10.1.2.43"}
    ingest(tmp_path, journal, graph, [LEASE, second, zeek_conn("10.1.2.43", "10.1.2.42")])
    assert connected(graph) == {(("host", "srv-01"), ("ip", "10.1.2.42"))}  # no host connects to itself


def test_the_inbound_relation_is_the_same_on_replay(tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, [zeek_conn("198.51.100.23", "10.1.2.42"), LEASE])  # lease read second
    live = connected(graph)
    replay(journal, graph)
    assert live == connected(graph) == {(("ip", "198.51.100.23"), ("host", "srv-01"))}
