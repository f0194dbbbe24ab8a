"""Outgoing webhook: tell a SOAR, chat or ticketing system about risky clusters.

A delivery is a JSON ``POST`` fired when a detection finds a cluster that is
**new** or has **grown** (more hosts or members than in the previous run, or
one it did not have, or its score rose past the threshold) and whose score is at least
``webhook_min_score``.  Grown is judged against the copy the receiver was last
sent (:mod:`graphsiem.webhook_told`), so an id it was told about is never
``cluster.new`` again; one the previous run did not produce that comes back
with something that copy lacked is ``cluster.returned``, and nothing is sent
when it comes back as it was (see :func:`graphsiem.webhook_decisions.decide`).

Signature: ``X-GraphSIEM-Signature: sha256=<hex>`` is the HMAC-SHA256, keyed by
the shared secret, of ``"<X-GraphSIEM-Timestamp>." + body``; a receiver
recomputes it (and may reject old timestamps to stop replays), see
:func:`sign`.

Delivery is at least once: each alert is written to the outbox
(:mod:`graphsiem.webhook_outbox`, in ``state.sqlite``) in the transaction that
stores the detection's clusters, and stays there until the receiver answers
2xx; retries keep its ``X-GraphSIEM-Delivery`` id, which derives from the cluster
and the change announced (:func:`graphsiem.webhook_decisions.delivery_id`), so a receiver dedupes on it.  A
data directory restored from a backup sends again the alerts that were waiting
when the backup was taken, marked ``X-GraphSIEM-Possible-Duplicate: backup``
(the original may have delivered them since).
See :class:`WebhookNotifier` for the order, back-off and when an alert is dead.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import sqlite3
import threading
import time
from typing import Any

import httpx
import orjson

from graphsiem.model import epoch_to_iso
from graphsiem.page_links import cluster_page_url
from graphsiem.webhook_decisions import (
    CONFIDENCE_LEVELS,
    classify,
    decide,
    delivery_id,
    meets_confidence,
    never_told,
)
from graphsiem.webhook_outbox import (
    PENDING,
    MemoryDatabase,
    NewAlert,
    Outbox,
    OutboxRow,
    backoff_delay,
)
from graphsiem.webhook_told import (
    DEFAULT_RETENTION_S,
    forgotten,
    last_told,
    mark_seen,
    owed,
    prune,
    settled,
)

__all__ = [
    "CONFIDENCE_LEVELS", "DELIVERY_HEADER", "EVENT_HEADER", "POSSIBLE_DUPLICATE_HEADER", "RETRYABLE_STATUSES",
    "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookNotifier", "classify", "decide", "delivery_id",
    "meets_confidence", "never_told", "sign", "verify",
]

log = logging.getLogger("graphsiem.webhook")

SIGNATURE_HEADER = "X-GraphSIEM-Signature"
TIMESTAMP_HEADER = "X-GraphSIEM-Timestamp"
EVENT_HEADER = "X-GraphSIEM-Event"
DELIVERY_HEADER = "X-GraphSIEM-Delivery"
POSSIBLE_DUPLICATE_HEADER = "X-GraphSIEM-Possible-Duplicate"
"""``backup`` on an alert a restored directory sends that was waiting when its backup was taken:
the original directory may have delivered it since (:func:`graphsiem.webhook_outbox.mark_in_backup`)."""


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


# Retried: the receiver may answer differently later (timeouts, overload, outage).
# Any other status outside 2xx is final: repeating the same body cannot succeed.
RETRYABLE_STATUSES = frozenset({408, 429})


def _risk(cluster: dict[str, Any]) -> float:
    """The cluster's score, for which alerts a full outbox keeps (0 when it has none)."""
    score = cluster.get("score")
    return float(score) if isinstance(score, int | float) and math.isfinite(score) else 0.0


class WebhookNotifier:
    """Writes alerts to the outbox and delivers them from one background thread.

    At-least-once: an alert is deleted from the outbox only when the receiver
    answered 2xx; until then it is retried with the same delivery id, oldest
    first, one request in flight (a receiver sees alerts in the order they were
    decided).  A failed try (connection error, timeout, 408, 429, 5xx) waits
    ``backoff_s * 2**(attempts-1)`` seconds, capped at ``backoff_max_s``, before
    the next, and the alerts behind it wait too; a timeout waits at least
    ``timeout_s * 2**(attempts-1)`` (capped), since the receiver may still be
    working on the last copy.  An alert refused with another status, or failed
    ``max_attempts`` times, or failed when older than ``max_age_s``, is marked
    dead: kept in the outbox with its last error, counted, logged; its change is
    owed (:mod:`graphsiem.webhook_told`) and decided again, under the same
    delivery id, at the next run where it still holds.

    Parameters
    ----------
    url, secret : str
        Receiver and shared HMAC secret.
    min_score : float
        Risk threshold (0-100).
    min_confidence : str
        The weakest ``score_confidence`` sent (:data:`CONFIDENCE_LEVELS`); a
        cluster below it sends nothing, and is decided afresh at the run where
        it reaches it.  ``"low"`` here (everything); the service's setting
        ``webhook_min_confidence`` defaults to ``"normal"``.
    max_attempts, backoff_s, timeout_s
        Retry policy: tries per alert, first back-off, per-request timeout.
    backoff_max_s, max_age_s : float
        The back-off cap, and the age after which a failed alert is given up.
    outbox : Outbox, optional
        Where alerts wait; the service passes one over its ``state.sqlite``
        (durable).  Without it, a private in-memory one (lost at exit).
    told_retention_s : float
        How long what the receiver was told of a cluster is kept after a run
        last produced it (:func:`graphsiem.webhook_told.prune`).
    on_result : callable, optional
        ``on_result(outcome)`` with ``"delivered"``, ``"retried"`` (a try failed,
        another is scheduled), ``"failed"`` (marked dead) or ``"evicted"`` (a
        pending alert deleted to keep the outbox bound); the metrics hook.
    """

    def __init__(self, *, url: str, secret: str, min_score: float = 80.0,
                 max_attempts: int = 5, backoff_s: float = 0.5, timeout_s: float = 5.0,
                 backoff_max_s: float = 3600.0, max_age_s: float = 86400.0,
                 outbox: Outbox | None = None, on_result: Any = None,
                 public_url: str | None = None,
                 told_retention_s: float = DEFAULT_RETENTION_S, min_confidence: str = "low") -> None:
        if min_confidence not in CONFIDENCE_LEVELS:
            raise ValueError(f"min_confidence must be one of {CONFIDENCE_LEVELS}, not {min_confidence!r}")
        self.url = url
        self.public_url = public_url  # the page's address, for each alert's link to its cluster
        self._secret = secret
        self.min_score = min_score
        self.min_confidence = min_confidence
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.max_age_s = max_age_s
        self.timeout_s = timeout_s
        self.told_retention_s = told_retention_s
        # the outbox creates the told tables too (it records deliveries there)
        self.outbox = outbox if outbox is not None else Outbox(MemoryDatabase())
        self._on_result = on_result or (lambda outcome: None)
        self._wake = threading.Event()
        self._stop = threading.Event()
        # What the previous process left (undelivered at its stop or crash) is due now.
        self.outbox.due_now(time.time())
        restored = self.outbox.count_in_backup()
        if restored:
            log.warning("webhook: %d alert(s) were waiting when the backup this data directory was restored "
                        "from was taken: the original may have delivered them since; they are sent again "
                        "under the same %s, marked %s: backup", restored, DELIVERY_HEADER,
                        POSSIBLE_DUPLICATE_HEADER)
        self._thread = threading.Thread(target=self._work, name="webhook", daemon=True)
        self._thread.start()

    # -- deciding and writing alerts -----------------------------------------
    def alerts(self, pairs: list[tuple[dict[str, Any], dict[str, Any] | None]], *,
               detection_id: str, told: dict[str, dict[str, Any]] | None = None,
               owed_ids: set[str] | frozenset[str] = frozenset(),
               settled_ids: set[str] | frozenset[str] = frozenset(),
               forgotten_ids: set[str] | frozenset[str] = frozenset()) -> list[NewAlert]:
        """The alerts :func:`decide` sends among ``pairs``.

        ``told`` is :func:`~graphsiem.webhook_told.last_told`'s answer;
        ``owed_ids`` the ids whose last alert was dead or evicted
        (:func:`~graphsiem.webhook_told.owed`): with nothing told, such a
        cluster is compared with nothing (the receiver never got it), not with
        the previous run's copy, which holds the very change that was lost.
        So is one the receiver never heard of (:func:`graphsiem.webhook_decisions.never_told`), unless
        its id is in ``settled_ids`` (:func:`~graphsiem.webhook_told.settled`)
        or ``forgotten_ids`` (:func:`~graphsiem.webhook_told.forgotten`).
        A cluster whose ``score_confidence`` is below ``min_confidence`` sends nothing.
        """
        alerts: list[NewAlert] = []
        held_back = 0
        for cluster, previous in pairs:
            cluster_id = str(cluster.get("id", ""))
            if not meets_confidence(cluster, self.min_confidence):
                held_back += _risk(cluster) >= self.min_score
                continue
            told_before = (told or {}).get(cluster_id)
            if told_before is None and (cluster_id in owed_ids or never_told(
                    previous, is_settled=cluster_id in settled_ids, was_forgotten=cluster_id in forgotten_ids)):
                previous = None
            decided = decide(cluster, previous, told_before, self.min_score)
            if decided is None:
                continue
            event, reference = decided
            public = {k: v for k, v in cluster.items() if not k.endswith("_ts")}
            public["url"] = cluster_page_url(self.public_url, cluster_id)
            payload = {
                # when the alert was decided; each try's time is in X-GraphSIEM-Timestamp
                "event": event, "detection_id": detection_id, "sent_at": epoch_to_iso(time.time()),
                "cluster": public,
                # the copy compared with: the one last sent when there is one (its delivery id)
                "previous": None if reference is None else {
                    "score": reference.get("score"), "host_count": len(reference.get("hosts", [])),
                    "entity_count": len(reference.get("entities", [])),
                    "delivery_id": reference.get("delivery_id")},
            }
            alerts.append(NewAlert(delivery_id(cluster, event), event, cluster_id,
                                   detection_id, orjson.dumps(payload), _risk(cluster)))
        if held_back:
            log.info("webhook: %d cluster(s) at or above the risk threshold not sent: score_confidence "
                     "below %r (webhook_min_confidence)", held_back, self.min_confidence)
        return alerts

    def stage(self, conn: sqlite3.Connection,
              pairs: list[tuple[dict[str, Any], dict[str, Any] | None]], *,
              detection_id: str) -> int:
        """Write the alerts of ``pairs`` through ``conn``, inside the caller's transaction.

        The detection calls it in the transaction that stores its clusters, so
        an alert exists exactly when its cluster is stored.  Then the told
        rows of this run's clusters are marked seen and those no run produced
        for ``told_retention_s`` are pruned (:mod:`graphsiem.webhook_told`).
        Call :meth:`wake` after the commit.  Returns the number of alerts written.
        """
        now = time.time()
        clusters = [cluster for cluster, _ in pairs]
        alerts = self.alerts(pairs, detection_id=detection_id, told=last_told(conn, clusters),
                             owed_ids=owed(conn, clusters), settled_ids=settled(conn, clusters),
                             forgotten_ids=forgotten(conn, clusters))
        self._count_evicted(self.outbox.stage(conn, alerts, now=now), len(alerts))
        mark_seen(conn, clusters, now=now)
        pruned = prune(conn, now=now, retention_s=self.told_retention_s)
        if pruned:
            log.info("webhook: forgot what was told of %d cluster(s) no run produced for %.0fs",
                     pruned, self.told_retention_s)
        return len(alerts)

    def notify_clusters(self, pairs: list[tuple[dict[str, Any], dict[str, Any] | None]], *,
                        detection_id: str) -> int:
        """:meth:`stage` in a transaction of the outbox's database, then send."""
        with self.outbox.db._tx() as conn:
            count = self.stage(conn, pairs, detection_id=detection_id)
        self.wake()
        return count

    def _count_evicted(self, evicted: int, decided: int) -> None:
        """Count and log the ``evicted`` alerts (of which the ``decided`` ones' excess over the bound)."""
        if evicted:
            left_out = max(0, decided - self.outbox.max_rows)
            log.error("webhook outbox full (%d rows): %d undelivered alert(s) evicted: %d older pending "
                      "(oldest first), %d of this detection's %d (its lowest-risk, never written)",
                      self.outbox.max_rows, evicted, evicted - left_out, left_out, decided)
            for _ in range(evicted):
                self._on_result("evicted")

    def wake(self) -> None:
        """Have the sender look at the outbox now (new alerts were committed)."""
        self._wake.set()

    # -- sending ----------------------------------------------------------
    def _work(self) -> None:
        with httpx.Client(timeout=self.timeout_s, follow_redirects=False) as client:
            while not self._stop.is_set():
                try:
                    self._step(client)
                except Exception:  # noqa: BLE001 - the sender outlives a bad moment
                    if self._stop.is_set():  # e.g. the state database closed at shutdown
                        return
                    # The rows are safe in the outbox: log, pause, carry on.
                    log.exception("webhook sender: unexpected error, retrying in 1s")
                    self._stop.wait(1.0)

    def _step(self, client: httpx.Client) -> None:
        """Send the oldest pending alert when it is due, else wait for it or for news."""
        self._wake.clear()
        row = self.outbox.head()
        if row is None:
            self._wake.wait()
            return
        delay = row.next_attempt_at - time.time()
        if delay > 0:
            # Strict order: nothing behind the head goes first.
            self._wake.wait(delay)
            return
        self._attempt(client, row)

    def _attempt(self, client: httpx.Client, row: OutboxRow) -> None:
        now = time.time()
        attempts = row.attempts + 1
        # Until the try reports, it counts as one that timed out (a crash leaves it so).
        self.outbox.start_attempt(row.seq, now=now, retry_at=now + self._delay(attempts, True))
        error, final, timed_out = self._post(client, row)
        if error is None:
            self.outbox.delivered(row, now=time.time())
            self._on_result("delivered")
            return
        now = time.time()
        if not final and attempts >= self.max_attempts:
            error, final = f"{error}; gave up after {attempts} attempts", True
        elif not final and now - row.created_at >= self.max_age_s:
            error, final = f"{error}; gave up at age {now - row.created_at:.0f}s", True
        if final:
            self.outbox.kill(row.seq, error=error, now=now)
            log.error("webhook %s (%s, cluster %s) is dead after %d attempt(s): %s",
                      row.delivery_id, row.event, row.cluster_id, attempts, error)
            self._on_result("failed")
            return
        retry_at = now + self._delay(attempts, timed_out)
        self.outbox.failed(row.seq, error=error, retry_at=retry_at)
        log.warning("webhook %s attempt %d: %s (next in %.1fs)", row.delivery_id, attempts,
                    error, retry_at - now)
        self._on_result("retried")

    def _delay(self, attempts: int, timed_out: bool) -> float:
        base = max(self.backoff_s, self.timeout_s) if timed_out else self.backoff_s
        return backoff_delay(attempts, base, self.backoff_max_s)

    def _post(self, client: httpx.Client, row: OutboxRow) -> tuple[str | None, bool, bool]:
        """``(error, final, timed_out)`` of one try; ``error`` is ``None`` when delivered."""
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, timestamp, row.body),
            TIMESTAMP_HEADER: timestamp,
            EVENT_HEADER: row.event,
            DELIVERY_HEADER: row.delivery_id,
            "User-Agent": "graphsiem-webhook/1",
        }
        if row.in_backup_at is not None:  # restored from a backup: the original may have sent it
            headers[POSSIBLE_DUPLICATE_HEADER] = "backup"
        try:
            response = client.post(self.url, content=row.body, headers=headers)
        except httpx.TimeoutException as exc:
            return f"{type(exc).__name__} after {self.timeout_s:g}s", False, True
        except httpx.HTTPError as exc:
            return type(exc).__name__, False, False
        status = response.status_code
        if 200 <= status < 300:
            return None, False, False
        retryable = status >= 500 or status in RETRYABLE_STATUSES
        return f"HTTP {status}", not retryable, False

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until no alert is pending (or ``timeout``); True when none is."""
        deadline = time.monotonic() + timeout
        while self.outbox.count(PENDING) and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.outbox.count(PENDING) == 0

    def close(self, timeout: float | None = None) -> None:
        """Stop the sender; what is not delivered stays in the outbox for the next start.

        Waits for a request in flight (up to ``timeout``, by default the request
        timeout plus a second), never for back-offs.
        """
        self._stop.set()
        self._wake.set()
        self._thread.join(self.timeout_s + 1.0 if timeout is None else timeout)
