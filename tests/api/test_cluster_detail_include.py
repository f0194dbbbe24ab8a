"""``GET /v1/clusters/{id}?include=``: a client leaves out the subgraph and the evidence.

An 828-host cluster's detail was 5 MB in 2.3 s, its subgraph nearly all of it: a SOAR
that reads the triage and the explanation asks for neither.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import Api
from tests.api.fleet import CAMPAIGN_DOMAIN


def _campaign_id(api: Api) -> str:
    items = api.get("/v1/clusters").json()["items"]
    return next(c["id"] for c in items if CAMPAIGN_DOMAIN in [e["value"] for e in c["entities"]])


def test_without_include_the_detail_has_both_parts(fleet_api: Api) -> None:
    detail = fleet_api.get(f"/v1/clusters/{_campaign_id(fleet_api)}").json()
    assert detail["subgraph"]["nodes"] and detail["evidence"]


def test_an_empty_include_leaves_both_out_and_keeps_the_rest(fleet_api: Api) -> None:
    cluster_id = _campaign_id(fleet_api)
    full = fleet_api.get(f"/v1/clusters/{cluster_id}")
    light = fleet_api.get(f"/v1/clusters/{cluster_id}", params={"include": ""})
    assert light.status_code == 200
    body = light.json()
    assert body["subgraph"] is None and body["evidence"] is None
    assert len(light.content) < len(full.content) / 2
    for field in ("members", "explanation", "triage", "hosts", "score"):
        assert body[field] == full.json()[field]
    assert light.headers["etag"] == full.headers["etag"]  # the triage version a PATCH names


@pytest.mark.parametrize(("include", "kept", "left_out"), [
    ("evidence", "evidence", "subgraph"),
    ("subgraph", "subgraph", "evidence"),
    (" subgraph , evidence ", None, None),
])
def test_include_returns_only_the_parts_named(fleet_api: Api, include, kept, left_out) -> None:
    body = fleet_api.get(f"/v1/clusters/{_campaign_id(fleet_api)}", params={"include": include}).json()
    if kept is None:
        assert body["subgraph"]["nodes"] and body["evidence"]
    else:
        assert body[kept] and body[left_out] is None


def test_an_unknown_part_is_422_naming_it(fleet_api: Api) -> None:
    response = fleet_api.get(f"/v1/clusters/{_campaign_id(fleet_api)}", params={"include": "subgraph,audit"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "query.include"
    assert "'audit'" in error["message"]
