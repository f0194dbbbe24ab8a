"""A backtest does not replace everyone's queue unless an admin asks (review R5, finding 7).

``POST /v1/detections?now=`` used to make the backtest's clusters the active
queue for every analyst: the fleet's campaign dropped out until the next
detection.  Now its clusters are kept under the run's id
(``GET /v1/detections/{id}/clusters``); ``activate=true`` (admin keys only)
makes it the queue as before.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.api.conftest import Api
from tests.api.fleet import CAMPAIGN_HOSTS, DAY, SECOND_HOSTS, START

BACKTEST_NOW = datetime.fromtimestamp(START + 1.75 * DAY, tz=UTC).isoformat()


def _active_hosts(api: Api) -> list[list[str]]:
    return [sorted(c["hosts"]) for c in api.get("/v1/clusters", role="analyst").json()["items"] if c["active"]]


def test_an_analysts_backtest_leaves_the_queue_and_keeps_its_clusters(fleet_api: Api) -> None:
    before = _active_hosts(fleet_api)
    assert sorted(CAMPAIGN_HOSTS) in before

    run = fleet_api.detect(now=BACKTEST_NOW)

    assert run["status"] == "done" and run["trigger"] == "backtest", run
    assert _active_hosts(fleet_api) == before
    kept = fleet_api.get(f"/v1/detections/{run['id']}/clusters", role="analyst")
    assert kept.status_code == 200, kept.text
    body = kept.json()
    assert body["now"].startswith(BACKTEST_NOW[:19])
    hosts = [sorted(c["hosts"]) for c in body["clusters"]]
    assert sorted(SECOND_HOSTS) in hosts and sorted(CAMPAIGN_HOSTS) not in hosts


def test_activate_needs_an_admin_key(fleet_api: Api) -> None:
    runs = len(fleet_api.get("/v1/detections").json())
    response = fleet_api.post("/v1/detections", role="analyst", params={"now": BACKTEST_NOW, "activate": "true"})
    assert response.status_code == 403, response.text
    assert response.json()["error"]["field"] == "query.activate"
    assert len(fleet_api.get("/v1/detections").json()) == runs


def test_an_admin_may_make_the_backtest_the_queue(fleet_api: Api) -> None:
    run = fleet_api.detect(role="admin", now=BACKTEST_NOW, activate="true")

    assert run["status"] == "done"
    active = _active_hosts(fleet_api)
    assert sorted(SECOND_HOSTS) in active and sorted(CAMPAIGN_HOSTS) not in active
    assert fleet_api.get(f"/v1/detections/{run['id']}/clusters").status_code == 404


def test_a_present_run_keeps_no_backtest(fleet_api: Api) -> None:
    run = fleet_api.detect()
    response = fleet_api.get(f"/v1/detections/{run['id']}/clusters")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "path.detection_id"
