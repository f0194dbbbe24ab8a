"""The evidence says when a live event arrived, and how long after the time it claims (task E1).

A syslog line's writer chooses its time: forged lines back-dated by a day made
a campaign look old (review R5, item 1).  :mod:`ingest.receipt` bounds what such
lines do to the sightings; the evidence the API serves shows the analyst the
arrival beside the claimed time: ``received_at`` (ISO-8601 UTC) and
``received_late_s`` (receipt minus ``ts``, when positive), on every event a live
channel received (the syslog listener over a real UDP socket, ``POST
/v1/events``), in ``GET /v1/evidence`` and a cluster's detail alike, and on
none of a file ingested as ``graphsiem ingest`` does.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.pipeline import ingest_paths
from ingest.receipt import RECEIVED_AT
from tests.api.conftest import Api, make_settings, running_api
from tests.api.syslog_listener_thread import wait_until
from tests.web.queue_helpers import stored_cluster
from tests.web.support import process_creation

LATE_S = 20 * 3600


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _epoch(iso: str) -> float:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


@pytest.fixture
def api(embedded_store: Any, tmp_path: Path) -> Iterator[Api]:
    """The service with its syslog listener on a free UDP port."""
    settings = make_settings(tmp_path / "data", syslog_udp_port=0, syslog_flush_s=0.05)
    with running_api(settings, embedded_store) as running:
        yield running


def _journaled(api: Api, host: str) -> str:
    """The id of the one journaled event about ``host``."""
    ids = [item.event.id for item in api.ctx.ingest.journal().iter_events() if item.event.host == host]
    assert len(ids) == 1, (host, ids)
    return ids[0]


def _evidence(api: Api, event_id: str) -> dict[str, Any]:
    answer = api.get("/v1/evidence", role="analyst", params={"ids": [event_id]})
    assert answer.status_code == 200, answer.text
    [item] = answer.json()["items"]
    return item


def _assert_late(item: dict[str, Any], sent_from: float, sent_to: float) -> None:
    """``item`` arrived between ``sent_from`` and ``sent_to``, 20 h after the time it claims."""
    received = _epoch(item["received_at"])
    assert sent_from - 0.001 <= received <= sent_to + 0.001, (item["received_at"], sent_from, sent_to)
    assert received == pytest.approx(item["fields"][RECEIVED_AT], abs=0.001)
    assert item["received_late_s"] == pytest.approx(received - _epoch(item["ts"]), abs=0.002)
    assert LATE_S <= item["received_late_s"] < LATE_S + 120


def _send_syslog(api: Api, line: str, count: int) -> None:
    """Send ``line`` to the listener over UDP and wait until ``count`` lines in all are journaled."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(line.encode(), ("127.0.0.1", api.app.state.syslog.udp_port))
    accepted = api.ctx.metrics.ingest_records.labels("syslog-udp", "accepted")
    wait_until(lambda: accepted._value.get() >= count, "the line journaled")


def test_a_syslog_line_dated_20_hours_ago_shows_when_it_arrived(api: Api) -> None:
    dated = float(int(time.time()) - LATE_S)  # whole seconds: the line's time is exact
    sent_from = time.time()
    _send_syslog(api, f"<38>1 {_iso(dated)} late-syslog sshd 4242 - - "
                      "Accepted password for bob from 10.9.8.7 port 5 ssh2", 1)
    sent_to = time.time()

    item = _evidence(api, _journaled(api, "late-syslog"))
    assert _epoch(item["ts"]) == dated  # the event keeps the time it claims
    _assert_late(item, sent_from, sent_to)


def test_an_api_event_dated_20_hours_ago_shows_when_it_arrived(api: Api) -> None:
    dated = float(int(time.time()) - LATE_S)
    sent_from = time.time()
    report = api.post("/v1/events", role="ingest",
                      json=[process_creation("late-api", 1, _iso(dated), "whoami.exe /all")])
    sent_to = time.time()
    assert report.status_code == 200 and report.json()["accepted"] == 1, report.text

    event_id = _journaled(api, "late-api")
    _assert_late(_evidence(api, event_id), sent_from, sent_to)
    # A cluster's detail carries its evidence events the same way.
    api.ctx.state.save_clusters("d-late", [stored_cluster(50.0, "late", evidence=[
        {"source": "winlogbeat", "event_id": event_id}])])
    detail = api.get("/v1/clusters/c-late", role="analyst")
    assert detail.status_code == 200, detail.text
    [row] = detail.json()["evidence"]
    _assert_late(row["event"], sent_from, sent_to)


def test_a_syslog_line_dated_by_its_receipt_is_not_late(api: Api) -> None:
    sent_from = time.time()
    _send_syslog(api, "<38>1 - nil-time sshd 77 - - Failed password for root from 10.9.8.7 port 6 ssh2", 1)
    sent_to = time.time()

    item = _evidence(api, _journaled(api, "nil-time"))
    assert item["fields"]["log.syslog.time_source"] == "receipt"
    assert sent_from - 0.001 <= _epoch(item["received_at"]) <= sent_to + 0.001
    assert "received_late_s" not in item  # its time is its receipt: not after it


def test_a_file_ingested_as_the_cli_does_shows_no_receipt(api: Api, tmp_path: Path) -> None:
    dated = float(int(time.time()) - LATE_S)
    export = tmp_path / "export.ndjson"
    export.write_text(json.dumps(process_creation("cli-file", 1, _iso(dated), "whoami.exe /all")) + "\n")
    report = ingest_paths([export], store=None, journal=api.ctx.ingest.journal(), progress=False)
    assert report.total.accepted == 1

    item = _evidence(api, _journaled(api, "cli-file"))
    assert _epoch(item["ts"]) == dated
    assert RECEIVED_AT not in item["fields"]
    assert "received_at" not in item and "received_late_s" not in item
