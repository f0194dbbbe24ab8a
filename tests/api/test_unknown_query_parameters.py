"""A query parameter no route reads is refused with 422 naming it (task OLDQ #1).

``GET /v1/clusters?statuss=open`` (a typo) answered the whole queue and ``?limt=5`` a full page:
FastAPI ignores an undeclared parameter.  Every ``/v1`` route now names the unknown parameter
and the ones it accepts; a caller without a key is still told 401 first.  A real app over the
real store and state database.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_auth import ROUTES

V1_ROUTES = [route for route in ROUTES if route[1].startswith("/v1/")]


def _with_typo(path: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}statuss=open"


@pytest.mark.parametrize(("method", "template", "path", "kwargs", "allowed"), V1_ROUTES,
                         ids=[f"{m} {t}" for m, t, *_ in V1_ROUTES])
def test_every_v1_route_refuses_a_parameter_it_does_not_declare(
        api: Api, method: str, template: str, path: str, kwargs: dict[str, Any], allowed: set[str]) -> None:
    response = api.client.request(method, _with_typo(path), headers=api.headers("admin"), **kwargs)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["field"] == "query.statuss", error
    assert "unknown query parameter 'statuss'" in error["message"], error
    assert error["details"][0]["unknown"] == ["statuss"]


def test_the_error_names_the_accepted_parameters_and_every_unknown_one(api: Api) -> None:
    response = api.get("/v1/clusters?statuss=open&limt=5&limit=5")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "query.limt"
    assert "'limt', 'statuss'" in error["message"]
    accepted = error["details"][0]["accepted"]
    assert {"status", "limit", "min_score", "cursor", "include_inactive"} <= set(accepted)
    assert "this route accepts: " in error["message"] and "include_inactive" in error["message"]
    # the declared ones alone are answered
    assert api.get("/v1/clusters?status=open&limit=5").status_code == 200


def test_a_route_without_query_parameters_says_it_accepts_none(api: Api) -> None:
    response = api.get("/v1/store?verbose=1")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].endswith("(this route accepts: none)")


def test_a_caller_without_a_key_or_role_is_refused_before_the_parameters_are_named(api: Api) -> None:
    missing = api.client.get("/v1/clusters?statuss=open")
    assert missing.status_code == 401 and "status" not in missing.text
    forbidden = api.client.get("/v1/keys?verbose=1", headers=api.headers("analyst"))
    assert forbidden.status_code == 403, forbidden.text
    # once admitted the key is charged once: the route's own check finds it in the scope
    assert api.client.get("/v1/keys?verbose=1", headers=api.headers("admin")).status_code == 422


def test_routes_outside_v1_are_left_alone(api: Api) -> None:
    assert api.client.get("/healthz?probe=k8s").status_code == 200
