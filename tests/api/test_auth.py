"""The auth matrix: every route x (no key, invalid, revoked, wrong role, right role)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ROLES, Api

ANALYST = {"analyst", "admin"}
INGEST = {"ingest", "admin"}
ADMIN = {"admin"}

# (method, path template, concrete path, request kwargs, roles allowed)
ROUTES: list[tuple[str, str, str, dict[str, Any], set[str]]] = [
    ("GET", "/metrics", "/metrics", {}, ANALYST),
    ("POST", "/v1/events", "/v1/events", {"json": [{"@timestamp": "2026-01-01T00:00:00Z",
                                                    "host": {"name": "ws-1"},
                                                    "dns": {"question": {"name": "a.example"}}}]},
     INGEST),
    ("POST", "/v1/files", "/v1/files",
     {"files": {"file": ("dns.log", b'{"@timestamp": "2026-01-01T00:00:00Z", "host": {"name": "h"}, "dns": {"question": {"name": "b.example"}}}\n')}},
     INGEST),
    ("GET", "/v1/clusters", "/v1/clusters", {}, ANALYST),
    ("GET", "/v1/clusters/{cluster_id}", "/v1/clusters/abc", {}, ANALYST),
    ("PATCH", "/v1/clusters/{cluster_id}", "/v1/clusters/abc", {"json": {"status": "closed"}},
     ANALYST),
    ("GET", "/v1/clusters/{cluster_id}/audit", "/v1/clusters/abc/audit", {}, ANALYST),
    ("GET", "/v1/clusters/{cluster_id}/bundle", "/v1/clusters/abc/bundle", {}, ANALYST),
    ("GET", "/v1/entities", "/v1/entities?q=ws", {}, ANALYST),
    ("GET", "/v1/entities/{entity_type}/{value}", "/v1/entities/host/ws-1", {}, ANALYST),
    ("GET", "/v1/entities/{entity_type}/{value}/neighbors",
     "/v1/entities/host/ws-1/neighbors", {}, ANALYST),
    ("GET", "/v1/entities/host/{name}/events", "/v1/entities/host/ws-1/events", {}, ANALYST),
    ("POST", "/v1/detections", "/v1/detections", {}, ANALYST),
    ("GET", "/v1/detections", "/v1/detections", {}, ANALYST),
    ("GET", "/v1/detections/{detection_id}", "/v1/detections/abc", {}, ANALYST),
    ("GET", "/v1/detections/{detection_id}/clusters", "/v1/detections/abc/clusters", {}, ANALYST),
    ("GET", "/v1/suppressions", "/v1/suppressions", {}, ANALYST),
    ("DELETE", "/v1/suppressions/{pivot_type}/{pivot_key}", "/v1/suppressions/domain/a.example",
     {}, ANALYST),
    ("GET", "/v1/evidence", "/v1/evidence?ids=abc", {}, ANALYST),  # mounted by the web page
    ("GET", "/v1/store", "/v1/store", {}, ANALYST),  # mounted by the web page
    ("GET", "/v1/keys", "/v1/keys", {}, ADMIN),
    ("POST", "/v1/keys", "/v1/keys", {"json": {"role": "ingest", "name": "x"}}, ADMIN),
    ("DELETE", "/v1/keys/{key_id}", "/v1/keys/nosuchkey", {}, ADMIN),
    ("GET", "/v1/webhook/alerts", "/v1/webhook/alerts", {}, ADMIN),
]
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz")}


def _call(api: Api, method: str, path: str, headers: dict[str, str], kwargs: dict[str, Any]):
    return api.client.request(method, path, headers=headers, **kwargs)


def test_the_matrix_covers_every_api_route(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    declared = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    covered = {(m, t) for m, t, _, _, _ in ROUTES} | PUBLIC
    assert declared == covered


@pytest.mark.parametrize(("method", "template", "path", "kwargs", "allowed"), ROUTES,
                         ids=[f"{m} {t}" for m, t, *_ in ROUTES])
def test_auth_matrix(api: Api, method: str, template: str, path: str, kwargs: dict[str, Any],
                     allowed: set[str]) -> None:
    missing = _call(api, method, path, {}, kwargs)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "missing" in missing.json()["error"]["message"]
    invalid = _call(api, method, path, {"Authorization": "Bearer gsk_nope_nope"}, kwargs)
    assert invalid.status_code == 401 and "invalid" in invalid.json()["error"]["message"]
    garbage = _call(api, method, path, {"X-API-Key": "x" * 300}, kwargs)
    assert garbage.status_code == 401
    revoked = _call(api, method, path, api.headers("revoked"), kwargs)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]
    for role in ROLES:
        response = _call(api, method, path, api.headers(role), kwargs)
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["error"]["code"] == "forbidden"


def test_x_api_key_header_is_accepted(api: Api) -> None:
    response = api.client.get("/v1/clusters", headers={"X-API-Key": api.keys["analyst"]})
    assert response.status_code == 200


def test_health_routes_need_no_key(api: Api) -> None:
    alive = api.client.get("/healthz").json()
    assert (alive["status"], alive["store"], alive["projection"]["lag_events"]) == ("ok", None, 0)
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_keys_created_through_the_api_work_once_and_revoke(api: Api) -> None:
    created = api.post("/v1/keys", json={"role": "analyst", "name": "web"})
    assert created.status_code == 201
    body = created.json()
    secret = body.pop("key")
    assert secret.startswith("gsk_") and body["role"] == "analyst"
    listed = api.get("/v1/keys").json()
    assert all("key" not in k and "hash" not in k for k in listed)
    assert api.client.get("/v1/clusters", headers={"X-API-Key": secret}).status_code == 200
    assert api.delete(f"/v1/keys/{body['id']}").status_code == 204
    assert api.client.get("/v1/clusters", headers={"X-API-Key": secret}).status_code == 401


def test_bootstrap_admin_key_from_settings(store: Any, tmp_path) -> None:
    from tests.api.conftest import make_settings, running_api

    settings = make_settings(tmp_path / "boot", bootstrap_admin_key="bootstrap-secret-0123456789")
    with running_api(settings, store) as api:
        response = api.client.get("/v1/keys", headers={"X-API-Key": "bootstrap-secret-0123456789"})
        assert response.status_code == 200
        assert "bootstrap-admin" in [k["name"] for k in response.json()]
