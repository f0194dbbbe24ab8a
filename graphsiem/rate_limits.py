"""Token buckets, one per sender, in a table of bounded size: the service's abuse limits.

A sender (a syslog source address, an API key) has a bucket of ``burst``
tokens refilled at ``rate`` tokens a second; each message or request takes
one.  A sender within its rate is never refused; one above it is refused (a
UDP datagram dropped, an HTTP request answered 429) or slowed (a TCP
connection not read) until its bucket refills.  The table keeps at most
``max_keys`` buckets, the least recently used forgotten first: a flood of
spoofed source addresses costs a bounded amount of memory, and a forgotten
sender simply starts again with a full bucket.

The clock is injectable (``clock``), so tests step time instead of sleeping.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["BucketTable", "Limit", "TokenBucket", "parse_rate_overrides"]

K = TypeVar("K", bound=Hashable)


class Limit:
    """A rate (tokens per second) and a burst (the bucket's size); ``rate`` 0 means unlimited.

    Examples
    --------
    >>> Limit(5000, 20000)
    Limit(rate=5000, burst=20000)
    >>> Limit(0, 0).unlimited
    True
    """

    __slots__ = ("burst", "rate")

    def __init__(self, rate: float, burst: float) -> None:
        if rate < 0 or burst < 0:
            raise ValueError(f"a rate limit needs a rate and a burst of at least 0, not {rate} and {burst}")
        if rate > 0 and burst < 1:
            raise ValueError(f"a burst below 1 ({burst}) would refuse everything")
        self.rate = rate
        self.burst = burst

    @property
    def unlimited(self) -> bool:
        """Whether nothing is ever refused (``rate`` 0)."""
        return self.rate == 0

    def __repr__(self) -> str:
        return f"Limit(rate={self.rate:g}, burst={self.burst:g})"


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` a second, full at creation.

    Examples
    --------
    >>> bucket = TokenBucket(Limit(rate=2, burst=3), now=0.0)
    >>> [bucket.take(0.0) for _ in range(4)]
    [0.0, 0.0, 0.0, 0.5]
    >>> bucket.take(0.5)
    0.0
    >>> bucket.charge(0.5, 3)  # a debt: seconds until the bucket is back at zero
    1.5
    """

    __slots__ = ("limit", "tokens", "updated")

    def __init__(self, limit: Limit, *, now: float) -> None:
        self.limit = limit
        self.tokens = float(limit.burst)
        self.updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(now - self.updated, 0.0)  # a clock that steps back refills nothing
        self.tokens = min(self.limit.burst, self.tokens + elapsed * self.limit.rate)
        self.updated = now

    def take(self, now: float, cost: float = 1.0) -> float:
        """Take ``cost`` tokens if the bucket has them.

        Returns
        -------
        float
            0.0 when they were taken; otherwise the seconds until the bucket will
            have them (nothing is taken).
        """
        self._refill(now)
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.limit.rate

    def charge(self, now: float, cost: float) -> float:
        """Take ``cost`` tokens even when that leaves the bucket in debt.

        Returns
        -------
        float
            The seconds until the debt is paid back (0.0 when there is none): how long a
            sender that cannot be refused (a TCP stream) is left unread.
        """
        self._refill(now)
        self.tokens -= cost
        return -self.tokens / self.limit.rate if self.tokens < 0 else 0.0

    def is_full(self, now: float) -> bool:
        """Whether forgetting this bucket would change nothing (a new one starts full)."""
        return self.tokens + max(now - self.updated, 0.0) * self.limit.rate >= self.limit.burst


class BucketTable(Generic[K]):
    """One :class:`TokenBucket` per key, at most ``max_keys`` of them (least recently used forgotten).

    Parameters
    ----------
    limit : Limit
        Every key's limit, unless ``limit_of`` names another.
    max_keys : int
        Buckets kept; one more forgets the least recently used (which then starts
        again full: a bound on memory, not a way around the limit for one sender).
    clock : callable, optional
        Monotonic seconds (tests pass their own).
    limit_of : callable, optional
        ``limit_of(key)``: the key's own limit, or ``None`` for ``limit``.

    Attributes
    ----------
    forgotten : int
        Buckets forgotten for newer keys since start.

    Examples
    --------
    >>> now = [0.0]
    >>> table = BucketTable(Limit(1, 2), max_keys=2, clock=lambda: now[0])
    >>> [table.take("a") for _ in range(3)], table.take("b")
    ([0.0, 0.0, 1.0], 0.0)
    >>> now[0] = 1.0
    >>> table.take("a")
    0.0
    >>> table.take("c"), len(table), table.forgotten  # "b", the least recently used, makes room
    (0.0, 2, 1)
    """

    def __init__(self, limit: Limit, *, max_keys: int, clock: Callable[[], float] = time.monotonic,
                 limit_of: Callable[[K], Limit | None] | None = None) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, not {max_keys}")
        self.limit = limit
        self.max_keys = max_keys
        self.clock = clock
        self._limit_of = limit_of
        self._buckets: OrderedDict[K, TokenBucket] = OrderedDict()
        # the API takes from its dependencies on the event loop, a TCP reader on another: one lock
        self._lock = threading.Lock()
        self.forgotten = 0

    def __len__(self) -> int:
        return len(self._buckets)

    def limit_for(self, key: K) -> Limit:
        """``key``'s limit: its own (``limit_of``) or the table's."""
        own = self._limit_of(key) if self._limit_of is not None else None
        return own if own is not None else self.limit

    def _bucket(self, key: K, now: float) -> TokenBucket | None:
        """``key``'s bucket, made when missing; ``None`` when its limit is unlimited."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            self._buckets.move_to_end(key)
            return bucket
        limit = self.limit_for(key)
        if limit.unlimited:
            return None
        bucket = self._buckets[key] = TokenBucket(limit, now=now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
            self.forgotten += 1
        return bucket

    def take(self, key: K, cost: float = 1.0) -> float:
        """Take ``cost`` tokens from ``key``'s bucket: 0.0 when taken, else the seconds until they would be."""
        with self._lock:
            now = self.clock()
            bucket = self._bucket(key, now)
            return 0.0 if bucket is None else bucket.take(now, cost)

    def charge(self, key: K, cost: float) -> float:
        """Take ``cost`` tokens from ``key``'s bucket even into debt: the seconds until it is paid back."""
        with self._lock:
            now = self.clock()
            bucket = self._bucket(key, now)
            return 0.0 if bucket is None else bucket.charge(now, cost)


_KEY_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


def parse_rate_overrides(value: object, *, origin: str = "api_key_rate_overrides") -> dict[str, float]:
    """Per-key rates (requests a second, 0 unlimited) from a mapping or its JSON text, checked.

    Parameters
    ----------
    value : object
        A mapping of key id to rate, or its JSON text (the environment's form); empty: none.
    origin : str
        The setting's name, for the error.

    Returns
    -------
    dict of str to float

    Raises
    ------
    ValueError
        Naming the entry at fault and why.

    Examples
    --------
    >>> parse_rate_overrides('{"3f2a9c01d4e6": 200}')
    {'3f2a9c01d4e6': 200.0}
    >>> parse_rate_overrides({"3f2a9c01d4e6": -1})
    Traceback (most recent call last):
    ...
    ValueError: api_key_rate_overrides: key '3f2a9c01d4e6': the rate must be a number of requests a second, 0 or more, not -1
    """
    if value is None or value == "":
        return {}
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(f"{origin}: not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{origin}: must be an object of key id to requests a second, "
                         f"not {type(value).__name__}")
    rates: dict[str, float] = {}
    for key_id, rate in value.items():
        if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
            raise ValueError(f"{origin}: {key_id!r} is not a key id (letters, digits, _ and -, "
                             "as `graphsiem keys list` shows them)")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate >= 0 \
                or rate == float("inf"):
            raise ValueError(f"{origin}: key {key_id!r}: the rate must be a number of requests a "
                             f"second, 0 or more, not {rate!r}")
        rates[key_id] = float(rate)
    return rates
