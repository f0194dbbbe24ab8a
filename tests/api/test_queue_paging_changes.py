"""Paging across a detection (409 ``queue_changed``), "what changed since my last poll", the queue's ETag.

Review T3, findings 3, 4 and 8: a detection landing between two pages moved
clusters past the cursor and no page returned them; ``since`` filtered on
event time, so a poller could not ask what changed; the queue had no ETag;
``since`` without a zone was read in the server's local time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from tests.api.conftest import Api
from tests.api.test_triage_noop_and_queue_generation import grow_campaign


def test_a_cursor_made_before_a_detection_is_refused_with_queue_changed(fleet_api: Api) -> None:
    first = fleet_api.get("/v1/clusters", params={"limit": 1}).json()
    assert first["next_cursor"] and first["detection_id"]
    assert first["items"][0]["detection_id"] == first["detection_id"]
    same_queue = fleet_api.get("/v1/clusters", params={"limit": 1, "cursor": first["next_cursor"]})
    assert same_queue.status_code == 200

    grow_campaign(fleet_api)  # a detection that changes nothing keeps the cursors (test_triage_noop_...)
    run = fleet_api.detect()
    stale = fleet_api.get("/v1/clusters", params={"limit": 1, "cursor": first["next_cursor"]})
    assert stale.status_code == 409, stale.text
    error = stale.json()["error"]
    assert error["code"] == "queue_changed" and error["field"] == "query.cursor"
    assert "restart from the first page" in error["message"]
    assert error["details"][0]["detection_id"] == run["id"]

    # Restarting walks the new queue whole.
    everything = [c["id"] for c in fleet_api.get("/v1/clusters").json()["items"]]
    seen, cursor = [], None
    while True:
        page = fleet_api.get("/v1/clusters", params={"limit": 1} | ({"cursor": cursor} if cursor else {})).json()
        assert page["detection_id"] == run["id"]
        seen += [c["id"] for c in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == everything


def test_updated_since_returns_what_a_triage_changed_after_the_poll(fleet_api: Api) -> None:
    items = fleet_api.get("/v1/clusters").json()["items"]
    assert len(items) >= 2
    for item in items:
        assert item["detected_at"].endswith("Z") and item["updated_at"].endswith("Z")
        assert item["detected_at"] <= item["updated_at"]
    time.sleep(0.01)
    last_poll = datetime.now(UTC).isoformat()
    assert fleet_api.get("/v1/clusters", params={"updated_since": last_poll}).json()["items"] == []

    target = items[-1]["id"]
    assert fleet_api.patch(f"/v1/clusters/{target}", json={"assignee": "alice"}).status_code == 200
    changed = fleet_api.get("/v1/clusters", params={"updated_since": last_poll}).json()["items"]
    assert [c["id"] for c in changed] == [target]
    assert changed[0]["updated_at"] >= last_poll[:23]

    # A detection keeps each cluster's first detection time; one that changes nothing
    # names no cluster and marks none updated.
    run = fleet_api.detect()
    again = {c["id"]: c for c in fleet_api.get("/v1/clusters").json()["items"]}
    survived = [item for item in items if item["id"] in again]
    assert survived, "no cluster survived the detection: nothing was checked"
    for item in survived:
        assert again[item["id"]]["detected_at"] == item["detected_at"]
        assert again[item["id"]]["detection_id"] == item["detection_id"] != run["id"]
    assert fleet_api.get("/v1/clusters", params={"updated_since": last_poll}).json()["items"] == changed


def test_times_without_a_zone_are_refused_naming_the_parameter(fleet_api: Api) -> None:
    for name in ("since", "updated_since"):
        response = fleet_api.get("/v1/clusters", params={name: "2026-11-02T15:54:26"})
        assert response.status_code == 422, name
        error = response.json()["error"]
        assert error["field"] == f"query.{name}" and "zone" in error["message"]
        assert fleet_api.get("/v1/clusters", params={name: "2000-01-01T00:00:00+02:00"}).status_code == 200


def test_the_queue_has_an_etag_and_answers_304_until_it_changes(fleet_api: Api) -> None:
    first = fleet_api.get("/v1/clusters", role="analyst")
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    for condition in (etag, f'"nope", {etag}', f"W/{etag}", "*"):
        unchanged = fleet_api.client.get("/v1/clusters", headers={**fleet_api.headers(), "If-None-Match": condition})
        assert unchanged.status_code == 304, condition
        assert unchanged.content == b"" and unchanged.headers["ETag"] == etag
    other_page = fleet_api.client.get("/v1/clusters", params={"limit": 1},
                                      headers={**fleet_api.headers(), "If-None-Match": etag})
    assert other_page.status_code == 200 and other_page.headers["ETag"] != etag

    cid = first.json()["items"][0]["id"]
    fleet_api.patch(f"/v1/clusters/{cid}", json={"status": "investigating"})
    changed = fleet_api.client.get("/v1/clusters", headers={**fleet_api.headers(), "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.json()["items"][0]["triage"]["status"] == "investigating"
