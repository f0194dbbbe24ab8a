"""``GET /v1/webhook/alerts`` lists which clusters' alerts wait or died (admin).

Dead alerts were only a count in ``/metrics``, a log line and rows of
``state.sqlite``: an operator could not see which clusters' alerts never
reached the receiver (left by task F22).  A real app, a real receiver that
refuses every alert with 400 (a final answer: the alerts die at once).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.conftest import make_settings, running_api
from tests.api.syslog_listener_thread import wait_until
from tests.api.test_webhook_durable import SECRET, Receiver


def test_dead_alerts_are_listed_with_their_clusters_and_errors(embedded_store: Any, tmp_path: Path) -> None:
    receiver = Receiver("refuse")
    try:
        settings = make_settings(tmp_path / "data", webhook_url=receiver.url, webhook_secret=SECRET,
                                 webhook_min_score=0.0)
        with running_api(settings, embedded_store) as api:
            api.ingest_fleet()
            assert api.detect()["status"] == "done"
            assert api.ctx.webhook is not None
            outbox = api.ctx.webhook.outbox
            total = len(outbox.rows())
            assert total >= 1
            wait_until(lambda: outbox.count("dead") == total, "every alert refused")

            listed = api.get("/v1/webhook/alerts", role="admin", params={"state": "dead"}).json()
            assert listed["enabled"] is True and listed["dead"] == total and listed["pending"] == 0
            assert [a["delivery_id"] for a in listed["items"]] == [r.delivery_id for r in outbox.rows("dead")]
            clusters = {c["id"] for c in api.get("/v1/clusters", role="analyst").json()["items"]}
            for alert in listed["items"]:
                assert alert["cluster_id"] in clusters
                assert alert["last_error"] == "HTTP 400" and alert["attempts"] == 1
                assert alert["dead_at"].endswith("Z") and alert["next_attempt_at"] is None
                assert "body" not in alert
            assert api.get("/v1/webhook/alerts", role="admin", params={"state": "pending"}).json()["items"] == []
            assert api.get("/v1/webhook/alerts", role="analyst").status_code == 403
    finally:
        receiver.release()
        receiver.stop()


def test_without_a_webhook_the_list_says_so(embedded_store: Any, tmp_path: Path) -> None:
    with running_api(make_settings(tmp_path / "data"), embedded_store) as api:
        answer = api.get("/v1/webhook/alerts", role="admin").json()
        assert answer == {"enabled": False, "pending": 0, "dead": 0, "items": []}
