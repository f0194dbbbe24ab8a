"""Suricata EVE parsing over every EVE file of the sample corpus (``$GRAPHSIEM_SAMPLES``).

Without the corpus these tests skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from graphsiem.model import Event
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.suricata import SuricataEveParser
from tests.samples import samples_path

REPO = Path(__file__).parents[3]
SAMPLES = samples_path()
SLIPS = SAMPLES / "stratosphere-slips" / "test6-malicious.suricata.json"
ALERTS = SAMPLES / "suricata-sample-data" / "wrccdc-2018" / "alerts-only.json"
PARSER = SuricataEveParser()
_EPHEMERAL = 32768

if not SAMPLES.is_dir() and os.environ.get("CI") != "true":
    pytest.fail(f"sample corpus not found at {SAMPLES} (set GRAPHSIEM_SAMPLES)", pytrace=False)


def ndjson_records(path: Path) -> list[Any]:
    with path.open("rb") as stream:
        return [orjson.loads(line) for line in stream if line.strip()]


def parse_all(records: list[Any]) -> tuple[list[Event], list[str]]:
    events, rejected = [], []
    for number, record in enumerate(records, 1):
        try:
            events.extend(PARSER.parse(record, ParseContext(origin=f"#{number}")))
        except ParseError as error:
            rejected.append(str(error))
    return events, rejected


@pytest.fixture(scope="module")
def slips() -> tuple[list[Any], list[Event], list[str]]:
    records = ndjson_records(SLIPS)
    return (records, *parse_all(records))


def test_slips_gives_5000_records_each_parsed_or_rejected(slips: Any) -> None:
    records, events, rejected = slips
    assert len(records) == 5000
    assert len(events) + len(rejected) == 5000
    assert len(rejected) <= 50, Counter(rejected).most_common(3)


def test_slips_event_kinds_follow_event_type(slips: Any) -> None:
    records, events, _ = slips
    expected = Counter(f"suricata:{record['event_type']}" for record in records)
    assert Counter(event.kind for event in events) == expected
    assert {"suricata:flow", "suricata:dns", "suricata:http", "suricata:tls"} <= set(expected)


def test_slips_nat_hostname_stays_in_url_but_not_in_domain(slips: Any) -> None:
    _, events, _ = slips
    http = [event for event in events if event.kind == "suricata:http"]
    nat = [
        event
        for event in http
        if event.fields.get("url.full", "").startswith("http://147.32.82.197")
        and event.fields["destination.ip"] == "192.168.1.129"
    ]
    assert nat, "the Slips NAT case (public hostname, private dest_ip) is present"
    assert all("destination.domain" not in event.fields for event in nat)


def test_slips_dns_answers_and_tls_sni(slips: Any) -> None:
    _, events, _ = slips
    answers = {
        answer
        for event in events
        if event.kind == "suricata:dns"
        for answer in event.fields.get("dns.answers", [])
    }
    assert "122.248.252.67" in answers and "ns.myedimax.com" in answers
    (tls,) = [event for event in events if event.kind == "suricata:tls"]
    assert tls.fields["tls.server_name"] == "www.myedimax.com"


def test_slips_events_are_not_in_time_order_but_all_have_times(slips: Any) -> None:
    _, events, _ = slips
    times = [event.ts for event in events]
    assert times != sorted(times)
    assert all(1.6e9 < ts < 1.7e9 for ts in times)


def test_alerts_only_array_parses() -> None:
    records = orjson.loads(ALERTS.read_bytes())
    assert isinstance(records, list) and len(records) == 207
    events, rejected = parse_all(records)
    assert rejected == []
    assert {event.kind for event in events} == {"suricata:alert"}
    assert all(event.fields.get("rule.name") and event.fields.get("rule.id") for event in events)
    assert len({event.fields["rule.id"] for event in events}) == 207  # one alert per signature


@pytest.mark.parametrize("path", [ALERTS, SLIPS], ids=["wrccdc-alerts", "slips"])
def test_no_url_carries_the_clients_port(path: Path) -> None:
    """A URL's port is the Host header's or the server's: never the client's ephemeral one."""
    records = orjson.loads(path.read_bytes()) if path == ALERTS else ndjson_records(path)
    events, _ = parse_all(records)
    with_url = [event.fields for event in events if "url.full" in event.fields]
    assert len(with_url) >= 60
    for fields in with_url:
        port = urlsplit(fields["url.full"]).port
        assert port is None or port != fields["client.port"], fields["url.full"]
        assert port is None or port < _EPHEMERAL or port == fields.get("suricata.http.http_port"), fields["url.full"]


def test_wrccdc_responses_name_the_client_at_their_destination() -> None:
    events, _ = parse_all(orjson.loads(ALERTS.read_bytes()))
    by_url = {event.fields["url.full"]: event.fields for event in events if "url.full" in event.fields}
    for url, client in [
        ("http://hax.lol/lol.js", "10.47.23.82"),
        ("http://www.microsoft.com/", "10.47.5.152"),
        ("http://download.cdn.mozilla.net/pub/firefox/releases/59.0.1/win64/en-US/Firefox%20Setup%2059.0.1.exe",
         "10.47.1.152"),
        ("http://10.47.8.218:8093/libhtp::request_uri_not_seen", "10.128.0.215"),
    ]:
        assert by_url[url]["client.ip"] == by_url[url]["destination.ip"] == client, url
