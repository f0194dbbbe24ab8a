"""The service says whether the graph is caught up, and its ingest counters are true (S2 review, finding 6).

* ``/healthz`` and ``/metrics`` report the projection lag (events journaled,
  not yet in the graph), its age, and the journal's size.
* A re-sent record is accepted (received = accepted + rejected) and counted
  as a duplicate; the journal's growth is counted apart.
* An API request's rejections name the request (``api/<X-Request-ID>:<line>``):
  the same bad record in two requests is two kept rejections, as ``/metrics``
  counts two.
* The startup log names the data directory, the store and the ports.
"""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsiem.cli import main as graphsiem_main
from ingest.journal import Journal
from ingest.pipeline import ingest_records
from tests.api.conftest import Api, make_settings, running_api
from tests.api.fleet import fleet_events
from tests.api.projection_lag import wait_until_projected

EVENTS = fleet_events()[:12]
NDJSON = {"Content-Type": "application/x-ndjson"}


def _ndjson(records: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def _metric(text: str, name: str, labels: str = "") -> float:
    """The value of one sample of the exposition ``text`` (``labels`` as rendered, sorted)."""
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.MULTILINE)
    assert match is not None, f"{name}{labels} not in /metrics"
    return float(match.group(1))


def _healthz(api: Api) -> dict[str, Any]:
    response = api.client.get("/healthz")  # no key: liveness stays open to probes
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def idle_api(store: Any, tmp_path: Path) -> Any:
    """An app whose background projection waits an hour: events stay behind until a catch-up."""
    store.clear()
    settings = make_settings(tmp_path / "data", project_idle_s=3600, project_max_lag_s=3600)
    with running_api(settings, store) as api:
        yield api


def test_healthz_and_metrics_report_the_events_not_yet_in_the_graph(idle_api: Api) -> None:
    api = idle_api
    before = time.time()
    response = api.post("/v1/events", role="ingest", content=_ndjson(EVENTS), headers=NDJSON)
    assert response.json()["events"] == len(EVENTS)

    waiting = _healthz(api)
    assert waiting["status"] == "ok"
    projection = waiting["projection"]
    assert projection["lag_events"] == len(EVENTS)
    assert projection["journaled_seq"] == projection["journal_events"] == len(EVENTS)
    assert projection["projected_seq"] == 0
    # waiting since the ingest call (or the service's start): never more than since before it
    assert 0 <= projection["lag_seconds"] <= time.time() - before
    journal_file = api.ctx.settings.journal_path
    assert projection["journal_bytes"] == journal_file.stat().st_size > 0
    metrics = api.get("/metrics", role="analyst").text
    assert _metric(metrics, "graphsiem_projection_lag_events") == len(EVENTS)
    assert _metric(metrics, "graphsiem_journal_events") == len(EVENTS)
    assert _metric(metrics, "graphsiem_projection_checkpoint_seq") == 0
    assert _metric(metrics, "graphsiem_journal_bytes") == journal_file.stat().st_size
    assert _metric(metrics, "graphsiem_projection_lag_seconds") >= projection["lag_seconds"]

    assert api.ctx.ingest.catch_up() == len(EVENTS)
    caught_up = _healthz(api)["projection"]
    assert (caught_up["lag_events"], caught_up["lag_seconds"]) == (0, 0)
    assert caught_up["projected_seq"] == len(EVENTS)
    assert 0 <= caught_up["last_projection_age_seconds"] <= time.time() - before
    metrics = api.get("/metrics", role="analyst").text
    assert _metric(metrics, "graphsiem_projection_lag_events") == 0
    assert _metric(metrics, "graphsiem_projection_lag_seconds") == 0
    assert before <= _metric(metrics, "graphsiem_projection_last_success_timestamp_seconds") <= time.time()


def test_events_another_process_journaled_count_in_the_lag(idle_api: Api) -> None:
    # `graphsiem ingest` on the same data directory journals without telling the service
    with Journal(idle_api.ctx.settings.journal_path) as other:
        ingest_records(EVENTS[:3], store=None, journal=other, origin="cli")
    first = _healthz(idle_api)["projection"]
    assert first["lag_events"] == 3 and first["lag_seconds"] >= 0
    second = _healthz(idle_api)["projection"]
    assert second["lag_seconds"] >= first["lag_seconds"]  # one wait, from when it was first seen
    idle_api.ctx.ingest.catch_up()
    assert _healthz(idle_api)["projection"]["lag_events"] == 0


def test_a_test_waits_on_lag_zero_and_the_graph_then_holds_the_events(api: Api) -> None:
    host = EVENTS[0]["host"]["name"]
    api.post("/v1/events", role="ingest", content=_ndjson(EVENTS), headers=NDJSON)
    projection = wait_until_projected(lambda: _healthz(api), at_least_seq=len(EVENTS))
    assert projection["projected_seq"] == len(EVENTS)
    # no polling: once the lag is 0 the graph answers
    response = api.get(f"/v1/entities/host/{host}", role="analyst")
    assert response.status_code == 200, response.text


def test_a_resent_batch_is_accepted_and_counted_as_duplicates(api: Api) -> None:
    body = _ndjson(EVENTS)
    first = api.post("/v1/events", role="ingest", content=body, headers=NDJSON).json()
    again = api.post("/v1/events", role="ingest", content=body, headers=NDJSON).json()
    assert (first["accepted"], first["duplicates"], first["events"]) == (12, 0, 12)
    assert (again["accepted"], again["duplicates"], again["events"]) == (12, 12, 0)
    metrics = api.get("/metrics", role="analyst").text
    channel = '{channel="api"}'
    # the API's contract: received = accepted + rejected, a re-sent record is accepted ...
    assert _metric(metrics, "graphsiem_ingest_records_total", '{channel="api",outcome="accepted"}') == 24
    # ... and counted as what it is: already journaled, nothing new
    assert _metric(metrics, "graphsiem_ingest_duplicate_records_total", channel) == 12
    assert _metric(metrics, "graphsiem_ingest_journaled_events_total", channel) == 12
    assert _metric(metrics, "graphsiem_journal_events") == 12  # the journal grew by 12, not 24
    assert "Accepted records whose events were all in the journal already" in metrics


def _kept_rejections(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """``graphsiem rejected --json`` on the data directory."""
    capsys.readouterr()
    assert graphsiem_main(["rejected", "--data", str(data_dir), "--json", "--limit", "100"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("content_type", "body", "origin"), [
    ("application/x-ndjson", _ndjson(EVENTS[:2]) + b"{not json\n", "api/{id}:3"),
    ("application/json", orjson.dumps([*EVENTS[:2], [1, 2]]), "api/{id}#3"),
    ("text/csv", b"TimeGenerated,Computer,EventID\n\"2/25/2025, 9:21:00.000 AM\",ws-0003\n", "api/{id}:2"),
])
def test_the_same_bad_record_in_two_requests_is_two_kept_rejections_naming_their_request(
        api: Api, capsys: pytest.CaptureFixture[str], content_type: str, body: bytes, origin: str) -> None:
    responses = [api.post("/v1/events", role="ingest", content=body, headers={"Content-Type": content_type})
                 for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 200], responses[0].text
    kept = _kept_rejections(api.ctx.settings.data_dir, capsys)
    metrics = api.get("/metrics", role="analyst").text
    # before: 2 counted, 1 kept (one origin `api:N` for both, de-duplicated)
    assert kept["total"] == _metric(metrics, "graphsiem_ingest_records_total",
                                    '{channel="api",outcome="rejected"}') == 2
    ids = [r.headers["X-Request-ID"] for r in responses]
    assert ids[0] != ids[1] and all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)
    for response, request_id in zip(responses, ids, strict=True):
        (rejection,) = response.json()["rejections"]
        assert rejection["origin"] == origin.format(id=request_id)
    assert sorted(r["origin"] for r in kept["rejected"]) == sorted(origin.format(id=i) for i in ids)


def test_an_uploaded_file_s_rejections_name_the_request(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    response = api.post("/v1/files", role="ingest",
                        files={"file": ("events.ndjson", _ndjson(EVENTS[:2]) + b"{not json\n")})
    assert response.status_code == 200, response.text
    request_id = response.headers["X-Request-ID"]
    (rejection,) = response.json()["rejections"]
    assert rejection["origin"] == f"<data>/uploads/{request_id}/events.ndjson:3"
    (kept,) = _kept_rejections(api.ctx.settings.data_dir, capsys)["rejected"]
    assert f"/uploads/{request_id}/events.ndjson:3" in kept["origin"]


def test_every_answer_names_its_request_refusals_too(api: Api) -> None:
    ok = api.client.get("/healthz")
    refused = api.client.get("/v1/clusters")  # no key: 401
    too_big = api.post("/v1/events", role="ingest", content=b"x" * (api.ctx.settings.max_body_bytes + 1))
    ids = [r.headers.get("X-Request-ID") for r in (ok, refused, too_big)]
    assert (refused.status_code, too_big.status_code) == (401, 413)
    assert all(i and re.fullmatch(r"[0-9a-f]{16}", i) for i in ids) and len(set(ids)) == 3
    # a client's own id is not taken: two requests sending one id stay two requests
    sent = api.client.get("/healthz", headers={"X-Request-ID": "mine"})
    assert sent.headers["X-Request-ID"] != "mine"
    assert sent.headers.get_list("X-Request-ID") == [sent.headers["X-Request-ID"]]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_startup_log_names_the_data_dir_the_store_and_the_ports(store: Any, tmp_path: Path) -> None:
    from graphsiem.api.startup_log import STARTUP_LOGGER

    store.clear()
    settings = make_settings(tmp_path / "data", port=8123, syslog_udp_port=0, syslog_tcp_port=0)
    # uvicorn's logger, as `graphsiem serve` shows it; a handler of its own, whatever
    # logging configuration an earlier test (a live uvicorn) left behind
    logger = logging.getLogger(STARTUP_LOGGER)
    handler, level = _Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with running_api(settings, store) as api:
            udp, tcp = api.app.state.syslog.udp_port, api.app.state.syslog.tcp_port
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    (line,) = [line for line in handler.lines if line.startswith("GraphSIEM serving")]
    assert f"data dir {settings.data_dir.resolve()}," in line
    assert "HTTP on 127.0.0.1:8123" in line
    assert f"syslog udp 127.0.0.1:{udp}, tcp 127.0.0.1:{tcp}" in line
    if store.name == "neo4j":
        assert f"store neo4j at {store.uri} (database {store.database!r})" in line
    else:
        assert f"store embedded in {store.directory}," in line
