"""DHCP requests naming their host, waiting for the ACK that grants the address (:mod:`ingest.ipmap`).

Suricata EVE logs each DHCP message alone, and servers seldom echo option 12:
an ACK without a host name takes the name of the client's request of the same
transaction (``dhcp.transaction_id`` and ``dhcp.mac``) seen at most
:data:`DHCP_JOIN_SECONDS` before or after it.  At most
:data:`DHCP_REQUESTS_LIMIT` requests wait, persisted beside the map's
intervals (table ``dhcp_requests``, made by the first write that needs it).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ingest.ipmap_names import is_generic_host_name

DHCP_JOIN_SECONDS = 120.0
"""How far apart (s) a DHCP request naming its host and the ACK of its transaction may be.  A client
retransmits an unanswered request for about a minute (RFC 2131 4.1: 4, 8, 16, 32, 64 s, the last
request refreshing the wait), and a transaction id is reused only by chance later."""

DHCP_REQUESTS_LIMIT = 4096
"""Named DHCP requests waiting for their ACK (the oldest seen go first): bounded memory and table."""

DHCP_TABLE = """CREATE TABLE IF NOT EXISTS dhcp_requests (
    transaction_id TEXT NOT NULL, mac TEXT NOT NULL, ts REAL NOT NULL, host TEXT NOT NULL,
    PRIMARY KEY (transaction_id, mac))"""

RequestKey = tuple[str, str]
"""A DHCP transaction's key: its id and the client's MAC."""


def request_key(fields: dict[str, Any]) -> RequestKey:
    """A DHCP transaction's key: its id and the client's MAC (a retry keeps both)."""
    return str(fields["dhcp.transaction_id"]), str(fields.get("dhcp.mac") or "")


class DhcpRequests:
    """The named DHCP requests waiting for their ACK, with the ones changed since the last save.

    Examples
    --------
    >>> requests = DhcpRequests()
    >>> requests.remember({"dhcp.transaction_id": 7, "dhcp.mac": "aa", "dhcp.hostname": "ws-1"}, 100.0)
    >>> requests.name_for({"dhcp.transaction_id": 7, "dhcp.mac": "aa"}, 150.0)
    'ws-1'
    >>> requests.name_for({"dhcp.transaction_id": 7, "dhcp.mac": "aa"}, 400.0) is None  # too late
    True
    """

    __slots__ = ("_requests", "_dirty", "_written")

    def __init__(self) -> None:
        self._requests: dict[RequestKey, tuple[float, str]] = {}
        """(transaction id, MAC) -> (time, host), the last seen last."""
        self._dirty: set[RequestKey] = set()
        self._written: set[RequestKey] = set()

    @property
    def changed(self) -> bool:
        """Whether a request was remembered or dropped since the last save."""
        return bool(self._dirty)

    def remember(self, fields: dict[str, Any], ts: float) -> None:
        """Keep the host name a DHCP request (no address granted yet) gives for its transaction."""
        host = fields.get("dhcp.hostname")
        if not isinstance(host, str) or not host or is_generic_host_name(host):
            return
        key = request_key(fields)
        requests = self._requests
        requests.pop(key, None)  # re-inserted: the last seen is the last to go
        requests[key] = (ts, host)
        self._dirty.add(key)
        while len(requests) > DHCP_REQUESTS_LIMIT:
            oldest = next(iter(requests))
            del requests[oldest]
            self._dirty.add(oldest)

    def name_for(self, fields: dict[str, Any], ts: float) -> str | None:
        """The host name the request of this ACK's transaction gave, when seen close enough in time."""
        known = self._requests.get(request_key(fields))
        if known is None or abs(ts - known[0]) > DHCP_JOIN_SECONDS:
            return None
        return known[1]

    def load(self, db: sqlite3.Connection) -> None:
        """Read the newest :data:`DHCP_REQUESTS_LIMIT` waiting requests (none when the table is not made yet)."""
        # the table is made by the first write that needs it (in the writer's transaction): none yet, none waiting
        if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dhcp_requests'").fetchone():
            rows = db.execute("SELECT transaction_id, mac, ts, host FROM dhcp_requests ORDER BY ts DESC LIMIT ?",
                              (DHCP_REQUESTS_LIMIT,)).fetchall()
            self._requests = {(xid, mac): (ts, host) for xid, mac, ts, host in reversed(rows)}
        self._dirty.clear()

    def write(self, db: sqlite3.Connection) -> None:
        """The requests changed since the last save: written, or deleted once dropped.

        Only changed rows are touched, so another process's waiting requests stay; the table
        keeps twice the limit at most (its oldest rows go), :meth:`load` reads the newest.
        """
        self._written = set(self._dirty)
        if not self._written:
            return
        db.execute(DHCP_TABLE)
        requests = self._requests
        db.executemany("DELETE FROM dhcp_requests WHERE transaction_id = ? AND mac = ?",
                       [key for key in self._written if key not in requests])
        db.executemany("INSERT OR REPLACE INTO dhcp_requests (transaction_id, mac, ts, host) VALUES (?, ?, ?, ?)",
                       [(*key, *requests[key]) for key in self._written if key in requests])
        (rows,) = db.execute("SELECT COUNT(*) FROM dhcp_requests").fetchone()
        if rows > 2 * DHCP_REQUESTS_LIMIT:
            db.execute("DELETE FROM dhcp_requests WHERE rowid IN (SELECT rowid FROM dhcp_requests ORDER BY ts LIMIT ?)",
                       (rows - DHCP_REQUESTS_LIMIT,))

    def saved(self) -> None:
        """The requests :meth:`write` wrote are committed."""
        self._dirty.difference_update(self._written)
        self._written = set()
