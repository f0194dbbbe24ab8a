"""The time-aware IP -> host map that joins network-sensor events to hosts.

Zeek and Suricata see IP addresses, endpoints see host names.  The map is a set
of intervals ``(ip, start, end, host)`` learnt from two kinds of evidence, told
by normalised fields (``docs/fields.md``), not by parser:

* **DHCP leases** (any event with ``dhcp.assigned_ip`` and ``dhcp.hostname``:
  Zeek ``dhcp.log``, Suricata EVE ``dhcp``; ``dhcp.lease_seconds``):
  ``[ts, ts + lease]`` (a day when the lease time is unknown).  A new lease of
  the same IP to another host ends the earlier intervals of other hosts at the
  new lease's start.  Only a granted lease teaches: when the record lists its
  DHCP message types (``dhcp.message_types``) they must include ``ACK`` (a
  DISCOVER/OFFER exchange offers an address nobody may take; Zeek fills
  ``assigned_addr`` from an OFFER too).  A record without the list (Zeek before
  2.6 logged ACKs only; events journaled before the list was kept) teaches as
  before.  An ACK without a host name (Suricata EVE logs each DHCP message
  alone, and servers seldom echo option 12) takes the name of the client's
  request of the same transaction (``dhcp.transaction_id`` and ``dhcp.mac``)
  seen at most :data:`DHCP_JOIN_SECONDS` before or after it: the requests
  naming a host wait for their ACK, at most :data:`DHCP_REQUESTS_LIMIT` of
  them, persisted with the intervals (table ``dhcp_requests``).  A generic
  host name (:func:`is_generic_host_name`: ``iPhone``, ``localhost``, ...)
  teaches nothing: many devices send it, and a lease would make them one host.
* **Endpoint network events**: an event of a known host (``Event.host``) that
  names its own end of a connection, ``host.ip``, one of ``source.ip`` /
  ``destination.ip`` (the Windows parser sets it on Sysmon 3 only when it can
  tell the host's own side; any endpoint parser may set it the same way): the
  point ``ts`` widened by :data:`ENDPOINT_SLACK` either side; observations of
  the same IP and host that touch are merged into one interval.  Network
  sensors' events have no ``Event.host``, so a flow they saw never teaches who
  owns an address.  Sensor events whose record proves the sending machine
  (``source.hostname``, e.g. a Zeek Kerberos request by the machine account
  ``HOST$``) count the same way.

``lookup(ip, ts)`` returns the host whose interval holds ``ts`` (the one that
started last when several do, the one learnt last when they started together;
a NetBIOS-truncated name gives way to the one full name it begins that holds
the IP at the same time, :func:`_full_name`), or ``None``: an unmapped IP
stays an ``ip`` entity and adds no host.  The map
is persisted in the journal database (table ``ip_hosts``) so later ingests see
earlier leases.

An address's intervals are kept in a treap ordered by start
(:mod:`ingest.ipmap_tree`), so learning a lease or a lookup costs O(log n) for
an address held n times.  Saving a changed address still reads all its
intervals and rows (O(n)) and writes the rows that changed.

A projection made before the map is complete (the pipeline projects sensor
batches as it journals them) looks IPs up through an :class:`IpWatch`: it
remembers the times each IP was looked up at, and the map flags it as soon as
a change to an interval of that IP covers one of those times, i.e. as soon as
an answer it gave might no longer be the answer of the final map.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphsiem.model import Event
from ingest.ipmap_tree import (
    IntervalNode,
    Intervals,
    first_touching,
    latest_holding,
    latest_started,
)
from ingest.normalize import can_be_a_host, canonical_ip, normalize_host

DEFAULT_LEASE = 86400.0
"""Lease length (s) assumed when a DHCP record gives none."""


def lease_seconds(value: Any) -> float:
    """A lease's length from ``dhcp.lease_seconds``: a positive finite number, else :data:`DEFAULT_LEASE`.

    The field comes from records: a Zeek JSON ``lease_time`` written as a list, text
    or ``null`` stopped a whole ingest in the IP map (found by the pipeline fuzz).

    >>> lease_seconds(3600), lease_seconds([None]), lease_seconds(True), lease_seconds(float("nan"))
    (3600.0, 86400.0, 86400.0, 86400.0)
    """
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < float("inf"):
        return float(value)
    return DEFAULT_LEASE


ENDPOINT_SLACK = 3600.0
"""How long (s) either side of an endpoint network event its address is trusted."""

DHCP_JOIN_SECONDS = 120.0
"""How far apart (s) a DHCP request naming its host and the ACK of its transaction may be.  A client
retransmits an unanswered request for about a minute (RFC 2131 4.1: 4, 8, 16, 32, 64 s, the last
request refreshing the wait), and a transaction id is reused only by chance later."""

DHCP_REQUESTS_LIMIT = 4096
"""Named DHCP requests waiting for their ACK (the oldest seen go first): bounded memory and table."""

_DHCP_TABLE = """CREATE TABLE IF NOT EXISTS dhcp_requests (
    transaction_id TEXT NOT NULL, mac TEXT NOT NULL, ts REAL NOT NULL, host TEXT NOT NULL,
    PRIMARY KEY (transaction_id, mac))"""

NETBIOS_LENGTH = 15
"""Windows' NetBIOS computer names (and so machine accounts ``NAME$``) are host names cut to this length."""

_LOOPBACK = ("127.", "::1", "0.0.0.0", "::")

PLACEHOLDER_HOST_NAMES = frozenset({"localhost", "unknown", "none", "null", "nil", "undefined", "n/a", "default",
                                    "(none)"})
"""Names written where a machine's name is missing (or for the machine itself): they name no machine."""

GENERIC_HOST_NAMES = PLACEHOLDER_HOST_NAMES | frozenset({
    # the factory names of whole device families (each phone of a kind says the same)
    "iphone", "ipad", "ipod", "android", "espressif", "raspberrypi", "chromecast",
    "macbook", "macbook-pro", "macbook-air", "imac", "mac",
    # distributions' installer defaults
    "ubuntu", "debian", "kali", "linux",
})
"""Host names many devices send in DHCP (as :func:`ingest.normalize.normalize_host` gives them).

A lease to one of them teaches the IP map nothing (:func:`is_generic_host_name`):
two iPhones leasing two addresses as ``iPhone`` would otherwise be one host
``iphone``.  Names made unique by the device (``Johns-iPhone``,
``android-3f2a9c...``, ``DESKTOP-7H2K9QX``) are names."""


def is_generic_host_name(name: str) -> bool:
    """Whether a DHCP host name names no one device: a placeholder, a family default, an address.

    ``name`` is normalised (:func:`ingest.normalize.normalize_host`).  Generic
    are :data:`GENERIC_HOST_NAMES`, a name with no letter or digit (``-``,
    ``?``), and an IP address written as the name.  No MAC rule is added: one
    laptop leases with several MACs (Wi-Fi and a dock, a randomised Wi-Fi
    address per network or per day), which looks the same as two devices
    sharing a name.

    >>> [is_generic_host_name(n) for n in ("iphone", "localhost", "-", "10.1.6.10", "johns-iphone", "ws-0300")]
    [True, True, True, True, False, False]
    """
    return name in GENERIC_HOST_NAMES or is_placeholder_host_name(name)


def is_placeholder_host_name(name: str) -> bool:
    """Whether ``name`` stands where a machine's name is missing: a placeholder
    (:data:`PLACEHOLDER_HOST_NAMES`, any case), no letter or digit, or an IP address.

    >>> [is_placeholder_host_name(n) for n in ("LOCALHOST", "-", "10.1.6.10", "kali", "ws-0300")]
    [True, True, True, False, False]
    """
    if name.lower() in PLACEHOLDER_HOST_NAMES or not any(char.isalnum() for char in name):
        return True
    return canonical_ip(name, strict=False) is not None


@dataclass(slots=True)
class Interval:
    """``host`` held ``ip`` from ``start`` to ``end`` (epoch seconds)."""

    start: float
    end: float
    host: str
    source: str


def connection_ends(fields: dict) -> tuple[Any, Any]:
    """``(local, peer)`` addresses of a Sysmon 3 event (``local`` None when unknown).

    Sysmon writes an inbound connection's own end as source or destination;
    the Windows parser names it (``host.ip``, ``docs/fields.md``) when it can
    tell, and the peer is the other side.  Without ``host.ip`` the peer is the
    side Sysmon's direction names (the destination of an outbound connection,
    the source of an inbound one).  The other side is then the local end only
    for an event journaled before the parser named it (no ``host.ip_unknown``):
    the rule of then, so a replay of an older journal rebuilds the map it had.
    """
    source, destination = fields.get("source.ip"), fields.get("destination.ip")
    local = fields.get("host.ip")
    if local is not None:
        return local, destination if local == source else source
    guess, peer = (destination, source) if fields.get("network.direction") == "inbound" else (source, destination)
    return (None if "host.ip_unknown" in fields else guess), peer


class IpHostMap:
    """Intervals per IP, in memory, with dirty tracking for persistence.

    Examples
    --------
    >>> m = IpHostMap()
    >>> m.add_lease("10.0.0.5", "ws-1", 1000.0, 600.0)
    >>> m.lookup("10.0.0.5", 1200.0), m.lookup("10.0.0.5", 1700.0)
    ('ws-1', None)
    """

    def __init__(self) -> None:
        self._intervals: dict[str, Intervals] = {}
        self._dirty: set[str] = set()
        self._stored: dict[str, dict[tuple[float, str], tuple[float, str]]] = {}
        """Per IP, its rows as last loaded or saved: ``(start, host) -> (end, source)``, as in ``ip_hosts``."""
        self._writing: dict[str, dict[tuple[float, str], tuple[float, str]]] = {}
        """The rows :meth:`write` wrote, which become :attr:`_stored` once :meth:`saved` says they are committed."""
        self._watches: list[IpWatch] = []
        self._requests: dict[tuple[str, str], tuple[float, str]] = {}
        """Named DHCP requests, (transaction id, MAC) -> (time, host), the last seen last."""
        self._requests_dirty: set[tuple[str, str]] = set()
        self._requests_written: set[tuple[str, str]] = set()

    def __len__(self) -> int:
        return sum(intervals.size for intervals in self._intervals.values())

    # -- learning -----------------------------------------------------------
    def observe(self, event: Event) -> bool:
        """Learn from ``event`` if it carries an IP -> host binding; True if it did."""
        fields = event.fields
        if "dhcp.assigned_ip" in fields:
            ip, host = fields["dhcp.assigned_ip"], fields.get("dhcp.hostname")
            if not host and "dhcp.transaction_id" in fields:
                host = self._requested_name(fields, event.ts)
            types = fields.get("dhcp.message_types")
            if (
                ip and can_be_a_host(ip) and isinstance(host, str) and host and not is_generic_host_name(host)
                and (types is None or "ACK" in types)
            ):
                self.add_lease(ip, host, event.ts, lease_seconds(fields.get("dhcp.lease_seconds")))
                return True
            return False
        # Called for every ingested event: the tests are ordered so that the common
        # cases (an endpoint event that is no network connection, a sensor event
        # naming no sender) leave after one or two of them.
        named = event.host
        if named is None:
            if "dhcp.transaction_id" in fields:
                self._remember_request(fields, event.ts)
                return False  # a request teaches nothing until its ACK grants the address
            sender = fields.get("source.hostname")
            if isinstance(sender, str):
                sender_ip = fields.get("source.ip")
                # A sensor event that proves which machine sent it (Zeek Kerberos
                # machine-account requests): as good as an endpoint observation.
                host = normalize_host(sender) if isinstance(sender_ip, str) else None
                if host and sender_ip:
                    self.add_endpoint(sender_ip, host, event.ts)
                    return True
            return False
        if not named:
            return False
        local = fields.get("host.ip")
        if local is None:
            if event.kind != "sysmon:network_connect":
                return False
            local = connection_ends(fields)[0]  # journaled before host.ip: the rule of then
        elif local != fields.get("source.ip") and local != fields.get("destination.ip"):
            return False  # an address of the host, but not this connection's end
        if isinstance(local, str) and local and not local.startswith(_LOOPBACK) and local != named:
            self.add_endpoint(local, named, event.ts)
            return True
        return False

    def observe_all(self, events: Iterable[Event]) -> int:
        """:meth:`observe` each event in turn; return how many taught the map something.

        The pipeline's per-batch call: the common events (an endpoint event that
        is no network connection) are passed over here, without a method call each.
        """
        observe = self.observe
        learnt = 0
        for event in events:
            if (
                event.host is not None
                and "host.ip" not in (fields := event.fields)
                and "dhcp.assigned_ip" not in fields
                and event.kind != "sysmon:network_connect"
            ):
                continue  # what observe would conclude for it, after the same tests
            learnt += observe(event)
        return learnt

    def _remember_request(self, fields: dict[str, Any], ts: float) -> None:
        """Keep the host name a DHCP request (no address granted yet) gives for its transaction."""
        host = fields.get("dhcp.hostname")
        if not isinstance(host, str) or not host or is_generic_host_name(host):
            return
        key = _request_key(fields)
        requests = self._requests
        requests.pop(key, None)  # re-inserted: the last seen is the last to go
        requests[key] = (ts, host)
        self._requests_dirty.add(key)
        while len(requests) > DHCP_REQUESTS_LIMIT:
            oldest = next(iter(requests))
            del requests[oldest]
            self._requests_dirty.add(oldest)

    def _requested_name(self, fields: dict[str, Any], ts: float) -> str | None:
        """The host name the request of this ACK's transaction gave, when seen close enough in time."""
        known = self._requests.get(_request_key(fields))
        if known is None or abs(ts - known[0]) > DHCP_JOIN_SECONDS:
            return None
        return known[1]

    def add_lease(self, ip: str, host: str, start: float, seconds: float) -> None:
        """Record a DHCP lease of ``ip`` to ``host`` for ``seconds`` from ``start``."""
        ip = canonical_ip(ip) or ip
        host = normalize_host(host) or host
        intervals = self._intervals.get(ip)
        if intervals is not None:
            for _, end_before in intervals.cut(start, host):  # the address moved to another host
                if self._watches:
                    self._changed(ip, start, end_before)
        self._merge(ip, start, start + max(seconds, 0.0), host, "dhcp")

    def add_endpoint(self, ip: str, host: str, ts: float) -> None:
        """Record that ``host`` used ``ip`` at ``ts`` (an endpoint network event)."""
        ip = canonical_ip(ip, strict=False) or ip
        self._merge(ip, ts - ENDPOINT_SLACK, ts + ENDPOINT_SLACK, host, "endpoint")

    def _merge(self, ip: str, start: float, end: float, host: str, source: str) -> None:
        """Add ``[start, end]``, or widen the first interval of the same host and source it touches.

        The intervals stay ordered by start (a widened one moves), so a change
        can alter lookups only inside the span it covers, which is what the
        watches hear.
        """
        intervals = self._intervals.get(ip)
        if intervals is None:
            intervals = self._intervals[ip] = Intervals()
        self._dirty.add(ip)
        node = first_touching(intervals.root, start, end, host, source)
        if node is None:
            intervals.add(start, end, host, source)
        else:
            if start >= node.start:
                if end <= node.end:
                    return  # already held: the common repeated observation
                start = node.start
            elif end < node.end:
                end = node.end
            intervals.widen(node, start, end)
        if self._watches:
            self._changed(ip, start, end)

    def _changed(self, ip: str, start: float, end: float) -> None:
        for watch in self._watches:
            watch.changed_between(ip, start, end)

    # -- lookup -------------------------------------------------------------
    def lookup(self, ip: str | None, ts: float) -> str | None:
        """The host holding ``ip`` at ``ts``, or ``None`` when unknown."""
        if not ip:
            return None
        intervals = self._intervals.get(ip)
        if intervals is None:
            return None
        latest = latest_started(intervals.root, ts)
        if latest is None:
            return None
        if latest.end < ts:
            latest = latest_holding(intervals.root, ts)
            if latest is None:
                return None
        host = latest.host
        if len(host) == NETBIOS_LENGTH and intervals.size > 1:
            return _full_name(intervals.holding(ts), host)
        return host

    def watch(self) -> IpWatch:
        """A view of this map that remembers its lookups; see :class:`IpWatch`."""
        watch = IpWatch(self)
        self._watches.append(watch)
        return watch

    def unwatch(self, watch: IpWatch) -> None:
        """Stop reporting changes to ``watch``."""
        if watch in self._watches:
            self._watches.remove(watch)

    def intervals(self, ip: str) -> list[Interval]:
        """The known intervals of ``ip``, in the order lookups try them last first (by start)."""
        return [Interval(node.start, node.end, node.host, node.source) for node in self._intervals.get(ip, ())]

    # -- persistence --------------------------------------------------------
    def load(self, db: sqlite3.Connection) -> IpHostMap:
        """Read every interval from the ``ip_hosts`` table, and the DHCP requests waiting; returns ``self``."""
        stored = self._stored
        for ip, start, end, host, source in db.execute(
            "SELECT ip, start, end, host, source FROM ip_hosts ORDER BY ip, start"
        ):
            intervals = self._intervals.get(ip)
            if intervals is None:
                intervals = self._intervals[ip] = Intervals()
                stored[ip] = {}
            intervals.add(start, end, host, source)
            stored[ip][start, host] = (end, source)
        self._dirty.clear()
        # the table is made by the first write that needs it (in the writer's transaction): none yet, none waiting
        if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dhcp_requests'").fetchone():
            rows = db.execute("SELECT transaction_id, mac, ts, host FROM dhcp_requests ORDER BY ts DESC LIMIT ?",
                              (DHCP_REQUESTS_LIMIT,)).fetchall()
            self._requests = {(xid, mac): (ts, host) for xid, mac, ts, host in reversed(rows)}
        self._requests_dirty.clear()
        return self

    def save(self, db: sqlite3.Connection) -> int:
        """Write the intervals of the IPs changed since the last save; returns how many IPs."""
        if not self._dirty and not self._requests_dirty:
            return 0
        db.execute("BEGIN IMMEDIATE")
        try:
            written = self.write(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        self.saved(written)
        return len(written)

    def write(self, db: sqlite3.Connection) -> list[str]:
        """:meth:`save`'s writes, inside a transaction the caller holds; returns the IPs written.

        They stay marked changed until the caller's transaction has committed
        and it calls :meth:`saved` with them (a rollback loses nothing).
        """
        self._write_requests(db)
        dirty = sorted(self._dirty)
        deleted: list[tuple[str, float, str]] = []
        upserted: list[tuple[str, float, float, str, str]] = []
        writing = self._writing
        for ip in dirty:
            rows = {(start, host): (end, source) for start, end, host, source in db.execute(
                "SELECT start, end, host, source FROM ip_hosts WHERE ip = ?", (ip,))}
            # Another process (the API beside a CLI ingest) may have learnt intervals of
            # this IP since we loaded: merged, never overwritten.  Rows as this map last
            # saved them are its own: merged again, one this map has cut since (the
            # address moved) would grow back.
            stored = self._stored.get(ip, {})
            if rows != stored:
                for (start, host), (end, source) in rows.items():
                    if stored.get((start, host)) != (end, source):
                        self._merge(ip, start, end, host, source)
            # The table's key is (ip, start, host): of two intervals starting together
            # for one host (a lease and an observation), the one learnt last is kept.
            wanted = {(node.start, node.host): (node.end, node.source) for node in self._intervals[ip].ordered()}
            if wanted != rows:
                for key in rows:
                    if key not in wanted:
                        deleted.append((ip, *key))
                for key, value in wanted.items():
                    if rows.get(key) != value:
                        upserted.append((ip, key[0], value[0], key[1], value[1]))
            writing[ip] = wanted
        db.executemany("DELETE FROM ip_hosts WHERE ip = ? AND start = ? AND host = ?", deleted)
        db.executemany("INSERT OR REPLACE INTO ip_hosts (ip, start, end, host, source) VALUES (?, ?, ?, ?, ?)",
                       upserted)
        return dirty

    def _write_requests(self, db: sqlite3.Connection) -> None:
        """The DHCP requests changed since the last save: written, or deleted once dropped.

        Only changed rows are touched, so another process's waiting requests stay; the table
        keeps twice the limit at most (its oldest rows go), :meth:`load` reads the newest.
        """
        self._requests_written = set(self._requests_dirty)
        if not self._requests_written:
            return
        db.execute(_DHCP_TABLE)
        requests = self._requests
        db.executemany("DELETE FROM dhcp_requests WHERE transaction_id = ? AND mac = ?",
                       [key for key in self._requests_written if key not in requests])
        db.executemany("INSERT OR REPLACE INTO dhcp_requests (transaction_id, mac, ts, host) VALUES (?, ?, ?, ?)",
                       [(*key, *requests[key]) for key in self._requests_written if key in requests])
        (rows,) = db.execute("SELECT COUNT(*) FROM dhcp_requests").fetchone()
        if rows > 2 * DHCP_REQUESTS_LIMIT:
            db.execute("DELETE FROM dhcp_requests WHERE rowid IN (SELECT rowid FROM dhcp_requests ORDER BY ts LIMIT ?)",
                       (rows - DHCP_REQUESTS_LIMIT,))

    def saved(self, ips: Iterable[str]) -> None:
        """Mark ``ips`` saved: their intervals as written by :meth:`write` are committed (and the DHCP
        requests it wrote)."""
        ips = set(ips)
        self._dirty.difference_update(ips)
        writing = self._writing
        if writing.keys() <= ips:  # the IPs of the last write, as the pipeline calls it
            self._stored.update(writing)
            writing.clear()
        else:  # a write before it failed and left its rows here: not saved, still marked changed
            for ip in ips & writing.keys():
                self._stored[ip] = writing.pop(ip)
        self._requests_dirty.difference_update(self._requests_written)
        self._requests_written = set()


def _request_key(fields: dict[str, Any]) -> tuple[str, str]:
    """A DHCP transaction's key: its id and the client's MAC (a retry keeps both)."""
    return str(fields["dhcp.transaction_id"]), str(fields.get("dhcp.mac") or "")


def _full_name(holding: list[IntervalNode], host: str) -> str:
    """The one longer name that ``host`` (15 characters, NetBIOS-truncated) begins among ``holding``.

    ``holding`` are the address's intervals that hold the time looked up (``ts``).

    A machine account (``LAPTOP-VERYLONG$``, Zeek Kerberos) is the computer's
    NetBIOS name, its host name cut to 15 characters; the endpoint's own
    events name it in full (``laptop-verylongname01``).  Both holding the same
    address at the same time, they are one machine: an Active Directory domain
    allows one computer per NetBIOS name.  Only the intervals of this address
    covering ``ts`` are read, so the answer is the same whatever the order
    the evidence came in (live = replay); with no such name, or two, ``host``
    stays.  Outside the endpoint's intervals the truncated name is a host of
    its own (``docs/fields.md``).
    """
    longer = {i.host for i in holding if len(i.host) > NETBIOS_LENGTH and i.host.startswith(host)}
    return longer.pop() if len(longer) == 1 else host


class IpWatch:
    """Lookups through an :class:`IpHostMap` that notice when the map changes under them.

    Each IP looked up keeps the span of times it was looked up at; a later
    change to one of that IP's intervals that reaches into the span sets
    :attr:`changed`.  While :attr:`changed` is False, every answer given
    through the watch is still the map's answer (conservatively: a change
    may set it without altering an answer).

    Examples
    --------
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
        """:meth:`IpHostMap.lookup`, remembering that ``ip`` was looked up at ``ts``."""
        if not ip:
            return None
        span = self._spans.get(ip)
        if span is None:
            self._spans[ip] = [ts, ts]
        elif ts < span[0]:
            span[0] = ts
        elif ts > span[1]:
            span[1] = ts
        if ip not in self._map._intervals:  # most addresses a sensor sees are no host's
            return None
        return self._map.lookup(ip, ts)

    def changed_between(self, ip: str, start: float, end: float) -> None:
        """Called by the map: the answers for ``ip`` between ``start`` and ``end`` may have changed."""
        span = self._spans.get(ip)
        if span is not None and span[0] <= end and start <= span[1]:
            self.changed = True
