"""A carried triage decision never whitewashes a new attack (review RV1, items 1 and 2; task F4).

A cluster closed as benign (a software rollout) comes back under another pivot
with an attacker's file among its members: the new cluster continues the case
(``previous_ids``) but opens, and the webhook announces it.  A carry is the
system's act, and a verdict change anywhere on a continued case moves the
suppressions of the whole case.  Clusters are written the way a detection run
writes them (:meth:`StateStore.save_clusters`, one call per run) and triaged
and read through the API, on both graph stores.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, make_settings, running_api
from tests.api.test_webhook import SECRET, Receiver

HOSTS = [f"ws-{i}" for i in range(5)]
ROLLOUT = ["rollout.msi", "rollout.exe", "agent.dll", "agentsvc.exe"]
# The review's two attacks on the rollout's hosts, pivoting on the implant:
# three of the rollout's members plus the implant (member Jaccard 0.6), and all
# four plus four attacker files (0.5).  Both are "the same case" by the rule.
SWAPPED_ONE = ["implant.exe", *ROLLOUT[1:]]
RIDING_ALONG = [*ROLLOUT, "implant.exe", "stage2.dll", "beacon.ps1", "loot.zip"]


def _cluster(cid: str, members: list[str], *, pivot: str, score: float) -> dict[str, Any]:
    """A stored cluster dict as :func:`graphsiem.api.services.detections.snapshot` makes it."""
    return {
        "id": cid, "score": score, "hosts": HOSTS,
        "entities": [{"type": "file", "value": m} for m in members],
        "first_seen": "2026-11-20T09:00:00.000Z", "last_seen": "2026-11-20T09:09:00.000Z",
        "explanation": {"summary": f"{len(HOSTS)} hosts"}, "evidence": [],
        "pivot": {"type": "file", "key": pivot, "value": pivot},
        "entity_keys": [{"type": "file", "key": m} for m in members],
        "members": [{"type": "file", "key": m, "value": m} for m in members],
        "first_seen_ts": 1_790_000_000.0, "last_seen_ts": 1_790_000_540.0,
    }


def _rollout(score: float = 60.0) -> dict[str, Any]:
    return _cluster("A", ROLLOUT, pivot="rollout.msi", score=score)


def _attack(members: list[str]) -> dict[str, Any]:
    return _cluster("B", members, pivot="implant.exe", score=99.0)


def _suppressed(api: Api) -> list[tuple[str, str]]:
    return sorted((s["pivot"]["key"], s["cluster_id"]) for s in api.get("/v1/suppressions").json())


def _close_as_benign(api: Api) -> None:
    response = api.patch("/v1/clusters/A", role="analyst",
                         json={"status": "closed", "verdict": "benign"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("members", "new_count"), [(SWAPPED_ONE, 1), (RIDING_ALONG, 4)],
                         ids=["swapped-one", "riding-along"])
def test_an_attack_riding_a_benign_rollout_opens_in_the_queue(
        api: Api, members: list[str], new_count: int) -> None:
    api.ctx.state.save_clusters("d1", [_rollout()])
    _close_as_benign(api)
    api.ctx.state.save_clusters("d2", [_attack(members)])

    queue = api.get("/v1/clusters", role="analyst").json()["items"]
    assert [(c["id"], c["triage"]["status"], c["triage"]["verdict"]) for c in queue] == [
        ("B", "open", None)]
    assert queue[0]["previous_ids"] == ["A"]  # the history stays visible
    assert api.get("/v1/clusters", params={"verdict": "benign"}).json()["items"] == []
    trail = [(e["actor"], e["field"], e["old"], e["new"])
             for e in api.get("/v1/clusters/B/audit").json()]
    not_carried = [t for t in trail if t[1] == "not_carried"]
    assert len(not_carried) == 1
    assert not_carried[0][2] == "status closed, verdict benign"
    assert not_carried[0][3].startswith(f"new entities {new_count}: ")
    assert "file:implant.exe" in not_carried[0][3]
    # The analyst's decision on A is still in the case's history.
    assert any(t[1:] == ("verdict", None, "benign") for t in trail)


def test_assignee_and_escalation_are_carried_onto_new_entities_closed_is_not(api: Api) -> None:
    state = api.ctx.state
    state.save_clusters("d1", [_rollout()])
    api.patch("/v1/clusters/A", json={"status": "investigating", "verdict": "malicious",
                                      "assignee": "bob"})
    state.save_clusters("d2", [_attack(SWAPPED_ONE)])
    triage = api.get("/v1/clusters/B").json()["triage"]
    assert (triage["status"], triage["verdict"], triage["assignee"]) == (
        "investigating", "malicious", "bob")

    # A malicious case closed after remediation: new entities reopen it, still malicious.
    api.patch("/v1/clusters/B", json={"status": "closed"})
    state.save_clusters("d3", [_cluster("C", [*SWAPPED_ONE, "second.exe"], pivot="second.exe",
                                        score=99.0)])
    triage = api.get("/v1/clusters/C").json()["triage"]
    assert (triage["status"], triage["verdict"], triage["assignee"]) == ("open", "malicious", "bob")


def test_the_same_members_under_another_pivot_still_carry_everything(api: Api) -> None:
    state = api.ctx.state
    state.save_clusters("d1", [_rollout()])
    _close_as_benign(api)
    # R1's rollout coming back from its .exe: nothing nobody looked at.
    state.save_clusters("d2", [_cluster("B", ROLLOUT[::-1], pivot="rollout.exe", score=60.0)])
    triage = api.get("/v1/clusters/B").json()["triage"]
    assert (triage["status"], triage["verdict"]) == ("closed", "benign")
    assert "not_carried" not in [e["field"] for e in api.get("/v1/clusters/B/audit").json()]


def test_a_carry_is_written_as_the_systems_act_at_its_time(api: Api) -> None:
    state = api.ctx.state
    state.save_clusters("d1", [_rollout()])
    _close_as_benign(api)
    decided = api.get("/v1/clusters/A").json()["triage"]
    time.sleep(0.05)  # the carry's time must differ from the analyst's
    before_carry = time.time()
    state.save_clusters("d2", [_cluster("B", ROLLOUT, pivot="rollout.exe", score=60.0)])

    carried = state.get_triage("B")
    assert carried.updated_by == "graphsiem (carried from A)"
    assert carried.updated_at is not None and carried.updated_at >= before_carry
    assert api.get("/v1/clusters/B").json()["triage"]["updated_at"] != decided["updated_at"]
    # The analyst's own entries (made on A) stay in the case's audit, as theirs.
    trail = api.get("/v1/clusters/B/audit").json()
    analyst = [e for e in trail if e["field"] in ("status", "verdict")]
    assert [e["actor"] for e in analyst] == [decided["updated_by"]] * 2


def test_patch_on_the_old_id_lifts_the_old_suppression(api: Api) -> None:
    state = api.ctx.state
    state.save_clusters("d1", [_rollout()])
    _close_as_benign(api)
    assert _suppressed(api) == [("rollout.msi", "A")]
    state.save_clusters("d2", [_attack(SWAPPED_ONE)])

    moved = api.patch("/v1/clusters/A", role="analyst", json={"verdict": "malicious"})
    assert moved.status_code == 200 and moved.json()["id"] == "B"
    assert moved.json()["triage"]["verdict"] == "malicious"
    # The case is malicious: no benign suppression of any of its pivots stands.
    assert _suppressed(api) == []
    # A keeps its verdict as it was, marked superseded by the live case.
    old = api.get("/v1/clusters/A").json()
    assert old["superseded_by"] == "B" and old["triage"]["verdict"] == "benign"
    assert api.get("/v1/clusters", params={"verdict": "benign"}).json()["items"] == []


def test_a_carried_benign_and_the_suppressions_move_together(api: Api) -> None:
    state = api.ctx.state
    state.save_clusters("d1", [_rollout()])
    _close_as_benign(api)
    state.save_clusters("d2", [_cluster("B", ROLLOUT, pivot="rollout.exe", score=60.0)])
    assert api.get("/v1/clusters/B").json()["triage"]["verdict"] == "benign"

    # Lifting the suppression A's verdict created clears the live case's (carried) benign.
    assert api.delete("/v1/suppressions/file/rollout.msi", role="analyst").status_code == 204
    assert api.get("/v1/clusters/B").json()["triage"]["verdict"] is None
    assert api.get("/v1/clusters/A").json()["triage"]["verdict"] == "benign"  # as it was

    # The analyst says benign again on B, then changes their mind on the old id.
    api.patch("/v1/clusters/B", json={"verdict": "benign"})
    api.patch("/v1/clusters/A", json={"verdict": "benign"})  # redirected to B: unchanged
    assert _suppressed(api) == [("rollout.exe", "B")]
    api.patch("/v1/clusters/A", json={"verdict": "malicious"})
    assert _suppressed(api) == []


def test_the_webhook_announces_an_attack_that_swapped_one_member(
        store: Any, tmp_path: Path) -> None:
    receiver = Receiver([])
    settings = make_settings(tmp_path / "data", webhook_url=receiver.url, webhook_secret=SECRET,
                             webhook_min_score=50.0, webhook_backoff_s=0.01)
    try:
        with running_api(settings, store) as api:
            state, webhook = api.ctx.state, api.ctx.webhook
            assert webhook is not None
            # What a detection run does: store its clusters, then notify with the pairs.
            webhook.notify_clusters(state.save_clusters("d1", [_rollout()]), detection_id="d1")
            _close_as_benign(api)
            # The rollout again under another pivot, same members: the case already announced.
            webhook.notify_clusters(state.save_clusters(
                "d2", [_cluster("R", ROLLOUT, pivot="rollout.exe", score=60.0)]),
                detection_id="d2")
            # As many members as before, one of them the implant.
            webhook.notify_clusters(state.save_clusters("d3", [_attack(SWAPPED_ONE)]),
                                    detection_id="d3")
            assert webhook.drain(10)
    finally:
        receiver.close()
    sent = [json.loads(r["body"]) for r in receiver.requests]
    assert [(p["event"], p["detection_id"], p["cluster"]["id"]) for p in sent] == [
        ("cluster.new", "d1", "A"), ("cluster.grown", "d3", "B")]
    assert sent[1]["cluster"]["previous_ids"] == ["A", "R"]
