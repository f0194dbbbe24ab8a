"""Triage versions and the queue's ETag move only when something changed; an idempotent answer commits with its write.

Review RV6, findings 2 to 5 and a nit: a SOAR sync re-sending the same values
took the ETag "5" -> "8" and the analyst's verdict got 412 for changes nobody
made; a detection that changed nothing gave the queue a new ETag and turned
every cursor into 409; the Idempotency-Key's answer was kept in a second
transaction (a failure between: 500 though applied, then 412 on the retry);
the first detection after an upgrade marked every cluster updated;
``If-Match: "03"`` matched version 3.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from graphsiem.api.services.triage_writes import parse_if_match
from graphsiem.api.state import StateStore
from graphsiem.api.state_triage import queue_detection
from tests.api.conftest import Api
from tests.api.fleet import CAMPAIGN_CMD, CAMPAIGN_DOMAIN, DAY, HOSTS, START, _dns, _process


def _campaign_id(api: Api) -> str:
    items = api.get("/v1/clusters").json()["items"]
    return next(c["id"] for c in items if CAMPAIGN_DOMAIN in [e["value"] for e in c["entities"]])


def _patch(api: Api, cid: str, body: Any, **headers: str) -> Any:
    return api.client.patch(f"/v1/clusters/{cid}", json=body, headers={**api.headers("analyst"), **headers})


def grow_campaign(api: Api) -> None:
    """One more host runs the campaign: the next detection changes its cluster (hosts, score)."""
    host, ts = HOSTS[30], START + 1.8 * DAY + 400
    powershell = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
    events = [_process(host, ts, powershell, CAMPAIGN_CMD, r"C:\Windows\System32\wscript.exe"),
              _dns(host, ts + 5, CAMPAIGN_DOMAIN, powershell)]
    response = api.post("/v1/events", role="ingest", json=events)
    assert response.status_code == 200, response.text
    api.ctx.ingest.catch_up()


def test_the_same_triage_sent_again_or_a_note_alone_keeps_the_version(fleet_api: Api) -> None:
    cid = _campaign_id(fleet_api)
    sync = {"status": "investigating", "assignee": "soar"}
    first = _patch(fleet_api, cid, sync)
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'
    read_by_analyst = first.headers["ETag"]
    triage = first.json()["triage"]
    for _ in range(3):
        again = _patch(fleet_api, cid, sync)
        assert again.status_code == 200 and again.headers["ETag"] == '"1"', again.text
        assert again.json()["triage"] == triage  # nor updated_at / updated_by moved
    noted = _patch(fleet_api, cid, {"note": "SOAR ticket INC-42"})
    assert noted.status_code == 200 and noted.headers["ETag"] == '"1"'
    fields = [e["field"] for e in fleet_api.get(f"/v1/clusters/{cid}/audit").json()]
    assert fields == ["status", "assignee", "note"]

    verdict = _patch(fleet_api, cid, {"verdict": "malicious"}, **{"If-Match": read_by_analyst})
    assert verdict.status_code == 200, verdict.text
    assert verdict.headers["ETag"] == '"2"' and verdict.json()["triage"]["verdict"] == "malicious"


def test_an_if_match_names_the_exact_tag(fleet_api: Api) -> None:
    assert parse_if_match('"03"') == frozenset() and parse_if_match('"3"') == {3}
    cid = _campaign_id(fleet_api)
    assert _patch(fleet_api, cid, {"status": "investigating"}).headers["ETag"] == '"1"'
    refused = _patch(fleet_api, cid, {"status": "closed"}, **{"If-Match": '"01"'})
    assert refused.status_code == 412, refused.text


def test_a_detection_that_changes_nothing_keeps_the_queue_etag_and_the_cursors(fleet_api: Api) -> None:
    whole = fleet_api.get("/v1/clusters")
    first_page = fleet_api.get("/v1/clusters", params={"limit": 1}).json()
    assert first_page["next_cursor"]
    before = {c["id"]: c for c in whole.json()["items"]}

    unchanged = fleet_api.detect()
    assert unchanged["status"] == "done"
    polled = fleet_api.client.get("/v1/clusters", headers={**fleet_api.headers(), "If-None-Match": whole.headers["ETag"]})
    assert polled.status_code == 304, polled.text
    page2 = fleet_api.get("/v1/clusters", params={"limit": 1, "cursor": first_page["next_cursor"]})
    assert page2.status_code == 200, page2.text
    assert page2.json()["detection_id"] == first_page["detection_id"] != unchanged["id"]

    # A detection that changes a cluster moves the generation: the old cursor is 409, and the
    # changed cluster (only it) names that detection.
    grow_campaign(fleet_api)
    grown = fleet_api.detect()
    stale = fleet_api.get("/v1/clusters", params={"limit": 1, "cursor": first_page["next_cursor"]})
    assert stale.status_code == 409 and stale.json()["error"]["details"][0]["detection_id"] == grown["id"]
    after = fleet_api.client.get("/v1/clusters", headers={**fleet_api.headers(), "If-None-Match": whole.headers["ETag"]})
    assert after.status_code == 200 and after.json()["detection_id"] == grown["id"]
    campaign = _campaign_id(fleet_api)
    items = {c["id"]: c for c in after.json()["items"]}
    assert items[campaign]["detection_id"] == grown["id"] and items[campaign]["host_count"] == 11
    seen = ("score", "host_count", "entity_keys", "first_seen", "last_seen", "score_confidence", "pivot")
    for cluster_id in set(items) & set(before):
        moved = any(items[cluster_id][k] != before[cluster_id][k] for k in seen)
        named = grown["id"] if moved else before[cluster_id]["detection_id"]
        assert items[cluster_id]["detection_id"] == named, cluster_id
        assert (items[cluster_id]["updated_at"] > before[cluster_id]["updated_at"]) is moved


def test_an_idempotent_answer_commits_with_the_change_or_neither_does(fleet_api: Api) -> None:
    cid = _campaign_id(fleet_api)
    headers = {"Idempotency-Key": "sync-7f3a", "If-Match": '"0"'}
    body = {"verdict": "malicious", "note": "from the SOAR"}
    # A real failure where the answer is written (as a full disk or SQLITE_BUSY would be).
    db = fleet_api.ctx.state._db
    db.execute("CREATE TEMP TRIGGER f34_answer_fails BEFORE INSERT ON triage_requests "
               "BEGIN SELECT RAISE(ABORT, 'answer not stored'); END")
    try:
        failed = _patch(fleet_api, cid, body, **headers)
    finally:
        db.execute("DROP TRIGGER temp.f34_answer_fails")
    assert failed.status_code == 500
    assert fleet_api.get(f"/v1/clusters/{cid}").json()["triage"]["version"] == 0
    assert fleet_api.get(f"/v1/clusters/{cid}/audit").json() == []

    retry = _patch(fleet_api, cid, body, **headers)
    assert retry.status_code == 200, retry.text
    assert retry.headers["ETag"] == '"1"' and retry.json()["triage"]["verdict"] == "malicious"
    replay = _patch(fleet_api, cid, body, **headers)
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    assert [e["field"] for e in fleet_api.get(f"/v1/clusters/{cid}/audit").json()] == ["verdict", "note"]


def _cluster(cluster_id: str, score: float) -> dict[str, Any]:
    return {"id": cluster_id, "score": score, "hosts": ["h1", "h2"],
            "entities": [{"type": "domain", "value": f"{cluster_id}.example"}],
            "entity_keys": [{"type": "domain", "key": f"{cluster_id}.example"}],
            "first_seen": "2026-11-01T00:00:00.000Z", "last_seen": "2026-11-01T01:00:00.000Z",
            "explanation": {"summary": "s"}, "score_confidence": "normal",
            "pivot": {"type": "domain", "key": f"{cluster_id}.example"}}


def test_the_first_detection_after_an_upgrade_marks_only_what_changed(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    state = StateStore(path)
    run = state.create_detection(trigger="api", requested_by="t")
    state.update_detection(run.id, status="done", finished_at=1_790_000_000.0)
    state.save_clusters(run.id, [_cluster("aaa", 80.0), _cluster("bbb", 70.0)])
    state.close()
    db = sqlite3.connect(path)  # what a data directory made before these tables looks like
    for table in ("cluster_changes", "cluster_changed_by", "queue_generation"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    db.commit()
    db.close()

    state = StateStore(path)
    later = state.create_detection(trigger="api", requested_by="t")
    state.save_clusters(later.id, [_cluster("aaa", 80.0), _cluster("bbb", 75.0)])
    assert [r.id for r in state.list_clusters(updated_since=1_790_000_001.0)] == ["bbb"]
    aaa = state.get_cluster("aaa")
    assert aaa is not None and aaa.data["updated_at_ts"] == 1_790_000_000.0
    assert aaa.data["changed_by_detection"] == run.id
    assert queue_detection(state) == later.id  # bbb changed
    third = state.create_detection(trigger="api", requested_by="t")
    state.save_clusters(third.id, [_cluster("aaa", 80.0), _cluster("bbb", 75.0)])
    assert queue_detection(state) == later.id
    bbb = state.get_cluster("bbb")
    assert bbb is not None and bbb.data["changed_by_detection"] == later.id and bbb.detection_id == third.id
    state.close()
