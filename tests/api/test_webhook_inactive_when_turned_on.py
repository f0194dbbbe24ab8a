"""A cluster inactive when the webhook was turned on is new to the receiver when it comes back (task OPS2 #3).

An inactive stored copy was taken for one the receiver may have been told of (its told row
pruned after the retention), so a cluster that a backtest, a quiet day or a verdict had left
out of the queue when the webhook was set, and that came back unchanged, was compared with
that copy and sent nothing: the receiver never heard of it.  Now only an id whose told row was
pruned (``webhook_forgotten``) keeps that comparison.  Real ``state.sqlite`` files and a real
HTTP receiver on loopback.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphsiem.api.state import StateStore
from graphsiem.webhook import WebhookNotifier
from graphsiem.webhook_outbox import Outbox
from graphsiem.webhook_told import TOLD_SCHEMA
from tests.api.test_webhook import SECRET, Receiver
from tests.api.test_webhook_told_on_delivery import _cluster, _payloads, _run


@pytest.fixture
def state_db(tmp_path: Path) -> Iterator[StateStore]:
    store = StateStore(tmp_path / "state.sqlite")
    yield store
    store.close()


def _webhook(receiver: Receiver, state_db: StateStore, **options: float) -> WebhookNotifier:
    return WebhookNotifier(url=receiver.url, secret=SECRET, min_score=50.0, backoff_s=0.01,
                           outbox=Outbox(state_db), **options)


def test_a_cluster_inactive_when_the_webhook_was_turned_on_is_new_when_it_comes_back(
        state_db: StateStore) -> None:
    state = state_db
    state.save_clusters("d1", [_cluster("C", ["a", "b"]), _cluster("K", ["k"])])  # no webhook yet
    state.save_clusters("d2", [_cluster("K", ["k"])])  # C left out (a backtest, a quiet day)
    receiver = Receiver([])
    webhook = _webhook(receiver, state)  # turned on now: C is inactive
    try:
        _run(webhook, state, "d3", [_cluster("C", ["a", "b"]), _cluster("K", ["k"])])  # C back, unchanged
        _run(webhook, state, "d4", [_cluster("C", ["a", "b"]), _cluster("K", ["k"])])
    finally:
        webhook.close()
        receiver.close()
    assert sorted((d, e, c) for d, e, c, _ in _payloads(receiver)) == [
        ("d3", "cluster.new", "C"), ("d3", "cluster.new", "K")]


def test_a_cluster_told_then_forgotten_comes_back_unchanged_and_sends_nothing(
        state_db: StateStore) -> None:
    state = state_db
    receiver = Receiver([])
    webhook = _webhook(receiver, state, told_retention_s=0.001)
    try:
        _run(webhook, state, "d1", [_cluster("C", ["a", "b"])])
        time.sleep(0.01)  # past the (tiny) retention: d2 does not produce C, its told row is pruned
        _run(webhook, state, "d2", [_cluster("K", ["k"], score=10.0)])
        _run(webhook, state, "d3", [_cluster("C", ["a", "b"])])  # back as it was told
    finally:
        webhook.close()
        receiver.close()
    assert [(d, e, c) for d, e, c, _ in _payloads(receiver)] == [("d1", "cluster.new", "C")]


def test_a_state_whose_webhook_ran_before_keeps_its_inactive_clusters_compared_with_their_copy(
        tmp_path: Path) -> None:
    """Told rows pruned before ``webhook_forgotten`` existed left no trace: such inactive ids count as told."""
    state = StateStore(tmp_path / "state.sqlite")
    try:
        state.save_clusters("d1", [_cluster("C", ["a", "b"])])
        state.save_clusters("d2", [_cluster("K", ["k"], score=10.0)])
        with sqlite3.connect(tmp_path / "state.sqlite") as conn:  # the webhook of the release before
            for statement in TOLD_SCHEMA:
                conn.execute(statement)
        receiver = Receiver([])
        webhook = _webhook(receiver, state)
        try:
            _run(webhook, state, "d3", [_cluster("C", ["a", "b"])])
        finally:
            webhook.close()
            receiver.close()
    finally:
        state.close()
    assert _payloads(receiver) == []
