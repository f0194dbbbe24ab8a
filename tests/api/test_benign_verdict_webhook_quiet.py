"""A benign verdict and its lift re-send no other cluster to the webhook (review T11 F1).

The service applies a verdict at the next detection.  It used to leave the suppressed
cluster out before the scorer was fitted, so every other cluster's risk moved (on this
fleet the ordinary clusters rose from 32.93 to 36.28; on the review's fleet the attacks
fell), and whichever run took a risk over the webhook's threshold re-sent the cluster as
``cluster.grown`` with the hosts and entities it already had.  The suppressed cluster is
now scored with the rest, so the queue keeps its risks and neither the verdict's run nor
the lift's re-sends any other cluster.  A real HTTP receiver on loopback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import make_settings, running_api
from tests.api.test_webhook import SECRET, Receiver

THRESHOLD = 35.0
"""Between the risks the fleet's ordinary clusters had with (32.93) and without (36.28) the
suppressed cluster in the population, before the fix."""


@pytest.mark.parametrize("store", ["embedded"], indirect=True)
def test_a_verdict_and_its_lift_keep_the_queue_risks_and_resend_no_other_cluster(store: Any, tmp_path: Path) -> None:
    receiver = Receiver([])
    settings = make_settings(tmp_path / "data", webhook_url=receiver.url, webhook_secret=SECRET,
                             webhook_min_score=THRESHOLD, webhook_backoff_s=0.01)
    try:
        with running_api(settings, store) as api:
            api.ingest_fleet()
            assert api.detect()["status"] == "done"
            queue = {c["id"]: c["score"] for c in api.get("/v1/clusters", params={"limit": 50}).json()["items"]}
            api.ctx.webhook.drain(10)
            first_sent = len(receiver.requests)
            top = api.get("/v1/clusters").json()["items"][0]
            assert api.patch(f"/v1/clusters/{top['id']}", role="analyst",
                             json={"verdict": "benign"}).status_code == 200
            assert api.detect()["status"] == "done"
            judged = {c["id"]: c["score"] for c in api.get("/v1/clusters", params={"limit": 50}).json()["items"]
                      if c["active"]}
            pivot = top["pivot"]
            assert api.delete(f"/v1/suppressions/{pivot['type']}/{pivot['key']}",
                              role="analyst").status_code == 204
            assert api.detect()["status"] == "done"
            api.ctx.webhook.drain(10)
            resent = [json.loads(r["body"]) for r in receiver.requests[first_sent:]]
    finally:
        receiver.close()
    assert top["id"] not in judged
    assert judged == {k: v for k, v in queue.items() if k != top["id"]}
    # nothing is re-sent: neither the others nor the lifted cluster itself, which comes back as it
    # was last sent (it used to be re-sent as cluster.new; tests/api/test_webhook_returned_clusters.py)
    assert [(p["event"], p["cluster"]["id"]) for p in resent] == []
