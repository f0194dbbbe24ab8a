"""Outgoing webhook: tell a SOAR, chat or ticketing system about risky clusters.

A delivery is a JSON ``POST`` fired when a detection finds a cluster that is
**new** or has **grown** (more hosts or members than in the previous run, or
one it did not have, or its score rose past the threshold) and whose score is at least
``webhook_min_score``.

Signature: ``X-GraphSIEM-Signature: sha256=<hex>`` is the HMAC-SHA256, keyed by
the shared secret, of ``"<X-GraphSIEM-Timestamp>." + body``; a receiver
recomputes it (and may reject old timestamps to stop replays), see
:func:`sign`.  Failed deliveries (connection errors, 429 and 5xx) are retried
with exponential back-off ``backoff_s * 2**attempt``; 4xx other than 429 is
final, since repeating the same body cannot succeed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import queue
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from graphsiem.api.cluster_lineage import member_keys
from graphsiem.model import epoch_to_iso

log = logging.getLogger("graphsiem.webhook")

SIGNATURE_HEADER = "X-GraphSIEM-Signature"
TIMESTAMP_HEADER = "X-GraphSIEM-Timestamp"
EVENT_HEADER = "X-GraphSIEM-Event"
DELIVERY_HEADER = "X-GraphSIEM-Delivery"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``timestamp + "." + body`` under ``secret``.

    Examples
    --------
    >>> sign("s3cret", "1700000000", b"{}")[:7]
    'sha256='
    """
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                   hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Constant-time check of a received signature (for receivers and tests)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def classify(cluster: dict[str, Any], previous: dict[str, Any] | None,
             min_score: float) -> str | None:
    """``"cluster.new"``, ``"cluster.grown"`` or ``None`` (no delivery).

    Grown: more hosts or entities than ``previous``, or a host or member
    ``previous`` did not have (a case continued under another pivot that
    swapped one member for an attacker's file has as many members as before,
    and is not the case the receiver was told about), or a score that rose
    past ``min_score``.
    """
    score = float(cluster.get("score", 0.0))
    if score < min_score:
        return None
    if previous is None:
        return "cluster.new"
    grew = (len(cluster.get("hosts", [])) > len(previous.get("hosts", []))
            or len(cluster.get("entities", [])) > len(previous.get("entities", [])))
    changed = (bool(set(map(str, cluster.get("hosts", [])))
                    - set(map(str, previous.get("hosts", []))))
               or _has_new_members(cluster, previous))
    crossed = float(previous.get("score", 0.0)) < min_score
    return "cluster.grown" if grew or changed or crossed else None


def _has_new_members(cluster: dict[str, Any], previous: dict[str, Any]) -> bool:
    """Whether ``cluster`` has a member ``previous`` did not (False when either lists none)."""
    now, before = member_keys(cluster), member_keys(previous)
    return bool(now and before and now - before)


@dataclass(slots=True)
class Delivery:
    id: str
    event: str
    body: bytes


class WebhookNotifier:
    """Queues deliveries and sends them from one background thread.

    Parameters
    ----------
    url, secret : str
        Receiver and shared HMAC secret.
    min_score : float
        Risk threshold (0-100).
    max_attempts, backoff_s, timeout_s
        Retry policy: up to ``max_attempts`` tries, sleeping
        ``backoff_s * 2**n`` between them; per-request timeout.
    on_result : callable, optional
        ``on_result(outcome)`` with ``"delivered"``, ``"retried"`` or ``"failed"``
        (metrics hook).
    """

    def __init__(self, *, url: str, secret: str, min_score: float = 80.0,
                 max_attempts: int = 5, backoff_s: float = 0.5, timeout_s: float = 5.0,
                 on_result: Any = None) -> None:
        self.url = url
        self._secret = secret
        self.min_score = min_score
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self._on_result = on_result or (lambda outcome: None)
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="webhook", daemon=True)
        self._thread.start()

    def notify_clusters(self, pairs: list[tuple[dict[str, Any], dict[str, Any] | None]], *,
                        detection_id: str) -> int:
        """Queue a delivery for each new or grown cluster over the threshold."""
        queued = 0
        for cluster, previous in pairs:
            event = classify(cluster, previous, self.min_score)
            if event is None:
                continue
            public = {k: v for k, v in cluster.items() if not k.endswith("_ts")}
            payload = {
                "event": event, "detection_id": detection_id, "sent_at": epoch_to_iso(time.time()),
                "cluster": public,
                "previous": None if previous is None else {
                    "score": previous.get("score"), "host_count": len(previous.get("hosts", [])),
                    "entity_count": len(previous.get("entities", []))},
            }
            self._queue.put(Delivery(secrets.token_hex(8), event, orjson.dumps(payload)))
            queued += 1
        return queued

    def _work(self) -> None:
        with httpx.Client(timeout=self.timeout_s, follow_redirects=False) as client:
            while True:
                delivery = self._queue.get()
                try:
                    if delivery is None:
                        return
                    self._deliver(client, delivery)
                finally:
                    self._queue.task_done()

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> bool:
        for attempt in range(self.max_attempts):
            if attempt:
                self._on_result("retried")
                # Interruptible sleep so close() does not wait out a long back-off.
                if self._stop.wait(self.backoff_s * 2 ** (attempt - 1)):
                    break
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(self._secret, timestamp, delivery.body),
                TIMESTAMP_HEADER: timestamp,
                EVENT_HEADER: delivery.event,
                DELIVERY_HEADER: delivery.id,
                "User-Agent": "graphsiem-webhook/1",
            }
            try:
                response = client.post(self.url, content=delivery.body, headers=headers)
            except httpx.HTTPError as exc:
                log.warning("webhook %s attempt %d: %s", delivery.id, attempt + 1,
                            type(exc).__name__)
                continue
            if response.status_code < 300:
                self._on_result("delivered")
                return True
            if response.status_code != 429 and response.status_code < 500:
                log.warning("webhook %s refused with %d", delivery.id, response.status_code)
                break
            log.warning("webhook %s attempt %d: HTTP %d", delivery.id, attempt + 1,
                        response.status_code)
        self._on_result("failed")
        return False

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until queued deliveries are done (or ``timeout``); True when empty."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def close(self, timeout: float = 5.0) -> None:
        """Finish queued deliveries for up to ``timeout`` seconds, then stop."""
        self.drain(timeout)
        self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout)
