"""One detection's alerts beyond the webhook outbox's bound are evicted, not written past it (task G5).

The bound (``webhook_outbox_max_rows``) is on the disk the outbox takes.  Making room deleted
at most the rows already there, so a detection that decided more alerts than the bound left the
outbox over it.  Now the highest-risk of them are written, the others evicted in the same
transaction, counted (the ``evicted`` outcome, the metrics hook) and logged with how many.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphsiem.api.state import StateStore
from graphsiem.webhook import WebhookNotifier
from graphsiem.webhook_outbox import DEAD, PENDING, NewAlert, Outbox
from tests.api.test_webhook import Receiver


def _alert(n: int, risk: float) -> NewAlert:
    return NewAlert(f"d{n}", "cluster.new", f"c{n}", "run", b"{}", risk)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateStore]:
    store = StateStore(tmp_path / "state.sqlite")
    yield store
    store.close()


def test_alerts_beyond_the_bound_keep_the_highest_risk_in_their_order(state: StateStore) -> None:
    outbox = Outbox(state, max_rows=3)

    evicted = outbox.add([_alert(n, risk) for n, risk in enumerate([10, 90, 50, 80, 70])], now=1.0)

    assert [r.delivery_id for r in outbox.rows()] == ["d1", "d3", "d4"]
    assert evicted == 2


def test_older_rows_go_first_then_the_batchs_lowest_risk(state: StateStore) -> None:
    outbox = Outbox(state, max_rows=3)
    outbox.add([_alert(n, 99) for n in (100, 101, 102)], now=1.0)
    outbox.kill(outbox.rows()[0].seq, error="HTTP 400", now=2.0)

    evicted = outbox.add([_alert(n, risk) for n, risk in enumerate([60, 95, 40, 85])], now=3.0)

    assert [r.delivery_id for r in outbox.rows()] == ["d0", "d1", "d3"]
    assert outbox.count(PENDING) == 3 and outbox.count(DEAD) == 0
    assert evicted == 3  # two older pending rows (the dead one is pruned, not evicted) and d2


def _cluster(cluster_id: str, score: float) -> dict:
    return {"id": cluster_id, "score": score, "hosts": ["h1"], "entities": [],
            "pivot": {"type": "domain", "key": cluster_id}}


def test_a_detection_over_the_bound_is_counted_and_logged(state: StateStore, caplog) -> None:
    receiver = Receiver([503] * 50)  # never accepts: every alert stays pending
    outcomes: list[str] = []
    notifier = WebhookNotifier(url=receiver.url, secret="s", min_score=50.0, backoff_s=3600.0,
                               outbox=Outbox(state, max_rows=4), on_result=outcomes.append)
    try:
        clusters = [_cluster(f"c{n}", score) for n, score in enumerate([55, 99, 60, 91, 70, 88])]
        with caplog.at_level(logging.ERROR, logger="graphsiem.webhook"):
            state.save_clusters("run1", clusters, within=lambda db, pairs: notifier.stage(db, pairs, detection_id="run1"))

        assert sorted(r.cluster_id for r in notifier.outbox.rows()) == ["c1", "c3", "c4", "c5"]
        assert outcomes.count("evicted") == 2
        assert "2 undelivered alert(s) evicted: 0 older pending (oldest first), 2 of this detection's 6" in caplog.text
    finally:
        notifier.close(timeout=5)
        receiver.close()
