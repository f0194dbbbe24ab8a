"""``PATCH /v1/clusters/{id}`` changing the source hosts a benign verdict holds for (review U5 follow-up).

Choosing "any source" on a verdict held for one host answered "Nothing changed": the API could only add
a host.  ``benign_when_source: null`` now widens it to any source, a list is the exact set of hosts it holds
for (narrowing it, or moving it to another source); each such change is a triage change: the version (the
ETag) rises, a stale ``If-Match`` is refused, an ``Idempotency-Key`` replays it without a second audit
entry, and the audit says the hosts before and after (null: any source).  The cluster is stored as a
detection stores it, with log-ons from two named sources, and read and triaged through the API on both
graph stores.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

HOSTS = ["srv-01", "srv-02", "srv-03"]
SOURCES = [{"ip": "10.0.0.2", "host": "it-0002", "targets": HOSTS}, {"ip": "10.0.0.5", "host": "it-0005", "targets": HOSTS}]


def _store_lateral_cluster(api: Api, cid: str = "L") -> str:
    """A lateral-movement cluster whose log-ons came from it-0002 and it-0005."""
    api.ctx.state.save_clusters("d1", [{
        "id": cid, "score": 80.0, "hosts": HOSTS,
        "entities": [{"type": "process", "value": "wmiprvse.exe inventory"}],
        "first_seen": "2026-11-20T09:00:00.000Z", "last_seen": "2026-11-20T09:09:00.000Z",
        "explanation": {"summary": "remote WMI on 3 servers"}, "evidence": [],
        "pivot": {"type": "process", "key": "p-wmi", "value": "wmiprvse.exe inventory"},
        "entity_keys": [{"type": "process", "key": "p-wmi"}],
        "members": [{"type": "process", "key": "p-wmi", "value": "wmiprvse.exe inventory"}],
        "first_seen_ts": 1_790_000_000.0, "last_seen_ts": 1_790_000_540.0,
        "lateral_sources": SOURCES,
    }])
    return cid


def _patch(api: Api, body: dict[str, Any], **headers: str) -> Any:
    return api.client.patch("/v1/clusters/L", json=body, headers={**api.headers("analyst"), **headers})


def _scope_audit(api: Api) -> list[tuple[str | None, str | None]]:
    trail = api.get("/v1/clusters/L/audit").json()
    return [(e["old"], e["new"]) for e in trail if e["field"] == "benign_when_source"]


def _held(api: Api) -> tuple[list[str] | None, list[list[str] | None]]:
    """The scope as the cluster reads it, and as the suppression does."""
    triage = api.get("/v1/clusters/L", params={"include": ""}).json()["triage"]
    return triage["benign_when_source"], [s["benign_when_source"] for s in api.get("/v1/suppressions").json()]


def test_any_source_widens_a_verdict_held_for_one_host(api: Api) -> None:
    _store_lateral_cluster(api)
    first = _patch(api, {"verdict": "benign", "benign_when_source": "it-0002"})
    assert first.status_code == 200, first.text
    version = first.json()["triage"]["version"]

    wide = _patch(api, {"benign_when_source": None, "note": "every admin host runs it"},
                  **{"If-Match": f'"{version}"'})
    assert wide.status_code == 200, wide.text
    assert wide.json()["triage"]["benign_when_source"] is None
    assert wide.json()["triage"]["version"] == version + 1
    assert wide.headers["ETag"] == f'"{version + 1}"'
    assert _held(api) == (None, [None])
    assert _scope_audit(api) == [(None, "it-0002"), ("it-0002", None)]
    # the page that read the narrow verdict is refused: the scope moved under it
    stale = _patch(api, {"benign_when_source": "it-0005"}, **{"If-Match": f'"{version}"'})
    assert stale.status_code == 412, stale.text
    assert stale.json()["error"]["details"][0]["triage"]["benign_when_source"] is None


def test_a_refusal_names_the_hosts_the_verdict_holds_for_now(api: Api) -> None:
    """The 412's ``details[0].triage`` said ``benign_when_source: null`` for a verdict held for it-0002:
    the refused page showed "any source" where one host holds (task PAGEN)."""
    _store_lateral_cluster(api)
    both = _patch(api, {"verdict": "benign", "benign_when_source": ["it-0002", "it-0005"]})
    version = both.json()["triage"]["version"]
    assert _patch(api, {"benign_when_source": ["it-0002"]}).status_code == 200
    stale = _patch(api, {"benign_when_source": ["it-0005"]}, **{"If-Match": f'"{version}"'})
    assert stale.status_code == 412, stale.text
    now = stale.json()["error"]["details"][0]["triage"]
    assert (now["benign_when_source"], now["version"]) == (["it-0002"], version + 1)
    assert _held(api) == (["it-0002"], [["it-0002"]])


def test_a_list_moves_the_verdict_to_another_source(api: Api) -> None:
    _store_lateral_cluster(api)
    assert _patch(api, {"verdict": "benign", "benign_when_source": "it-0002"}).status_code == 200
    moved = _patch(api, {"benign_when_source": ["IT-0005.corp.example"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["triage"]["benign_when_source"] == ["it-0005"]
    assert _held(api) == (["it-0005"], [["it-0005"]])
    assert _scope_audit(api) == [(None, "it-0002"), ("it-0002", "it-0005")]


def test_a_list_narrows_a_wide_or_two_host_verdict(api: Api) -> None:
    _store_lateral_cluster(api)
    both = _patch(api, {"verdict": "benign", "benign_when_source": ["it-0005", "it-0002"]})
    assert both.status_code == 200, both.text
    assert both.json()["triage"]["benign_when_source"] == ["it-0002", "it-0005"]
    narrow = _patch(api, {"benign_when_source": ["it-0002"]})
    assert narrow.json()["triage"]["benign_when_source"] == ["it-0002"]
    assert _patch(api, {"benign_when_source": None}).json()["triage"]["benign_when_source"] is None
    again = _patch(api, {"benign_when_source": ["it-0005"]})
    assert again.json()["triage"]["benign_when_source"] == ["it-0005"]
    assert _scope_audit(api) == [(None, "it-0002, it-0005"), ("it-0002, it-0005", "it-0002"),
                                 ("it-0002", None), (None, "it-0005")]


def test_the_same_scope_again_changes_nothing(api: Api) -> None:
    _store_lateral_cluster(api)
    version = _patch(api, {"verdict": "benign", "benign_when_source": "it-0002"}).json()["triage"]["version"]
    same = _patch(api, {"benign_when_source": ["it-0002"]})
    assert same.status_code == 200, same.text
    assert same.json()["triage"]["version"] == version
    assert _patch(api, {"verdict": "benign"}).json()["triage"]["version"] == version
    assert _scope_audit(api) == [(None, "it-0002")]


def test_a_widening_retried_under_its_key_is_applied_and_audited_once(api: Api) -> None:
    _store_lateral_cluster(api)
    version = _patch(api, {"verdict": "benign", "benign_when_source": "it-0002"}).json()["triage"]["version"]
    key = {"Idempotency-Key": "widen-1", "If-Match": f'"{version}"'}
    first = _patch(api, {"benign_when_source": None}, **key)
    retry = _patch(api, {"benign_when_source": None}, **key)
    assert first.status_code == retry.status_code == 200, retry.text
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json() == first.json()
    assert _scope_audit(api) == [(None, "it-0002"), ("it-0002", None)]
    # the same key with a narrowing instead is another body: refused
    other = _patch(api, {"benign_when_source": ["it-0005"]}, **key)
    assert other.status_code == 422, other.text


def test_a_list_naming_a_host_the_log_ons_did_not_name_changes_nothing(api: Api) -> None:
    _store_lateral_cluster(api)
    assert _patch(api, {"verdict": "benign", "benign_when_source": "it-0002"}).status_code == 200
    refused = _patch(api, {"benign_when_source": ["it-0005", "ws-0001"]})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "body.benign_when_source"
    assert "'ws-0001' is not a source" in refused.json()["error"]["message"]
    assert _held(api) == (["it-0002"], [["it-0002"]])
    assert _patch(api, {"benign_when_source": []}).status_code == 422


def test_a_scope_needs_a_benign_verdict_but_any_source_on_another_verdict_asks_nothing(api: Api) -> None:
    _store_lateral_cluster(api)
    refused = _patch(api, {"verdict": "malicious", "benign_when_source": ["it-0002"]})
    assert refused.status_code == 422, refused.text
    assert "needs a benign verdict" in refused.json()["error"]["message"]
    cleared = _patch(api, {"verdict": "malicious", "benign_when_source": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["triage"]["verdict"] == "malicious"
    assert _scope_audit(api) == []


def test_the_queue_names_each_cluster_s_sources(api: Api) -> None:
    """What the page's bulk benign holds each verdict for."""
    _store_lateral_cluster(api)
    (row,) = api.get("/v1/clusters").json()["items"]
    assert row["lateral_source_hosts"] == ["it-0002", "it-0005"]
