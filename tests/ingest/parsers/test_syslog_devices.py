"""CEF from network devices: no host of their own, the device as observer, the client through the IP map."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphsiem.model import Event
from ingest.ipmap import IpHostMap
from ingest.parsers.base import ParseContext
from ingest.parsers.syslog import SyslogParser
from ingest.projection import Projector

LINES = (Path(__file__).parent / "fixtures" / "syslog" / "devices.log").read_text("utf-8").splitlines()
PARSER = SyslogParser()
LEASE_START = 1709280000.0  # 2024-03-01T08:00:00Z: the fixture lines are from 10:00


def _parse(index: int) -> Event:
    (event,) = PARSER.parse(LINES[index], ParseContext(origin=f"devices.log:{index + 1}", reference_year=2024))
    event.id = f"e{index}"
    return event


@pytest.mark.parametrize(("index", "observer"), [
    (0, {"observer.name": "fw01", "observer.vendor": "Example Corp", "observer.product": "Edge Firewall"}),
    (1, {"observer.name": "fw01"}),
    (2, {"observer.name": "proxy01", "observer.product": "Web Proxy"}),
    (6, {"observer.name": "fw01"}),
])
def test_traffic_a_device_saw_has_no_host_and_names_the_device_as_observer(index: int, observer: dict) -> None:
    event = _parse(index)
    assert event.host is None
    assert {key: event.fields.get(key) for key in observer} == observer
    assert "host.name.original" not in event.fields  # it named the event's host: there is none
    assert event.fields["source.ip"] == "10.0.0.5"


@pytest.mark.parametrize(("index", "host", "why"), [
    (3, "fw01", "the device's own address is the source: its own DNS lookup"),
    (4, "fw01", "no party but the device: a log-on to the firewall itself"),
    (5, "ws-0042", "an endpoint product names the process: its record is of its own machine"),
])
def test_events_of_the_device_itself_keep_it_as_host(index: int, host: str, why: str) -> None:
    assert _parse(index).host == host, why


def test_shost_of_an_internal_address_is_the_source_hostname_not_a_domain() -> None:
    fields = _parse(0).fields
    assert fields["source.hostname"] == "ws-0042"
    assert "source.domain" not in fields


def test_an_address_spelled_in_fullwidth_digits_in_shost_is_an_address_not_a_host_name() -> None:
    line = ("<13>1 2024-03-01T10:00:00Z fw01 fw - - - CEF:0|V|FW|1|100|allowed|3|src=10.0.0.5 "
            "dst=198.51.100.7 shost=\uff11\uff10.\uff10.\uff10.\uff19")
    (event,) = PARSER.parse(line, ParseContext(origin="t:1"))
    assert "source.hostname" not in event.fields and event.fields["source.ip"] == "10.0.0.5"


def test_the_client_reaches_its_host_through_a_dhcp_lease() -> None:
    ipmap = IpHostMap()
    ipmap.add_lease("10.0.0.5", "ws-0042", LEASE_START, 86400.0)
    download, request = _parse(1), _parse(2)
    projection = Projector(ipmap).project([download, request])
    relations = {(r.src, r.type, r.dst) for r in projection.relations}
    client = ("host", "ws-0042")
    assert (client, "CONNECTED", ("ip", "198.51.100.7")) in relations
    assert (client, "REQUESTED", ("url", "http://cdn-img.example/x.png")) in relations
    # neither the firewall nor the proxy became a host that fetched the PNG
    assert {(e.type, e.key) for e in projection.entities if e.type == "host"} == {client}
    sighted = {(s.host, s.entity[0]) for s in projection.sightings}
    assert {("ws-0042", "url"), ("ws-0042", "file")} <= sighted


def test_without_a_lease_the_shost_teaches_the_map_its_client() -> None:
    ipmap = IpHostMap()
    event = _parse(0)
    assert ipmap.observe(event)  # source.hostname of a sensor event is as good as an endpoint observation
    relations = {(r.src, r.type, r.dst[0]) for r in Projector(ipmap).project([event]).relations}
    assert (("host", "ws-0042"), "REQUESTED", "url") in relations


def test_without_any_mapping_the_client_acts_as_its_ip() -> None:
    relations = {(r.src, r.type, r.dst[0]) for r in Projector(IpHostMap()).project([_parse(1)]).relations}
    assert (("ip", "10.0.0.5"), "REQUESTED", "url") in relations
    assert not any(src[0] == "host" for src, _, _ in relations)
