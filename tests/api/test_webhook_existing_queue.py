"""A webhook turned on for a data directory that already has a queue announces its clusters (review U3 #1).

Without a ``webhook_told`` row the webhook compared each cluster with the previous
run's copy: the queue detected before the webhook was set (or before an upgrade)
looked unchanged, and a receiver was sent nothing for clusters over its threshold.
An id the receiver never heard of is now ``cluster.new``, except one an analyst
closed or judged benign before.  And the ``webhook_min_confidence`` floor (review
U3 #2): a low-confidence cluster (day one: no history) is held back until it is not.
A real HTTP receiver on loopback, a real app over the embedded store, restarted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphsiem.settings import Settings
from graphsiem.webhook import WebhookNotifier
from tests.api.conftest import make_settings, running_api
from tests.api.test_webhook import SECRET, Receiver

THRESHOLD = 60.0
"""Two of the test fleet's clusters score above it (86.66 and 78.13), the others 32.93."""


def _webhook(receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    return {"webhook_url": receiver.url, "webhook_secret": SECRET, "webhook_min_score": THRESHOLD,
            "webhook_backoff_s": 0.01, **overrides}


def _sent(receiver: Receiver) -> list[tuple[str, str]]:
    return [(json.loads(r["body"])["event"], json.loads(r["body"])["cluster"]["id"]) for r in receiver.requests]


def test_turning_the_webhook_on_announces_the_open_queue_but_not_a_closed_cluster(
        embedded_store: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_api(make_settings(data), embedded_store) as api:  # no webhook yet
        api.ingest_fleet()
        assert api.detect()["status"] == "done"
        over = [c for c in api.get("/v1/clusters", params={"limit": 50}).json()["items"] if c["score"] >= THRESHOLD]
        assert len(over) == 2, over
        closed, still_open = over[1]["id"], over[0]["id"]
        assert api.patch(f"/v1/clusters/{closed}", role="analyst", json={"status": "closed"}).status_code == 200
    receiver = Receiver([])
    try:
        with running_api(make_settings(data, **_webhook(receiver)), embedded_store) as api:
            assert api.detect()["status"] == "done"
            assert api.ctx.webhook is not None and api.ctx.webhook.drain(10)
            first = _sent(receiver)
            assert api.detect()["status"] == "done"  # nothing changed: nothing more
            api.ctx.webhook.drain(10)
            again = _sent(receiver)
    finally:
        receiver.close()
    assert first == [("cluster.new", still_open)]
    assert again == first


def test_a_low_confidence_cluster_is_held_back_by_the_default_floor_and_sent_when_asked(
        embedded_store: Any, tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path / "d").webhook_min_confidence == "normal"
    data = tmp_path / "data"
    receiver = Receiver([])
    try:
        # the test fleet is small: every cluster is score_confidence "low"
        with running_api(make_settings(data, **_webhook(receiver, webhook_min_confidence="normal")),
                         embedded_store) as api:
            api.ingest_fleet()
            assert api.detect()["status"] == "done"
            items = api.get("/v1/clusters", params={"limit": 50}).json()["items"]
            assert {c["score_confidence"] for c in items} == {"low"}
            assert api.ctx.webhook is not None and api.ctx.webhook.drain(10)
            held = _sent(receiver)
        with running_api(make_settings(data, **_webhook(receiver, webhook_min_confidence="low")),
                         embedded_store) as api:
            assert api.detect()["status"] == "done"
            assert api.ctx.webhook is not None and api.ctx.webhook.drain(10)
            sent = _sent(receiver)
    finally:
        receiver.close()
    assert held == []
    assert sorted(sent) == sorted(("cluster.new", c["id"]) for c in items if c["score"] >= THRESHOLD)


def test_a_cluster_that_reaches_the_confidence_floor_later_is_new_to_the_receiver() -> None:
    receiver = Receiver([])
    notifier = WebhookNotifier(url=receiver.url, secret=SECRET, min_score=THRESHOLD, backoff_s=0.01,
                               min_confidence="normal")
    cluster = {"id": "c1", "score": 90.0, "hosts": ["a", "b"], "entities": [{"type": "domain", "value": "x"}],
               "score_confidence": "low"}
    try:
        assert notifier.notify_clusters([(cluster, None)], detection_id="day1") == 0
        later = {**cluster, "score_confidence": "normal"}
        # the previous run's copy is the held-back one, unchanged but for its confidence
        assert notifier.notify_clusters([(later, {**cluster, "active": True})], detection_id="day2") == 1
        assert notifier.drain(10)
    finally:
        notifier.close()
        receiver.close()
    assert _sent(receiver) == [("cluster.new", "c1")]
