"""Unit tests of the Suricata EVE parser over the project's own fixtures."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsiem.model import Event
from ingest.journal import Journal
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.suricata import SuricataEveParser, parsers
from ingest.pipeline import ingest_paths

FIXTURES = Path(__file__).parent / "fixtures" / "suricata"
RECORDS: dict[str, dict[str, Any]] = json.loads((FIXTURES / "records.json").read_text())
PARSER = SuricataEveParser()


def utc(text: str) -> float:
    """Epoch seconds of a UTC wall-clock time, ``YYYY-MM-DDTHH:MM:SS[.ffffff]``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def parse_one(record: dict[str, Any]) -> Event:
    events = list(PARSER.parse(record, ParseContext(origin="eve.json:7")))
    assert len(events) == 1
    return events[0]


# (fixture case, kind, event time in UTC, fields the event must carry with these values)
CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "flow_logged_late",
        "suricata:flow",
        "2026-01-05T10:00:00.500000",  # flow.start, not the later timestamp; +0200 applied
        {
            "source.ip": "192.0.2.10",
            "source.port": 49152,
            "destination.ip": "203.0.113.7",
            "destination.port": 443,
            "network.transport": "tcp",
            "network.protocol": "tls",
            "suricata.flow_id": 11,
            "suricata.flow.state": "closed",
            "suricata.tcp.syn": True,
            "suricata.host": "sensor-1.example",
        },
    ),
    ("flow_failed_proto", "suricata:flow", "2026-01-05T10:00:00", {"network.protocol": None}),
    (
        "dns_v1_query",
        "suricata:dns",
        "2026-01-05T10:00:01",
        {
            "dns.question.name": "rare-cdn.example.com",
            "network.protocol": "dns",
            "dns.answers": None,
        },
    ),
    (
        "dns_v1_answer",
        "suricata:dns",
        "2026-01-05T10:00:01.100000",
        {"dns.answers": ["203.0.113.9"], "dns.rcode": "NOERROR"},
    ),
    (
        "dns_v2_answers",
        "suricata:dns",
        "2026-01-05T10:00:02",
        {
            "dns.question.name": "www.example.org",
            "dns.answers": ["edge.example.net", "203.0.113.10"],
        },
    ),
    ("dns_v2_grouped", "suricata:dns", "2026-01-05T10:00:03", {"dns.answers": ["2001:db8::25"]}),
    (
        "dns_v3_queries",
        "suricata:dns",
        "2026-01-05T10:00:04",
        {"dns.question.name": "v3.example.com"},
    ),
    (
        "http_nat_hostname_ip",
        "suricata:http",
        "2026-01-05T08:00:05",
        {
            "url.full": "http://198.51.100.80/index.html",
            "destination.ip": "192.168.1.129",
            "destination.domain": None,
            "url.domain": None,
            "http.response.status_code": 200,
            "http.request.method": "GET",
            "user_agent.original": "curl/8.0",
        },
    ),
    (
        "http_named_host",
        "suricata:http",
        "2026-01-05T10:00:06",
        {
            "url.full": "http://updates.example.com:8080/dl/tool.exe?x=1",
            "url.domain": "updates.example.com",
            "url.path": "/dl/tool.exe",
            "destination.domain": "updates.example.com",
        },
    ),
    (
        "http_rtsp",
        "suricata:http",
        "2026-01-05T10:00:07",
        {"url.full": "rtsp://198.51.100.80:554/11", "http.request.method": "DESCRIBE"},
    ),
    (
        "tls_sni",
        "suricata:tls",
        "2026-01-05T10:00:08",
        {
            "tls.server_name": "login.example.org",
            "destination.domain": "login.example.org",
            "tls.ja3": "e7d705a3286e19ea42f587b344ee6865",
            "x509.subject": "CN=login.example.org",
            "x509.issuer": "CN=Example CA",
            "network.protocol": "tls",
        },
    ),
    (
        "fileinfo_exe",
        "suricata:fileinfo",
        "2026-01-05T10:00:09",
        {
            "file.name": "tool.exe",
            "file.path": "/dl/Tool.EXE",
            "file.hash.sha256": "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
            "file.hash.md5": "0cc175b9c0f1b6a831c399e269772661",
            "file.size": 4096,
            "file.mime_type": "application/octet-stream",
            "url.full": "http://updates.example.com:8080/dl/Tool.EXE",
            "suricata.fileinfo.magic": "PE32 executable (GUI) Intel 80386, for MS Windows",
        },
    ),
    (
        "fileinfo_root_path",
        "suricata:fileinfo",
        "2026-01-05T10:00:09.500000",
        {"file.size": 47, "file.name": None, "file.path": None},
    ),
    (
        "alert_scan",
        "suricata:alert",
        "2018-03-24T20:37:19.037299",  # -0600 offset applied
        {
            "rule.name": "ET SCAN Potential SSH Scan",
            "rule.id": "2001219",
            "rule.category": "Attempted Information Leak",
            "alert.severity": 2,
            "suricata.alert.metadata.tag": ["SCAN"],
        },
    ),
    (
        "alert_with_app_layer",
        "suricata:alert",
        "2026-01-05T10:00:13",
        {
            "rule.id": "2027863",
            "dns.question.name": "payload.example.top",
            "tls.server_name": "cdn.example.top",
        },
    ),
    (
        "anomaly_applayer",
        "suricata:anomaly",
        "2026-01-05T10:00:10",
        {"message": "APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION"},
    ),
    (
        "smb_other_type",
        "suricata:smb",
        "2026-01-05T10:00:11",
        {"suricata.smb.command": "SMB2_COMMAND_TREE_CONNECT", "destination.port": 445},
    ),
    (
        "stats_no_tuple",
        "suricata:stats",
        "2026-01-05T10:00:12",
        {"suricata.stats.capture.kernel_drops": 0, "source.ip": None},
    ),
]


@pytest.mark.parametrize(("case", "kind", "when", "expected"), CASES, ids=[c[0] for c in CASES])
def test_record_maps_to_normalised_fields(
    case: str, kind: str, when: str, expected: dict[str, Any]
) -> None:
    event = parse_one(RECORDS[case])
    assert (event.kind, event.ts) == (kind, utc(when))
    assert {key: event.fields.get(key) for key in expected} == expected


def test_every_fixture_case_is_in_the_table() -> None:
    assert {case for case, *_ in CASES} == set(RECORDS)


def test_sensor_host_field_is_not_the_endpoint() -> None:
    event = parse_one(RECORDS["flow_logged_late"])
    assert event.host is None
    assert (event.id, event.source, event.origin) == ("", "suricata", "eve.json:7")
    assert event.raw is RECORDS["flow_logged_late"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"event_type": None}, "event_type"),
        ({"event_type": 7}, "event_type"),
        ({"timestamp": "soon"}, "timestamp"),
        ({"timestamp": None}, "timestamp"),
        ({"timestamp": 1622987986.4}, "ISO-8601"),
        ({"timestamp": "0001-01-01T00:00:00+0000"}, "outside 1970"),
        ({"src_ip": "999.1.1.1"}, "src_ip"),
        ({"dest_port": "https"}, "dest_port"),
        ({"dest_port": "\u00b2"}, "dest_port"),  # "²".isdigit() is True, int() refuses it
        ({"alert": "ET SCAN"}, "alert object"),
    ],
)
def test_bad_record_is_rejected_with_reason(change: dict[str, Any], reason: str) -> None:
    record = {**RECORDS["alert_scan"], **change}
    with pytest.raises(ParseError, match=reason):
        list(PARSER.parse(record, ParseContext()))


def test_text_record_is_rejected() -> None:
    with pytest.raises(ParseError, match="JSON object"):
        list(PARSER.parse('{"event_type": "flow"}', ParseContext()))


@pytest.mark.parametrize(
    ("record", "is_eve"),
    [
        ({"event_type": "flow", "timestamp": "2026-01-05T10:00:00+0000"}, True),
        ({"event_type": "flow"}, False),
        ({"_path": "conn", "ts": 1.0}, False),
        ("event_type timestamp", False),
    ],
)
def test_sniff(record: Any, is_eve: bool) -> None:
    assert PARSER.sniff(record) is is_eve


def test_parsers_lists_the_eve_parser() -> None:
    assert [parser.name for parser in parsers()] == ["suricata"]


def test_ndjson_and_pretty_array_through_the_pipeline(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    records = list(RECORDS.values())
    lines, array = records[:10], records[10:]
    (logs / "eve.json").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in lines))
    (logs / "alerts.json").write_text(json.dumps(array, indent=2))
    journal = Journal(tmp_path / "journal.sqlite")
    report = ingest_paths([logs], store=None, journal=journal, progress=False)
    assert (report.total.received, report.total.accepted) == (len(records), len(records))
    kinds = Counter(row.event.kind for row in journal.iter_events())
    assert kinds == Counter(f"suricata:{r['event_type']}" for r in records)


# -- which side is the server: URLs carry the server's port, the client is named --------------

HAX = {  # WRCCDC 2018 alerts-only.json: an alert on the response, server -> client
    "timestamp": "2018-03-23T15:46:53.339346-0600", "event_type": "alert",
    "src_ip": "206.251.244.225", "src_port": 80, "dest_ip": "10.47.23.82", "dest_port": 50317,
    "proto": "TCP", "app_proto": "http",
    "alert": {"signature_id": 2018327, "signature": "ET WEB_CLIENT Possible BeEF Module in use"},
    "http": {"hostname": "hax.lol", "url": "/lol.js", "http_method": "GET", "status": 200},
}


def sides(record: dict[str, Any]) -> tuple[Any, ...]:
    fields = parse_one(record).fields
    return tuple(fields.get(k) for k in ("client.ip", "client.port", "server.ip", "server.port"))


REVERSED = ("10.47.23.82", 50317, "206.251.244.225", 80)
FORWARD = ("206.251.244.225", 80, "10.47.23.82", 50317)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, REVERSED),  # well-known source port, ephemeral destination: the source serves
        # Suricata >= 7: the flow object names the flow's own client, which wins over the ports
        ({"flow": {"src_ip": "10.47.23.82", "src_port": 50317, "dest_ip": "206.251.244.225"}}, REVERSED),
        ({"flow": {"src_ip": "206.251.244.225", "src_port": 80, "dest_ip": "10.47.23.82"}}, FORWARD),
        ({"direction": "to_server"}, FORWARD),
        ({"direction": "to_client", "src_port": 50317, "dest_port": 80}, ("10.47.23.82", 80, "206.251.244.225", 50317)),
        ({"alert": {"signature_id": 1, "direction": "to_server"}}, FORWARD),
        ({"src_port": 8093, "dest_port": 50506}, ("10.47.23.82", 50506, "206.251.244.225", 8093)),
        ({"src_port": 50506, "dest_port": 8093}, ("206.251.244.225", 50506, "10.47.23.82", 8093)),
        # ports of one class say nothing: the record's own direction stands
        ({"src_port": 8080, "dest_port": 1041}, ("206.251.244.225", 8080, "10.47.23.82", 1041)),
        ({"src_port": 0, "dest_port": 0}, ("206.251.244.225", 0, "10.47.23.82", 0)),
    ],
)
def test_client_and_server_follow_the_flow_not_the_packet(change: dict[str, Any], expected: tuple) -> None:
    assert sides({**HAX, **change}) == expected


def test_a_server_to_client_url_has_the_server_port_and_the_name_on_the_server_side() -> None:
    fields = parse_one(HAX).fields
    assert fields["url.full"] == "http://hax.lol/lol.js"  # was http://hax.lol:50317/lol.js
    assert (fields["source.domain"], fields.get("destination.domain")) == ("hax.lol", None)
    assert (fields["source.ip"], fields["destination.ip"]) == ("206.251.244.225", "10.47.23.82")


@pytest.mark.parametrize(
    ("change", "url"),
    [
        ({"src_port": 8080}, "http://hax.lol:8080/lol.js"),  # the server's port, not the client's
        ({"http": {**HAX["http"], "http_port": 8443}}, "http://hax.lol:8443/lol.js"),  # Host header
        ({"http": {"url": "/lol.js"}, "src_port": 8080}, "http://206.251.244.225:8080/lol.js"),
    ],
)
def test_the_url_port_is_the_host_headers_else_the_servers(change: dict[str, Any], url: str) -> None:
    assert parse_one({**HAX, **change}).fields["url.full"] == url


def test_fixture_records_name_their_client() -> None:
    """fileinfo and DNS answers travel server -> client; requests and flows do not say."""
    assert sides(RECORDS["fileinfo_exe"]) == ("192.0.2.10", 49170, "203.0.113.7", 8080)
    assert sides(RECORDS["dns_v1_answer"]) == ("192.0.2.11", 53000, "198.51.100.53", 53)
    assert sides(RECORDS["dns_v1_query"]) == ("192.0.2.11", 53000, "198.51.100.53", 53)
    assert sides(RECORDS["http_named_host"]) == ("192.0.2.10", 49170, "203.0.113.7", 8080)
    assert sides(RECORDS["flow_logged_late"]) == (None,) * 4  # no app-layer data


def test_a_server_to_client_tls_alert_puts_the_sni_on_the_server_side() -> None:
    record = {**HAX, "src_port": 443, "app_proto": "tls", "http": None, "tls": {"sni": "Login.Example.org"}}
    fields = parse_one(record).fields
    assert (fields.get("source.domain"), fields.get("destination.domain")) == ("login.example.org", None)
    assert fields["tls.server_name"] == "login.example.org"


@pytest.mark.parametrize(
    ("hostname", "original"),
    [
        ("-evil.com", "http://-evil.com/payload.exe"),  # the client writes the Host header
        ("evil .com", "http://evil .com/payload.exe"),
        ("ev%69l.com", "http://ev%69l.com/payload.exe"),
        ("-", None),  # unset: the server's IP, nothing to keep
    ],
)
def test_a_host_header_that_names_no_host_does_not_hide_the_request(hostname: str, original: str | None) -> None:
    event = parse_one({
        "timestamp": "2024-03-05T10:00:00.000000+0000", "event_type": "http", "proto": "TCP",
        "src_ip": "10.0.0.5", "src_port": 50000, "dest_ip": "203.0.113.9", "dest_port": 80,
        "http": {"hostname": hostname, "url": "/payload.exe", "http_method": "GET"},
    })
    assert event.fields["url.full"] == "http://203.0.113.9/payload.exe"
    assert event.fields.get("url.original") == original


def test_a_connect_request_is_the_origin_of_its_tunnels_far_end() -> None:
    """As for Zeek (audit L2): not http://c2.evil-example.com:443/c2.evil-example.com:443."""
    event = parse_one({"timestamp": "2024-03-05T10:15:33.000000+0000", "flow_id": 2, "event_type": "http",
                       "src_ip": "10.1.2.42", "src_port": 50000, "dest_ip": "10.1.0.8", "dest_port": 3128,
                       "proto": "TCP", "http": {"hostname": "c2.evil-example.com", "http_port": 443,
                                                "url": "c2.evil-example.com:443", "http_method": "CONNECT",
                                                "protocol": "HTTP/1.1", "status": 200}})
    assert event.fields["url.full"] == "https://c2.evil-example.com/"
    assert event.fields["url.original"] == "c2.evil-example.com:443" and "url.path" not in event.fields


DHCP_ACK = {"timestamp": "2024-03-05T09:00:00.000000+0000", "flow_id": 1, "event_type": "dhcp",
            "src_ip": "10.1.0.1", "src_port": 67, "dest_ip": "10.1.5.5", "dest_port": 68, "proto": "UDP",
            "dhcp": {"type": "reply", "id": 7, "client_mac": "00:11:22:33:44:AA", "assigned_ip": "10.1.5.5",
                     "dhcp_type": "ack", "lease_time": 86400, "hostname": "WS-0300.corp.example"}}


def test_a_dhcp_ack_sets_the_lease_fields_zeek_dhcp_sets() -> None:
    fields = parse_one(DHCP_ACK).fields
    assert {key: fields[key] for key in fields if key.startswith("dhcp.")} == {
        "dhcp.assigned_ip": "10.1.5.5", "dhcp.hostname": "ws-0300", "dhcp.mac": "00:11:22:33:44:aa",
        "dhcp.lease_seconds": 86400, "dhcp.message_types": ["ACK"], "dhcp.transaction_id": "7"}
    assert (fields["client.ip"], fields["server.ip"]) == ("10.1.5.5", "10.1.0.1")


@pytest.mark.parametrize(
    ("change", "absent"),
    [
        ({"assigned_ip": "0.0.0.0", "type": "request", "dhcp_type": "request"}, "dhcp.assigned_ip"),
        ({"hostname": None}, "dhcp.hostname"),
        ({"lease_time": None}, "dhcp.lease_seconds"),  # written only with extended: yes
    ],
)
def test_a_dhcp_message_without_a_value_sets_no_field_for_it(change: dict[str, Any], absent: str) -> None:
    record = json.loads(json.dumps(DHCP_ACK))
    record["dhcp"].update(change)
    record["dhcp"] = {key: value for key, value in record["dhcp"].items() if value is not None}
    assert absent not in parse_one(record).fields
