"""The cluster JSON of the queue, the detail and the bundle carry what the detection stored.

Review T3, finding 5: ``score_confidence`` (and the scored ``features``) were
stored and in the CLI ``--json`` and the webhook, but missing from the API.
Also: a data directory written before triage versions and detection times
existed opens as it is, with those falling back on what it holds.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from graphsiem.api.state import StateStore
from tests.api.conftest import Api


def test_queue_detail_and_bundle_carry_score_confidence_features_and_detection(fleet_api: Api) -> None:
    page = fleet_api.get("/v1/clusters").json()
    assert page["items"]
    for item in page["items"]:
        stored = fleet_api.ctx.state.get_cluster(item["id"])
        assert stored is not None
        assert item["score_confidence"] == stored.data["score_confidence"] in ("normal", "low")
        assert item["detection_id"] == stored.detection_id == page["detection_id"]
    cid = page["items"][0]["id"]
    stored = fleet_api.ctx.state.get_cluster(cid)
    assert stored is not None
    detail = fleet_api.get(f"/v1/clusters/{cid}").json()
    bundle = fleet_api.get(f"/v1/clusters/{cid}/bundle").json()["cluster"]
    for cluster in (detail, bundle):
        for name in ("score_confidence", "detection_id", "detected_at", "updated_at"):
            assert cluster[name] == page["items"][0][name], name
        assert cluster["features"] == stored.data["features"] and cluster["features"]
        # The whole contract: explanation (summary, features) and evidence references.
        assert cluster["explanation"]["summary"] and cluster["explanation"]["features"]
        assert all({"source", "event_id"} <= set(e) for e in cluster["evidence"])


def _cluster(cluster_id: str, hosts: list[str], score: float) -> dict[str, Any]:
    return {"id": cluster_id, "score": score, "hosts": hosts,
            "entities": [{"type": "domain", "value": f"{cluster_id}.example"}],
            "entity_keys": [{"type": "domain", "key": f"{cluster_id}.example"}],
            "members": [{"type": "domain", "key": f"{cluster_id}.example", "value": f"{cluster_id}.example"}],
            "first_seen": "2026-11-01T00:00:00.000Z", "last_seen": "2026-11-01T01:00:00.000Z",
            "first_seen_ts": 1793491200.0, "last_seen_ts": 1793494800.0,
            "explanation": {"summary": "s", "features": []}, "evidence": [], "features": {"host_count": 2.0},
            "score_confidence": "normal", "pivot": {"type": "domain", "key": f"{cluster_id}.example"}}


def test_a_data_directory_from_before_opens_with_times_and_versions_falling_back(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    state = StateStore(path)
    run = state.create_detection(trigger="api", requested_by="t")
    state.update_detection(run.id, status="done", finished_at=1_790_000_000.0)
    state.save_clusters(run.id, [_cluster("aaa", ["h1", "h2"], 80.0), _cluster("bbb", ["h3"], 70.0)])
    state.update_triage("aaa", actor="t", changes={"status": "investigating"})
    state.close()
    # What an older version left: none of the tables and triggers triage versions and times live in.
    db = sqlite3.connect(path)
    for trigger in ("triage_version_on_insert", "triage_version_on_update"):
        db.execute(f"DROP TRIGGER {trigger}")
    for table in ("triage_versions", "triage_requests", "cluster_changes", "queue_generation"):
        db.execute(f"DROP TABLE {table}")
    db.commit()
    db.close()

    state = StateStore(path)
    old = state.get_cluster("aaa")
    assert old is not None and old.triage.status == "investigating" and old.triage.version == 0
    assert old.data["detected_at_ts"] == 1_790_000_000.0
    assert state.update_triage("aaa", actor="t", changes={"assignee": "x"}).version == 1
    assert [r.id for r in state.list_clusters()] == ["aaa", "bbb"]

    later = state.create_detection(trigger="api", requested_by="t")
    state.save_clusters(later.id, [_cluster("aaa", ["h1", "h2"], 81.0)])
    again = state.get_cluster("aaa")
    assert again is not None and again.data["detected_at_ts"] == 1_790_000_000.0
    assert again.data["updated_at_ts"] > 1_790_000_000.0 and again.detection_id == later.id
    state.close()
