"""A change owed to the receiver is no longer owed once an alert on the cluster is delivered (review R20 #5).

A dead or evicted alert records its cluster in ``webhook_owed`` (:mod:`graphsiem.webhook_told`); the
delivery of a later alert on it writes the told copy and deletes the owed row in the same
transaction.  Nothing tested the delete: without it the row lingered until the retention pruned it,
and the cluster still read as owed.  A real ``state.sqlite`` and a real HTTP receiver on loopback.
"""

from __future__ import annotations

from graphsiem.api.state import StateStore
from graphsiem.webhook import WebhookNotifier
from graphsiem.webhook_outbox import Outbox
from graphsiem.webhook_told import owed
from tests.api.test_webhook import SECRET, Receiver
from tests.api.test_webhook_told_on_delivery import _cluster, _run, state  # noqa: F401  (the fixture)


def _owed_rows(state: StateStore) -> list[str]:  # noqa: F811
    return [r[0] for r in state._query("SELECT cluster_id FROM webhook_owed ORDER BY cluster_id")]


def test_a_refused_alert_is_owed_until_the_next_alert_on_it_is_delivered(state: StateStore) -> None:  # noqa: F811
    receiver = Receiver([400])  # refuses the first alert (a final status: dead), then accepts
    webhook = WebhookNotifier(url=receiver.url, secret=SECRET, min_score=50.0, backoff_s=0.01,
                              outbox=Outbox(state))
    cluster = _cluster("C", ["a", "b"])
    try:
        _run(webhook, state, "d1", [cluster])
        owed_after_refusal = _owed_rows(state)
        _run(webhook, state, "d2", [cluster])  # the change still holds: sent again, and delivered
    finally:
        webhook.close()
        receiver.close()
    assert owed_after_refusal == ["C"]
    assert _owed_rows(state) == []
    assert owed(state._db, [cluster]) == set()
