"""The OpenAPI document declares the error body the service really answers (review T3, finding 6).

The generated document declared FastAPI's ``{"detail": [...]}`` for every
422 and no body for the other errors, and left out 401, 403, 408, 413, 500 and
503: a client generated from it could not read one error, and a validator
passed any body.  Here every 4xx/5xx of every operation refers to one
``Error`` schema, and real error answers of the running app are validated
against the document they came with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.api.conftest import Api, make_settings, running_api

SECURED_ERRORS = {"401", "403", "429", "500", "503"}


@pytest.fixture
def spec(api: Api) -> dict[str, Any]:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def test_every_error_response_refers_to_the_one_error_schema(spec: dict[str, Any]) -> None:
    errors = [(method, path, status, response) for method, path, op in _operations(spec)
              for status, response in op["responses"].items() if status[0] in "45"]
    assert len(errors) > 100
    wrong = [(method, path, status) for method, path, status, response in errors
             if response.get("content", {}).get("application/json", {}).get("schema")
             != {"$ref": "#/components/schemas/Error"}]
    assert wrong == []
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert spec["components"]["schemas"]["Error"]["required"] == ["error"]


def test_keyed_routes_declare_401_403_and_bodies_408_413(spec: dict[str, Any]) -> None:
    for method, path, op in _operations(spec):
        declared = set(op["responses"])
        if op.get("security"):
            assert SECURED_ERRORS <= declared, (method, path)
        if "requestBody" in op:
            assert {"408", "413"} <= declared, (method, path)
    assert "503" not in spec["paths"]["/healthz"]["get"]["responses"]  # liveness is never refused


def test_real_error_answers_validate_against_the_document(api: Api, spec: dict[str, Any]) -> None:
    error_schema = {"$ref": "#/components/schemas/Error", "components": spec["components"]}
    big = b'{"a": "' + b"x" * (300 * 1024) + b'"}\n'
    answers = {
        ("get", "/v1/clusters"): api.client.get("/v1/clusters"),  # no key: 401
        ("get", "/v1/keys"): api.get("/v1/keys", role="ingest"),  # wrong role: 403
        ("get", "/v1/clusters/{cluster_id}"): api.get("/v1/clusters/no-such-cluster", role="analyst"),  # 404
        ("get", "/v1/entities"): api.get("/v1/entities", role="analyst", params={"limit": "-1"}),  # 422
        ("post", "/v1/events"): api.post("/v1/events", role="ingest", content=big,
                                         headers={"Content-Type": "application/x-ndjson"}),  # 413
    }
    statuses = {}
    for (method, path), response in answers.items():
        status = str(response.status_code)
        statuses[path] = status
        assert status[0] == "4", (path, response.text)
        assert status in spec["paths"][path][method]["responses"], (method, path, status)
        jsonschema.validate(response.json(), error_schema)
    assert sorted(statuses.values()) == ["401", "403", "404", "413", "422"]


def test_a_key_over_its_quota_answers_the_declared_429(embedded_store: Any, tmp_path: Path) -> None:
    # task G6: a key over its request quota is 429 rate_limited, declared on every keyed route
    settings = make_settings(tmp_path / "data", api_key_rate_per_s=0.001, api_key_burst=1)
    with running_api(settings, embedded_store) as api:
        spec = api.client.get("/openapi.json").json()
        assert api.get("/v1/keys").status_code == 200
        refused = api.get("/v1/keys")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        declared = spec["paths"]["/v1/keys"]["get"]["responses"]["429"]
        assert declared["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        jsonschema.validate(refused.json(), {"$ref": "#/components/schemas/Error",
                                             "components": spec["components"]})
        assert refused.json()["error"]["code"] == "rate_limited"
