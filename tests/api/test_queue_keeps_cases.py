"""The queue keeps the analyst's cases (review R1, items 1, 2 and 13).

Clusters are written the way a detection run writes them
(:meth:`StateStore.save_clusters`, one call per run) and read back through the
API: a case being worked on stays in the queue when a later detection does not
produce it, triage follows a case whose pivot (hence id) changed, and ties are
listed rarest first like the CLI, page after page.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

HOSTS = [f"ws-{i:04d}" for i in range(40)]


def _cluster(cid: str, hosts: list[str], members: list[str], *, score: float = 80.0,
             pivot: str | None = None) -> dict[str, Any]:
    """A stored cluster dict as :func:`graphsiem.api.services.detections.snapshot` makes it."""
    return {
        "id": cid, "score": score, "hosts": hosts,
        "entities": [{"type": "file", "value": m} for m in members],
        "first_seen": "2026-11-20T09:00:00.000Z", "last_seen": "2026-11-20T09:09:00.000Z",
        "explanation": {"summary": f"{len(hosts)} hosts"}, "evidence": [],
        "pivot": {"type": "file", "key": pivot or members[0], "value": pivot or members[0]},
        "members": [{"type": "file", "key": m, "value": m} for m in members],
        "first_seen_ts": 1_790_000_000.0, "last_seen_ts": 1_790_000_540.0,
    }


def _ids(api: Api, **params: Any) -> list[str]:
    response = api.get("/v1/clusters", role="analyst", params=params)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


def test_a_case_in_progress_stays_in_the_queue_when_a_detection_drops_it(api: Api) -> None:
    state = api.ctx.state
    state.save_clusters("run-1", [
        _cluster("worked", HOSTS[:10], ["a.exe"]), _cluster("malicious", HOSTS[10:15], ["b.exe"]),
        _cluster("closed", HOSTS[15:20], ["c.exe"]), _cluster("benign", HOSTS[20:25], ["d.exe"]),
        _cluster("untouched", HOSTS[25:30], ["e.exe"]),
    ])
    api.patch("/v1/clusters/worked", json={"status": "investigating", "assignee": "bob"})
    api.patch("/v1/clusters/malicious", json={"verdict": "malicious"})
    api.patch("/v1/clusters/closed", json={"status": "closed"})
    api.patch("/v1/clusters/benign", json={"verdict": "benign"})
    state.save_clusters("run-2", [])  # one late event moved the window: nothing produced

    assert sorted(_ids(api)) == ["malicious", "worked"]
    items = api.get("/v1/clusters").json()["items"]
    assert [(c["active"], c["is_active"]) for c in items] == [(False, False)] * 2
    assert _ids(api, status="investigating") == ["worked"]
    assert _ids(api, verdict="malicious") == ["malicious"]
    assert _ids(api, status="closed") == ["closed"]
    assert _ids(api, verdict="benign") == ["benign"]
    assert sorted(_ids(api, include_inactive="true")) == [
        "benign", "closed", "malicious", "untouched", "worked"]
    assert api.get("/v1/clusters/untouched").json()["active"] is False


def test_triage_follows_the_case_to_its_new_pivot(api: Api) -> None:
    state = api.ctx.state
    state.save_clusters("run-1", [_cluster("old", HOSTS[:44], ["deploy.msi", "notes.exe"])])
    api.patch("/v1/clusters/old", json={"status": "investigating", "verdict": "malicious",
                                        "assignee": "bob", "note": "IR ticket 4711"})
    # The same 44 hosts and members come back grown from another member.
    pairs = state.save_clusters("run-2", [_cluster("new", HOSTS[:44], ["notes.exe", "deploy.msi"])])
    # The webhook sees the case it had announced, not a new one.
    assert [(new["id"], before["id"]) for new, before in pairs] == [("new", "old")]

    new = api.get("/v1/clusters/new").json()
    assert (new["triage"]["status"], new["triage"]["verdict"], new["triage"]["assignee"]) == (
        "investigating", "malicious", "bob")
    assert new["previous_ids"] == ["old"] and new["active"] is True
    trail = api.get("/v1/clusters/new/audit").json()
    assert "IR ticket 4711" in [e["new"] for e in trail]
    assert ("carried_from", "old", "new") in [(e["field"], e["old"], e["new"]) for e in trail]
    old = api.get("/v1/clusters/old")
    assert old.status_code == 200 and old.json()["superseded_by"] == "new"
    # One row for the case, not two: the old id is left out of the queue.
    assert _ids(api) == ["new"] and _ids(api, verdict="malicious") == ["new"]
    # A page opened on the old id triages the case where the queue shows it.
    moved = api.patch("/v1/clusters/old", json={"assignee": "carol"})
    assert moved.status_code == 200 and moved.json()["id"] == "new"
    assert api.get("/v1/clusters/new").json()["triage"]["assignee"] == "carol"

    # The pivot flips back: the case continues under its first id, carrying
    # the decision taken meanwhile on the second.
    api.patch("/v1/clusters/new", json={"status": "closed"})
    state.save_clusters("run-3", [_cluster("old", HOSTS[:44], ["deploy.msi", "notes.exe"])])
    back = api.get("/v1/clusters/old").json()
    assert back["triage"]["status"] == "closed" and back["superseded_by"] is None
    assert back["previous_ids"] == ["new"]
    assert _ids(api, status="closed") == ["old"]


def test_triage_is_not_carried_between_clusters_that_merely_share_hosts(api: Api) -> None:
    state = api.ctx.state
    state.save_clusters("run-1", [_cluster("case", HOSTS[:10], ["tool.exe", "a.dll"])])
    api.patch("/v1/clusters/case", json={"status": "closed", "verdict": "benign"})
    state.save_clusters("run-2", [
        # Same hosts, nothing in common: another campaign on the same machines.
        _cluster("same-hosts", HOSTS[:10], ["other.exe"]),
        # The same hosts and one tool of the closed case among new members.
        _cluster("reuses-a-tool", HOSTS[:10], ["x.ps1", "y.dll", "z.exe", "tool.exe"]),
        # The case's members on half the hosts (Jaccard 0.5).
        _cluster("half", HOSTS[:5], ["tool.exe", "a.dll"]),
    ])
    for cid in ("same-hosts", "reuses-a-tool", "half"):
        detail = api.get(f"/v1/clusters/{cid}").json()
        assert detail["triage"]["verdict"] is None and detail["previous_ids"] == [], cid
    assert sorted(_ids(api)) == ["half", "reuses-a-tool", "same-hosts"]


def test_ties_are_listed_rarest_first_across_pages(api: Api) -> None:
    clusters = [
        _cluster("t-wide", HOSTS[:30], ["w.exe"], score=70.0),
        _cluster("t-narrow-b", HOSTS[30:33], ["nb.exe"], score=70.0),
        _cluster("t-narrow-a", HOSTS[33:36], ["na.exe"], score=70.0),
        _cluster("t-mid", HOSTS[:8], ["m.exe"], score=70.0),
        _cluster("top", HOSTS[:20], ["t.exe"], score=90.0),
        _cluster("low", HOSTS[:2], ["l.exe"], score=10.0),
    ]
    api.ctx.state.save_clusters("run-1", clusters)
    expected = ["top", "t-narrow-a", "t-narrow-b", "t-mid", "t-wide", "low"]
    assert _ids(api) == expected
    seen, cursor = [], None
    while True:
        page = api.get("/v1/clusters", params={"limit": 2} | ({"cursor": cursor} if cursor else {}))
        seen += [c["id"] for c in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
