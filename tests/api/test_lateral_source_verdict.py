"""``PATCH /v1/clusters/{id}`` with ``benign_when_source``: a benign verdict held for one source host.

Through the real service (state, journal, detection) on the simulated seed-3 fleet, whose lateral
movement runs from it-0002 to five servers and names it-0002 as its source.  The verdict is refused for
a host the cluster's log-ons do not name, and without a benign verdict; given for it-0002 it is audited,
recorded with the suppression and keeps the cluster out of the next detection.  That an episode from
another host is shown: ``tests/analytics/test_lateral_verdicts.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from graphsiem.api.state_verdicts import suppressed_members
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.simulated import ingest_simulated
from tests.api.conftest import Api, make_settings, running_api


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Api]:
    data = tmp_path_factory.mktemp("lateral-verdict-api") / "data"
    data.mkdir(mode=0o700)
    store = EmbeddedStore(data / "graph")
    ingest_simulated(data, store, hosts=120, days=2, seed=3, density=0.3)  # the journal in the data directory
    try:
        with running_api(make_settings(data), store) as api:
            assert api.detect()["status"] == "done"
            yield api
    finally:
        store.close()


def _lateral(api: Api) -> dict[str, Any]:
    items = api.get("/v1/clusters", params={"limit": 50}).json()["items"]
    details = [api.get(f"/v1/clusters/{c['id']}").json() for c in items]
    (cluster,) = [d for d in details if any(s["host"] for s in d.get("lateral_sources") or ())]
    return cluster


def test_a_source_the_cluster_did_not_name_is_refused(service: Api) -> None:
    cluster = _lateral(service)
    response = service.patch(f"/v1/clusters/{cluster['id']}", role="analyst",
                             json={"verdict": "benign", "benign_when_source": "ws-0001"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "body.benign_when_source"
    assert "'ws-0001' is not a source this cluster's log-ons came from (named: it-0002)" in error["message"]
    assert service.get(f"/v1/clusters/{cluster['id']}").json()["triage"]["verdict"] is None


def test_a_source_without_a_benign_verdict_is_refused(service: Api) -> None:
    cluster = _lateral(service)
    response = service.patch(f"/v1/clusters/{cluster['id']}", role="analyst",
                             json={"verdict": "malicious", "benign_when_source": "it-0002"})
    assert response.status_code == 422, response.text
    assert "needs a benign verdict" in response.json()["error"]["message"]


def test_benign_when_from_the_named_source_is_recorded_and_suppresses_it(service: Api) -> None:
    cluster = _lateral(service)
    response = service.patch(f"/v1/clusters/{cluster['id']}", role="analyst",
                             json={"verdict": "benign", "benign_when_source": "IT-0002",
                                   "note": "planned WMI inventory from it-0002"})
    assert response.status_code == 200, response.text
    assert response.json()["triage"]["verdict"] == "benign"
    pivot = (cluster["pivot"]["type"], cluster["pivot"]["key"])
    assert ("lateral_source", "it-0002") in suppressed_members(service.ctx.state)[pivot]
    audit = service.get(f"/v1/clusters/{cluster['id']}/audit").json()
    entries = audit["items"] if isinstance(audit, dict) else audit
    assert {"field": "benign_when_source", "old": None, "new": "it-0002"} in [
        {k: e[k] for k in ("field", "old", "new")} for e in entries]

    assert service.detect()["status"] == "done"
    queue = service.get("/v1/clusters", params={"limit": 50}).json()["items"]
    assert cluster["id"] not in [c["id"] for c in queue]


def test_the_source_a_benign_verdict_holds_for_is_read_back(service: Api) -> None:
    """The triage answer names the scope (review U5 #1): a bare "benign" read as benign from any source."""
    # the earlier test's verdict may keep it out of the active queue: the inactive ones are listed too
    items = service.get("/v1/clusters", params={"limit": 50, "include_inactive": "true"}).json()["items"]
    (cluster,) = [d for d in (service.get(f"/v1/clusters/{c['id']}").json() for c in items)
                  if any(s["host"] for s in d.get("lateral_sources") or ())]
    answer = service.patch(f"/v1/clusters/{cluster['id']}", role="analyst",
                           json={"verdict": "benign", "benign_when_source": "it-0002"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["triage"]["benign_when_source"] == ["it-0002"]
    detail = service.get(f"/v1/clusters/{cluster['id']}").json()
    assert detail["triage"]["benign_when_source"] == ["it-0002"]
    listed = service.get("/v1/clusters", params={"verdict": "benign", "limit": 50}).json()["items"]
    assert [c["triage"]["benign_when_source"] for c in listed if c["id"] == cluster["id"]] == [["it-0002"]]
    held = service.get("/v1/suppressions").json()
    assert [s["benign_when_source"] for s in held if s["cluster_id"] == cluster["id"]] == [["it-0002"]]

    # a verdict set back to none no longer holds for anyone: nothing is named
    service.patch(f"/v1/clusters/{cluster['id']}", role="analyst", json={"verdict": None})
    assert service.get(f"/v1/clusters/{cluster['id']}").json()["triage"]["benign_when_source"] is None
