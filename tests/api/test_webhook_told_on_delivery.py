"""What the receiver was told is recorded on delivery, and forgotten after a retention (task OPS.1, OPS.2).

A dead alert (refused, or too many tries) and one evicted or left out by the
outbox's bound used to be recorded in ``webhook_told`` when staged, as if sent:
the next run compared with that copy and never sent the change.  Now "told"
means answered 2xx; a lost alert's change is owed and decided again at the next
run where it still holds.  ``webhook_told`` used to keep a row per cluster id
ever sent; rows no run produced for ``told_retention_s`` are now pruned, and a
pruned cluster that comes back grown is ``cluster.returned``, not ``cluster.new``.
Real ``state.sqlite`` files and a real HTTP receiver on loopback.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphsiem.api.state import StateStore
from graphsiem.webhook import DELIVERY_HEADER, WebhookNotifier
from graphsiem.webhook_outbox import Outbox
from tests.api.test_webhook import SECRET, Receiver


def _cluster(cluster_id: str, hosts: list[str], score: float = 90.0) -> dict[str, Any]:
    key = f"{cluster_id}.exe"
    return {"id": cluster_id, "score": score, "hosts": hosts, "entities": [{"type": "file", "value": key}],
            "members": [{"type": "file", "key": key, "value": key}],
            "pivot": {"type": "file", "key": key, "value": key}}


def _payloads(receiver: Receiver) -> list[tuple[str, str, str, str]]:
    """``(detection id, event, cluster id, delivery id)`` of each request, in order."""
    out = []
    for request in receiver.requests:
        payload = json.loads(request["body"])
        out.append((payload["detection_id"], payload["event"], payload["cluster"]["id"],
                    request["headers"][DELIVERY_HEADER]))
    return out


def _told_ids(state: StateStore) -> list[str]:
    return [r[0] for r in state._query("SELECT cluster_id FROM webhook_told ORDER BY cluster_id")]


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateStore]:
    store = StateStore(tmp_path / "state.sqlite")
    yield store
    store.close()


def _run(webhook: WebhookNotifier, state: StateStore, run: str, clusters: list[dict[str, Any]]) -> None:
    """One detection's clusters stored with its alerts, then every alert delivered or given up."""
    state.save_clusters(run, clusters, within=lambda db, pairs: webhook.stage(db, pairs, detection_id=run))
    webhook.wake()
    assert webhook.drain(10)


def test_a_refused_alert_is_not_told_and_its_change_is_sent_at_the_next_run(state: StateStore) -> None:
    receiver = Receiver([400])  # refuses the first alert (a final status: dead), then accepts
    webhook = WebhookNotifier(url=receiver.url, secret=SECRET, min_score=50.0, backoff_s=0.01,
                              outbox=Outbox(state))
    try:
        _run(webhook, state, "d1", [_cluster("C", ["a", "b"])])
        told_after_refusal = _told_ids(state)
        _run(webhook, state, "d2", [_cluster("C", ["a", "b"])])  # the change still holds
        _run(webhook, state, "d3", [_cluster("C", ["a", "b"])])  # now told: quiet
        dead_left = webhook.outbox.count("dead")
    finally:
        webhook.close()
        receiver.close()
    sent = _payloads(receiver)
    assert told_after_refusal == []
    assert [(d, e, c) for d, e, c, _ in sent] == [("d1", "cluster.new", "C"), ("d2", "cluster.new", "C")]
    assert sent[0][3] == sent[1][3]  # the same change: the same delivery id, the dead row replaced
    assert dead_left == 0 and _told_ids(state) == ["C"]


def test_an_alert_the_bound_left_out_is_sent_at_the_next_run(state: StateStore) -> None:
    receiver = Receiver([])
    webhook = WebhookNotifier(url=receiver.url, secret=SECRET, min_score=50.0, backoff_s=0.01,
                              outbox=Outbox(state, max_rows=1))
    try:
        clusters = [_cluster("HIGH", ["a"], 95.0), _cluster("LOW", ["b"], 70.0)]
        _run(webhook, state, "d1", clusters)  # room for one alert: LOW is evicted
        _run(webhook, state, "d2", clusters)
        _run(webhook, state, "d3", clusters)
    finally:
        webhook.close()
        receiver.close()
    assert [(d, e, c) for d, e, c, _ in _payloads(receiver)] == [
        ("d1", "cluster.new", "HIGH"), ("d2", "cluster.new", "LOW")]


def test_a_cluster_no_run_produced_for_the_retention_is_forgotten_and_comes_back_returned(
        state: StateStore) -> None:
    receiver = Receiver([])
    webhook = WebhookNotifier(url=receiver.url, secret=SECRET, min_score=50.0, backoff_s=0.01,
                              outbox=Outbox(state), told_retention_s=0.001)
    try:
        _run(webhook, state, "d1", [_cluster("C", ["a", "b"]), _cluster("K", ["k"])])
        time.sleep(0.01)  # past the (tiny) retention: C is not produced by d2, K is
        _run(webhook, state, "d2", [_cluster("K", ["k"])])
        told_after_d2 = _told_ids(state)
        _run(webhook, state, "d3", [_cluster("C", ["a", "b", "c"]), _cluster("K", ["k"])])
    finally:
        webhook.close()
        receiver.close()
    sent = _payloads(receiver)
    assert told_after_d2 == ["K"]
    assert [(d, e, c) for d, e, c, _ in sent] == [
        ("d1", "cluster.new", "C"), ("d1", "cluster.new", "K"), ("d3", "cluster.returned", "C")]
    assert json.loads(receiver.requests[2]["body"])["previous"]["host_count"] == 2


def test_churned_ids_leave_only_those_seen_within_the_retention() -> None:
    """10,000 ids, 100 new a day for 100 days, 30 days' retention: 3,100 rows remain, not 10,000."""
    from graphsiem.webhook_told import create_told_tables, mark_seen, prune, record_delivered

    conn = sqlite3.connect(":memory:")
    create_told_tables(conn)
    day = 86400.0
    for d in range(100):
        now = d * day
        todays = [{"id": f"c{d}-{n}"} for n in range(100)]
        for cluster in todays:
            record_delivered(conn, cluster, event="cluster.new", delivery_id="x", detection_id=f"d{d}", now=now)
        mark_seen(conn, todays, now=now)
        prune(conn, now=now, retention_s=30 * day)
    rows = conn.execute("SELECT COUNT(*), MIN(seen_at) FROM webhook_told").fetchone()
    assert rows == (3100, 69 * day)  # the last 31 days' ids (day 69 is exactly 30 days old)
