"""Triage versions (ETag / If-Match -> 412), Idempotency-Key replays, and what triage text and bodies may be.

Review T3, findings 2 and 8: a stale "closed/benign" replaced another
integration's "malicious" and suppressed the pivot; a note re-sent after a
timeout was logged twice; assignees took U+202E; a text/plain PATCH was a 422.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.fleet import CAMPAIGN_DOMAIN


def _campaign_id(api: Api) -> str:
    items = api.get("/v1/clusters").json()["items"]
    return next(c["id"] for c in items if CAMPAIGN_DOMAIN in [e["value"] for e in c["entities"]])


def _patch(api: Api, cid: str, body: Any, *, role: str = "analyst", **headers: str) -> Any:
    return api.client.patch(f"/v1/clusters/{cid}", json=body,
                            headers={**api.headers(role), **headers})


def test_a_stale_if_match_is_refused_and_the_other_verdict_stands(fleet_api: Api) -> None:
    cid = _campaign_id(fleet_api)
    read = fleet_api.get(f"/v1/clusters/{cid}", role="analyst")
    assert read.headers["ETag"] == '"0"' and read.json()["triage"]["version"] == 0
    seen_by_first = read.headers["ETag"]

    second = _patch(fleet_api, cid, {"status": "investigating", "verdict": "malicious"},
                    role="admin", **{"If-Match": seen_by_first})
    assert second.status_code == 200, second.text
    assert second.headers["ETag"] == '"1"' and second.json()["triage"]["version"] == 1

    for stale in (seen_by_first, '"stale"', 'W/"1"'):
        first = _patch(fleet_api, cid, {"status": "closed", "verdict": "benign"}, **{"If-Match": stale})
        assert first.status_code == 412, (stale, first.text)
        error = first.json()["error"]
        assert error["code"] == "precondition_failed" and error["field"] == "header.If-Match"
        current = error["details"][0]["triage"]
        assert (current["status"], current["verdict"], current["version"]) == ("investigating", "malicious", 1)
        assert first.headers["ETag"] == '"1"'

    after = fleet_api.get(f"/v1/clusters/{cid}").json()["triage"]
    assert (after["status"], after["verdict"], after["version"]) == ("investigating", "malicious", 1)
    assert fleet_api.get("/v1/suppressions").json() == []
    assert [e["field"] for e in fleet_api.get(f"/v1/clusters/{cid}/audit").json()] == ["status", "verdict"]

    # The current tag applies; no If-Match at all still does (the web page, older clients).
    fresh = _patch(fleet_api, cid, {"assignee": "ir-oncall"}, **{"If-Match": '"1"'})
    assert fresh.status_code == 200 and fresh.json()["triage"]["version"] == 2
    blind = _patch(fleet_api, cid, {"status": "closed", "note": "no precondition"})
    assert blind.status_code == 200 and blind.headers["ETag"] == '"3"'
    assert fleet_api.get(f"/v1/clusters/{cid}").headers["ETag"] == '"3"'
    # A note alone is audit, not triage state: the version stays (test_triage_noop_and_queue_generation).
    assert _patch(fleet_api, cid, {"note": "closed in the ticket too"}).headers["ETag"] == '"3"'


def test_lifting_a_suppression_moves_the_version(fleet_api: Api) -> None:
    cid = _campaign_id(fleet_api)
    benign = _patch(fleet_api, cid, {"verdict": "benign"})
    assert benign.json()["triage"]["version"] == 1
    pivot = benign.json()["pivot"]
    assert fleet_api.delete(f"/v1/suppressions/{pivot['type']}/{pivot['key']}").status_code == 204
    # Whoever read version 1 (benign) must not write over the verdict the lift cleared unawares.
    assert fleet_api.get(f"/v1/clusters/{cid}").json()["triage"]["version"] == 2
    assert _patch(fleet_api, cid, {"status": "closed"}, **{"If-Match": '"1"'}).status_code == 412


def test_an_idempotency_key_replays_the_first_answer_without_a_second_audit_entry(fleet_api: Api) -> None:
    cid = _campaign_id(fleet_api)
    body = {"note": "seen on the proxy too", "status": "investigating"}
    first = _patch(fleet_api, cid, body, **{"Idempotency-Key": "soar-42-note-1"})
    assert first.status_code == 200
    _patch(fleet_api, cid, {"assignee": "bob"}, role="admin")  # someone else, in between
    retry = _patch(fleet_api, cid, body, **{"Idempotency-Key": "soar-42-note-1"})
    assert retry.status_code == 200 and retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json() == first.json() and retry.headers["ETag"] == first.headers["ETag"]
    trail = fleet_api.get(f"/v1/clusters/{cid}/audit").json()
    assert [e["new"] for e in trail if e["field"] == "note"] == ["seen on the proxy too"]
    assert [e["field"] for e in trail] == ["status", "note", "assignee"]

    reused = _patch(fleet_api, cid, {"note": "another note"}, **{"Idempotency-Key": "soar-42-note-1"})
    assert reused.status_code == 422 and reused.json()["error"]["field"] == "header.Idempotency-Key"
    # Keys are per caller: another integration's identical key is its own request.
    other = _patch(fleet_api, cid, body, role="admin", **{"Idempotency-Key": "soar-42-note-1"})
    assert other.status_code == 200 and "Idempotent-Replayed" not in other.headers
    bad = _patch(fleet_api, cid, body, **{"Idempotency-Key": "has space"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "header.Idempotency-Key"


def test_assignee_and_note_refuse_hidden_characters_naming_the_field(fleet_api: Api) -> None:
    cid = _campaign_id(fleet_api)
    for body, field in [({"assignee": "alice\u202egnp.exe"}, "body.assignee"),
                        ({"assignee": "alice\x1b[2K"}, "body.assignee"),
                        ({"assignee": "alice\nbob"}, "body.assignee"),
                        ({"note": "ok\x00hidden"}, "body.note"),
                        ({"note": "done\r\x1b[1Aclosed by admin"}, "body.note")]:
        response = _patch(fleet_api, cid, body)
        assert response.status_code == 422, body
        assert response.json()["error"]["field"] == field, body
    assert fleet_api.get(f"/v1/clusters/{cid}/audit").json() == []
    fine = _patch(fleet_api, cid, {"assignee": "Zoë Ng", "note": "line one\n\tline two\nمرحبا"})
    assert fine.status_code == 200, fine.text


def test_a_body_that_is_not_json_is_415(fleet_api: Api) -> None:
    cid = _campaign_id(fleet_api)
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = fleet_api.client.patch(
            f"/v1/clusters/{cid}", content=b'{"status": "closed"}',
            headers={**fleet_api.headers(), "Content-Type": content_type})
        assert response.status_code == 415, content_type
        assert response.json()["error"]["code"] == "unsupported_media_type"
    merge = fleet_api.client.patch(
        f"/v1/clusters/{cid}", content=b'{"status": "closed"}',
        headers={**fleet_api.headers(), "Content-Type": "application/merge-patch+json"})
    assert merge.status_code == 200
