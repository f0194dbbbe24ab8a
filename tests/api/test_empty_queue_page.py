"""The first page of an empty queue says why it is empty: its newest run and what is no longer detected (task OLDQ #2).

The page read ``GET /v1/detections`` and the whole queue with ``include_inactive=true`` on every
poll of an empty queue to say so.  A real app over the real store and state database.
"""

from __future__ import annotations

from tests.api.conftest import Api


def test_an_empty_queue_before_any_run_says_none_ran(api: Api) -> None:
    page = api.get("/v1/clusters", role="analyst").json()
    assert page["items"] == []
    assert page["latest_detection"] is None and page["inactive_clusters"] == 0


def test_an_empty_queue_names_its_newest_run_that_is_not_a_backtest(fleet_api: Api) -> None:
    full = fleet_api.get("/v1/clusters", role="analyst").json()
    assert full["items"]
    # a page with clusters carries neither: its bytes stay as they were across a run that changed nothing
    assert full["latest_detection"] is None and full["inactive_clusters"] is None
    backtest = fleet_api.detect(now="2026-11-01T12:00:00Z")
    assert backtest["trigger"] == "backtest"
    empty = fleet_api.get("/v1/clusters", role="analyst", params={"min_score": 100}).json()
    assert empty["items"] == []
    runs = [run for run in fleet_api.get("/v1/detections").json() if run["trigger"] != "backtest"]
    assert empty["latest_detection"] == runs[0]
    assert empty["latest_detection"]["status"] == "done"
    assert empty["inactive_clusters"] == len(
        [c for c in fleet_api.get("/v1/clusters", params={"include_inactive": "true", "limit": 50}).json()["items"]
         if not c["active"]])
