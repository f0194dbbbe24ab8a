"""``/v1/clusters``: queue, filters, pagination, detail, triage, audit, suppression, bundle."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.fleet import CAMPAIGN_CMD, CAMPAIGN_DOMAIN, CAMPAIGN_HOSTS


def _top(api: Api) -> dict:
    """The campaign's cluster (ranking among clusters is the analytics' business)."""
    items = api.get("/v1/clusters").json()["items"]
    return next(c for c in items if CAMPAIGN_DOMAIN in [e["value"] for e in c["entities"]])


def test_queue_is_ordered_by_score_then_rarest_then_id_with_contract_fields(fleet_api: Api) -> None:
    items = fleet_api.get("/v1/clusters", role="analyst").json()["items"]
    order = [(-c["score"], c["host_count"], c["id"]) for c in items]
    assert order == sorted(order)
    top = _top(fleet_api)
    assert sorted(top["hosts"]) == sorted(CAMPAIGN_HOSTS)
    assert top["host_count"] == len(CAMPAIGN_HOSTS)
    assert top["first_seen"].endswith("Z") and top["triage"]["status"] == "open"


def test_cursor_pagination_walks_every_cluster_once(fleet_api: Api) -> None:
    everything = [c["id"] for c in fleet_api.get("/v1/clusters").json()["items"]]
    seen, cursor = [], None
    while True:
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = fleet_api.get("/v1/clusters", params=params).json()
        assert len(page["items"]) <= 1
        seen.extend(c["id"] for c in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything and len(everything) >= 2


def test_page_size_is_capped(fleet_api: Api) -> None:
    response = fleet_api.get("/v1/clusters", params={"limit": 10_000})
    assert response.status_code == 200
    assert len(response.json()["items"]) <= fleet_api.ctx.settings.page_size_max


def test_bad_cursor_is_422_naming_the_field(fleet_api: Api) -> None:
    response = fleet_api.get("/v1/clusters", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "query.cursor"


def test_filters_min_score_status_verdict_since(fleet_api: Api) -> None:
    everything = fleet_api.get("/v1/clusters").json()["items"]
    top = _top(fleet_api)
    for threshold in {0.0, top["score"], min(top["score"] + 0.5, 100.0)}:
        high = fleet_api.get("/v1/clusters", params={"min_score": threshold}).json()["items"]
        assert [c["id"] for c in high] == [c["id"] for c in everything if c["score"] >= threshold]
    fleet_api.patch(f"/v1/clusters/{top['id']}", json={"status": "investigating"})
    investigating = fleet_api.get("/v1/clusters", params={"status": "investigating"}).json()
    assert [c["id"] for c in investigating["items"]] == [top["id"]]
    assert fleet_api.get("/v1/clusters", params={"verdict": "malicious"}).json()["items"] == []
    future = fleet_api.get("/v1/clusters", params={"since": "2100-01-01T00:00:00Z"}).json()
    assert future["items"] == []
    past = fleet_api.get("/v1/clusters", params={"since": "2000-01-01T00:00:00Z"}).json()
    assert len(past["items"]) >= 1
    bad = fleet_api.get("/v1/clusters", params={"status": "resolved"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "query.status"


def test_detail_has_members_subgraph_explanation_and_journaled_evidence(fleet_api: Api) -> None:
    top = _top(fleet_api)
    detail = fleet_api.get(f"/v1/clusters/{top['id']}", role="analyst").json()
    assert {m["type"] for m in detail["members"]} >= {"domain", "process"}
    node_ids = {n["id"] for n in detail["subgraph"]["nodes"]}
    assert f"domain:{CAMPAIGN_DOMAIN}" in node_ids
    assert all(e["source"] in node_ids and e["target"] in node_ids
               for e in detail["subgraph"]["edges"])
    assert detail["explanation"]["summary"]
    assert detail["evidence"], "a cluster must come with the events behind it"
    events = [e["event"] for e in detail["evidence"] if e["event"]]
    assert events and all(ev["host"] in CAMPAIGN_HOSTS for ev in events)
    # Attacker-controlled text is returned verbatim as data.
    assert any(ev["fields"].get("process.command_line") == CAMPAIGN_CMD for ev in events) or \
        any(m["value"] == CAMPAIGN_CMD for m in detail["members"])


def test_unknown_cluster_is_404(fleet_api: Api) -> None:
    for path in ("/v1/clusters/nope", "/v1/clusters/nope/audit", "/v1/clusters/nope/bundle"):
        response = fleet_api.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert fleet_api.patch("/v1/clusters/nope", json={"status": "closed"}).status_code == 404


def test_triage_changes_are_audited_with_who_and_when(fleet_api: Api) -> None:
    cid = _top(fleet_api)["id"]
    changed = fleet_api.patch(f"/v1/clusters/{cid}", role="analyst",
                              json={"status": "investigating", "assignee": "alice",
                                    "note": "looking at the PNG downloads"})
    assert changed.status_code == 200
    assert changed.json()["triage"] == {**changed.json()["triage"], "status": "investigating",
                                        "assignee": "alice"}
    fleet_api.patch(f"/v1/clusters/{cid}", json={"verdict": "malicious", "status": "closed"})
    trail = fleet_api.get(f"/v1/clusters/{cid}/audit", role="analyst").json()
    assert [(e["field"], e["old"], e["new"]) for e in trail] == [
        ("status", "open", "investigating"), ("assignee", None, "alice"),
        ("note", None, "looking at the PNG downloads"),
        ("status", "investigating", "closed"), ("verdict", None, "malicious"),
    ]
    assert trail[0]["actor"].startswith("test-analyst") and trail[-1]["actor"].startswith("test-admin")
    assert all(e["at"].endswith("Z") for e in trail)


def test_triage_validation_names_the_field(fleet_api: Api) -> None:
    cid = _top(fleet_api)["id"]
    for body, field in [({"status": "done"}, "body.status"), ({"verdict": "meh"}, "body.verdict"),
                        ({"colour": "red"}, "body.colour"), ({}, "body"),
                        ({"status": None}, "body.status")]:
        response = fleet_api.patch(f"/v1/clusters/{cid}", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["field"] == field, body


def test_benign_verdict_suppresses_the_pivot_until_lifted(fleet_api: Api) -> None:
    top = _top(fleet_api)
    pivot = top["pivot"]
    fleet_api.patch(f"/v1/clusters/{top['id']}", json={"verdict": "benign", "note": "MSP tool"})
    suppressions = fleet_api.get("/v1/suppressions", role="analyst").json()
    assert [(s["pivot"]["type"], s["pivot"]["key"], s["cluster_id"]) for s in suppressions] == [
        (pivot["type"], pivot["key"], top["id"])]
    fleet_api.detect()
    active = [c["pivot"] for c in fleet_api.get("/v1/clusters").json()["items"]]
    assert pivot not in active
    lifted = fleet_api.delete(f"/v1/suppressions/{pivot['type']}/{pivot['key']}", role="analyst")
    assert lifted.status_code == 204
    assert fleet_api.get("/v1/suppressions").json() == []
    assert fleet_api.get(f"/v1/clusters/{top['id']}").json()["triage"]["verdict"] is None
    fleet_api.detect()
    assert pivot in [c["pivot"] for c in fleet_api.get("/v1/clusters").json()["items"]]
    again = fleet_api.delete(f"/v1/suppressions/{pivot['type']}/{pivot['key']}")
    assert again.status_code == 404


def test_changing_a_benign_verdict_lifts_the_suppression(fleet_api: Api) -> None:
    cid = _top(fleet_api)["id"]
    fleet_api.patch(f"/v1/clusters/{cid}", json={"verdict": "benign"})
    assert len(fleet_api.get("/v1/suppressions").json()) == 1
    fleet_api.patch(f"/v1/clusters/{cid}", json={"verdict": "malicious"})
    assert fleet_api.get("/v1/suppressions").json() == []


def test_case_bundle_is_self_contained(fleet_api: Api) -> None:
    cid = _top(fleet_api)["id"]
    fleet_api.patch(f"/v1/clusters/{cid}", json={"note": "escalated to IR"})
    bundle = fleet_api.get(f"/v1/clusters/{cid}/bundle", role="analyst").json()
    assert bundle["format"] == "graphsiem.case-bundle/v1"
    assert bundle["exported_by"].startswith("test-analyst")
    cluster = bundle["cluster"]
    assert cluster["id"] == cid and cluster["members"] and cluster["subgraph"]["nodes"]
    assert cluster["explanation"]["summary"] and cluster["evidence"]
    assert [e["new"] for e in bundle["audit"]] == ["escalated to IR"]


def test_queue_reflects_writes_by_another_process(fleet_api: Api) -> None:
    from graphsiem.api.state import StateStore

    cid = _top(fleet_api)["id"]
    assert fleet_api.get("/v1/clusters", params={"status": "closed"}).json()["items"] == []
    other = StateStore(fleet_api.ctx.settings.state_path)  # e.g. a second server process
    try:
        other.update_triage(cid, actor="elsewhere", changes={"status": "closed"})
    finally:
        other.close()
    closed = fleet_api.get("/v1/clusters", params={"status": "closed"}).json()["items"]
    assert [c["id"] for c in closed] == [cid]
