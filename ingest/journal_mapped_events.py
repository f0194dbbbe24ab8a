"""A host's network-sensor events, tied to it by the time-aware IP -> host map: the timeline's second half.

A sensor record names addresses, not hosts; the projection ties it to the host
the map held for its source or destination at its time (:mod:`ingest.ipmap`),
and the evidence panel shows that host (:mod:`ingest.ipmap_evidence`).  The host
timeline listed only the events a host reported itself, so mkt01, seen by Zeek
alone, had an empty timeline (review U2).  This module lists the hostless
events whose address was the host's at that moment, by the map's rule
(:meth:`ingest.ipmap.IpHostMap.lookup`: of the intervals holding the time, the
one that started last; ties go to the one learnt last; a device's claim gives way to any lease or
sighting holding the time; a lease to another host sighted using the address after it began, :mod:`ingest.ipmap_sightings`; a name cut to 15
characters gives way to the full name holding the address then).

How: the host's intervals (``ip_hosts_by_host``) and every interval of the same
addresses overlapping them (``ip_hosts``' key) are cut into *ranges*, spans of
one address where the host is the holder; an address that another host held
at a moment, by a lease granted later, is not the host's then, so its events
are not pulled in.  Each range is one range read of ``sensor_ends``
(:mod:`ingest.journal_sensor_ends`), newest first and stopping at the page's
size; ranges are read newest first and reading stops once a range ends before
the page's oldest row.  Counts are counted per range up to the cap.
"""

from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.ipmap_names import NETBIOS_LENGTH, full_name
from ingest.ipmap_sightings import DEVICE, sighted_holder
from ingest.journal_sensor_ends import is_current

if TYPE_CHECKING:  # journal_host_events reads this module: the filter's type only
    from ingest.journal_host_events import HostFilter


@dataclass(frozen=True, slots=True)
class Range:
    """A span of ``ip`` that the host held: ``lo`` to ``hi`` (epoch seconds; each end inclusive or not)."""

    ip: str
    lo: float
    hi: float
    lo_closed: bool = True
    hi_closed: bool = True


@dataclass(frozen=True, slots=True)
class Window:
    """Which rows: the timeline's filter (time range, both ends inclusive, and kinds) and the cursor ``(ts, seq)``."""

    where: HostFilter
    before: tuple[float, int] | None = None

    @property
    def since(self) -> float | None:
        return self.where.since

    @property
    def until(self) -> float | None:
        return self.where.until


_Interval = tuple[str, float, float, int, str]
"""``(host, start, end, rowid, source)`` of one row of ``ip_hosts``."""


def held_ranges(db: sqlite3.Connection, host: str) -> list[Range]:
    """The spans in which ``host`` held each of its addresses by the map's rule, latest end first.

    Parameters
    ----------
    db : sqlite3.Connection
        The journal's database (``ip_hosts``).
    host : str
        The host, normalised.

    Returns
    -------
    list of Range
        Empty when the map never tied an address to the host (or the table is not there).
    """
    names = [host, host[:NETBIOS_LENGTH]] if len(host) > NETBIOS_LENGTH else [host]
    try:
        own = db.execute(f"SELECT ip, MIN(start), MAX(end) FROM ip_hosts WHERE host IN ({', '.join('?' * len(names))}) "  # noqa: S608
                         "GROUP BY ip", names).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    ranges: list[Range] = []
    for ip, first, last in own:
        # every interval of the address that can hold a time in [first, last]: the key (ip, start) bounds it
        rows = db.execute("SELECT host, start, end, rowid, source FROM ip_hosts WHERE ip = ? AND start <= ? AND end >= ?",
                          (ip, last, first)).fetchall()
        ranges.extend(_owned(ip, [(h, float(s), float(e), int(r), src) for h, s, e, r, src in rows], host))
    ranges.sort(key=lambda r: r.hi, reverse=True)
    return ranges


def _holder(intervals: Sequence[_Interval], t: float) -> str | None:
    """The map's holder of the address at ``t`` (:meth:`ingest.ipmap.IpHostMap.lookup`'s rule)."""
    holding = [iv for iv in intervals if iv[1] <= t <= iv[2]]
    if not holding:
        return None
    latest = max(holding, key=lambda iv: (iv[1], iv[3]))
    if latest[4] == DEVICE:
        # a lease or a host's own sighting holding t outranks a device's claim (ipmap_sightings)
        latest = max((iv for iv in holding if iv[4] != DEVICE), key=lambda iv: (iv[1], iv[3]), default=latest)
    chosen = latest[0]
    if latest[4] == "dhcp":
        ordered = sorted(holding, key=lambda iv: (iv[1], iv[3]))
        chosen = sighted_holder(chosen, latest[1], [(iv[0], iv[1], iv[2], iv[4]) for iv in ordered]) or chosen
    if len(chosen) == NETBIOS_LENGTH:
        chosen = full_name([iv[0] for iv in holding], chosen)
    return chosen


def _owned(ip: str, intervals: Sequence[_Interval], host: str) -> list[Range]:
    """The spans of ``ip`` whose holder is ``host``: each boundary time and each gap between two is judged once."""
    bounds = sorted({t for _, start, end, *_ in intervals for t in (start, end)})
    ranges: list[Range] = []
    open_at: tuple[float, bool] | None = None  # where the current span began, and whether that end is closed
    for n, b in enumerate(bounds):
        # the point b, then the open gap (b, next)
        pieces = [(b, b, True)]
        if n + 1 < len(bounds):
            pieces.append((b, bounds[n + 1], False))
        for lo, hi, is_point in pieces:
            mine = _holder(intervals, lo if is_point else (lo + hi) / 2) == host
            if mine and open_at is None:
                open_at = (lo, is_point)
            elif not mine and open_at is not None:
                # the span ended just before this piece: at b closed when the piece is the gap after b
                ranges.append(Range(ip, open_at[0], lo, open_at[1], not is_point))
                open_at = None
    if open_at is not None:
        ranges.append(Range(ip, open_at[0], bounds[-1], open_at[1], True))
    return ranges


def _conditions(r: Range, window: Window) -> tuple[str, list[object]]:
    """The WHERE after ``ip = ?`` for one range within ``window`` (placeholders only)."""
    sql, params = window.where.where(ts="s.ts", kind="e.kind")
    return f" AND s.ts {'>=' if r.lo_closed else '>'} ? AND s.ts {'<=' if r.hi_closed else '<'} ?{sql}", [r.lo, r.hi, *params]


def _in_window(r: Range, window: Window) -> bool:
    return ((window.since is None or r.hi >= window.since) and (window.until is None or r.lo <= window.until)
            and (window.before is None or r.lo <= window.before[0]))


def _newest(db: sqlite3.Connection, r: Range, window: Window, limit: int) -> list[tuple[float, int]]:
    """The newest ``limit`` rows ``(ts, seq)`` of one range (the join drops rows the journal no longer has)."""
    sql, params = _conditions(r, window)
    if window.before is not None:
        sql += " AND (s.ts, s.seq) < (?, ?)"
        params += list(window.before)
    return [(float(ts), int(seq)) for ts, seq in db.execute(
        "SELECT s.ts, s.seq FROM sensor_ends AS s CROSS JOIN events AS e ON e.seq = s.seq "  # noqa: S608 - placeholders
        f"WHERE s.ip = ?{sql} AND e.host IS NULL ORDER BY s.ts DESC, s.seq DESC LIMIT ?", [r.ip, *params, limit])]


def mapped_page(db: sqlite3.Connection, ranges: Sequence[Range], window: Window, limit: int) -> list[tuple[float, int]]:
    """The newest ``limit`` rows ``(ts, seq)`` in ``ranges`` (:func:`held_ranges`) within ``window``, newest first.

    Ranges are read latest end first, and reading stops at the first range that
    ends before the oldest of ``limit`` rows already found: a host with 1M sensor
    rows reads one page of them, not all.
    """
    if not ranges or limit <= 0 or not is_current(db):
        return []
    best: list[tuple[float, int]] = []  # a min-heap of the newest rows found so far
    seen: set[int] = set()
    for r in ranges:
        if not _in_window(r, window):
            continue
        if len(best) >= limit and r.hi < best[0][0]:
            break  # ranges are by end, latest first: none of the rest holds a newer row
        for row in _newest(db, r, window, limit):
            if row[1] in seen:
                continue  # both ends were the host's addresses: one row
            seen.add(row[1])
            if len(best) < limit:
                heapq.heappush(best, row)
            elif row > best[0]:
                heapq.heapreplace(best, row)
    return sorted(best, reverse=True)


def mapped_count(db: sqlite3.Connection, ranges: Sequence[Range], window: Window, cap: int) -> int:
    """How many rows ``ranges`` hold within ``window`` (the cursor ignored), counted up to ``cap + 1``.

    An event whose two ends were both the host's is counted once.
    """
    if not ranges or not is_current(db):
        return 0
    seqs: set[int] = set()
    for r in ranges:
        if len(seqs) > cap:
            break
        if not _in_window(r, Window(window.where)):
            continue
        sql, params = _conditions(r, window)
        seqs.update(seq for (seq,) in db.execute(
            "SELECT s.seq FROM sensor_ends AS s CROSS JOIN events AS e ON e.seq = s.seq "  # noqa: S608 - placeholders
            f"WHERE s.ip = ?{sql} AND e.host IS NULL LIMIT ?", [r.ip, *params, cap + 1 - len(seqs)]))
    return len(seqs)


def merged(own: Sequence[tuple[float, int]], mapped: Sequence[tuple[float, int]], limit: int) -> Iterator[tuple[float, int]]:
    """The newest ``limit`` of two newest-first lists of ``(ts, seq)``, newest first."""
    for n, row in enumerate(heapq.merge(own, mapped, reverse=True)):
        if n >= limit:
            return
        yield row
