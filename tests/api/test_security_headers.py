"""Every response says ``nosniff``; JSON responses carry a deny-all Content-Security-Policy.

Real responses of the real app (embedded store, the test fleet ingested and
detected): raw evidence records, case bundles and errors are attacker-written
text, and must never be taken for a page by a browser.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from graphsiem.api.app import create_app
from graphsiem.store.embedded import EmbeddedStore
from graphsiem.web import CONTENT_SECURITY_POLICY
from tests.api.conftest import Api, make_settings, running_api

JSON_CSP = "default-src 'none'; frame-ancestors 'none'"


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("headers")
    store = EmbeddedStore(tmp / "graph")
    try:
        with running_api(make_settings(tmp / "data"), store) as api:
            api.ingest_fleet()
            assert api.detect()["status"] == "done"
            yield api
    finally:
        store.close()


def _json_routes(api: Api) -> dict[str, object]:
    top = api.get("/v1/clusters", role="analyst").json()["items"][0]["id"]
    detail = api.get(f"/v1/clusters/{top}", role="analyst").json()
    ids = [e["event_id"] for e in detail["evidence"]][:5]
    assert ids
    return {
        "queue": api.get("/v1/clusters", role="analyst"),
        "bundle": api.get(f"/v1/clusters/{top}/bundle", role="analyst"),
        "raw evidence": api.get("/v1/evidence", role="analyst", params={"ids": ids}),
        "keys": api.get("/v1/keys"),
        "openapi": api.client.get("/openapi.json"),
        "healthz": api.client.get("/healthz"),
        "401": api.client.get("/v1/clusters"),
        "404 route": api.client.get("/v1/no-such-route"),
        "422": api.get("/v1/clusters?limit=-1", role="analyst"),
        "413 (body limit middleware)": api.post(
            "/v1/events", role="ingest", content=b"[" + b" " * (300 * 1024) + b"]",
            headers={"Content-Type": "application/json"}),
    }


def test_json_responses_are_nosniff_with_a_deny_all_policy(detected: Api) -> None:
    for name, response in _json_routes(detected).items():
        expected = int(name.split()[0]) if name[0].isdigit() else 200
        assert response.status_code == expected, (name, response.text[:200])
        assert response.headers["content-type"].startswith("application/json"), name
        assert response.headers.get_list("x-content-type-options") == ["nosniff"], name
        assert response.headers.get_list("content-security-policy") == [JSON_CSP], name


def test_the_evidence_answer_holds_raw_records(detected: Api) -> None:
    # What the headers protect: the journal's raw text, as the sensor wrote it.
    top = detected.get("/v1/clusters", role="analyst").json()["items"][0]["id"]
    ids = [e["event_id"] for e in detected.get(f"/v1/clusters/{top}", role="analyst").json()["evidence"]]
    items = detected.get("/v1/evidence", role="analyst", params={"ids": ids[:3]}).json()["items"]
    assert items and all(item["raw"] for item in items)


def test_other_responses_are_nosniff_and_the_page_keeps_its_own_policy(detected: Api) -> None:
    metrics = detected.get("/metrics", role="analyst")
    assert metrics.status_code == 200 and metrics.headers.get_list("x-content-type-options") == ["nosniff"]
    assert "content-security-policy" not in metrics.headers  # not JSON, not a page
    for path in ("/", "/static/js/main.js", "/static/app.css"):
        response = detected.client.get(path)
        assert response.status_code in (200, 503), path  # 503 when the page is not built
        assert response.headers.get_list("content-security-policy") == [CONTENT_SECURITY_POLICY], path
        assert response.headers.get_list("x-content-type-options") == ["nosniff"], path


def test_an_unexpected_error_500_is_nosniff_with_the_policy(tmp_path) -> None:
    # Starlette answers an unhandled exception from ServerErrorMiddleware, which sits
    # outside the middlewares the app adds: the headers must come from the handler.
    store = EmbeddedStore(tmp_path / "graph")
    try:
        app = create_app(make_settings(tmp_path / "data"), store)

        @app.get("/test-only/boom")
        async def boom() -> None:
            raise RuntimeError("a bug")

        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/test-only/boom")
    finally:
        store.close()
    assert response.status_code == 500, response.text
    assert response.json()["error"]["code"] == "internal_error"
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    assert response.headers.get_list("content-security-policy") == [JSON_CSP]
