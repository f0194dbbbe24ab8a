"""The outgoing webhook against a real HTTP receiver on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from graphsiem.webhook import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookNotifier,
    classify,
    sign,
    verify,
)
from tests.api.conftest import make_settings, running_api
from tests.api.fleet import CAMPAIGN_DOMAIN

SECRET = "webhook-test-secret"


class Receiver:
    """A loopback HTTP server answering with a scripted list of statuses (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver([503, 500])
    yield r
    r.close()


CLUSTER = {"id": "c1", "score": 91.0, "hosts": ["a", "b"], "entities": [{"type": "domain",
                                                                           "value": "x"}]}


@pytest.mark.parametrize(("cluster", "previous", "expected"), [
    (CLUSTER, None, "cluster.new"),
    ({**CLUSTER, "score": 10.0}, None, None),
    (CLUSTER, CLUSTER, None),
    ({**CLUSTER, "hosts": ["a", "b", "c"]}, CLUSTER, "cluster.grown"),
    ({**CLUSTER, "entities": CLUSTER["entities"] * 2}, CLUSTER, "cluster.grown"),
    (CLUSTER, {**CLUSTER, "score": 40.0}, "cluster.grown"),
])
def test_classify_new_grown_and_quiet(cluster: dict, previous: dict | None,
                                      expected: str | None) -> None:
    assert classify(cluster, previous, 80.0) == expected


def test_signature_is_hmac_of_timestamp_and_body() -> None:
    signature = sign(SECRET, "1700000000", b'{"a":1}')
    assert verify(SECRET, "1700000000", b'{"a":1}', signature)
    assert not verify(SECRET, "1700000001", b'{"a":1}', signature)
    assert not verify("other", "1700000000", b'{"a":1}', signature)


def test_delivery_is_signed_and_retried_with_backoff(receiver: Receiver) -> None:
    outcomes: list[str] = []
    notifier = WebhookNotifier(url=receiver.url, secret=SECRET, min_score=80, max_attempts=4,
                               backoff_s=0.05, on_result=outcomes.append)
    try:
        assert notifier.notify_clusters([(CLUSTER, None)], detection_id="d1") == 1
        assert notifier.drain(10)
    finally:
        notifier.close()
    assert len(receiver.requests) == 3 and outcomes == ["retried", "retried", "delivered"]
    last = receiver.requests[-1]
    headers = {k.lower(): v for k, v in last["headers"].items()}
    assert verify(SECRET, headers[TIMESTAMP_HEADER.lower()], last["body"],
                  headers[SIGNATURE_HEADER.lower()])
    assert headers[EVENT_HEADER.lower()] == "cluster.new"
    assert len({r["headers"][DELIVERY_HEADER] for r in receiver.requests}) == 1
    payload = json.loads(last["body"])
    assert payload["cluster"]["id"] == "c1" and payload["detection_id"] == "d1"


def test_client_errors_are_not_retried_and_dead_receivers_give_up() -> None:
    refusing = Receiver([400])
    outcomes: list[str] = []
    notifier = WebhookNotifier(url=refusing.url, secret=SECRET, max_attempts=3, backoff_s=0.01,
                               on_result=outcomes.append)
    notifier.notify_clusters([(CLUSTER, None)], detection_id="d")
    notifier.drain(10)
    refusing.close()
    assert len(refusing.requests) == 1 and outcomes == ["failed"]
    # Now nothing listens at that address: three attempts, then give up.  (Another cluster: the
    # first one, already told, is not decided again: graphsiem.webhook_told.)
    outcomes.clear()
    notifier.notify_clusters([({**CLUSTER, "id": "c2"}, None)], detection_id="d")
    notifier.drain(10)
    notifier.close()
    assert outcomes == ["retried", "retried", "failed"]


def test_detection_fires_the_webhook_for_new_clusters_only_once(
        store: Any, tmp_path: Path, receiver: Receiver) -> None:
    receiver.statuses = []
    settings = make_settings(tmp_path / "data", webhook_url=receiver.url, webhook_secret=SECRET,
                             webhook_min_score=0.0, webhook_backoff_s=0.01)
    with running_api(settings, store) as api:
        api.ingest_fleet()
        api.detect()
        api.ctx.webhook.drain(10)
        first = [json.loads(r["body"]) for r in receiver.requests]
        clusters = api.get("/v1/clusters").json()["items"]
        assert {p["cluster"]["id"] for p in first} == {c["id"] for c in clusters}
        assert {p["event"] for p in first} == {"cluster.new"}
        assert any(CAMPAIGN_DOMAIN in json.dumps(p) for p in first)
        api.detect()  # nothing changed: no new deliveries
        api.ctx.webhook.drain(10)
        assert len(receiver.requests) == len(first)
        assert "graphsiem_webhook_deliveries_total" in api.get("/metrics").text


def test_webhook_settings_are_validated(tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="webhook_secret"):
        make_settings(tmp_path, webhook_url="http://127.0.0.1:1/x")
    with pytest.raises(ValidationError, match="http"):
        make_settings(tmp_path, webhook_url="file:///etc/passwd", webhook_secret="s")
