"""One host's journaled events, newest first, a page at a time: the host timeline's read.

The graph holds aggregated relations only; a host whose events name no
process, user or address (PC-HELEN's service-state events in the Brim syslog
log) has nothing there to read.  The journal holds every accepted event with
its host, so the timeline reads it (:mod:`graphsiem.api.services.host_timeline`,
``graphsiem events``), whichever graph store the service runs on.

Every read is an index range read of ``events_by_host`` (host, ts, kind;
:data:`ingest.journal_schema.EVENTS_BY_HOST_INDEX`): the page stops at its
``limit``.  The count is read from the per-(host, kind) counts the journal
keeps (:mod:`ingest.journal_host_kinds`) when the read has no time range, and
counted on the index, stopping at :data:`COUNT_CAP`, when it has one; either
way it is shown capped at :data:`COUNT_CAP` (then the answer says "more
than").  Kinds the host never had answer at once, page and count, without
reading the index (they used to read every entry of the host: task OPS.3).
A page of a kind that is rare on a busy host, or a count over a wide time
range, still reads the host's entries in range: exact pages need them.  Pages go on from a cursor, the last row's ``(ts, seq)``: seq
breaks ties between events of the same time, so no event is skipped or
listed twice however many share a second.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from graphsiem.model import Event
from ingest.journal_host_kinds import host_kind_total
from ingest.journal_mapped_events import Window, held_ranges, mapped_count, mapped_page, merged
from ingest.journal_reads import EVENT_COLUMNS, event_from_row

COUNT_CAP = 10_000
"""A count stops here: a busy host's total reads as "more than 10,000" rather than walking all its rows."""

KINDS_MAX = 20
"""Kinds one read may filter on."""

LIMIT_MAX = 1000
"""Events one page lists at most (the API's ``limit`` and ``graphsiem events --limit`` are capped to it)."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends: the last row's time and seq (see :func:`parse_cursor`)."""

    ts: float
    seq: int

    def text(self) -> str:
        """The cursor as the API hands it out: ``"<ts>:<seq>"`` (``repr`` keeps the float exact).

        >>> Cursor(1521911747.733658, 42).text()
        '1521911747.733658:42'
        """
        return f"{self.ts!r}:{self.seq}"


_CURSOR = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?):([0-9]{1,19})")


def parse_cursor(text: str) -> Cursor:
    """The cursor ``text`` spells (:meth:`Cursor.text`).

    Raises
    ------
    ValueError
        When ``text`` is no cursor this module made (the message says what is expected).

    Examples
    --------
    >>> parse_cursor("1521911747.733658:42")
    Cursor(ts=1521911747.733658, seq=42)
    >>> parse_cursor("<img src=x>")
    Traceback (most recent call last):
    ...
    ValueError: not a cursor of this listing (expected '<time>:<seq>' from next_before)
    """
    match = _CURSOR.fullmatch(text.strip())
    ts = float(match.group(1)) if match else math.nan
    if not match or not math.isfinite(ts):
        raise ValueError("not a cursor of this listing (expected '<time>:<seq>' from next_before)")
    return Cursor(ts, int(match.group(2)))


@dataclass(frozen=True, slots=True)
class HostEvents:
    """A page of a host's events (newest first), the count of all that match, and the next page's cursor."""

    events: list[Event]
    total: int
    total_capped: bool
    """True when the count stopped at :data:`COUNT_CAP`: more than ``total`` events match."""
    next_cursor: Cursor | None
    mapped_ids: frozenset[str] = frozenset()
    """The page's events tied to the host by the IP -> host map (they name no host), not reported by it."""


@dataclass(frozen=True, slots=True)
class HostFilter:
    """Which of a host's events: a time range (epoch seconds, both ends inclusive) and kinds."""

    since: float | None = None
    until: float | None = None
    kinds: Sequence[str] = ()

    def where(self, ts: str = "ts", kind: str = "kind") -> tuple[str, list[object]]:
        """The SQL conditions after ``host = ?`` and their parameters (placeholders only: kinds are data).

        ``ts`` and ``kind`` name the columns (qualified in a join: ``s.ts``, ``e.kind``).
        """
        sql = ""
        params: list[object] = []
        # -inf/+inf would do as open bounds, but a bare "host = ?" range is the same read
        if self.since is not None:
            sql += f" AND {ts} >= ?"
            params.append(self.since)
        if self.until is not None:
            sql += f" AND {ts} <= ?"
            params.append(self.until)
        if self.kinds:
            sql += f" AND {kind} IN ({', '.join('?' * len(self.kinds))})"
            params.extend(self.kinds)
        return sql, params


def host_events(db: sqlite3.Connection, host: str, *, limit: int, before: Cursor | None = None,
                where: HostFilter | None = None, by_address: bool = True) -> HostEvents:
    """The newest ``limit`` events of ``host`` (its normalised name) matching ``where``, before ``before``.

    Parameters
    ----------
    db : sqlite3.Connection
        The journal database (:attr:`ingest.journal.Journal.connection`).
    host : str
        The host as the journal keys it (:func:`ingest.normalize.normalize_host`).
    limit : int
        Page size (the caller bounds it).
    before : Cursor, optional
        Only events older than this one (the previous page's ``next_cursor``).
    where : HostFilter, optional
        Time range and kinds; the count is of every event matching it, not only after ``before``.
    by_address : bool
        Also the events that name no host whose source or destination address the IP -> host
        map held for ``host`` at their time (:mod:`ingest.journal_mapped_events`), listed in
        time order among its own and named in ``mapped_ids``.

    Returns
    -------
    HostEvents
        The page (with ``raw`` left out: the evidence route reads it by id), the
        count (at most :data:`COUNT_CAP`), and the cursor of the next page (None on the last).
    """
    where = where or HostFilter()
    if len(where.kinds) > KINDS_MAX:
        raise ValueError(f"at most {KINDS_MAX} kinds")
    rows, counted = _own_events(db, host, limit=limit, before=before, where=where)
    ranges = held_ranges(db, host) if by_address else []
    mapped_rows: list[tuple] = []
    if ranges:
        window = Window(where, (before.ts, before.seq) if before is not None else None)
        newest = mapped_page(db, ranges, window, limit + 1)
        counted += mapped_count(db, ranges, window, COUNT_CAP)
        keys = list(merged([(float(row[3]), int(row[0])) for row in rows], newest, limit + 1))
        wanted = {seq for _, seq in keys} - {int(row[0]) for row in rows}
        if wanted:
            mapped_rows = db.execute(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE seq IN ({', '.join('?' * len(wanted))})",  # noqa: S608
                sorted(wanted)).fetchall()
        rows = sorted([*rows, *mapped_rows], key=lambda row: (float(row[3]), int(row[0])), reverse=True)[:limit + 1]
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = Cursor(float(rows[-1][3]), int(rows[-1][0])) if more and rows else None
    events = [event_from_row(row, with_raw=False) for row in rows]
    mapped_seqs = {int(row[0]) for row in mapped_rows}
    return HostEvents(events=events, total=min(int(counted), COUNT_CAP), total_capped=int(counted) > COUNT_CAP,
                      next_cursor=cursor,
                      mapped_ids=frozenset(e.id for e, row in zip(events, rows, strict=True)
                                           if int(row[0]) in mapped_seqs))


def _own_events(db: sqlite3.Connection, host: str, *, limit: int, before: Cursor | None,
                where: HostFilter) -> tuple[list[tuple], int]:
    """The host's own newest ``limit + 1`` rows (``events_by_host``) and their count (up to the cap + 1)."""
    known = host_kind_total(db, host, where.kinds)
    if known == 0:  # none of these kinds on this host, ever: nothing to read
        return [], 0
    conditions, params = where.where()
    page_sql, page_params = conditions, list(params)
    if before is not None:
        # a row value: SQLite reads it as a bound of the index range (ts, then seq = rowid)
        page_sql += " AND (ts, seq) < (?, ?)"
        page_params += [before.ts, before.seq]
    rows = db.execute(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE host = ?{page_sql}"  # noqa: S608 - fixed text and placeholders
        " ORDER BY ts DESC, seq DESC LIMIT ?",
        [host, *page_params, limit + 1],
    ).fetchall()
    if known is not None and where.since is None and where.until is None:
        counted = known  # the kept counts: no index entry read
    else:
        counted = db.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE host = ?{conditions} LIMIT ?)",  # noqa: S608
            [host, *params, COUNT_CAP + 1],
        ).fetchone()[0]
    return rows, int(counted)


def has_events(db: sqlite3.Connection, host: str) -> bool:
    """Whether the journal holds any event of ``host`` (one index probe)."""
    return db.execute("SELECT EXISTS (SELECT 1 FROM events WHERE host = ?)", (host,)).fetchone()[0] == 1
