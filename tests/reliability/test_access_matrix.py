"""Access control: every route of the app x every role x missing/invalid/revoked key.

The routes are enumerated from ``app.routes`` (nested routers and mounts
included), and must equal the keys of :data:`POLICY`, so a new route cannot
ship without a declared policy.  Expected answers:

* public routes: never 401/403, whoever calls;
* protected routes: no key, a malformed key, an unknown well-formed key and a
  revoked key are **401**; a role outside the policy is **403**; a role inside
  it gets neither (2xx, or 404/409/422 about the request itself).
"""

from __future__ import annotations

from typing import Any

import pytest

from graphsiem.store.embedded import EmbeddedStore
from tests.reliability.inprocess import ROLES, App, app_over
from tests.reliability.routes import enumerate_routes

PUBLIC = "public"
ANALYST = frozenset({"analyst", "admin"})
INGEST = frozenset({"ingest", "admin"})
ADMIN = frozenset({"admin"})
_ECS = {"@timestamp": "2026-01-01T00:00:00Z", "host": {"name": "ws-1"},
        "dns": {"question": {"name": "a.example"}}}

# (method, template) -> (allowed, concrete path, request kwargs)
POLICY: dict[tuple[str, str], tuple[Any, str, dict[str, Any]]] = {
    ("GET", "/"): (PUBLIC, "/", {}),
    ("GET", "/docs"): (PUBLIC, "/docs", {}),
    ("GET", "/docs/oauth2-redirect"): (PUBLIC, "/docs/oauth2-redirect", {}),
    ("GET", "/redoc"): (PUBLIC, "/redoc", {}),
    ("GET", "/openapi.json"): (PUBLIC, "/openapi.json", {}),
    ("GET", "/healthz"): (PUBLIC, "/healthz", {}),
    ("GET", "/readyz"): (PUBLIC, "/readyz", {}),
    ("MOUNT", "/static"): (PUBLIC, "/static/app.css", {}),
    ("GET", "/metrics"): (ANALYST, "/metrics", {}),
    ("POST", "/v1/events"): (INGEST, "/v1/events", {"json": [_ECS]}),
    ("POST", "/v1/files"): (INGEST, "/v1/files",
                            {"files": {"file": ("dns.json", b'{"@timestamp": "2026-01-01T00:00:00Z", '
                                                b'"host": {"name": "h"}, "dns": {"question": '
                                                b'{"name": "b.example"}}}\n')}}),
    ("GET", "/v1/clusters"): (ANALYST, "/v1/clusters", {}),
    ("GET", "/v1/clusters/{cluster_id}"): (ANALYST, "/v1/clusters/abc", {}),
    ("PATCH", "/v1/clusters/{cluster_id}"): (ANALYST, "/v1/clusters/abc",
                                             {"json": {"status": "closed"}}),
    ("GET", "/v1/clusters/{cluster_id}/audit"): (ANALYST, "/v1/clusters/abc/audit", {}),
    ("GET", "/v1/clusters/{cluster_id}/bundle"): (ANALYST, "/v1/clusters/abc/bundle", {}),
    ("GET", "/v1/detections"): (ANALYST, "/v1/detections", {}),
    ("POST", "/v1/detections"): (ANALYST, "/v1/detections", {}),
    ("GET", "/v1/detections/{detection_id}"): (ANALYST, "/v1/detections/abc", {}),
    ("GET", "/v1/detections/{detection_id}/clusters"): (ANALYST, "/v1/detections/abc/clusters", {}),
    ("GET", "/v1/store"): (ANALYST, "/v1/store", {}),
    ("GET", "/v1/entities"): (ANALYST, "/v1/entities?q=ws", {}),
    ("GET", "/v1/entities/{entity_type}/{value:path}"): (ANALYST, "/v1/entities/host/ws-1", {}),
    ("GET", "/v1/entities/{entity_type}/{value:path}/neighbors"):
        (ANALYST, "/v1/entities/host/ws-1/neighbors", {}),
    ("GET", "/v1/entities/host/{name}/events"): (ANALYST, "/v1/entities/host/ws-1/events", {}),
    ("GET", "/v1/evidence"): (ANALYST, "/v1/evidence?ids=abc", {}),
    ("GET", "/v1/suppressions"): (ANALYST, "/v1/suppressions", {}),
    ("DELETE", "/v1/suppressions/{pivot_type}/{pivot_key:path}"):
        (ANALYST, "/v1/suppressions/domain/a.example", {}),
    ("GET", "/v1/keys"): (ADMIN, "/v1/keys", {}),
    ("POST", "/v1/keys"): (ADMIN, "/v1/keys", {"json": {"role": "ingest", "name": "x"}}),
    ("DELETE", "/v1/keys/{key_id}"): (ADMIN, "/v1/keys/nosuchkey", {}),
    ("GET", "/v1/webhook/alerts"): (ADMIN, "/v1/webhook/alerts", {}),
}

BAD_CREDENTIALS = {
    "missing": {},
    "malformed": {"Authorization": "Bearer not a key"},
    "unknown": {"Authorization": "Bearer gsk_0000000000_" + "x" * 32},
    "oversized": {"X-API-Key": "k" * 4096},
    "wrong scheme": {"Authorization": "Basic YWRtaW46YWRtaW4="},
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir = tmp_path_factory.mktemp("access") / "data"
    store = EmbeddedStore(data_dir / "graph")
    try:
        with app_over(store, data_dir) as running:
            yield running
    finally:
        store.close()


def test_policy_covers_every_route(app: App) -> None:
    assert enumerate_routes(app.app) == set(POLICY)


@pytest.mark.parametrize("route", sorted(POLICY), ids=lambda r: f"{r[0]} {r[1]}")
def test_access_matrix(app: App, route: tuple[str, str]) -> None:
    method, _ = route
    allowed, path, kwargs = POLICY[route]
    method = "GET" if method == "MOUNT" else method
    callers = {name: headers for name, headers in BAD_CREDENTIALS.items()}
    callers["revoked"] = app.headers("revoked")
    callers.update({role: app.headers(role) for role in ROLES})
    for who, headers in callers.items():
        response = app.client.request(method, path, headers=headers, **kwargs)
        code = response.status_code
        if allowed == PUBLIC or who in allowed:
            assert code not in (401, 403) and code < 500, (who, code, response.text[:300])
        elif who in ROLES:
            assert code == 403, (who, code, response.text[:300])
            assert response.json()["error"]["code"] == "forbidden"
        else:
            assert code == 401, (who, code, response.text[:300])
            assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_key_revoked_while_in_use_stops_working(app: App) -> None:
    state = app.app.state.ctx.state
    record, secret = state.create_key(role="admin", name="short-lived")
    headers = {"Authorization": f"Bearer {secret}"}
    assert app.client.get("/v1/keys", headers=headers).status_code == 200
    assert app.client.delete(f"/v1/keys/{record.id}", headers=app.headers("admin")).status_code \
        in (200, 204)
    assert app.client.get("/v1/keys", headers=headers).status_code == 401
    assert app.client.post("/v1/events", headers=headers, json=[_ECS]).status_code == 401
