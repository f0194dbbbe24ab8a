"""The network-sensor rule (ingest.projection_network): one case per Zeek log and EVE event type,
the IP map, alerts, proxies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphsiem.model import Event
from ingest import projection_network
from ingest.ipmap import IpHostMap
from ingest.parsers.base import ParseContext
from ingest.parsers.suricata import SuricataEveParser
from ingest.parsers.zeek import ZeekParser
from ingest.projection import Projector, project_events
from tests.ingest.test_projection import documented_fields, dumped, edges, ev

_PARSER_FIXTURES = Path(__file__).parent / "parsers" / "fixtures"
ZEEK_RECORDS = json.loads((_PARSER_FIXTURES / "zeek" / "records.json").read_text())
EVE_RECORDS = json.loads((_PARSER_FIXTURES / "suricata" / "records.json").read_text())
FILE_SHA256 = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"


def parsed(record: dict, event_id: str = "e1") -> Event:
    """The one event the Zeek or EVE parser makes of ``record``, with ``event_id``."""
    parser = SuricataEveParser() if "event_type" in record else ZeekParser()
    (event,) = parser.parse(record, ParseContext(origin="fixture:1"))
    event.id = event_id
    return event


def graph(projection) -> tuple[set, set]:
    """``({(type, key)}, {(src, type, dst)})`` of a projection: what the graph gains."""
    return ({(e.type, e.key) for e in projection.entities},
            {(r.src, r.type, r.dst) for r in projection.relations})


def ip(value: str) -> tuple[str, str]:
    return ("ip", value)


def domain(value: str) -> tuple[str, str]:
    return ("domain", value)


def one_link(src: str, type_: str, dst: str) -> tuple[set, set]:
    """The graph of an event that only links two addresses."""
    return {ip(src), ip(dst)}, {(ip(src), type_, ip(dst))}


URL_TOOL = ("url", "http://updates.example.com:8080/dl/Tool.EXE")
SENSOR_CASES = [
    (  # the client resolved the name; its A answer is an IP (CNAME and TXT answers are not)
        "zeek:dns", ZEEK_RECORDS["dns_answers"],
        {ip("192.0.2.11"), ip("198.51.100.53"), domain("rare-cdn.example.com"), ip("203.0.113.9"),
         domain("edge.example.net")},
        {(ip("192.0.2.11"), "CONNECTED", ip("198.51.100.53")),
         (ip("192.0.2.11"), "RESOLVED", domain("rare-cdn.example.com")),
         (domain("rare-cdn.example.com"), "RESOLVES_TO", ip("203.0.113.9")),
         (domain("rare-cdn.example.com"), "RESOLVES_TO", domain("edge.example.net")),  # the CNAME chain
         (domain("edge.example.net"), "RESOLVES_TO", ip("203.0.113.9"))},
    ),
    (  # SNI: the name the client asked for, claimed (by the client) at the responder
        "zeek:ssl", ZEEK_RECORDS["ssl_sni"],
        {ip("192.0.2.10"), ip("203.0.113.7"), domain("login.example.org")},
        {(ip("192.0.2.10"), "CONNECTED", ip("203.0.113.7")),
         (ip("192.0.2.10"), "RESOLVED", domain("login.example.org")),
         (domain("login.example.org"), "CLAIMED_AT", ip("203.0.113.7"))},
    ),
    (  # a certificate alone names no server: nothing yet (its names wait for their ssl record)
        "zeek:x509", ZEEK_RECORDS["x509_cert"], set(), set(),
    ),
    ("zeek:dhcp", ZEEK_RECORDS["dhcp_lease"], *one_link("192.0.2.50", "CONNECTED", "192.0.2.1")),
    ("zeek:notice", ZEEK_RECORDS["notice_scan"], *one_link("192.0.2.66", "ALERTED", "192.0.2.10")),
    (  # an answer packet (the server is its source): the client still resolves and connects
        "suricata:dns", EVE_RECORDS["dns_v2_answers"],
        {ip("192.0.2.11"), ip("198.51.100.53"), domain("www.example.org"), ip("203.0.113.10"),
         domain("edge.example.net")},
        {(ip("192.0.2.11"), "CONNECTED", ip("198.51.100.53")),
         (ip("192.0.2.11"), "RESOLVED", domain("www.example.org")),
         (domain("www.example.org"), "RESOLVES_TO", ip("203.0.113.10")),
         (domain("www.example.org"), "RESOLVES_TO", domain("edge.example.net")),  # the CNAME chain
         (domain("edge.example.net"), "RESOLVES_TO", ip("203.0.113.10"))},
    ),
    (  # SNI (the client's claim) and the certificate's CN (the server's own statement)
        "suricata:tls", EVE_RECORDS["tls_sni"],
        {ip("192.0.2.10"), ip("203.0.113.11"), domain("login.example.org")},
        {(ip("192.0.2.10"), "CONNECTED", ip("203.0.113.11")),
         (ip("192.0.2.10"), "RESOLVED", domain("login.example.org")),
         (domain("login.example.org"), "CLAIMED_AT", ip("203.0.113.11")),
         (domain("login.example.org"), "RESOLVES_TO", ip("203.0.113.11"))},
    ),
    (  # the file travels server -> client: the client (the destination) requested the URL
        "suricata:fileinfo", EVE_RECORDS["fileinfo_exe"],
        {ip("192.0.2.10"), ip("203.0.113.7"), URL_TOOL, domain("updates.example.com"), ("file", FILE_SHA256)},
        {(ip("192.0.2.10"), "CONNECTED", ip("203.0.113.7")),
         (ip("192.0.2.10"), "REQUESTED", URL_TOOL),
         (URL_TOOL, "ON", domain("updates.example.com")),
         (URL_TOOL, "SERVED_FROM", ip("203.0.113.7")),  # the address the request reached (task HOSTH)
         (("file", FILE_SHA256), "SERVED_BY", URL_TOOL),
         (("file", FILE_SHA256), "SERVED_BY", domain("updates.example.com")),
         (("file", FILE_SHA256), "SERVED_BY", ip("203.0.113.7"))},  # the sender: where it came from
    ),
    ("suricata:anomaly", EVE_RECORDS["anomaly_applayer"], *one_link("198.51.100.200", "CONNECTED", "192.168.1.129")),
    ("suricata:flow", EVE_RECORDS["flow_logged_late"], *one_link("192.0.2.10", "CONNECTED", "203.0.113.7")),
]


@pytest.mark.parametrize(("kind", "record", "entities", "relations"), SENSOR_CASES,
                         ids=[case[0] for case in SENSOR_CASES])
def test_each_sensor_kind_yields_exactly_its_entities_and_relations(kind, record, entities, relations):
    event = parsed(record)
    assert event.kind == kind
    projection = Projector().project([event])
    assert graph(projection) == (entities, relations)
    assert all(r.evidence == ["e1"] for r in projection.relations)
    assert projection.sightings == []  # no address is mapped to a host


def lease(ip_text: str, host: str) -> IpHostMap:
    ipmap = IpHostMap()
    ipmap.add_lease(ip_text, host, 0.0, 2e9)
    return ipmap


def test_a_mapped_dhcp_client_connects_and_sights_its_lease():
    projection = Projector(lease("192.0.2.50", "ws-0042")).project([parsed(ZEEK_RECORDS["dhcp_lease"])])
    assert graph(projection) == ({("host", "ws-0042"), ip("192.0.2.1"), ip("192.0.2.50")},
                                 {(("host", "ws-0042"), "CONNECTED", ip("192.0.2.1"))})
    assert {(s.host, s.entity) for s in projection.sightings} == {("ws-0042", ip("192.0.2.1")),
                                                                  ("ws-0042", ip("192.0.2.50"))}


def test_a_server_to_client_file_is_requested_and_downloaded_by_the_client_host():
    """The fileinfo packet goes server -> client: the host at the destination requested the URL."""
    projection = Projector(lease("192.0.2.10", "ws-10")).project([parsed(EVE_RECORDS["fileinfo_exe"])])
    _, relations = graph(projection)
    host = ("host", "ws-10")
    assert {(host, "CONNECTED", ip("203.0.113.7")), (host, "REQUESTED", URL_TOOL),
            (host, "DOWNLOADED", ("file", FILE_SHA256))} <= relations
    assert not {r for r in relations if r[0] == ip("203.0.113.7")}  # the server requested nothing


def test_an_unhashed_unnamed_zeek_download_without_a_url_is_a_file_known_by_sender_type_and_size():
    """Zeek files without digests, a name or a URL (a transfer outside HTTP): the client host
    downloaded it, and two such transfers of one type and size from one server are one file.
    (HTTP downloads are known by their URL: tests/ingest/test_projection_transfers.py.)"""
    # 512 bytes of application/x-dosexec, responder -> originator
    record = {**ZEEK_RECORDS["files_is_orig"], "source": "FTP_DATA"}
    again = {**record, "fuid": "FJ3", "uid": "CJ70", "id.orig_h": "192.0.2.11"}
    ipmap = lease("192.0.2.10", "ws-10")
    ipmap.add_lease("192.0.2.11", "ws-11", 1767607000.0, 3600.0)
    projection = Projector(ipmap).project([parsed(record, "f1"), parsed(again, "f2")])
    entities, relations = graph(projection)
    (file,) = [ref for ref in entities if ref[0] == "file"]
    assert {(("host", "ws-10"), "DOWNLOADED", file), (("host", "ws-11"), "DOWNLOADED", file),
            # the receiver is the connection's client: it connected to the sender, not the reverse
            (("host", "ws-10"), "CONNECTED", ip("203.0.113.7"))} <= relations
    assert not {r for r in relations if r[0] == ip("203.0.113.7")}
    (entity,) = [e for e in projection.entities if e.type == "file"]
    assert entity.props == {"mime_type": "application/x-dosexec", "size": 512, "sender": "203.0.113.7"}
    other_size = Projector(ipmap).project([parsed({**record, "seen_bytes": 513}, "f3")])
    assert {e.key for e in other_size.entities if e.type == "file"} != {file[1]}


def test_a_server_to_client_alert_keeps_its_packet_direction_but_the_client_requests():
    """WRCCDC 2018: an alert on the response from hax.lol to 10.47.23.82."""
    record = {**EVE_RECORDS["alert_scan"], "src_ip": "206.251.244.225", "src_port": 80,
              "dest_ip": "10.47.23.82", "dest_port": 50317, "app_proto": "http",
              "http": {"hostname": "hax.lol", "url": "/lol.js", "http_method": "GET", "status": 200}}
    projection = Projector(lease("10.47.23.82", "ws-82")).project([parsed(record)])
    url = ("url", "http://hax.lol/lol.js")
    assert graph(projection)[1] == {
        (ip("206.251.244.225"), "ALERTED", ip("10.47.23.82")),
        (("host", "ws-82"), "REQUESTED", url),
        (url, "ON", domain("hax.lol")),
        (url, "SERVED_FROM", ip("206.251.244.225")),  # the packet's source is the server
    }
    assert {(s.host, s.entity) for s in projection.sightings} == {
        ("ws-82", url), ("ws-82", domain("hax.lol")), ("ws-82", ip("206.251.244.225")),
        ("ws-82", ip("10.47.23.82")),
    }


def test_sensor_events_reach_hosts_through_the_time_aware_ip_map():
    ipmap = IpHostMap()
    ipmap.add_lease("192.168.1.41", "mkt01", 1000.0, 3600.0)
    conn = ev("zeek:http", host=None, ts=1500.0, source__ip="192.168.1.41", destination__ip="10.0.5.13",
              url__full="http://10.0.5.13:8080/x", zeek__resp_fuids=["F1"])
    early = ev("zeek:conn", host=None, ts=500.0, event_id="e2", source__ip="192.168.1.41",
               destination__ip="10.0.5.13")
    projection = Projector(ipmap).project([conn, early])
    rels = {(r.src, r.type, r.dst) for r in projection.relations}
    assert (("host", "mkt01"), "CONNECTED", ("ip", "10.0.5.13")) in rels
    assert (("host", "mkt01"), "REQUESTED", ("url", "http://10.0.5.13:8080/x")) in rels
    # before the lease the address is not the host's: the IP stays the actor
    assert (("ip", "192.168.1.41"), "CONNECTED", ("ip", "10.0.5.13")) in rels
    sighted = {(s.host, s.entity) for s in projection.sightings}
    assert ("mkt01", ("url", "http://10.0.5.13:8080/x")) in sighted
    assert all(s.host == "mkt01" for s in projection.sightings)


def test_zeek_files_join_http_by_file_id_in_either_order():
    http = ev("zeek:http", host=None, event_id="h", source__ip="10.0.0.5", destination__ip="198.51.100.1",
              url__full="http://dl.example/p.exe", url__domain="dl.example", zeek__resp_fuids=["Fx"])
    files = ev("zeek:files", host=None, event_id="f", source__ip="198.51.100.1", destination__ip="10.0.0.5",
               file__hash__sha256="ef" * 32, zeek__fuid="Fx")
    for order in ([http, files], [files, http]):
        ipmap = IpHostMap()
        ipmap.add_lease("10.0.0.5", "ws-5", 0.0, 1000.0)
        rels = {(r.src[0], r.type, r.dst[0]) for r in Projector(ipmap).project(order).relations}
        assert {("file", "SERVED_BY", "url"), ("file", "SERVED_BY", "domain"),
                ("host", "DOWNLOADED", "file")} <= rels


def test_alerts_link_source_to_destination():
    event = ev("suricata:alert", host=None, source__ip="198.51.100.2", destination__ip="10.0.0.5",
               rule__name="ET SCAN")
    assert edges(project_events([event])) == {("ip", "ALERTED", "ip")}


@pytest.mark.parametrize("is_mapped", [True, False], ids=["mapped", "unmapped"])
@pytest.mark.parametrize("name", documented_fields())
def test_the_sensor_rule_skips_only_events_it_has_nothing_to_read_in(name, is_mapped, monkeypatch):
    """The early exits of the sensor rule (IPs and ports only; also no host) change no projection."""
    ipmap = IpHostMap()
    if is_mapped:
        ipmap.add_lease("10.0.0.5", "ws-1", 0.0, 1000.0)
    http = ev("zeek:http", host=None, event_id="e1", source__ip="10.0.0.5", destination__ip="203.0.113.7",
              url__full="http://cdn.example/a.png", url__domain="cdn.example", zeek__resp_fuids=["F1"])
    values = {"dns.answers": ["203.0.113.7"], "zeek.fuid": "F1", "zeek.resp_fuids": ["F1"],
              "dhcp.lease_seconds": 60, "dhcp.hostname": "ws-2"}
    fields = {"source.ip": "10.0.0.5", "destination.ip": "203.0.113.7"}
    fields[name] = values.get(name, "203.0.113.9" if name.endswith(".ip") else "x")
    event = Event(id="e2", kind="zeek:files", ts=100.0, host=None, source="test", fields=fields)

    def project():
        return dumped(Projector(ipmap).project([http, event]))

    fast = project()
    monkeypatch.setattr(projection_network, "_SENSOR_KEYS", frozenset(documented_fields()))
    assert project() == fast


def test_a_lone_address_without_a_counterpart_is_no_entity():
    """software.log names one IP and nothing it relates to: the graph gains nothing."""
    software = {"_path": "software", "ts": 1767607214.0, "host": "192.0.2.30", "host_p": 22,
                "software_type": "SSH::SERVER", "name": "OpenSSH", "unparsed_version": "OpenSSH_8.9"}
    assert graph(Projector().project([parsed(software)])) == (set(), set())
    mapped = Projector(lease("192.0.2.30", "srv-30")).project([parsed(software)])
    assert graph(mapped) == ({("host", "srv-30")}, set())


def test_a_proxy_download_is_downloaded_by_the_client_host_and_sights_its_user():
    """A proxy's or firewall's record names client (source) and server: the file went to the client."""
    proxy = ev("cef:proxy_request", host=None, ts=1200.0, source__ip="10.0.0.5", destination__ip="198.51.100.7",
               url__full="http://cdn-img.example/x.png", url__domain="cdn-img.example",
               file__name="x.png", user__name="corp\\bob")
    ipmap = IpHostMap()
    ipmap.add_lease("10.0.0.5", "ws-0042", 1000.0, 600.0)
    projection = Projector(ipmap).project([proxy])
    _, relations = graph(projection)
    host = ("host", "ws-0042")
    assert {(host, "DOWNLOADED", ("file", "x.png")), (host, "REQUESTED", ("url", "http://cdn-img.example/x.png")),
            (("file", "x.png"), "SERVED_BY", ("url", "http://cdn-img.example/x.png"))} <= relations
    assert ("ws-0042", ("user", "corp\\bob")) in {(s.host, s.entity) for s in projection.sightings}
