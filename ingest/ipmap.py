"""The time-aware IP -> host map that joins network-sensor events to hosts.

Zeek and Suricata see IP addresses, endpoints see host names.  The map is a set
of intervals ``(ip, start, end, host)`` learnt from two kinds of evidence, told
by normalised fields (``docs/fields.md``), not by parser:

* **DHCP leases** (any event with ``dhcp.assigned_ip`` and ``dhcp.hostname``:
  Zeek ``dhcp.log``, Suricata EVE ``dhcp``; ``dhcp.lease_seconds``):
  ``[ts, ts + lease]`` (a day when the lease time is unknown).  A new lease of
  the same IP to another host ends the earlier intervals of other hosts at the
  new lease's start (another host's endpoint intervals are left whole: see
  :mod:`ingest.ipmap_sightings`).  Only a granted lease teaches: when the record lists its
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
  (``source.hostname`` on a Zeek Kerberos request by the machine account
  ``HOST$``, :data:`~ingest.ipmap_sightings.SENDER_PROVEN_KINDS`) count the same way.
* **Device claims** (source ``device``): a network device's name for the
  machine at an address (``source.hostname`` beside ``source.ip`` on any other
  hostless event: a CEF ``shost``, a LEEF ``identHostName``), held for
  :data:`ENDPOINT_SLACK` either side like a sighting, but ranked below every
  lease and sighting holding the time: anyone on the network can send a syslog
  line naming any host (:mod:`ingest.ipmap_sightings`).

``lookup(ip, ts)`` returns the host whose interval holds ``ts`` (the one that
started last when several do, the one learnt last when they started together;
a device's claim gives way to any lease or sighting holding ``ts``, and a lease to another host's
endpoint interval holding ``ts`` that was sighted using the address after the lease began,
:mod:`ingest.ipmap_sightings`;
a NetBIOS-truncated name gives way to the one full name it begins that holds
the IP at the same time, :func:`ingest.ipmap_names.full_name`), or ``None``:
an unmapped IP stays an ``ip`` entity and adds no host.  The map is persisted
in the journal database (table ``ip_hosts``, :mod:`ingest.ipmap_store`) so
later ingests see earlier leases.

An address's intervals are kept in a treap ordered by start
(:mod:`ingest.ipmap_tree`), so learning a lease or a lookup costs O(log n) for
an address held n times; a save writes the rows of the intervals changed since
the last one, each found in O(log n), without reading the address's others.

The modules beside this one: host names trusted and NetBIOS names joined
(:mod:`ingest.ipmap_names`), DHCP requests waiting for their ACK
(:mod:`ingest.ipmap_dhcp`), persistence (:mod:`ingest.ipmap_store`), and the
:class:`~ingest.ipmap_watch.IpWatch` through which a projection made before
the map is complete looks IPs up (:mod:`ingest.ipmap_watch`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphsiem.model import Event
from ingest.channel_hosts import UNBOUND_CHANNEL
from ingest.ipmap_dhcp import DHCP_JOIN_SECONDS, DHCP_REQUESTS_LIMIT, DhcpRequests
from ingest.ipmap_names import (
    GENERIC_HOST_NAMES,
    NETBIOS_LENGTH,
    PLACEHOLDER_HOST_NAMES,
    full_name,
    is_generic_host_name,
    is_placeholder_host_name,
)
from ingest.ipmap_sightings import DEVICE, ENDPOINT, ENDPOINT_SLACK, SENDER_PROVEN_KINDS
from ingest.ipmap_store import IntervalRows
from ingest.ipmap_tree import (
    Intervals,
    first_touching,
    latest_holding,
    latest_started,
    latest_where,
)
from ingest.ipmap_watch import IpWatch
from ingest.normalize import can_be_a_host, canonical_ip, normalize_host

__all__ = [
    "DEFAULT_LEASE", "DHCP_JOIN_SECONDS", "DHCP_REQUESTS_LIMIT", "ENDPOINT_SLACK", "GENERIC_HOST_NAMES",
    "NETBIOS_LENGTH", "PLACEHOLDER_HOST_NAMES", "Interval", "IpHostMap", "IpWatch", "connection_ends",
    "is_generic_host_name", "is_placeholder_host_name", "lease_seconds",
]

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


_NO_BOUND = float("-inf")

_LOOPBACK = ("127.", "::1", "0.0.0.0", "::")


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
        self._rows = IntervalRows()
        """The rows saved, and the intervals changed since (:mod:`ingest.ipmap_store`)."""
        self._watches: list[IpWatch] = []
        self._requests = DhcpRequests()

    def __len__(self) -> int:
        return sum(intervals.size for intervals in self._intervals.values())

    # -- learning -----------------------------------------------------------
    def observe(self, event: Event) -> bool:
        """Learn from ``event`` if it carries an IP -> host binding; True if it did."""
        fields = event.fields
        if "dhcp.assigned_ip" in fields:
            if UNBOUND_CHANNEL in fields:
                return False  # sent by a channel not bound to the host it names (ingest.channel_hosts)
            ip, host = fields["dhcp.assigned_ip"], fields.get("dhcp.hostname")
            if not host and "dhcp.transaction_id" in fields:
                host = self._requests.name_for(fields, event.ts)
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
                if UNBOUND_CHANNEL in fields:
                    return False  # its name is no one's to remember
                self._requests.remember(fields, event.ts)
                return False  # a request teaches nothing until its ACK grants the address
            sender = fields.get("source.hostname")
            if isinstance(sender, str) and UNBOUND_CHANNEL not in fields:
                sender_ip = fields.get("source.ip")
                host = normalize_host(sender) if isinstance(sender_ip, str) else None
                if host and sender_ip:
                    if event.kind in SENDER_PROVEN_KINDS:
                        # A sensor event that proves which machine sent it (Zeek Kerberos
                        # machine-account requests): as good as an endpoint observation.
                        self.add_endpoint(sender_ip, host, event.ts)
                    else:
                        # A device's word for it (CEF shost, LEEF identHostName): anyone can
                        # send such a line, so it ranks as a lease does (ipmap_sightings).
                        self.add_claim(sender_ip, host, event.ts)
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
        if (
            isinstance(local, str) and local and not local.startswith(_LOOPBACK) and local != named
            and UNBOUND_CHANNEL not in fields
        ):
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

    def add_lease(self, ip: str, host: str, start: float, seconds: float) -> None:
        """Record a DHCP lease of ``ip`` to ``host`` for ``seconds`` from ``start``."""
        ip = canonical_ip(ip) or ip
        host = normalize_host(host) or host
        intervals = self._intervals.get(ip)
        if intervals is not None:
            # the address moved to another host: its other leases end here; an endpoint's
            # sightings stay whole, so that a later sighting outranks this lease (ipmap_sightings)
            cut = intervals.cut(start, host, "dhcp")
            if cut:
                changed = self._rows.dirty.get(ip)
                if changed is None:
                    changed = self._rows.dirty[ip] = set()
                for node, end_before in cut:
                    changed.add(node)
                    if self._watches:
                        self._changed(ip, start, end_before)
        self._merge(ip, start, start + max(seconds, 0.0), host, "dhcp")

    def add_endpoint(self, ip: str, host: str, ts: float) -> None:
        """Record that ``host`` used ``ip`` at ``ts`` (an endpoint network event)."""
        ip = canonical_ip(ip, strict=False) or ip
        self._merge(ip, ts - ENDPOINT_SLACK, ts + ENDPOINT_SLACK, host, "endpoint")

    def add_claim(self, ip: str, host: str, ts: float) -> None:
        """Record that a network device named ``host`` as the machine at ``ip`` at ``ts`` (source ``device``).

        Held for :data:`ENDPOINT_SLACK` either side, as a sighting is, but a host's own
        endpoint interval sighted after it began outranks it (:mod:`ingest.ipmap_sightings`).
        """
        ip = canonical_ip(ip, strict=False) or ip
        self._merge(ip, ts - ENDPOINT_SLACK, ts + ENDPOINT_SLACK, host, DEVICE)

    def _merge(self, ip: str, start: float, end: float, host: str, source: str) -> None:
        """Add ``[start, end]``, or widen the first interval of the same host and source it touches.

        The intervals stay ordered by start (a widened one moves), so a change
        can alter lookups only inside the span it covers, which is what the
        watches hear.
        """
        intervals = self._intervals.get(ip)
        if intervals is None:
            intervals = self._intervals[ip] = Intervals()
        changed = self._rows.dirty.get(ip)
        if changed is None:
            changed = self._rows.dirty[ip] = set()  # touched: a save looks for other writers' rows
        # Changed intervals are marked themselves, not by a key made for each: the
        # marks of a batch live until its save, and a tuple each made the collector
        # walk them (learning 80,000 leases of one address unsaved took 40% longer).
        node = first_touching(intervals.root, start, end, host, source)
        if node is None:
            node = intervals.add(start, end, host, source)
        else:
            if start >= node.start:
                if end <= node.end:
                    return  # already held: the common repeated observation
                start = node.start
            else:
                changed.add((node.start, host))  # its start moves: its row before is deleted
                if end < node.end:
                    end = node.end
            intervals.widen(node, start, end)
        changed.add(node)
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
        if latest.source == DEVICE and intervals.size > 1:
            # a lease or a host's own sighting holding the time outranks a device's claim (ipmap_sightings)
            latest = latest_where(intervals.root, ts, _NO_BOUND, "", DEVICE, False) or latest
        host = latest.host
        if latest.source == "dhcp" and intervals.size > 1:
            # another host seen using the address after the lease began outranks it (ingest.ipmap_sightings)
            sighted = latest_where(intervals.root, ts, latest.start + ENDPOINT_SLACK, host, ENDPOINT, True)
            if sighted is not None:
                host = sighted.host
        if len(host) == NETBIOS_LENGTH and intervals.size > 1:
            return full_name([node.host for node in intervals.holding(ts)], host)
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

    # -- persistence (ingest.ipmap_store, ingest.ipmap_dhcp) ----------------
    def load(self, db: sqlite3.Connection) -> IpHostMap:
        """Read every interval from the ``ip_hosts`` table, and the DHCP requests waiting; returns ``self``."""
        self._rows.load(db, self._intervals)
        self._requests.load(db)
        return self

    def save(self, db: sqlite3.Connection) -> int:
        """Write the intervals of the IPs changed since the last save; returns how many IPs."""
        if not self._rows.pending and not self._requests.changed:
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

        Only the rows of intervals changed since the last save are written
        (:class:`ingest.ipmap_store.IntervalRows`).  They stay marked changed
        until the caller's transaction has committed and it calls :meth:`saved`
        with them (a rollback loses nothing).
        """
        self._requests.write(db)
        return self._rows.write(db, self._intervals, self._merge, self._changed)

    def saved(self, ips: Iterable[str]) -> None:
        """Mark ``ips`` saved: their intervals as written by :meth:`write` are committed (and the DHCP
        requests it wrote)."""
        self._rows.saved(ips)
        self._requests.saved()
