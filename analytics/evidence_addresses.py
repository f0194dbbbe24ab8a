"""Which host held an IP address at a time, from the journal's IP map, for evidence.

A network sensor's event (Zeek, Suricata) has no host of its own: the
projection maps its addresses to hosts at the event's time (``ingest.ipmap``)
and, when an address is not mapped then, relates the IP itself (``user
LOGGED_ON ip:10.1.10.117``).  Evidence (:mod:`analytics.evidence`) asks the
same map, saved beside the journal (table ``ip_hosts``), whether such an
event's ends were a cluster's hosts.  Only the addresses asked about are read,
each once.
"""

from __future__ import annotations

import sqlite3
from typing import Any


class AddressHolders:
    """The host holding an address at a time, read from the journal's ``ip_hosts`` table.

    Parameters
    ----------
    db : sqlite3.Connection
        The journal's connection (:attr:`ingest.journal.Journal.connection`).

    Examples
    --------
    >>> db = sqlite3.connect(":memory:")
    >>> _ = db.execute("CREATE TABLE ip_hosts (ip TEXT, start REAL, end REAL, host TEXT, source TEXT)")
    >>> _ = db.executemany("INSERT INTO ip_hosts VALUES (?, ?, ?, ?, 'endpoint')",
    ...                    [("10.0.0.8", 0.0, 100.0, "srv-8"), ("10.0.0.8", 300.0, 400.0, "srv-8")])
    >>> holders = AddressHolders(db)
    >>> holders.holder("10.0.0.8", 50.0), holders.holder("10.0.0.8", 200.0), holders.holder("10.0.0.8", 500.0)
    ('srv-8', 'srv-8', None)
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._intervals: dict[str, list[tuple[float, float, str]]] = {}

    def holder(self, ip: str, ts: float) -> str | None:
        """The host that held ``ip`` at ``ts``, or ``None`` when unknown or ambiguous.

        An address held by one host before and after ``ts``, by nobody known
        in between, counts as that host's: a server's endpoint agent reports its
        address while it logs, so its static address has gaps in the map that
        no other host fills.
        """
        intervals = self._read(ip)
        holding = {host for start, end, host in intervals if start <= ts <= end}
        if holding:
            return holding.pop() if len(holding) == 1 else None
        before = [(end, host) for start, end, host in intervals if end < ts]
        after = [(start, host) for start, end, host in intervals if start > ts]
        if not before or not after:
            return None
        last_before, first_after = max(before), min(after)
        return last_before[1] if last_before[1] == first_after[1] else None

    def _read(self, ip: str) -> list[tuple[float, float, str]]:
        rows = self._intervals.get(ip)
        if rows is None:
            try:
                cursor = self._db.execute("SELECT start, end, host FROM ip_hosts WHERE ip = ?", (ip,))
                rows = [(float(s), float(e), str(h)) for s, e, h in cursor.fetchall()]
            except sqlite3.OperationalError:  # a journal that never mapped an address has no table
                rows = []
            self._intervals[ip] = rows
        return rows


def address_holders(journal: Any) -> AddressHolders | None:
    """The journal's IP map as :class:`AddressHolders`, or ``None`` for a lookup without one.

    Any ``journal`` with a ``connection`` (an :class:`ingest.journal.Journal`) has one;
    a bare ``get(ids)`` lookup has none.
    """
    db = getattr(journal, "connection", None)
    return AddressHolders(db) if isinstance(db, sqlite3.Connection) else None
