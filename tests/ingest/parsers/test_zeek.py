"""Unit tests of the Zeek parser over the project's own fixtures (no corpus needed)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsiem.model import Event
from ingest.journal import Journal
from ingest.parsers import zeek
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.zeek import ZeekParser, parsers
from ingest.parsers.zeek_logs import log_name_from_hint
from ingest.pipeline import ingest_paths
from ingest.readers.base import RawRecord
from ingest.readers.zeek_tsv import ZeekTsvReader

FIXTURES = Path(__file__).parent / "fixtures" / "zeek"
RECORDS: dict[str, dict[str, Any]] = json.loads((FIXTURES / "records.json").read_text())
PARSER = ZeekParser()


def parse_one(record: dict[str, Any], path_hint: str | None = None) -> Event:
    events = list(PARSER.parse(record, ParseContext(origin="fixture:1", path_hint=path_hint)))
    assert len(events) == 1
    return events[0]


# (fixture case, expected kind, expected ts, fields the event must carry with these values)
CASES: list[tuple[str, str, float, dict[str, Any]]] = [
    (
        "conn_epoch_ts",
        "zeek:conn",
        1767607200.125,
        {
            "source.ip": "192.0.2.10",
            "source.port": 49152,
            "destination.ip": "203.0.113.7",
            "destination.port": 443,
            "network.transport": "tcp",
            "network.protocol": "ssl",
            "zeek.duration": 1.5,
            "zeek.uid": "CJ1",
        },
    ),
    (
        "conn_iso_ts",
        "zeek:conn",
        1767607200.125,
        {"source.ip": "192.0.2.10", "destination.ip": "2001:db8::7"},
    ),
    (
        "dns_answers",
        "zeek:dns",
        1767607201.0,
        {
            "dns.question.name": "rare-cdn.example.com",
            "dns.answers": ["edge.example.net", "203.0.113.9", "v=spf1 -all"],
            "dns.rcode": "NOERROR",
            "network.protocol": "dns",
            "network.transport": "udp",
            "zeek.TTLs": [300.0, 60.0, 60.0],
        },
    ),
    ("dns_bad_query", "zeek:dns", 1767607201.5, {"zeek.query": "bad name with spaces"}),
    (
        "http_host_uri",
        "zeek:http",
        1767607202.5,
        {
            "url.full": "http://cdn.example.com/img/logo.png?v=1",
            "url.domain": "cdn.example.com",
            "url.path": "/img/logo.png",
            "destination.domain": "cdn.example.com",
            "http.request.method": "GET",
            "http.response.status_code": 200,
            "user_agent.original": "Mozilla/5.0",
        },
    ),
    (
        "http_no_request_line",
        "zeek:http",
        1767607203.0,
        {"destination.ip": "203.0.113.8", "destination.port": 8080, "http.response.status_code": 404},
    ),
    (
        "files_tx_rx",
        "zeek:files",
        1767607204.0,
        {
            "source.ip": "203.0.113.7",
            "destination.ip": "192.0.2.10",
            "file.hash.sha256": "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
            "file.hash.md5": "0cc175b9c0f1b6a831c399e269772661",
            "file.hash.sha1": "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8",
            "file.mime_type": "image/png",
            "file.path": "C:\\Temp\\Logo.PNG",
            "file.name": "logo.png",
            "file.size": 2048,
            "network.protocol": "http",
            "zeek.conn_uids": ["CJ5"],
        },
    ),
    (
        "files_is_orig",
        "zeek:files",
        1767607205.0,
        # the responder sent it (is_orig false): the receiver, the originator, is the client
        {"source.ip": "203.0.113.7", "destination.ip": "192.0.2.10", "file.size": 512,
         "client.ip": "192.0.2.10"},
    ),
    (
        "ssl_sni",
        "zeek:ssl",
        1767607206.0,
        {
            "tls.server_name": "login.example.org",
            "destination.domain": "login.example.org",
            "tls.ja3": "e7d705a3286e19ea42f587b344ee6865",
            "network.protocol": "tls",
        },
    ),
    (
        "x509_cert",
        "zeek:x509",
        1767607206.1,
        {
            "x509.subject": "CN=login.example.org",
            "x509.issuer": "CN=Example CA",
            "x509.san": ["login.example.org", "*.example.org"],
            "zeek.certificate.not_valid_before": 1735689600.0,
        },
    ),
    (
        "dhcp_lease",
        "zeek:dhcp",
        1767607207.0,
        {
            "dhcp.assigned_ip": "192.0.2.50",
            "dhcp.hostname": "ws-0042",
            "dhcp.mac": "aa:bb:cc:dd:ee:ff",
            "dhcp.lease_seconds": 86400.0,
            "source.ip": "192.0.2.50",
            "destination.ip": "192.0.2.1",
        },
    ),
    (
        "notice_scan",
        "zeek:notice",
        1767607208.0,
        {
            "rule.name": "Scan::Port_Scan",
            "message": "192.0.2.66 scanned at least 15 unique ports",
            "source.ip": "192.0.2.66",
            "destination.ip": "192.0.2.10",
            "destination.port": 22,
            "zeek.actions": ["Notice::ACTION_LOG"],
        },
    ),
    (
        "kerberos_other",
        "zeek:kerberos",
        1767607209.0,
        {
            "zeek.client": "alice/CORP.EXAMPLE",
            "zeek.success": True,
            "zeek.till": 0.0,
            "destination.port": 88,
            "source.hostname": None,  # a user, not a machine account
        },
    ),
    (
        "kerberos_machine_account",
        "zeek:kerberos",
        1767607212.0,
        {"source.ip": "192.0.2.50", "source.hostname": "ws-0042"},
    ),
    (
        "kerberos_machine_failed",
        "zeek:kerberos",
        1767607213.0,
        {"source.ip": "192.0.2.66", "source.hostname": None},
    ),
    (
        "syslog_cee",
        "zeek:syslog",
        1767607210.0,
        {
            "message": RECORDS["syslog_cee"]["message"],
            "log.syslog.facility": "LOCAL0",
            "log.syslog.severity": "INFO",
        },
    ),
]


@pytest.mark.parametrize(("case", "kind", "ts", "expected"), CASES, ids=[c[0] for c in CASES])
def test_record_maps_to_normalised_fields(
    case: str, kind: str, ts: float, expected: dict[str, Any]
) -> None:
    event = parse_one(RECORDS[case])
    assert (event.kind, event.ts) == (kind, ts)
    assert {key: event.fields.get(key) for key in expected} == expected


def test_sensor_event_has_no_host_and_keeps_raw_and_origin() -> None:
    record = RECORDS["conn_epoch_ts"]
    event = parse_one(record)
    assert event.host is None
    assert len(event.id) == 32  # the record's content id (tests/ingest/test_zeek_content_ids.py)
    assert event.source == "zeek"
    assert event.raw is record
    assert event.origin == "fixture:1"


def test_write_ts_and_path_are_not_fields() -> None:
    event = parse_one(RECORDS["conn_iso_ts"])
    assert not {"zeek._path", "zeek._write_ts", "zeek.ts"} & set(event.fields)


def test_nested_id_object_reads_like_dotted_keys() -> None:
    flat = RECORDS["conn_epoch_ts"]
    nested = {key: value for key, value in flat.items() if not key.startswith("id.")}
    nested["id"] = {key[3:]: value for key, value in flat.items() if key.startswith("id.")}
    event = parse_one(nested)
    assert event.fields == parse_one(flat).fields
    assert event.raw is nested


def test_invalid_dns_name_keeps_event_without_domain_field() -> None:
    event = parse_one(RECORDS["dns_bad_query"])
    assert "dns.question.name" not in event.fields


def test_log_name_comes_from_path_hint_without_path() -> None:
    event = parse_one(RECORDS["no_path_weird"], path_hint="logs/weird.00:00:00-01:00:00.log.gz")
    assert event.kind == "zeek:weird"
    assert event.fields["destination.ip"] == "192.0.2.255"


@pytest.mark.parametrize(
    ("hint", "name"),
    [("conn", "conn"), ("conn.log", "conn"), ("x/y/dns.json", "dns"), (None, None), ("", None)],
)
def test_log_name_from_hint(hint: str | None, name: str | None) -> None:
    assert log_name_from_hint(hint) == name


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"_path": "conn", "uid": "C1"}, "without ts"),
        ({"_path": "conn", "ts": "yesterday"}, "ts"),
        ({"_path": "conn", "ts": {"sec": 1}}, "ts"),
        ({"_path": "conn", "ts": True}, "ts"),
        ({"_path": "conn", "ts": 1.0, "id.orig_h": "not-an-ip"}, "id.orig_h"),
        ({"_path": "conn", "ts": 1.0, "id.orig_p": "eighty"}, "id.orig_p"),
        ({"_path": "conn", "ts": 1.0, "id.orig_p": "8\u00b2"}, "id.orig_p"),  # isdigit, not int()
        ({"_path": "conn", "ts": 1.0, "id.resp_p": True}, "id.resp_p"),
        ({"_path": "conn", "ts": 1.0, "id.resp_h": 7.5}, "id.resp_h"),
    ],
)
def test_bad_record_is_rejected_with_reason(record: dict[str, Any], reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        list(PARSER.parse(record, ParseContext()))


def test_text_record_is_rejected() -> None:
    with pytest.raises(ParseError, match="JSON object"):
        list(PARSER.parse("1.0\tC1\t192.0.2.1", ParseContext()))


@pytest.mark.parametrize(
    ("record", "is_zeek"),
    [
        ({"_path": "conn"}, True),
        ({"ts": 1.0, "uid": "C1"}, False),  # uid alone is an application's user id as often (no id.*)
        ({"ts": 1.0, "uid": "C1", "id.resp_h": "192.0.2.1"}, True),
        ({"ts": 1.0, "id.orig_h": "192.0.2.1"}, True),
        ({"ts": 1.0, "fuid": "F1", "tx_hosts": []}, True),
        ({"ts": 1.0}, False),
        ({"event_type": "flow", "timestamp": "2026-01-05T10:00:00Z"}, False),
        ("#separator \\x09", False),
    ],
)
def test_sniff(record: Any, is_zeek: bool) -> None:
    assert PARSER.sniff(record) is is_zeek


def test_parsers_lists_the_zeek_parser() -> None:
    assert [parser.name for parser in parsers()] == ["zeek"]


def _tsv_events(path: Path) -> list[Event]:
    events = []
    with path.open("rb") as stream:
        for item in ZeekTsvReader().read(stream, str(path)):
            assert isinstance(item, RawRecord), item
            context = ParseContext(origin=item.origin, path_hint=item.path_hint)
            events.extend(PARSER.parse(item.record, context))
    return events


def test_tsv_rows_parse_like_json_records() -> None:
    events = _tsv_events(FIXTURES / "conn_http.log")
    by_uid = {event.fields["zeek.uid"]: event for event in events}
    assert [event.kind for event in events] == ["zeek:conn"] * 2 + ["zeek:http"] * 3
    assert by_uid["CAbc3"].fields["url.full"] == "http://cdn.example.com/img/logo.png?v=1"
    assert by_uid["CAbc3"].fields["user_agent.original"] == "Mozilla/5.0\t(test)"
    assert "url.full" not in by_uid["CAbc4"].fields  # no request line: no URL is made up
    assert by_uid["CAbc5"].fields["url.full"] == "http://upload.example.net/a\\b"
    # "-" (unset) and "(empty)" both leave no normalised user agent
    assert "user_agent.original" not in by_uid["CAbc4"].fields
    assert "user_agent.original" not in by_uid["CAbc5"].fields
    json_http = parse_one(RECORDS["http_host_uri"])
    for key in ("url.full", "url.domain", "destination.domain", "http.request.method"):
        assert by_uid["CAbc3"].fields[key] == json_http.fields[key]


def test_gzipped_tsv_and_pathless_json_through_the_pipeline(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "conn_http.log.gz").write_bytes(
        gzip.compress((FIXTURES / "conn_http.log").read_bytes())
    )
    pathless = {key: value for key, value in RECORDS["dns_answers"].items() if key != "_path"}
    (logs / "dns.00:00:00-01:00:00.json").write_bytes(orjson.dumps(pathless) + b"\n")
    journal = Journal(tmp_path / "journal.sqlite")
    report = ingest_paths([logs], store=None, journal=journal, progress=False)
    assert (report.total.received, report.total.accepted) == (6, 6)
    kinds = Counter(row.event.kind for row in journal.iter_events())
    assert kinds == Counter({"zeek:conn": 2, "zeek:http": 3, "zeek:dns": 1})


@pytest.mark.parametrize(
    ("connection", "expected"),
    [
        ({"id.orig_h": "192.0.2.1", "id.orig_p": 5, "id.resp_h": "::ffff:192.0.2.2", "id.resp_p": "80"},
         {"source.ip": "192.0.2.1", "source.port": 5, "destination.ip": "192.0.2.2", "destination.port": 80}),
        ({"id.orig_h": "-", "id.resp_p": 0}, {"destination.port": 0}),  # unset address, port 0 kept
        ({}, {}),
    ],
)
def test_connection_endpoints_become_source_and_destination(connection, expected) -> None:
    event = parse_one({"_path": "weird", "ts": 1.0, **connection})
    endpoints = {k: v for k, v in event.fields.items() if k.startswith(("source.", "destination."))}
    assert endpoints == expected
    assert list(endpoints) == list(expected)  # the JSON the journal stores keeps this order


def test_kind_cache_stays_bounded_under_random_paths() -> None:
    kinds = [parse_one({"_path": f"p{n}", "ts": 1.0}).kind for n in range(zeek._NAME_CACHE_LIMIT + 10)]
    assert kinds[-1] == f"zeek:p{zeek._NAME_CACHE_LIMIT + 9}" and len(set(kinds)) == len(kinds)
    assert len(zeek._KINDS) <= zeek._NAME_CACHE_LIMIT


@pytest.mark.parametrize("uri", [None, ""], ids=["unset", "empty"])
def test_http_without_a_request_line_names_its_host_but_no_url(uri: str | None) -> None:
    """docs/fields.md: no ``uri`` gives no URL and no path (none is made up); the Host header names the server."""
    record = {key: value for key, value in RECORDS["http_host_uri"].items() if key != "uri"}
    if uri is not None:
        record["uri"] = uri
    fields = parse_one(record).fields
    assert not {"url.full", "url.path", "url.domain"} & fields.keys()
    assert fields["destination.domain"] == "cdn.example.com"


@pytest.mark.parametrize(
    ("host", "original"),
    [("-evil.com", "http://-evil.com/payload.exe"), ("evil .com", "http://evil .com/payload.exe"), ("-", None)],
)
def test_a_host_header_that_names_no_host_does_not_hide_the_request(host: str, original: str | None) -> None:
    event = parse_one({
        "_path": "http", "ts": 1709632800.0, "uid": "C1", "id.orig_h": "10.0.0.5", "id.orig_p": 50000,
        "id.resp_h": "203.0.113.9", "id.resp_p": 8080, "method": "GET", "host": host, "uri": "/payload.exe",
    })
    assert event.fields["url.full"] == "http://203.0.113.9:8080/payload.exe"  # the responder, its port
    assert event.fields.get("url.original") == original


# -- JSON::TS_MILLIS timestamps (audit M5) ------------------------------------


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (1709633733123, 1709633733.123),  # LogAscii::json_timestamps=JSON::TS_MILLIS
        (1709633733123.0, 1709633733.123),
        (1709633733, 1709633733.0),  # an integer count of seconds stays seconds
        (1709633733.123456, 1709633733.123456),
        (99_999_999_999, 99_999_999_999.0),  # the largest seconds value, year 5138: never milliseconds
        (100_000_000_000, 100_000_000.0),  # the smallest milliseconds value, 1973-03-03
    ],
)
def test_a_numeric_ts_is_milliseconds_only_where_no_seconds_value_can_be(ts: float, expected: float) -> None:
    event = parse_one({"_path": "conn", "ts": ts, "uid": "C1", "id.orig_h": "10.0.0.1", "id.resp_h": "10.0.0.2"})
    assert event.ts == expected


def test_a_millisecond_log_is_accepted_through_the_pipeline(tmp_path: Path) -> None:
    path = tmp_path / "conn.log"
    path.write_text('{"_path":"conn","ts":1709633733123,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":5,'
                    '"id.resp_h":"10.0.0.2","id.resp_p":80,"proto":"tcp"}\n')
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)
        assert (report.total.accepted, report.total.rejected) == (1, 0)
        assert [item.event.ts for item in journal.iter_events()] == [1709633733.123]


# -- HTTP CONNECT (audit L2) --------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "url", "domain"),
    [
        ("c2.evil-example.com:443", "https://c2.evil-example.com/", "c2.evil-example.com"),
        ("c2.evil-example.com:8443", "https://c2.evil-example.com:8443/", "c2.evil-example.com"),
        ("ws.example.com:80", "http://ws.example.com/", "ws.example.com"),
        ("[2001:db8::1]:443", "https://[2001:db8::1]/", None),
        ("c2.evil-example.com:https", None, None),  # no port number: kept as written only
    ],
)
def test_a_connect_request_is_the_origin_of_its_tunnels_far_end(uri: str, url: str | None, domain: str | None) -> None:
    event = parse_one({"_path": "http", "ts": 1709633733.5, "uid": "C1", "id.orig_h": "10.1.2.42",
                       "id.orig_p": 50000, "id.resp_h": "10.1.0.8", "id.resp_p": 3128, "method": "CONNECT",
                       "host": uri, "uri": uri, "status_code": 200})
    fields = event.fields
    assert fields.get("url.full") == url and fields["url.original"] == uri
    assert fields.get("url.domain") == domain and "url.path" not in fields
    assert fields["destination.ip"] == "10.1.0.8"  # the proxy, not the target
