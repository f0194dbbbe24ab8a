"""Whether the journal can be written, as the API last found it: for ``POST /v1/events`` and ``/readyz``.

A full disk made every POST answer ``500 internal_error`` while ``/readyz``
said ready (review S2, item 4).  A refused journal write
(:class:`~ingest.write_failure.JournalWriteError`, or an ``OSError`` storing an
upload) now answers ``507 Insufficient Storage`` naming the disk's reason, with
``Retry-After``; and it is noted here, so that ``/readyz`` answers 503 without
touching the disk: until a write succeeds, or for :data:`RETRY_AFTER_SECONDS`
after the last failure, when the next write tries the disk again (a service
taken out of rotation gets no writes that could show it recovered).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

RETRY_AFTER_SECONDS = 30
"""How long a refused write keeps the service not ready, and the ``Retry-After`` of a 507."""

_KEY = "journal_writes"


class JournalWrites:
    """The last refused journal write, until a write succeeds or it is :data:`RETRY_AFTER_SECONDS` old.

    Parameters
    ----------
    clock : callable, optional
        Seconds, monotonic (tests pass their own).

    Examples
    --------
    >>> now = [100.0]
    >>> writes = JournalWrites(clock=lambda: now[0])
    >>> writes.problem() is None
    True
    >>> writes.failed("database or disk is full")
    >>> writes.problem()
    'the journal cannot be written: database or disk is full'
    >>> now[0] += RETRY_AFTER_SECONDS
    >>> writes.problem() is None
    True
    >>> writes.failed("disk I/O error"); writes.succeeded(); writes.problem() is None
    True
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failed_at: float | None = None
        self._reason = ""

    def failed(self, reason: str) -> None:
        """Note a write the disk refused, with its reason."""
        with self._lock:
            self._failed_at, self._reason = self._clock(), reason

    def succeeded(self) -> None:
        """Note a write that went through: the journal is writable again."""
        if self._failed_at is not None:  # a read of one attribute a request while all is well
            with self._lock:
                self._failed_at = None

    def problem(self) -> str | None:
        """Why the service is not ready to take writes, or ``None``: no disk probe, only the last write's outcome."""
        with self._lock:
            failed_at, reason = self._failed_at, self._reason
        if failed_at is None or self._clock() - failed_at >= RETRY_AFTER_SECONDS:
            return None
        return f"the journal cannot be written: {reason}"


def journal_writes(ctx: Any) -> JournalWrites:
    """The application's :class:`JournalWrites` (kept in ``ctx.caches``, made on first use)."""
    caches: dict[str, Any] = ctx.caches
    writes = caches.get(_KEY)
    if writes is None:
        writes = caches.setdefault(_KEY, JournalWrites())
    return writes
