"""``POST /v1/detections?now=``: a backtest through the service, as ``graphsiem detect --now`` (task I9).

The service used to detect on the newest data only.  The test fleet's second
campaign (6 hosts) starts at 1.7 days, the main one (10 hosts) at 1.8 days: a
run at 1.75 days finds the first and not the second; a bad ``now`` is a 422
naming the field, and no run is queued.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.api.conftest import Api
from tests.api.fleet import CAMPAIGN_HOSTS, DAY, SECOND_HOSTS, START


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def _active_hosts(api: Api) -> list[list[str]]:
    items = api.get("/v1/clusters", role="analyst").json()["items"]
    return [sorted(c["hosts"]) for c in items if c["active"]]


def test_a_run_at_now_sees_what_was_known_then(fleet_api: Api) -> None:
    assert sorted(CAMPAIGN_HOSTS) in _active_hosts(fleet_api)

    # an admin makes the backtest the active queue (without activate it is kept apart:
    # test_backtest_keeps_the_queue)
    run = fleet_api.detect(role="admin", now=_iso(START + 1.75 * DAY), activate="true")

    assert run["status"] == "done", run
    active = _active_hosts(fleet_api)
    assert sorted(SECOND_HOSTS) in active
    assert sorted(CAMPAIGN_HOSTS) not in active
    # an offset is the same instant
    later = fleet_api.detect(role="admin", activate="true",
                             now=datetime.fromtimestamp(START + 2 * DAY, tz=UTC).astimezone().isoformat())
    assert later["status"] == "done"
    assert sorted(CAMPAIGN_HOSTS) in _active_hosts(fleet_api)


@pytest.mark.parametrize("now", ["2026-11-02 00:00", "2026-11-02T00:00:00", "yesterday", "2026-13-01T00:00Z"])
def test_a_bad_now_is_a_422_naming_the_field(fleet_api: Api, now: str) -> None:
    before = len(fleet_api.get("/v1/detections").json())

    response = fleet_api.post("/v1/detections", role="analyst", params={"now": now})

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "query.now"
    assert "zone" in error["message"] or "ISO-8601" in error["message"]
    assert len(fleet_api.get("/v1/detections").json()) == before


def test_the_openapi_description_documents_now(fleet_api: Api) -> None:
    operation = fleet_api.client.get("/openapi.json").json()["paths"]["/v1/detections"]["post"]
    assert [p["name"] for p in operation["parameters"]] == ["now", "activate"]
    assert "backtest" in operation["description"] and "422" in operation["responses"]
