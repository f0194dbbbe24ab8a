"""A case survives a detection that no longer produces it (review R1, item 1).

In the review one late event (a skewed clock) moved the detection window past
the campaign and the next run produced no cluster; whatever the cause, the
queue must still show the case the analyst is investigating.  Here the graph
is emptied and a real detection run through the API produces nothing.
"""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.fleet import CAMPAIGN_HOSTS


def test_an_investigated_case_outlives_a_detection_that_finds_nothing(fleet_api: Api) -> None:
    items = fleet_api.get("/v1/clusters").json()["items"]
    case = next(c for c in items if sorted(c["hosts"]) == sorted(CAMPAIGN_HOSTS))
    fleet_api.patch(f"/v1/clusters/{case['id']}",
                    json={"status": "investigating", "verdict": "malicious", "assignee": "bob"})
    fleet_api.ctx.store.clear()
    run = fleet_api.detect()
    assert (run["status"], run["cluster_count"]) == ("done", 0)

    for params in ({}, {"status": "investigating"}, {"verdict": "malicious"}):
        listed = fleet_api.get("/v1/clusters", role="analyst", params=params).json()["items"]
        assert [(c["id"], c["active"]) for c in listed if c["id"] == case["id"]] == [
            (case["id"], False)], params
