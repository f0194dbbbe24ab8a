"""What the IP -> host map learns from, end to end into the embedded graph.

Suricata EVE DHCP leases as Zeek's; only granted leases (an ACK); no lease to a
generic name (``iPhone``, ``localhost``) while one laptop with two MACs stays
one host; any endpoint parser's event naming its own end of a connection
(``host.ip``), never a sensor's flow; and the same map live and on replay.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsiem.model import Event
from graphsiem.store import open_store
from ingest.journal import Journal
from ingest.parsers.base import ParseContext, ParserRegistry
from ingest.pipeline import ingest_paths
from ingest.registry import default_registry
from ingest.replay import replay

FLOW_TARGET = "203.0.113.9"


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    return path


def ingest(tmp_path: Path, journal: Journal, graph, records: list[dict[str, Any]], **kwargs: Any) -> None:
    report = ingest_paths([write(tmp_path / "records.ndjson", records)], store=graph, journal=journal,
                          progress=False, **kwargs)
    assert report.total.received == report.total.accepted == len(records)


def connected(graph) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    return {(r.src, r.dst) for r in graph.iter_relations("CONNECTED")}


def hosts(graph) -> set[str]:
    return {entity.key for entity in graph.iter_entities("host")}


def eve_dhcp(ip: str, host: str | None, dhcp_type: str, *, mac: str = "00:11:22:33:44:aa") -> dict[str, Any]:
    dhcp: dict[str, Any] = {"type": "reply", "id": 7, "client_mac": mac, "assigned_ip": ip,
                            "dhcp_type": dhcp_type, "lease_time": 86400}
    if host is not None:
        dhcp["hostname"] = host
    return {"timestamp": "2024-03-05T09:00:00.000000+0000", "flow_id": 1, "event_type": "dhcp",
            "src_ip": "10.1.0.1", "src_port": 67, "dest_ip": ip, "dest_port": 68, "proto": "UDP", "dhcp": dhcp}


def eve_flow(ip: str, time: str = "2024-03-05T10:00:00.000000+0000") -> dict[str, Any]:
    return {"timestamp": time, "flow_id": 2, "event_type": "flow", "src_ip": ip, "src_port": 50000,
            "dest_ip": FLOW_TARGET, "dest_port": 443, "proto": "TCP", "flow": {"start": time}}


def zeek_dhcp(ip: str, host: str, mac: str, msg_types: list[str] | None, ts: str = "2024-03-05T09:00:00Z"):
    record = {"_path": "dhcp", "ts": ts, "uids": ["C1"], "mac": mac, "host_name": host,
              "assigned_addr": ip, "lease_time": 3600.0}
    if msg_types is not None:
        record["msg_types"] = msg_types
    return record


def zeek_conn(ip: str, ts: str = "2024-03-05T09:30:00Z", target: str = FLOW_TARGET) -> dict[str, Any]:
    return {"_path": "conn", "ts": ts, "uid": f"C{ip}{target}", "id.orig_h": ip, "id.orig_p": 50000,
            "id.resp_h": target, "id.resp_p": 443, "proto": "tcp"}


# -- Suricata EVE DHCP (H5) ------------------------------------------------------


def test_an_eve_dhcp_ack_maps_the_clients_later_flows_to_its_host(tmp_path, journal, graph):
    ingest(tmp_path, journal, graph, [eve_dhcp("10.1.5.5", "WS-0300", "ack"), eve_flow("10.1.5.5")])
    assert (("host", "ws-0300"), ("ip", FLOW_TARGET)) in connected(graph)
    assert (("ip", "10.1.5.5"), ("ip", FLOW_TARGET)) not in connected(graph)
    # the reply's client is its destination: the host talked to the DHCP server
    assert (("host", "ws-0300"), ("ip", "10.1.0.1")) in connected(graph)


@pytest.mark.parametrize("lease_time", [[None], "3600", None, True, -5], ids=["list", "text", "null", "bool", "negative"])
def test_a_zeek_lease_time_that_is_no_number_takes_the_default_lease(lease_time, tmp_path, journal, graph):
    # a list here raised TypeError in the IP map while committing the batch: the whole ingest stopped
    record = {**zeek_dhcp("10.1.5.5", "WS-0300", "00:11:22:33:44:aa", ["ACK"]), "lease_time": lease_time}
    ingest(tmp_path, journal, graph, [record, zeek_conn("10.1.5.5", ts="2024-03-05T20:00:00Z")])
    # learnt with the default day, so a flow 11 hours later maps (a 3600 s lease would not)
    assert (("host", "ws-0300"), ("ip", FLOW_TARGET)) in connected(graph)


# -- only granted leases teach (L11) ----------------------------------------------


@pytest.mark.parametrize(
    ("record", "is_learnt"),
    [
        (eve_dhcp("10.1.5.5", "WS-0300", "offer"), False),
        (zeek_dhcp("10.1.5.5", "WS-0300", "00:11:22:33:44:aa", ["DISCOVER", "OFFER"]), False),
        (zeek_dhcp("10.1.5.5", "WS-0300", "00:11:22:33:44:aa", ["REQUEST", "ACK"]), True),
        (zeek_dhcp("10.1.5.5", "WS-0300", "00:11:22:33:44:aa", None), True),  # Zeek < 2.6 logged ACKs only
    ],
    ids=["eve-offer", "zeek-discover-offer", "zeek-request-ack", "zeek-without-msg-types"],
)
def test_only_an_acked_lease_teaches_the_map(record, is_learnt, tmp_path, journal, graph):
    ingest(tmp_path, journal, graph, [record, eve_flow("10.1.5.5")])
    owner = ("host", "ws-0300") if is_learnt else ("ip", "10.1.5.5")
    assert (owner, ("ip", FLOW_TARGET)) in connected(graph)
    assert ("ws-0300" in hosts(graph)) is is_learnt


def test_an_eve_request_teaches_nothing_and_names_no_address(tmp_path, journal, graph):
    request = eve_dhcp("0.0.0.0", "WS-0300", "request")
    request.update(src_ip="0.0.0.0", src_port=68, dest_ip="255.255.255.255", dest_port=67)
    request["dhcp"]["type"] = "request"
    ingest(tmp_path, journal, graph, [request])
    assert journal.connection.execute("SELECT COUNT(*) FROM ip_hosts").fetchone() == (0,)
    assert hosts(graph) == set()
    [event] = [item.event for item in journal.iter_events()]
    assert "dhcp.assigned_ip" not in event.fields and event.fields["dhcp.message_types"] == ["REQUEST"]


# -- generic host names (H6) ------------------------------------------------------


@pytest.mark.parametrize("name", ["iPhone", "localhost", "localhost.localdomain", "android", "unknown", "-",
                                  "10.1.6.99"])
def test_devices_sharing_a_generic_name_stay_apart(name, tmp_path, journal, graph):
    ingest(tmp_path, journal, graph, [
        zeek_dhcp("10.1.6.10", name, "aa:aa:aa:aa:aa:01", ["REQUEST", "ACK"]),
        zeek_dhcp("10.1.6.11", name, "aa:aa:aa:aa:aa:02", ["REQUEST", "ACK"], ts="2024-03-05T09:00:05Z"),
        zeek_conn("10.1.6.10"), zeek_conn("10.1.6.11"),
    ])
    assert hosts(graph) == set()
    assert {(("ip", "10.1.6.10"), ("ip", FLOW_TARGET)), (("ip", "10.1.6.11"), ("ip", FLOW_TARGET))} <= connected(graph)


def test_a_laptop_leasing_with_two_macs_is_one_host(tmp_path, journal, graph):
    """Wi-Fi and a dock at once: two MACs, two addresses, one machine (no MAC rule splits it)."""
    ingest(tmp_path, journal, graph, [
        zeek_dhcp("10.1.7.20", "LT-0042", "aa:aa:aa:aa:bb:01", ["REQUEST", "ACK"]),
        zeek_dhcp("10.1.7.21", "LT-0042", "aa:aa:aa:aa:bb:02", ["REQUEST", "ACK"], ts="2024-03-05T09:01:00Z"),
        zeek_conn("10.1.7.20"), zeek_conn("10.1.7.21", target="198.51.100.7"),
    ])
    assert hosts(graph) == {"lt-0042"}
    assert {(("host", "lt-0042"), ("ip", FLOW_TARGET)), (("host", "lt-0042"), ("ip", "198.51.100.7"))} <= connected(graph)


# -- endpoint network events of any parser (H5) -------------------------------------


class EndpointNetworkParser:
    """An endpoint parser that is not the Windows one: host name, both ends, and its own end."""

    name = "endpoint-test"

    def sniff(self, record: Any) -> bool:
        return isinstance(record, dict) and "edr_host" in record

    def parse(self, record: dict[str, Any], context: ParseContext) -> Iterator[Event]:
        fields = {"source.ip": record["src"], "destination.ip": record["dst"], "network.transport": "tcp"}
        if "own" in record:
            fields["host.ip"] = record["own"]
        yield Event("", "edr:network", record["ts"], record["edr_host"], self.name, fields, context.origin, record)


def endpoint_registry() -> ParserRegistry:
    registry = ParserRegistry()
    registry.register(EndpointNetworkParser())
    for parser in default_registry():
        registry.register(parser)
    return registry


ENDPOINT_TS = 1709632800.0  # 2024-03-05T10:00:00Z


@pytest.mark.parametrize(
    ("edr", "is_learnt"),
    [
        ({"edr_host": "ws-0500", "src": "10.1.5.50", "dst": "203.0.113.10", "own": "10.1.5.50"}, True),
        # inbound: its own end is the destination
        ({"edr_host": "ws-0500", "src": "203.0.113.10", "dst": "10.1.5.50", "own": "10.1.5.50"}, True),
        # an address of the host, but not this connection's end
        ({"edr_host": "ws-0500", "src": "10.1.5.51", "dst": "203.0.113.10", "own": "10.1.5.50"}, False),
        # no own end named: which side is the host's is not guessed
        ({"edr_host": "ws-0500", "src": "10.1.5.50", "dst": "203.0.113.10"}, False),
        # a sensor's view of the same connection (no endpoint) teaches nothing
        ({"edr_host": None, "src": "10.1.5.50", "dst": "203.0.113.10", "own": "10.1.5.50"}, False),
    ],
    ids=["outbound", "inbound", "own-end-not-in-connection", "no-own-end", "no-endpoint"],
)
def test_an_endpoint_network_event_of_any_parser_maps_its_own_end(edr, is_learnt, tmp_path, journal, graph):
    ingest(tmp_path, journal, graph, [{**edr, "ts": ENDPOINT_TS}, zeek_conn("10.1.5.50", ts="2024-03-05T10:20:00Z")],
           registry=endpoint_registry())
    owner = ("host", "ws-0500") if is_learnt else ("ip", "10.1.5.50")
    assert (owner, ("ip", FLOW_TARGET)) in connected(graph)
    learnt = set(journal.connection.execute("SELECT ip, host FROM ip_hosts"))
    assert learnt == ({("10.1.5.50", "ws-0500")} if is_learnt else set())


def test_network_sensors_never_teach_who_owns_an_address(tmp_path, journal, graph):
    ingest(tmp_path, journal, graph, [
        zeek_conn("10.1.5.50"), eve_flow("10.1.5.50"),
        {**zeek_conn("10.1.5.50", ts="2024-03-05T09:31:00Z"), "_path": "http", "method": "GET", "host": "ws-0500",
         "uri": "/"},
    ])
    assert journal.connection.execute("SELECT COUNT(*) FROM ip_hosts").fetchone() == (0,)
    assert hosts(graph) == set()


# -- live = replay -----------------------------------------------------------------


def test_the_map_and_graph_of_two_ingests_are_those_a_replay_rebuilds(tmp_path, journal, graph):
    first = [eve_dhcp("10.1.5.5", "WS-0300", "ack"), eve_dhcp("10.1.5.6", "WS-0301", "offer", mac="00:11:22:33:44:bb"),
             zeek_dhcp("10.1.6.10", "iPhone", "aa:aa:aa:aa:aa:01", ["REQUEST", "ACK"]),
             {"edr_host": "ws-0500", "src": "10.1.5.50", "dst": "203.0.113.10", "own": "10.1.5.50", "ts": ENDPOINT_TS}]
    second = [eve_flow("10.1.5.5"), eve_flow("10.1.5.6"), zeek_conn("10.1.6.10"),
              zeek_conn("10.1.5.50", ts="2024-03-05T10:20:00Z")]
    registry = endpoint_registry()
    for name, records in (("first", first), ("second", second)):
        ingest_paths([write(tmp_path / f"{name}.ndjson", records)], store=graph, journal=journal,
                     progress=False, registry=registry)
    live_map = sorted(journal.connection.execute("SELECT ip, start, end, host, source FROM ip_hosts"))
    live_graph = connected(graph)
    assert {("10.1.5.5", "ws-0300"), ("10.1.5.50", "ws-0500")} == {(ip, host) for ip, _, _, host, _ in live_map}
    again = open_store("embedded", data_dir=tmp_path / "again")
    try:
        replay(journal, again)
        assert sorted(journal.connection.execute("SELECT ip, start, end, host, source FROM ip_hosts")) == live_map
        assert connected(again) == live_graph
    finally:
        again.close()


# -- NetBIOS-truncated machine accounts (M16) -------------------------------------------


def sysmon_3(computer: str, local: str, time: str = "2024-03-05 09:00:00.000") -> dict[str, Any]:
    """A flat (NXLog) Sysmon 3 record: ``computer`` connects from ``local`` to the DC's SMB port."""
    return {"Hostname": computer, "EventID": 3, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "UtcTime": time, "Image": "C:\\Windows\\System32\\svchost.exe", "ProcessId": "880",
            "Protocol": "tcp", "Initiated": "true", "SourceIp": local, "SourcePort": "50100",
            "SourceHostname": "-", "DestinationIp": "10.1.0.10", "DestinationPort": "445",
            "DestinationHostname": "-"}


def kerberos(account: str, ip: str, ts: str = "2024-03-05T09:10:00Z") -> dict[str, Any]:
    return {"_path": "kerberos", "ts": ts, "uid": f"CK{ts}", "id.orig_h": ip, "id.orig_p": 50200,
            "id.resp_h": "10.1.0.10", "id.resp_p": 88, "request_type": "TGS",
            "client": f"{account}/CORP.EXAMPLE", "service": "host/dc01", "success": True}


def test_a_truncated_machine_account_is_the_endpoint_that_holds_its_address(tmp_path, journal, graph):
    ingest(tmp_path, journal, graph, [
        sysmon_3("LAPTOP-VERYLONGNAME01.corp.example", "10.1.8.8"), kerberos("LAPTOP-VERYLONG$", "10.1.8.8"),
        zeek_conn("10.1.8.8", ts="2024-03-05T09:20:00Z"),
    ])
    assert hosts(graph) == {"laptop-verylongname01"}
    assert (("host", "laptop-verylongname01"), ("ip", FLOW_TARGET)) in connected(graph)


@pytest.mark.parametrize(
    ("records", "owner"),
    [
        # two endpoints begin with the account's name at that address and time (NAT): neither is chosen
        ([sysmon_3("LAPTOP-VERYLONGNAME01", "10.1.8.8"), sysmon_3("LAPTOP-VERYLONGNAME02", "10.1.8.8")],
         "laptop-verylong"),
        # the endpoint held the address hours before: the account is a host of its own
        ([sysmon_3("LAPTOP-VERYLONGNAME01", "10.1.8.8", time="2024-03-05 05:00:00.000")], "laptop-verylong"),
        # another machine's endpoint at that address: not a prefix, no join
        ([sysmon_3("LAPTOP-OTHER01", "10.1.8.8")], "laptop-verylong"),
    ],
    ids=["two-candidates", "not-at-the-same-time", "not-a-prefix"],
)
def test_a_truncated_machine_account_joins_no_host_it_cannot_tell(records, owner, tmp_path, journal, graph):
    ingest(tmp_path, journal, graph, [*records, kerberos("LAPTOP-VERYLONG$", "10.1.8.8"),
                                      zeek_conn("10.1.8.8", ts="2024-03-05T09:20:00Z")])
    assert (("host", owner), ("ip", FLOW_TARGET)) in connected(graph)


def test_an_elastic_defend_connection_maps_its_hosts_address(tmp_path, journal, graph):
    """The ECS parser names the host's own end (``host.ip``) as the Windows parser does for Sysmon 3."""
    defend = {"@timestamp": "2024-03-05T10:00:00Z", "agent": {"type": "endpoint"},
              "event": {"category": ["network"], "type": ["start"], "action": "connection_attempted",
                        "module": "endpoint", "dataset": "endpoint.events.network"},
              "host": {"name": "WS-0500", "ip": ["10.1.5.50", "fe80::1"]},
              "network": {"direction": "egress", "transport": "tcp"},
              "source": {"ip": "10.1.5.50", "port": 50123}, "destination": {"ip": "203.0.113.10", "port": 443},
              "process": {"pid": 4242, "executable": "C:\\Windows\\System32\\curl.exe", "entity_id": "abc"}}
    ingest(tmp_path, journal, graph, [defend, zeek_conn("10.1.5.50", ts="2024-03-05T10:20:00Z")])
    assert set(journal.connection.execute("SELECT ip, host FROM ip_hosts")) == {("10.1.5.50", "ws-0500")}
    assert (("host", "ws-0500"), ("ip", FLOW_TARGET)) in connected(graph)
