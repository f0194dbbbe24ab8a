"""Which host the IP -> host map says a network sensor's event was about, read back for its evidence.

A Zeek or Suricata record names addresses, never a host (``Event.host`` is
empty): the projection ties it to a host through the map (:mod:`ingest.ipmap`;
``192.168.1.41`` was ``mkt01`` at that time) and draws the relation from that
host.  The evidence read back from the journal is the record as received, so
an analyst reading a cluster's evidence could not tell which of its hosts a
sensor row was about (review T11, F10).  This module reads, for such events,
the host the map held for their source and destination addresses at the
event's time, from the map's table in the journal database (``ip_hosts``,
:mod:`ingest.ipmap_store`).  The event itself is never changed: the answer is
kept beside it.

The rule is :meth:`ingest.ipmap.IpHostMap.lookup`'s: of the intervals of the
address holding the time, the one that started last (a host name cut to 15
characters gives way to the one full name it begins holding the address at
the same time, :func:`ingest.ipmap_names.full_name`; a lease gives way to another
host's endpoint interval sighted using the address after it began; a device's claim gives way to any
lease or sighting holding the time,
:mod:`ingest.ipmap_sightings`).  Two intervals starting
together (one address leased to two hosts in the same second) are told apart
by host name here, where the in-memory map takes the one learnt last.

The addresses of a whole evidence page are looked up in one statement (a
chunk of :data:`PAIRS_PER_STATEMENT` at a time), not one query per row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from graphsiem.model import Event
from ingest.ipmap_names import NETBIOS_LENGTH, full_name
from ingest.ipmap_sightings import DEVICE, ENDPOINT_SLACK, sighted_holder
from ingest.normalize_ip import canonical_ip

Side = Literal["src", "dst"]
"""An end of a network event: its source or its destination."""

SIDES: tuple[tuple[Side, str], ...] = (("src", "source.ip"), ("dst", "destination.ip"))
"""The ends of a network event the map is asked about, source first: ``(side, normalised field)``."""

PAIRS_PER_STATEMENT = 400
"""Address-and-time pairs one statement looks up (three parameters each, well under SQLite's limit)."""


@dataclass(frozen=True, slots=True)
class MappedHost:
    """The map's answer for one end of an event: ``host`` held ``ip`` from ``start`` to ``end`` (epoch seconds).

    ``side`` is ``"src"`` or ``"dst"`` (the event's ``source.ip`` or ``destination.ip``);
    ``source`` how the map learnt it (``dhcp``: a granted lease; ``endpoint``: seen in the
    host's own traffic).
    """

    host: str
    side: Side
    ip: str
    start: float
    end: float
    source: str


def sensor_ends(event: Event) -> list[tuple[Side, str]]:
    """``[(side, canonical address)]`` of an event that names no host; empty for one that names its host.

    >>> sensor_ends(Event(id="e", kind="zeek:conn", ts=1.0, host=None, source="zeek",
    ...                   fields={"source.ip": "::ffff:10.0.0.5", "destination.ip": "10.0.0.1"}))
    [('src', '10.0.0.5'), ('dst', '10.0.0.1')]
    >>> sensor_ends(Event(id="e", kind="sysmon:network_connect", ts=1.0, host="ws-1", source="sysmon",
    ...                   fields={"source.ip": "10.0.0.5"}))
    []
    """
    if event.host:
        return []  # the event names its host: the map adds nothing to it
    return end_addresses(event.fields)


def end_addresses(fields: Mapping[str, Any]) -> list[tuple[Side, str]]:
    """``[(side, canonical address)]`` of an event's normalised ``fields``, source first.

    >>> end_addresses({"source.ip": "10.0.0.5", "destination.ip": "not an address"})
    [('src', '10.0.0.5')]
    """
    ends: list[tuple[Side, str]] = []
    for side, name in SIDES:
        value = fields.get(name)
        address = canonical_ip(value, strict=False) if isinstance(value, str) else None
        if address:
            ends.append((side, address))
    return ends


def mapped_hosts(db: sqlite3.Connection | None, events: Iterable[Event]) -> dict[str, list[MappedHost]]:
    """Event id -> the hosts the map held for its addresses at its time, source first.

    Only events that name no host (:func:`sensor_ends`) are looked up; events with no
    mapped end are absent.  ``db`` is the journal's database (None, or one no ingest
    has opened yet: nothing is mapped).

    Parameters
    ----------
    db : sqlite3.Connection or None
        The connection holding ``ip_hosts``.
    events : iterable of Event
        The evidence events of one page.

    Returns
    -------
    dict
        ``{event id: [MappedHost, ...]}``: at most one entry per side.
    """
    wanted = [(event, side, ip) for event in events for side, ip in sensor_ends(event)]
    if db is None or not wanted:
        return {}
    held = holders(db, {(ip, event.ts) for event, _, ip in wanted})
    found: dict[str, list[MappedHost]] = {}
    for event, side, ip in wanted:
        interval = held.get((ip, event.ts))
        if interval is not None:
            host, start, end, source = interval
            found.setdefault(event.id, []).append(MappedHost(host, side, ip, start, end, source))
    return found


Interval = tuple[str, float, float, str]
"""``(host, start, end, source)`` of one row of ``ip_hosts``."""


def holders(db: sqlite3.Connection, pairs: Iterable[tuple[str, float]]) -> dict[tuple[str, float], Interval]:
    """``{(ip, ts): interval}``: for each address and time, the interval of the map holding it (the
    latest started; absent when none holds it)."""
    ordered = sorted(pairs)
    found: dict[tuple[str, float], Interval] = {}
    try:
        for first in range(0, len(ordered), PAIRS_PER_STATEMENT):
            chunk = ordered[first:first + PAIRS_PER_STATEMENT]
            for n, host, start, end, source in db.execute(_statement(len(chunk)),
                                                            [v for i, (ip, ts) in enumerate(chunk) for v in (i, ip, ts)]):
                found.setdefault(chunk[n], (host, start, end, source))  # ties: the host learnt last, as lookup
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return {}  # a journal no ingest has opened yet: nothing learnt
        raise
    _own_over_device_claims(db, found)
    _sighted_over_leases(db, found)
    cut = [(pair, interval) for pair, interval in found.items() if len(interval[0]) == NETBIOS_LENGTH]
    for (ip, ts), (host, start, end, source) in cut:
        # As lookup does: a NetBIOS-truncated name gives way to the full name holding the address then.
        holding = [row[0] for row in db.execute(
            "SELECT host FROM ip_hosts WHERE ip = ? AND start <= ? AND end >= ?", (ip, ts, ts))]
        found[(ip, ts)] = (full_name(holding, host), start, end, source)
    return found


def _own_over_device_claims(db: sqlite3.Connection, found: dict[tuple[str, float], Interval]) -> None:
    """As lookup does: a device's claim in ``found`` gives way to the latest-started lease or sighting
    holding the same time (:mod:`ingest.ipmap_sightings`); one statement per chunk of such pairs."""
    claimed = [pair for pair, interval in found.items() if interval[3] == DEVICE]
    for first in range(0, len(claimed), PAIRS_PER_STATEMENT):
        chunk = claimed[first:first + PAIRS_PER_STATEMENT]
        values = ", ".join(["(?, ?, ?)"] * len(chunk))
        for n, host, start, end, source in db.execute(
            f"WITH wanted(n, ip, ts) AS (VALUES {values}) "  # noqa: S608 -- placeholders only
            "SELECT w.n, h.host, h.start, h.end, h.source FROM wanted AS w JOIN ip_hosts AS h ON h.ip = w.ip "
            "AND h.start <= w.ts AND h.end >= w.ts AND h.source != ? ORDER BY w.n, h.start DESC, h.rowid DESC",
            [*(v for i, (ip, ts) in enumerate(chunk) for v in (i, ip, ts)), DEVICE],
        ):
            if found[chunk[n]][3] == DEVICE:  # the first row of each pair: the latest started, learnt last
                found[chunk[n]] = (host, start, end, source)


def _sighted_over_leases(db: sqlite3.Connection, found: dict[tuple[str, float], Interval]) -> None:
    """As lookup does: a lease in ``found`` gives way to another host sighted using its address after it
    began (:mod:`ingest.ipmap_sightings`); one statement per chunk of leased pairs, not one per row."""
    leased = [(pair, interval) for pair, interval in found.items() if interval[3] == "dhcp"]
    for first in range(0, len(leased), PAIRS_PER_STATEMENT):
        chunk = leased[first:first + PAIRS_PER_STATEMENT]
        values = ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk))
        rows: dict[int, list[Interval]] = {}
        for n, host, start, end, source in db.execute(
            f"WITH wanted(n, ip, ts, leased_to, since) AS (VALUES {values}) "  # noqa: S608 -- placeholders only
            "SELECT w.n, h.host, h.start, h.end, h.source FROM wanted AS w JOIN ip_hosts AS h ON h.ip = w.ip "
            "AND h.start <= w.ts AND h.end >= w.ts AND h.source = 'endpoint' AND h.host != w.leased_to "
            "AND h.end > w.since ORDER BY w.n, h.start, h.rowid",
            [v for i, ((ip, ts), lease) in enumerate(chunk) for v in (i, ip, ts, lease[0], lease[1] + ENDPOINT_SLACK)],
        ):
            rows.setdefault(n, []).append((host, start, end, source))
        for n, candidates in rows.items():
            pair, (host, start, _, _) = chunk[n]
            sighted = sighted_holder(host, start, candidates)
            if sighted is not None:
                found[pair] = next(row for row in reversed(candidates) if row[0] == sighted)


def _statement(pairs: int) -> str:
    """The look-up of ``pairs`` ``(n, ip, ts)`` triples: each pair's latest-started interval holding ``ts``.

    The table's key is ``(ip, start, host)``: the inner query walks one address's
    intervals backwards from ``ts`` and stops at the first that still holds it.  A
    time no interval holds would walk the address's whole history (an address leased
    20,000 times: 1.2 s for a page of 200 such rows, measured), so the walk stops at
    the address's longest interval before ``ts``: no interval starting earlier can
    hold it.  That length is read once per address of the page (``spans``).
    """
    values = ", ".join(["(?, ?, ?)"] * pairs)
    return (
        f"WITH wanted(n, ip, ts) AS (VALUES {values}), "  # noqa: S608 -- placeholders only; the values are bound
        "spans(ip, span) AS (SELECT ip, MAX(end - start) FROM ip_hosts "
        "WHERE ip IN (SELECT ip FROM wanted) GROUP BY ip) "
        "SELECT w.n, h.host, h.start, h.end, h.source FROM wanted AS w JOIN spans AS s ON s.ip = w.ip "
        "JOIN ip_hosts AS h ON h.ip = w.ip AND h.start = (SELECT start FROM ip_hosts WHERE ip = w.ip "
        "AND start <= w.ts AND start >= w.ts - s.span AND end >= w.ts ORDER BY start DESC LIMIT 1) "
        "AND h.end >= w.ts ORDER BY w.n, h.rowid DESC"
    )


def preferred(found: Sequence[MappedHost], hosts: Iterable[str]) -> MappedHost | None:
    """The mapping that says which of ``hosts`` (a cluster's) the event is about: an end mapped to one of
    them, the source first; else the source's, else the destination's; None when nothing is mapped.

    >>> src, dst = MappedHost("ws-1", "src", "10.0.0.5", 0, 9, "dhcp"), MappedHost("dc-1", "dst", "10.0.0.1", 0, 9, "dhcp")
    >>> preferred([src, dst], ["dc-1"]).host, preferred([src, dst], []).host, preferred([], ["dc-1"])
    ('dc-1', 'ws-1', None)
    """
    members = set(hosts)
    return next((m for m in found if m.host in members), found[0] if found else None)
