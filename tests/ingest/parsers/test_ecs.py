"""The generic ECS parser: nested or dotted documents, normalisation, and not stealing Windows."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from ingest.ipmap import IpHostMap
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.ecs import EcsParser, flatten
from ingest.projection import Projector
from ingest.registry import default_registry

PARSER = EcsParser()


def parse(record):
    (event,) = PARSER.parse(record, ParseContext(origin="t:1"))
    return event


def test_nested_and_dotted_documents_give_the_same_event():
    nested = {"@timestamp": "2026-03-01T10:00:00Z", "host": {"name": "WS-1.corp"},
              "process": {"executable": "C:\\x\\A.exe", "pid": "0x10", "parent": {"pid": 4}}}
    dotted = {"@timestamp": "2026-03-01T10:00:00Z", "host.name": "WS-1.corp",
              "process.executable": "C:\\x\\A.exe", "process.pid": "0x10", "process.parent.pid": 4}
    a, b = parse(nested), parse(dotted)
    assert (a.kind, a.ts, a.host, a.fields) == (b.kind, b.ts, b.host, b.fields)
    assert a.host == "ws-1" and a.fields["process.pid"] == 16 and a.fields["process.name"] == "a.exe"


@pytest.mark.parametrize(
    ("record", "field", "expected"),
    [
        ({"url": {"full": "HTTP://Example.ORG:80/a?b=1"}}, "url.full", "http://example.org/a?b=1"),
        ({"url": {"full": "https://Example.org/x"}}, "url.domain", "example.org"),
        ({"dns": {"question": {"name": "A.Example.org."}}}, "dns.question.name", "a.example.org"),
        ({"dns": {"question": {"name": "a.example"}, "answers": [{"data": "::ffff:10.0.0.1"}]}},
         "dns.answers", ["10.0.0.1"]),
        ({"destination": {"ip": "::ffff:198.51.100.9", "port": "443"}}, "destination.ip", "198.51.100.9"),
        ({"destination": {"ip": "198.51.100.9", "port": "443"}}, "destination.port", 443),
        ({"user": {"name": "Bob", "domain": "CORP"}}, "user.name", "corp\\bob"),
        ({"file": {"path": "C:\\T\\Logo.PNG", "hash": {"sha256": "AB" * 32}}}, "file.hash.sha256", "ab" * 32),
        ({"file": {"path": "C:\\T\\Logo.PNG"}}, "file.name", "logo.png"),
        ({"process": {"command_line": "powershell -enc SQBFAFgA"}}, "process.command_line_decoded", "IEX"),
    ],
)
def test_fields_are_normalised(record, field, expected):
    event = parse({"@timestamp": 1772359200, "host": {"name": "h"}, **record})
    assert event.fields[field] == expected


def test_zone_less_time_uses_the_context_zone():
    record = {"@timestamp": "2026-03-01 10:00:00", "host": {"name": "h"}, "process": {"pid": 1}}
    (utc,) = PARSER.parse(record, ParseContext())
    (paris,) = PARSER.parse(record, ParseContext(default_timezone="Europe/Paris"))
    assert utc.ts - paris.ts == 3600


@pytest.mark.parametrize(
    "record",
    [
        {"host": {"name": "h"}, "process": {"pid": 1}},  # no time at all
        {"@timestamp": "yesterday", "host": {"name": "h"}, "process": {"pid": 1}},
        {"@timestamp": 1, "destination": {"ip": "not-an-ip"}},
        {"@timestamp": 1, "process": {"pid": "twelve"}},
    ],
)
def test_bad_records_raise_parse_error_with_a_reason(record):
    with pytest.raises(ParseError) as error:
        parse(record)
    assert str(error.value)


@pytest.mark.parametrize(
    "record",
    [
        {"@timestamp": "2026-03-01T10:00:00Z", "host": {"name": "wec"},
         "winlog": {"event_id": 1, "computer_name": "ws-1", "event_data": {}}},
        {"@timestamp": "2026-03-01T10:00:00Z", "host": {"name": "wec"}, "event_id": 1,
         "computer_name": "ws-1", "event_data": {"Image": "C:\\a.exe"}},
        {"_path": "conn", "ts": 1.0, "source": {"ip": "10.0.0.1"}},
        {"timestamp": "2026-03-01T10:00:00+0000", "event_type": "flow", "src_ip": "10.0.0.1",
         "host": "sensor"},
        {"EventID": 1, "Hostname": "ws-1", "@timestamp": "2026-03-01T10:00:00Z", "host": "wec"},
        {"message": "no ECS group", "@timestamp": 1},
        "a text line",
    ],
)
def test_sniff_does_not_steal_other_formats(record):
    assert not PARSER.sniff(record)


def test_the_default_registry_sends_ecs_documents_to_ecs_and_winlogbeat_to_winlogbeat():
    registry = default_registry()
    ecs = {"@timestamp": "2026-03-01T10:00:00Z", "host": {"name": "ws"}, "process": {"pid": 1}}
    beat = {"@timestamp": "2026-03-01T10:00:00Z", "host": {"name": "wec"},
            "winlog": {"event_id": 1, "computer_name": "ws", "channel": "Microsoft-Windows-Sysmon/Operational",
                       "event_data": {"Image": "C:\\a.exe"}}}
    assert registry.detect(ecs).name == "ecs"
    assert registry.detect(beat).name == "winlogbeat"


def test_flatten_keeps_lists_as_leaves():
    assert flatten(orjson.loads(b'{"a": {"b": [1, {"c": 2}]}}')) == {"a.b": [1, {"c": 2}]}


@pytest.mark.parametrize(
    ("process", "decoded"),
    [
        ({"command_line": "powershell -ec SQBFAFgA"}, "IEX"),
        ({"command_line": "x -ec SQBFAFgA", "executable": "/usr/bin/pwsh"}, "IEX"),
        ({"command_line": "x -ec SQBFAFgA", "name": "powershell.exe"}, "IEX"),  # the name when no image
        ({"command_line": "cmd /c echo -e SGVsbG8gV29ybGQhISE="}, None),
        # any image: a renamed PowerShell (T1036.003); the image sets how strict the text check is
        ({"command_line": "svch0st -enc SQBFAFgA", "executable": "C:\\Users\\Public\\svch0st.exe"}, "IEX"),
        ({"command_line": "powershell -e SGVsbG8gV29ybGQhISE="}, None),  # PowerShell, garbage payload
        ({"parent": {"command_line": "cmd /c echo -e SGVsbG8gV29ybGQhISE="}}, None),
    ],
)
def test_command_lines_are_decoded_scripts_not_garbage(process, decoded):
    event = parse({"@timestamp": 1772359200, "host": {"name": "h"}, "process": process})
    prefix = "process.parent" if "parent" in process else "process"
    assert event.fields.get(prefix + ".command_line_decoded") == decoded
    assert event.fields[prefix + ".command_line"] == (process.get("parent") or process)["command_line"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ({"full": "http://Bücher.Example./a"},
         {"url.full": "http://xn--bcher-kva.example/a", "url.domain": "xn--bcher-kva.example"}),
        ({"full": "http://[2001:db8::1]/a"}, {"url.full": "http://[2001:db8::1]/a"}),  # an IP: no url.domain
        # malformed: kept as written in url.original, the event is not lost and the port not dropped
        ({"full": "http://example.org:99999/a"}, {"url.original": "http://example.org:99999/a"}),
        ({"original": "/a/b"}, {"url.original": "/a/b"}),
    ],
)
def test_urls_use_the_domain_rule_and_malformed_ones_stay_as_written(url, expected):
    event = parse({"@timestamp": 1772359200, "host": {"name": "h"}, "url": url})
    got = {k: v for k, v in event.fields.items() if k.startswith("url.")}
    assert got == expected


def test_epoch_nanoseconds_are_read_by_magnitude():
    event = parse({"@timestamp": 1772359200123456789, "host": {"name": "192.168.1.41:8080"}})
    assert event.ts == pytest.approx(1772359200.123457) and event.host == "192.168.1.41"


# -- device views: traffic a sensor, firewall or proxy saw has no host of its own ---------------

DEVICES = [orjson.loads(line) for line in
           (Path(__file__).parent / "fixtures" / "ecs" / "devices.ndjson").read_bytes().splitlines()]
LEASE_START = 1709280000.0  # 2024-03-01T08:00:00Z: the fixture records are from 10:00


def _device_event(index: int):
    (event,) = PARSER.parse(DEVICES[index], ParseContext(origin=f"devices.ndjson:{index + 1}"))
    event.id = f"e{index}"
    return event


@pytest.mark.parametrize(("index", "observer"), [
    (0, {"observer.name": "zeek-sensor01", "observer.type": "ids", "observer.vendor": "zeek"}),
    (1, {"observer.name": "zeek-sensor01"}),  # Filebeat's zeek module, no observer.*
    (2, {"observer.name": "proxy01", "observer.type": "proxy", "observer.product": "squid"}),
    (7, {"observer.name": "pa-5050", "observer.hostname": "PA-5050.corp.example", "observer.ip": "192.0.2.1"}),
])
def test_device_views_have_no_host_and_keep_the_device_as_observer(index, observer):
    event = _device_event(index)
    assert event.host is None
    assert {key: event.fields.get(key) for key in observer} == observer
    assert "host.name.original" not in event.fields
    assert event.fields["source.ip"] == "10.0.0.5"


@pytest.mark.parametrize(("index", "why"), [
    (3, "an endpoint agent names the process (an EDR export with observer.* too)"),
    (4, "no observer and no network-sensor shipper: an endpoint's own connection"),
    (5, "Packetbeat on the endpoint: host.ip is the source"),
])
def test_endpoint_records_keep_their_host(index, why):
    assert _device_event(index).host == "ws-0042", why


def test_a_device_record_about_the_device_itself_keeps_it_as_host():
    event = _device_event(6)
    assert event.host == "fw01" and event.fields["observer.name"] == "fw01"


def test_client_and_server_stand_for_the_missing_ends():
    fields = _device_event(7).fields
    assert (fields["source.ip"], fields["destination.ip"]) == ("10.0.0.5", "198.51.100.7")
    assert (fields["client.ip"], fields["server.ip"]) == ("10.0.0.5", "198.51.100.7")


@pytest.mark.parametrize("bad", ["unknown", ["10.0.0.5", "10.0.0.6"], 7])
def test_a_bad_client_or_server_address_does_not_reject_the_record(bad):
    (event,) = PARSER.parse({"@timestamp": "2024-03-01T10:00:00Z", "host": {"name": "ws-1"},
                             "process": {"executable": "C:\\a.exe"}, "client": {"ip": bad},
                             "server": {"ip": bad}}, ParseContext(origin="t:1"))
    assert event.host == "ws-1" and "client.ip" not in event.fields


def test_zeek_and_squid_records_reach_the_client_host_through_a_dhcp_lease():
    ipmap = IpHostMap()
    ipmap.add_lease("10.0.0.5", "ws-0042", LEASE_START, 86400.0)
    projection = Projector(ipmap).project([_device_event(0), _device_event(1), _device_event(2)])
    relations = {(r.src, r.type, r.dst) for r in projection.relations}
    client = ("host", "ws-0042")
    assert (client, "CONNECTED", ("ip", "198.51.100.7")) in relations
    assert (client, "RESOLVED", ("domain", "cdn-img.example")) in relations
    assert (client, "REQUESTED", ("url", "http://cdn-img.example/x.png")) in relations
    # the sensor and the proxy are no hosts that connected or fetched the PNG
    assert {(e.type, e.key) for e in projection.entities if e.type == "host"} == {client}
    assert {("ws-0042", "url"), ("ws-0042", "file")} <= {(s.host, s.entity[0]) for s in projection.sightings}


def test_endpoint_network_records_stay_on_their_host_in_the_graph():
    relations = {(r.src[0], r.src[1], r.type) for r in Projector(IpHostMap()).project([_device_event(4)]).relations}
    assert ("host", "ws-0042", "CONNECTED") in relations
