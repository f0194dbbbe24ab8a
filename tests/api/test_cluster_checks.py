"""GET /v1/clusters/{id} returns ``explanation.checks``: what to check next and what would make it benign (task I11)."""

from __future__ import annotations

from analytics.checks import BEHAVIOUR_STEPS
from tests.api.conftest import Api
from tests.api.fleet import CAMPAIGN_DOMAIN


def _campaign(api: Api) -> dict:
    items = api.get("/v1/clusters").json()["items"]
    return next(c for c in items if CAMPAIGN_DOMAIN in [e["value"] for e in c["entities"]])


def test_cluster_detail_returns_the_checks_of_the_detection(fleet_api: Api) -> None:
    cluster_id = _campaign(fleet_api)["id"]
    detail = fleet_api.get(f"/v1/clusters/{cluster_id}", role="analyst").json()
    explanation = detail["explanation"]
    checks = explanation["checks"]
    assert checks and len(checks) <= 6
    assert all(set(c) == {"feature", "check", "benign_if"} and c["check"] and c["benign_if"] for c in checks)
    positive = [f["name"] for f in explanation["features"] if f["contribution"] > 0]
    # behaviours (LSASS access, an encoded command, lineage...) lead, each most contributing
    # first, then the other features by contribution (analytics.checks.BEHAVIOUR_STEPS)
    leads = [name for name in positive if name in BEHAVIOUR_STEPS] or positive
    if leads:
        assert checks[0]["feature"] == leads[0]
    assert any(CAMPAIGN_DOMAIN in c["check"] for c in checks)
    # The case bundle carries the same steps.
    bundle = fleet_api.get(f"/v1/clusters/{cluster_id}/bundle", role="analyst").json()
    assert bundle["cluster"]["explanation"]["checks"] == checks


def test_the_openapi_schema_describes_the_checks(fleet_api: Api) -> None:
    schemas = fleet_api.get("/openapi.json").json()["components"]["schemas"]
    detail = schemas["ClusterDetail"]["properties"]["explanation"]
    assert "ExplanationOut" in str(detail)
    assert set(schemas["ExplanationCheck"]["properties"]) == {"feature", "check", "benign_if"}
    assert "checks" in schemas["ExplanationOut"]["properties"]
