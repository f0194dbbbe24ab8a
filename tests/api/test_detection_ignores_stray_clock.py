"""The review's repro through the service: one late event no longer empties the detection (task I9).

Review R1, item 1: one fleet DNS line re-dated a few days later was POSTed to
``/v1/events``; the next ``POST /v1/detections`` found 0 clusters, since the
window ended at that event.  Now the window ends at the fleet's newest event
and the same clusters come back.
"""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.fleet import DAY, START, _dns


def _active(api: Api) -> list[tuple[str, list[str]]]:
    items = api.get("/v1/clusters", role="analyst", params={"limit": 50}).json()["items"]
    return sorted((c["id"], sorted(c["hosts"])) for c in items if c["active"])


def test_one_event_five_days_late_leaves_the_clusters_alone(fleet_api: Api) -> None:
    before = _active(fleet_api)
    assert before
    late = _dns("ws-0039", START + 7 * DAY, "update.vendor.example", r"C:\Program Files\Vendor\updater.exe")
    response = fleet_api.post("/v1/events", role="ingest", json=[late])
    assert response.status_code == 200 and response.json()["accepted"] == 1, response.text

    run = fleet_api.detect()

    assert (run["status"], run["cluster_count"]) == ("done", len(before))
    assert _active(fleet_api) == before
