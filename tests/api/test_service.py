"""Health, readiness, metrics, detections (on request and scheduled) and error hygiene."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from graphsiem.store.embedded import EmbeddedStore
from tests.api.conftest import Api, make_settings, running_api


def test_detection_run_is_recorded_and_counted(fleet_api: Api) -> None:
    runs = fleet_api.get("/v1/detections", role="analyst").json()
    assert runs[0]["status"] == "done" and runs[0]["cluster_count"] >= 1
    assert runs[0]["requested_by"].startswith("test-analyst")
    assert runs[0]["duration_s"] > 0 and runs[0]["finished_at"].endswith("Z")
    metrics = fleet_api.get("/metrics").text
    assert 'graphsiem_detection_runs_total{status="done",trigger="api"} 1.0' in metrics
    assert "graphsiem_detection_duration_seconds_count 1.0" in metrics
    assert f"graphsiem_active_clusters {float(runs[0]['cluster_count'])}" in metrics


def test_unknown_detection_is_404(api: Api) -> None:
    response = api.get("/v1/detections/0123456789abcdef")
    assert response.status_code == 404 and response.json()["error"]["field"] == "path.detection_id"


def test_scheduled_detection_runs_on_its_own(store: Any, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", detect_interval_s=0.2)
    with running_api(settings, store) as api:
        api.ingest_fleet()
        # The schedule runs while the fleet is posted: a run that caught up
        # before the fleet was journaled rightly found no cluster.  The run
        # checked is the first one queued after the ingest returned.
        before = {r["id"] for r in api.get("/v1/detections").json()}
        deadline = time.monotonic() + 60
        finished: list[dict] = []
        while not finished and time.monotonic() < deadline:
            time.sleep(0.1)
            finished = [r for r in api.get("/v1/detections").json()
                        if r["id"] not in before and r["status"] in ("done", "failed")]
        assert finished, "no scheduled detection finished within 60 s of the ingest"
        run = finished[-1]  # the oldest: runs are listed newest first
        assert (run["trigger"], run["status"]) == ("schedule", "done"), run
        assert run["cluster_count"] >= 1
        assert api.get("/v1/clusters").json()["items"]


@pytest.mark.parametrize("kind", ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def test_readyz_is_503_when_the_store_is_unreachable(kind: str, tmp_path: Path,
                                                    request: pytest.FixtureRequest) -> None:
    if kind == "neo4j":
        lost = request.getfixturevalue("neo4j_server").connect()
    else:
        lost = EmbeddedStore(tmp_path / "graph")
    lost.close()  # the backend is gone: closed driver / closed store
    with running_api(make_settings(tmp_path / "data"), lost) as api:
        response = api.client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "unavailable"
        assert api.client.get("/healthz").status_code == 200


def test_unexpected_errors_leak_no_trace_or_path(api: Api) -> None:
    @api.app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError(f"failure in {__file__} with secret internals")

    response = api.client.get("/boom")
    assert response.status_code == 500
    text = response.text
    assert "Traceback" not in text and __file__ not in text and "secret" not in text
    assert response.json()["error"]["code"] == "internal_error"


def test_error_bodies_share_one_shape_and_never_echo_paths(api: Api) -> None:
    responses = [
        api.client.get("/v1/clusters"),
        api.get("/v1/clusters", role="ingest"),
        api.get("/v1/clusters/none"),
        api.get("/v1/clusters", params={"limit": "many"}),
        api.client.get("/no/such/route"),
        api.client.put("/v1/clusters", headers=api.headers()),
        api.post("/v1/events", role="ingest", content=b"x" * (api.ctx.settings.max_body_bytes + 1)),
    ]
    data_dir = str(api.ctx.settings.data_dir)
    for response in responses:
        assert response.status_code >= 400
        body = response.json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
        assert data_dir not in response.text and "Traceback" not in response.text
        assert "/work/" not in response.text and "site-packages" not in response.text


def test_openapi_documents_every_v1_route_with_examples(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    assert schema["info"]["title"] == "GraphSIEM API"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method} {path} has no summary"
    components = schema["components"]["schemas"]
    for name in ("IngestReport", "ClusterSummary", "TriagePatch", "EntityOut", "DetectionOut"):
        assert components[name].get("examples"), name
    body = schema["paths"]["/v1/events"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-ndjson", "text/plain"} <= set(body)
