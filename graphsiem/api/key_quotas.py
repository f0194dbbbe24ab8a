"""Per-API-key request quotas: one key (a misbehaving integration) cannot use the whole server.

Each key has a token bucket (:mod:`graphsiem.rate_limits`) of ``api_key_burst``
requests refilled at ``api_key_rate_per_s`` a second, or its own rate from
``api_key_rate_overrides`` (by key id; its burst scaled alike, 0 unlimited).
A request whose key has no token left is answered **429** ``rate_limited``
with the API's error body and ``Retry-After`` (whole seconds until a token is
back), counted by key id in ``graphsiem_api_rate_limited`` (the id, never the
secret).  The key is charged once it is known valid
(:func:`graphsiem.api.deps.principal_for`: once a request, whether it is
checked on the headers before the body or by the route's dependency), so an
unknown or revoked key (401) makes no bucket: the table holds at most one
bucket per real key.

Policy.  Every role is limited, admin included, by the same default: each key
has its own bucket, so no other key can use up the admin's (an operator can
always revoke a runaway key), and an admin key in a loop is no less harmful
than any other.  ``/metrics`` is charged to its key like any keyed route (a
scrape every 15 s is 0.07 requests a second); give the scraper its own key so
that an integration over its quota never blinds monitoring.  Routes without a
key (``/healthz``, ``/readyz``, the page's files) are not charged: there is no
key to charge, they are cheap, and a probe refused 429 would take the service
out of rotation; the in-flight bound (:mod:`graphsiem.api.concurrency`) covers
them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from graphsiem.api.errors import RateLimited
from graphsiem.api.metrics import Metrics
from graphsiem.rate_limits import BucketTable, Limit
from graphsiem.settings import Settings

__all__ = ["KeyQuotas", "key_quotas"]

_KEY = "key_quotas"
MAX_KEYS = 10_000
"""Buckets kept (one per key that made a request lately; keys are few, this is a safety bound)."""


class KeyQuotas:
    """The request buckets of the API keys, and the 429 for a key without a token left.

    Parameters
    ----------
    limit : Limit
        Every key's quota (rate 0: unlimited).
    overrides : dict of str to float
        Key id to its own rate (requests a second, 0 unlimited); its burst is the
        rate times ``limit``'s burst seconds (``burst / rate``).
    metrics : Metrics, optional
        Where refusals are counted by key id.
    clock : callable, optional
        Monotonic seconds (tests pass their own).

    Examples
    --------
    >>> now = [0.0]
    >>> quotas = KeyQuotas(Limit(1, 2), overrides={"bulk": 10}, clock=lambda: now[0])
    >>> quotas.limit_for("bulk"), quotas.limit_for("other")
    (Limit(rate=10, burst=20), Limit(rate=1, burst=2))
    >>> quotas.charge("k1"); quotas.charge("k1")
    >>> quotas.charge("k1")
    Traceback (most recent call last):
    ...
    graphsiem.api.errors.RateLimited: API key k1 is over its quota of 1 requests a second (burst 2); retry after 1 s
    """

    def __init__(self, limit: Limit, *, overrides: dict[str, float] | None = None,
                 metrics: Metrics | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.metrics = metrics
        # an override keeps the default's burst in seconds: 50/s with 500 at once is 10 s of burst
        burst_s = limit.burst / limit.rate if limit.rate else None
        self._overrides = {key_id: Limit(rate, max(1.0, rate * burst_s) if burst_s else limit.burst)
                           for key_id, rate in (overrides or {}).items()}
        self.buckets: BucketTable[str] = BucketTable(limit, max_keys=MAX_KEYS, clock=clock,
                                                     limit_of=self._overrides.get)

    @classmethod
    def from_settings(cls, settings: Settings, metrics: Metrics | None = None) -> KeyQuotas:
        """The quotas ``settings`` name (``api_key_rate_per_s``, ``api_key_burst``, ``api_key_rate_overrides``)."""
        return cls(Limit(settings.api_key_rate_per_s, settings.api_key_burst),
                   overrides=settings.api_key_rate_overrides, metrics=metrics)

    def limit_for(self, key_id: str) -> Limit:
        """The quota of key ``key_id``."""
        return self.buckets.limit_for(key_id)

    def charge(self, key_id: str, *, field: str = "header.X-API-Key") -> None:
        """Take one request from key ``key_id``'s bucket.

        ``field`` is the header that carried the key, as other errors name their field
        (``header.X-API-Key`` or ``header.Authorization``, task OPS.5: it was ``key``).

        Raises
        ------
        RateLimited
            The bucket is empty: 429 with ``Retry-After``, the whole seconds until a
            token is back (nothing was taken).
        """
        wait_s = self.buckets.take(key_id)
        if wait_s == 0.0:
            return
        retry_after = max(1, math.ceil(wait_s))
        limit = self.limit_for(key_id)
        if self.metrics is not None:
            self.metrics.count_api_rate_limited(key_id)
        raise RateLimited(
            f"API key {key_id} is over its quota of {limit.rate:g} requests a second "
            f"(burst {limit.burst:g}); retry after {retry_after} s",
            field=field, headers={"Retry-After": str(retry_after)},
            details=[{"field": field, "reason": "over its request quota", "key_id": key_id,
                      "rate_per_s": limit.rate, "burst": limit.burst, "retry_after_s": retry_after}])


def key_quotas(ctx: Any) -> KeyQuotas:
    """The application's :class:`KeyQuotas` (kept in ``ctx.caches``, made from its settings on first use)."""
    caches: dict[str, Any] = ctx.caches
    quotas = caches.get(_KEY)
    if quotas is None:
        quotas = caches.setdefault(_KEY, KeyQuotas.from_settings(ctx.settings, ctx.metrics))
    return quotas
