"""Lookups through the IP -> host map that notice when the map changes under them (:class:`IpWatch`).

A projection made before the map is complete (the pipeline projects sensor
batches as it journals them) looks IPs up through a watch: it remembers the
times each IP was looked up at, and the map flags it as soon as a change to an
interval of that IP covers one of those times, i.e. as soon as an answer it
gave might no longer be the answer of the final map.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.ipmap import IpHostMap


class IpWatch:
    """Lookups through an :class:`~ingest.ipmap.IpHostMap` that notice when the map changes under them.

    Each IP looked up keeps the span of times it was looked up at; a later
    change to one of that IP's intervals that reaches into the span sets
    :attr:`changed`.  While :attr:`changed` is False, every answer given
    through the watch is still the map's answer (conservatively: a change
    may set it without altering an answer).

    Examples
    --------
    >>> from ingest.ipmap import IpHostMap
    >>> m = IpHostMap()
    >>> watch = m.watch()
    >>> watch.lookup("10.0.0.5", 1200.0) is None, watch.changed
    (True, False)
    >>> m.add_lease("10.0.0.5", "ws-1", 5000.0, 600.0)  # later than anything looked up
    >>> watch.changed
    False
    >>> m.add_lease("10.0.0.5", "ws-2", 1000.0, 600.0)  # covers t=1200: that answer is now stale
    >>> watch.changed
    True
    """

    __slots__ = ("_map", "_spans", "changed")

    def __init__(self, ipmap: IpHostMap) -> None:
        self._map = ipmap
        self._spans: dict[str, list[float]] = {}
        self.changed = False

    def lookup(self, ip: str | None, ts: float) -> str | None:
        """:meth:`IpHostMap.lookup <ingest.ipmap.IpHostMap.lookup>`, remembering that ``ip`` was looked up at ``ts``."""
        if not ip:
            return None
        span = self._spans.get(ip)
        if span is None:
            self._spans[ip] = [ts, ts]
        elif ts < span[0]:
            span[0] = ts
        elif ts > span[1]:
            span[1] = ts
        if ip not in self._map._intervals:  # most addresses a sensor sees are no host's: no call
            return None
        return self._map.lookup(ip, ts)

    def changed_between(self, ip: str, start: float, end: float) -> None:
        """Called by the map: the answers for ``ip`` between ``start`` and ``end`` may have changed."""
        span = self._spans.get(ip)
        if span is not None and span[0] <= end and start <= span[1]:
            self.changed = True
