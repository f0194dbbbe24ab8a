"""What the ingest's IP -> host map says about an address or a host, for the entity look-up and search.

The ingest learns which host held an address when (DHCP leases, a host's own
connections, a Kerberos request by its machine account: :mod:`ingest.ipmap`)
and keeps the intervals in the journal database (table ``ip_hosts``), not in
the graph store: a sensor's flow from a mapped address becomes the host, so the
address itself is often no entity at all.  Without this module a search for the
victim's address said "No entity matches" and its look-up was a bare 404
(review T9, F5).  The map is read here, from the journal, whichever graph store
the service runs on.

Every read is bounded: newest intervals first, at most :data:`INTERVALS_LISTED`,
with the total.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphsiem.api.context import AppContext
from graphsiem.api.schemas import AddressInterval, EntityHit
from graphsiem.model import Entity, epoch_to_iso

INTERVALS_LISTED = 20
"""Intervals of one address, or of one host, an answer lists (newest first); the total says how many there are."""

SOURCE_WORDS = {"dhcp": "DHCP lease", "endpoint": "seen in its own traffic", "device": "named by a network device"}
"""How a mapping's ``source`` reads in a sentence (``endpoint``: the host's own connection events, or a
sensor's record naming the sender, such as a Kerberos request by the machine account; ``device``: a
device's name for the machine at the address, a CEF ``shost``)."""


@dataclass(frozen=True, slots=True)
class MapRow:
    """One interval of the map: ``host`` held ``ip`` from ``start`` to ``end`` (epoch seconds)."""

    ip: str
    host: str
    start: float
    end: float
    source: str

    def out(self) -> AddressInterval:
        """The interval as the API answers it."""
        return AddressInterval(ip=self.ip, host=self.host, start=epoch_to_iso(self.start) or "",
                               end=epoch_to_iso(self.end) or "", source=self.source)


@dataclass(frozen=True, slots=True)
class MapRows:
    """The newest intervals read (at most :data:`INTERVALS_LISTED`) and how many there are in all."""

    rows: list[MapRow]
    total: int


NO_ROWS = MapRows([], 0)


def address_of(value: str) -> str | None:
    """The canonical address ``value`` spells (as the map keys it), or None when it is no IP address.

    >>> address_of(" ::ffff:192.168.1.41 "), address_of("mkt01")
    ('192.168.1.41', None)
    """
    from ingest.normalize_ip import canonical_ip

    return canonical_ip(value, strict=False)


def held_address(ctx: AppContext, ip: str, *, limit: int = INTERVALS_LISTED) -> MapRows:
    """Who held ``ip`` (canonical) and when: its newest intervals, at most ``limit``, and their total."""
    return _read(ctx, "ip", ip, limit)


def addresses_of_host(ctx: AppContext, host: str, *, limit: int = INTERVALS_LISTED) -> MapRows:
    """The addresses ``host`` (its key) held and when: the newest intervals, at most ``limit``, and their total."""
    return _read(ctx, "host", host, limit)


_QUERIES = {
    # One statement each: the window count is taken in the same pass as the rows.  The table's
    # key begins with ip, so a look-up by address reads its rows only; by host it reads the
    # journal's index ip_hosts_by_host (ingest.journal_schema; a scan of the table before it,
    # ~10 ms for 100,000 rows).
    "ip": "SELECT ip, host, start, end, source, COUNT(*) OVER () FROM ip_hosts WHERE ip = ? "
          "ORDER BY start DESC, host LIMIT ?",
    "host": "SELECT ip, host, start, end, source, COUNT(*) OVER () FROM ip_hosts WHERE host = ? "
            "ORDER BY start DESC, ip LIMIT ?",
}


def _read(ctx: AppContext, column: str, value: str, limit: int) -> MapRows:
    """The map's rows whose ``column`` is ``value``, newest first (at most ``limit``), and their count."""
    db = _map_database(ctx)
    if db is None:
        return NO_ROWS
    try:
        found = db.execute(_QUERIES[column], (value, limit)).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return NO_ROWS  # a journal no ingest has opened yet: nothing learnt
        raise
    rows = [MapRow(ip, host, start, end, source) for ip, host, start, end, source, _ in found]
    return MapRows(rows, int(found[0][5]) if found else 0)


def _map_database(ctx: AppContext) -> sqlite3.Connection | None:
    """This thread's connection to the journal database (where ``ip_hosts`` lives), or None without one."""
    ingest: Any = ctx.ingest
    if ingest is None:
        return None
    connection: sqlite3.Connection = ingest.journal().connection
    return connection


def span_text(start: float, end: float) -> str:
    """An interval for people, in UTC: the day once when it starts and ends on the same day.

    >>> span_text(1692158132.0, 1692165332.0)
    '2023-08-16 03:55–05:55 UTC'
    >>> span_text(1692158132.0, 1692265332.0)
    '2023-08-16 03:55 – 2023-08-17 09:42 UTC'
    """
    first = datetime.fromtimestamp(start, tz=UTC)
    last = datetime.fromtimestamp(end, tz=UTC)
    if first.date() == last.date():
        return f"{first:%Y-%m-%d %H:%M}–{last:%H:%M} UTC"
    return f"{first:%Y-%m-%d %H:%M} – {last:%Y-%m-%d %H:%M} UTC"


def held_text(rows: list[MapRow]) -> str:
    """``"192.168.1.41 was mkt01 2023-08-16 03:55–05:55 UTC (seen in its own traffic)"``: one host's intervals of one address.

    ``rows`` are of one address and one host, newest first; the newest is told, with how many more there are.
    """
    newest = rows[0]
    others = len(rows) - 1
    tail = f"; {others} earlier interval{'s' if others != 1 else ''}" if others else ""
    how = SOURCE_WORDS.get(newest.source, newest.source)
    return f"{newest.ip} was {newest.host} {span_text(newest.start, newest.end)} ({how}){tail}"


def by_host(rows: list[MapRow]) -> dict[str, list[MapRow]]:
    """``rows`` grouped by host, hosts in the order of their newest interval (rows stay newest first)."""
    grouped: dict[str, list[MapRow]] = {}
    for row in rows:
        grouped.setdefault(row.host, []).append(row)
    return grouped


def holders_detail(found: MapRows) -> tuple[str, list[dict[str, Any]]]:
    """For a 404 on an address the map knows: a sentence naming its holders, and one error detail per interval.

    The details follow the error contract (``reason`` plus the interval's fields), so a client can
    follow them to the host: ``GET /v1/entities/host/{host}``.
    """
    grouped = by_host(found.rows)
    told = "; ".join(held_text(rows) for rows in grouped.values())
    unlisted = found.total - len(found.rows)
    more = f" (and {unlisted} older intervals not listed)" if unlisted > 0 else ""
    sentence = f"the address map says {told}{more}: look up the host instead"
    details = [{"reason": "address held by a host", "field": None, **row.out().model_dump()}
               for row in found.rows]
    return sentence, details


def address_hits(found: MapRows, entities: dict[str, Entity | None]) -> list[EntityHit]:
    """Search hits for the hosts an address was: one per host in the graph, newest holder first.

    ``entities`` maps each host of ``found`` to its entity (None when the graph has
    none: a hit nobody could open is left out).  Each hit's snippet says when
    (:func:`held_text`) and ``addresses`` lists the intervals.
    """
    hits = []
    for host, rows in by_host(found.rows).items():
        entity = entities.get(host)
        if entity is None:
            continue
        hits.append(EntityHit(type=entity.type, key=entity.key, value=entity.value, matched="address",
                              snippet=held_text(rows), addresses=[row.out() for row in rows]))
    return hits
