"""A cluster the receiver was told about is never ``cluster.new`` again (review T11 F1, task M1).

The webhook compared a detection's clusters with the previous run's active ones
only.  An activated backtest leaves the campaign out of the active set, so the
next ordinary run re-sent it as ``cluster.new`` (``previous: null``, new delivery
ids); a benign verdict leaves its cluster out, so the run after the lift re-sent
it as ``cluster.new`` too.  Now each decision compares with the copy last sent
(``webhook_told``): an id that comes back as it was sends nothing, one that comes
back with more is ``cluster.returned``, and a change decided twice keeps its
delivery id.  A real HTTP receiver on loopback.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graphsiem.api.state import StateStore
from graphsiem.webhook import DELIVERY_HEADER, WebhookNotifier
from tests.api.conftest import Api, make_settings, running_api
from tests.api.fleet import CAMPAIGN_HOSTS, DAY, START
from tests.api.test_webhook import SECRET, Receiver

BACKTEST_NOW = datetime.fromtimestamp(START + 1.75 * DAY, tz=UTC).isoformat()
"""Before the campaign's second day: the backtest's clusters do not include it."""


def _sent(receiver: Receiver) -> list[tuple[str, str, str]]:
    """``(event, cluster id, delivery id)`` of every request the receiver got, in order."""
    out = []
    for request in receiver.requests:
        payload = json.loads(request["body"])
        out.append((payload["event"], payload["cluster"]["id"], request["headers"][DELIVERY_HEADER]))
    return out


def _announced_twice_as_new(sent: list[tuple[str, str, str]]) -> list[str]:
    return sorted(i for i, n in Counter(c for e, c, _ in sent if e == "cluster.new").items() if n > 1)


@contextmanager
def _fleet_detected(store: Any, tmp_path: Path, receiver: Receiver) -> Iterator[Api]:
    """The fleet ingested and detected once, every cluster sent to ``receiver`` (threshold 0)."""
    settings = make_settings(tmp_path / "data", webhook_url=receiver.url, webhook_secret=SECRET,
                             webhook_min_score=0.0, webhook_backoff_s=0.01)
    with running_api(settings, store) as api:
        api.ingest_fleet()
        assert api.detect()["status"] == "done"
        yield api


@pytest.mark.parametrize("store", ["embedded"], indirect=True)
def test_an_activated_backtest_then_a_run_resends_nothing_already_told(store: Any, tmp_path: Path) -> None:
    receiver = Receiver([])
    try:
        with _fleet_detected(store, tmp_path, receiver) as api:
            campaign = [c["id"] for c in api.get("/v1/clusters", params={"limit": 50}).json()["items"]
                        if sorted(c["hosts"]) == sorted(CAMPAIGN_HOSTS)]
            assert api.detect(role="admin", now=BACKTEST_NOW, activate="true")["status"] == "done"
            active = {c["id"] for c in api.get("/v1/clusters", params={"limit": 50}).json()["items"] if c["active"]}
            assert campaign and campaign[0] not in active  # the backtest left the campaign out
            api.ctx.webhook.drain(10)
            before_run = len(receiver.requests)
            assert api.detect()["status"] == "done"  # the campaign is back, as it was
            api.ctx.webhook.drain(10)
            sent = _sent(receiver)
    finally:
        receiver.close()
    assert sent[0][0] == "cluster.new" and campaign[0] in {c for _, c, _ in sent[:before_run]}
    assert _announced_twice_as_new(sent) == []
    assert [s for s in sent[before_run:] if s[1] == campaign[0]] == []
    assert len({d for _, _, d in sent}) == len(sent)  # no delivery sent twice


@pytest.mark.parametrize("store", ["embedded"], indirect=True)
def test_a_lifted_verdict_resends_nothing(store: Any, tmp_path: Path) -> None:
    receiver = Receiver([])
    try:
        with _fleet_detected(store, tmp_path, receiver) as api:
            top = api.get("/v1/clusters").json()["items"][0]
            assert api.patch(f"/v1/clusters/{top['id']}", role="analyst",
                             json={"verdict": "benign"}).status_code == 200
            assert api.detect()["status"] == "done"
            pivot = top["pivot"]
            assert api.delete(f"/v1/suppressions/{pivot['type']}/{pivot['key']}",
                              role="analyst").status_code == 204
            api.ctx.webhook.drain(10)
            before_lift_run = len(receiver.requests)
            assert api.detect()["status"] == "done"
            assert top["id"] in {c["id"] for c in api.get("/v1/clusters", params={"limit": 50}).json()["items"]
                                 if c["active"]}
            api.ctx.webhook.drain(10)
            sent = _sent(receiver)
    finally:
        receiver.close()
    assert ("cluster.new", top["id"]) in [(e, c) for e, c, _ in sent[:before_lift_run]]
    assert sent[before_lift_run:] == []


def _cluster(hosts: list[str], score: float = 90.0) -> dict[str, Any]:
    members = [{"type": "file", "key": "implant.exe", "value": "implant.exe"}]
    return {"id": "C", "score": score, "hosts": hosts, "entities": [{"type": "file", "value": "implant.exe"}],
            "members": members, "entity_keys": [{"type": "file", "key": "implant.exe"}],
            "pivot": {"type": "file", "key": "implant.exe", "value": "implant.exe"}}


def _other() -> dict[str, Any]:
    return {"id": "O", "score": 10.0, "hosts": ["z"], "entities": [],
            "pivot": {"type": "file", "key": "other.exe", "value": "other.exe"}}


def test_a_cluster_back_with_a_new_host_is_returned_and_back_as_it_was_is_quiet(tmp_path: Path) -> None:
    receiver = Receiver([])
    state = StateStore(tmp_path / "state.sqlite")
    webhook = WebhookNotifier(url=receiver.url, secret=SECRET, min_score=50.0, backoff_s=0.01)
    try:
        for run, clusters in [("d1", [_cluster(["a", "b"])]), ("d2", [_other()]),
                              ("d3", [_cluster(["a", "b"])]), ("d4", [_other()]),
                              ("d5", [_cluster(["a", "b", "c"])])]:
            webhook.notify_clusters(state.save_clusters(run, clusters), detection_id=run)
        assert webhook.drain(10)
    finally:
        webhook.close()
        receiver.close()
        state.close()
    payloads = [json.loads(r["body"]) for r in receiver.requests]
    assert [(p["event"], p["detection_id"]) for p in payloads] == [
        ("cluster.new", "d1"), ("cluster.returned", "d5")]
    assert payloads[1]["previous"]["host_count"] == 2
    assert payloads[1]["previous"]["delivery_id"] == receiver.requests[0]["headers"][DELIVERY_HEADER]


def test_the_same_change_decided_twice_keeps_its_delivery_id() -> None:
    """Two notifiers (a state restored from a backup decides again): one id per change."""
    receiver = Receiver([])
    first = WebhookNotifier(url=receiver.url, secret=SECRET, min_score=50.0, backoff_s=0.01)
    again = WebhookNotifier(url=receiver.url, secret=SECRET, min_score=50.0, backoff_s=0.01)
    try:
        first.notify_clusters([(_cluster(["a", "b"]), None)], detection_id="d1")
        again.notify_clusters([(_cluster(["b", "a"], score=91.0), None)], detection_id="d2")
        first.notify_clusters([(_cluster(["a", "b", "c"]), None)], detection_id="d3")
        assert first.drain(10) and again.drain(10)
    finally:
        first.close()
        again.close()
        receiver.close()
    # the two notifiers send concurrently: match each request to its decision by the body, not by arrival order
    ids = {json.loads(r["body"])["detection_id"]: r["headers"][DELIVERY_HEADER] for r in receiver.requests}
    assert len(receiver.requests) == 3
    assert ids["d1"] == ids["d2"] != ids["d3"]
