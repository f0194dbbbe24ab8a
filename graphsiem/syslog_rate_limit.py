"""The syslog listener's per-source rate limit: one loud or spoofed sender cannot starve the others.

Each source address (IP, port ignored) has a token bucket of
``syslog_burst_per_source`` messages refilled at ``syslog_rate_per_source`` a
second (:mod:`graphsiem.rate_limits`).  A UDP datagram from a source whose
bucket is empty is **dropped** before it is decoded or batched, so it never
reaches the ingest pipeline: it is **not** one of an ingest's received records
(an ingest report's ``received = accepted + rejected`` counts what reached the
pipeline).  Drops are never silent: they are counted per source
(:attr:`SourceRateLimit.dropped_by_source`, ``graphsiem_syslog_rate_limited``
in ``/metrics``) and logged, naming the loudest sources, at once and then at
most every ``warn_every_s`` while they go on (and once more at the end).  A TCP
connection is never dropped for its rate: its address's bucket goes into
debt and the connection is not read until the debt is paid back (its sender's
kernel holds the bytes; nothing is lost), counted as throttled.

Memory is bounded however many addresses a spoofed flood uses: at most
``max_sources`` buckets (the least recently used forgotten), and the per-source
drop counts kept for the log and ``/metrics`` are bounded too (beyond
:data:`COUNTED_SOURCES` sources, drops are summed as ``other``).  A flood
spread over many spoofed addresses, each within its rate, is not what this
limit stops: the listener's batch bound (``syslog_max_inflight_batches``) then
drops what the pipeline cannot take, counted as ``graphsiem_syslog_dropped``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Protocol

from graphsiem.rate_limits import BucketTable, Limit

log = logging.getLogger("graphsiem.syslog")

__all__ = ["COUNTED_SOURCES", "OTHER_SOURCES", "RateLimitMetrics", "SourceRateLimit"]

COUNTED_SOURCES = 256
"""Sources whose drops are counted by name; drops from more are counted as :data:`OTHER_SOURCES`."""
OTHER_SOURCES = "other"
LOGGED_SOURCES = 5
"""The loudest sources a warning names (the others are a count)."""


class RateLimitMetrics(Protocol):
    """Where the drops are counted (the API's :class:`graphsiem.api.metrics.Metrics`)."""

    def count_syslog_rate_limited(self, transport: str, source: str, messages: int) -> None:
        """``messages`` from ``source`` dropped (UDP) or held back (TCP) for its rate."""


class SourceRateLimit:
    """Per-source token buckets of one transport, with the counts and warnings of what they refuse.

    Parameters
    ----------
    limit : Limit
        Messages a second and burst, per source address (rate 0: no limit).
    transport : str
        ``udp`` or ``tcp``: the metrics' label and the warning's word.
    max_sources : int
        Buckets kept (least recently used forgotten).
    warn_every_s : float
        The warning naming the dropping sources is logged at the first drop, then at
        most this often while drops go on.
    metrics : RateLimitMetrics, optional
        ``/metrics``.
    clock : callable, optional
        Monotonic seconds (tests pass their own).

    Attributes
    ----------
    dropped : int
        Messages refused since start.
    dropped_by_source : collections.Counter
        The same by source address (at most :data:`COUNTED_SOURCES`, the rest as ``other``).

    Examples
    --------
    >>> now = [0.0]
    >>> limit = SourceRateLimit(Limit(rate=10, burst=2), transport="udp", max_sources=100,
    ...                         warn_every_s=10, clock=lambda: now[0])
    >>> [limit.admit("10.0.0.1") for _ in range(3)], limit.admit("10.0.0.2")
    ([True, True, False], True)
    >>> limit.dropped_by_source
    Counter({'10.0.0.1': 1})
    """

    def __init__(self, limit: Limit, *, transport: str, max_sources: int, warn_every_s: float,
                 metrics: RateLimitMetrics | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.transport = transport
        self.metrics = metrics
        self.warn_every_s = warn_every_s
        self.clock = clock
        self.buckets: BucketTable[str] = BucketTable(limit, max_keys=max_sources, clock=clock)
        self.dropped = 0
        self.dropped_by_source: Counter[str] = Counter()
        self._unreported: Counter[str] = Counter()
        self._last_warning = -float("inf")
        self._timer: asyncio.TimerHandle | None = None

    def _named(self, source: str) -> str:
        """``source``, or ``other`` once :data:`COUNTED_SOURCES` are counted by name."""
        if source in self.dropped_by_source or len(self.dropped_by_source) < COUNTED_SOURCES:
            return source
        return OTHER_SOURCES

    def admit(self, source: str) -> bool:
        """Whether a UDP datagram from ``source`` is taken; one that is not is counted and reported."""
        if self.limit.unlimited or self.buckets.take(source) == 0.0:
            return True
        self.count_refused(source, 1)
        return False

    def throttle(self, source: str, messages: int) -> float:
        """Charge ``messages`` read from a TCP connection of ``source``: seconds not to read it (0.0: none)."""
        if self.limit.unlimited or not messages:
            return 0.0
        delay = self.buckets.charge(source, messages)
        if delay > 0:
            self.count_refused(source, messages)
        return delay

    def count_refused(self, source: str, messages: int) -> None:
        """Count ``messages`` of ``source`` refused for its rate; warn now or soon (never silent)."""
        name = self._named(source)
        self.dropped += messages
        self.dropped_by_source[name] += messages
        if name in self._unreported or len(self._unreported) < COUNTED_SOURCES:
            self._unreported[name] += messages
        else:
            self._unreported[OTHER_SOURCES] += messages
        if self.metrics is not None:
            self.metrics.count_syslog_rate_limited(self.transport, name, messages)
        now = self.clock()
        if now - self._last_warning >= self.warn_every_s:
            self.report()
        elif self._timer is None:
            # drops that stop within warn_every_s of the last warning are still reported, soon
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # called outside the listener's loop (a unit test): report at stop
                return
            self._timer = loop.call_later(self._last_warning + self.warn_every_s - now, self.report)

    def report(self) -> None:
        """Log the drops since the last warning, loudest sources first (nothing when there were none)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._unreported:
            return
        self._last_warning = self.clock()
        loudest = self._unreported.most_common(LOGGED_SOURCES)
        named = ", ".join(f"{source}: {count}" for source, count in loudest)
        others = len(self._unreported) - len(loudest)
        what = "dropped %d UDP datagrams" if self.transport == "udp" else "slowed %d TCP messages"
        log.warning("syslog: %s over the per-source rate limit (%g/s, burst %g) from %d source(s): "
                    "%s%s (%d since start)", what % sum(self._unreported.values()), self.limit.rate,
                    self.limit.burst, len(self._unreported), named,
                    f" and {others} more" if others else "", self.dropped)
        self._unreported.clear()
