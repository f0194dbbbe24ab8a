"""Host clocks learnt from Sysmon: the true UTC offset of a Windows host's written times.

Some collectors write a Windows host's local wall-clock time where UTC
belongs.  In the 2020-10 OTRF NXLog files ``TimeCreated`` says ``08:28:54Z``
for an event Sysmon's ``UtcTime`` dates ``12:28:54``: local time (UTC-4)
labelled UTC.  NXLog behind Logstash writes ``EventTime`` as local time with
no zone at all, beside a Logstash ``@timestamp`` that is the collector's
receipt, seconds late.  Taken at their word, a host's Security and
PowerShell events sit four hours (or a few seconds) away from its Sysmon
events, and a timeline that interleaves them is wrong.

A Sysmon record carries both clocks: ``UtcTime`` (UTC by definition) and the
collector's field.  Their difference, when it is a whole number of quarter
hours (every zone's offset is; ±2 minutes for a late write), is the host
field's offset from UTC at that moment.  Only the Sysmon channel teaches: any
other event with a ``UtcTime`` field proves nothing about the clock.

Offsets change (daylight saving time; a host moved to another zone), and
files arrive out of order (a backfill of last summer after this winter), so
:class:`HostClocks` keeps, per ``(host, field)``, **runs**: spans of Sysmon
time over which one offset was observed, like the IP map's intervals.  A
record of that host without ``UtcTime`` is dated by the run nearest to it
(its field minus a run's offset, compared with the run's span), and says so
in ``event.timezone`` (ECS: the offset a zone-less time was read in).  A
crafted Sysmon record therefore moves only the records nearer to it than to
any genuine observation.

Within a batch (5,000 records) the order of records does not matter: at the
batch's commit (:meth:`HostClocks.settle`) every clock-dated record of a host
whose runs changed during the batch is dated again, and records read before
their host's first Sysmon record are dated then.  The runs are kept in the
journal's ``host_clocks`` table, written in the batch's transaction, so a
later ingest call dates its records by what an earlier call learnt; a record
journaled before a nearer observation arrived in a later batch keeps the
time it was given.

The journal keeps the dated events; a replay reads them, so live = replay
needs no clock state.

The same runs judge a Sysmon record's ``UtcTime`` (:meth:`HostClocks.check_utc_time`).
A network connection (event 3) is dated by Sysmon at the first packet of the
flow it caches, and a long-lived flow can be reported days later: in the OTRF
``empire_enable_rdp`` file every event 3 of HR001 says ``UtcTime`` 11.4 days
before its own ``@timestamp`` while the host's other Sysmon events agree
within seconds.  When a record's written time, read by its host's learnt
offset, is more than :data:`UTC_TIME_BOUND_S` away from its ``UtcTime``, the
record is dated by its written time; the ``UtcTime`` is kept in
``sysmon.utc_time`` and ``event.time_note`` says why.  A host nothing was learnt
for (its own written times disagree with ``UtcTime`` everywhere: a late
collector, a backfill) keeps ``UtcTime``.  Shapes without a host clock field
(Winlogbeat, evtx, Sentinel) learn the offset of their record time under
:data:`RECORD_TIME` for this judgement only; no record is dated by it otherwise.
Event 3 teaches no clock: its ``UtcTime`` is not when the record was written.

Three limits keep the rule to flow-cache gaps:

* a written time that differs from ``UtcTime`` by a zone offset (whole quarter
  hours ±:data:`SKEW_TOLERANCE_S`, at most 14 h) is the host's zone or clock,
  whatever was learnt before: a laptop that flew from +01:00 to -05:00 writes
  its connections six hours from ``UtcTime`` before any other Sysmon record
  teaches the new zone, and ``UtcTime`` is right;
* a disagreeing record is judged at the batch's :meth:`~HostClocks.settle`, by
  the runs its batch's other records taught, not by those known when it was read;
* a record time of its own (:data:`RECORD_TIME`) may be a collector's delivery
  time (a pipeline that stamps ``@timestamp`` at receipt; a backlog of hours):
  it must be more than :data:`RECORD_TIME_BOUND_S` (beyond any zone) away.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from graphsiem.model import Event
from ingest.clock_runs import (  # the offsets' names re-exported: the parsers import them from here
    MAX_OFFSET_S,
    MAX_RUNS,
    QUARTER_HOUR,
    SKEW_TOLERANCE_S,
    ClockRun,
    add_observation,
    is_zone_offset,
    nearest_offset,
    offset_text,
)
from ingest.parsers.base import plausible_window
from ingest.parsers.windows_time import wall_seconds

PENDING_LIMIT = 65536
"""At most this many records a batch are (re)dated at its commit (more: dated as they were read)."""

UTC_TIME_BOUND_S = 3600.0
"""How far a Sysmon ``UtcTime`` may be from its record's written time (host offset applied) and still date it."""
RECORD_TIME_BOUND_S = MAX_OFFSET_S + SKEW_TOLERANCE_S
"""The same bound for a record time of its own (:data:`RECORD_TIME`), which may be when a collector
delivered the record: a backlog of hours is no skew, and no zone is wider than 14 h."""
_ZONE_LIMIT_S = MAX_OFFSET_S + SKEW_TOLERANCE_S
RECORD_TIME = "record time"
"""The clock field of shapes whose record time is UTC (Winlogbeat ``@timestamp``, evtx, Sentinel)."""

Key = tuple[str, str]

__all__ = [
    "MAX_OFFSET_S", "MAX_RUNS", "PENDING_LIMIT", "QUARTER_HOUR", "RECORD_TIME", "RECORD_TIME_BOUND_S",
    "SKEW_TOLERANCE_S", "UTC_TIME_BOUND_S", "ClockRun", "HostClocks", "is_zone_offset", "offset_text",
]


class HostClocks:
    """Per ``(host, field)`` runs of offsets from UTC, learnt from Sysmon records (module docstring)."""

    def __init__(self) -> None:
        self.runs: dict[Key, list[ClockRun]] = {}
        self._dirty: set[Key] = set()
        self._changed: set[Key] = set()  # keys whose nearest run may differ since the batch began
        # (event, key, wall clock) of the batch's clock-dated records: tuples, not
        # objects (one a record of a learnt host; ~0.1 us less each, measured)
        self._pending: list[tuple[Event, Key, float]] = []
        self._minutes: dict[Key, str] = {}
        # (event, key, wall clock, UtcTime as written) of the batch's Sysmon records whose
        # UtcTime disagreed with their written time by more than a zone: judged at settle()
        self._skewed: list[tuple[Event, Key, float, str]] = []
        self.speaks_for: Callable[[str], bool] | None = None
        """Whether the channel of the records being parsed may speak for a host (``None``: trusted):
        a record of a host it may not teaches nothing (:mod:`ingest.channel_hosts`)."""

    # -- learning ---------------------------------------------------------
    def is_due(self, host: str, field: str, utc_text: str) -> bool:
        """Whether a Sysmon record of ``host`` at ``utc_text`` should be observed.

        The first of each minute of ``UtcTime`` per ``(host, field)`` is: a
        zone's offset changes twice a year, and comparing every record's two
        clocks cost ~0.5 us (a fifth of a Windows record's parse, measured).

        Parameters
        ----------
        host : str
            The normalised host name.
        field : str
            The clock field (``TimeCreated`` or ``EventTime``).
        utc_text : str
            The record's Sysmon ``UtcTime`` as written.

        Returns
        -------
        bool
            True for the first record of a minute of ``UtcTime``.
        """
        if self.speaks_for is not None and not self.speaks_for(host):
            return False  # before the minute is taken: a forged record must not use up a genuine one's turn
        key = (host, field)
        minute = utc_text[:16]
        if self._minutes.get(key) == minute:
            return False
        if len(self._minutes) >= 65536:
            self._minutes.clear()
        self._minutes[key] = minute
        return True

    def observe(self, host: str, field: str, written: object, utc: float) -> None:
        """Learn ``field``'s offset on ``host`` at ``utc`` from a Sysmon record.

        A skew that is not a whole number of quarter hours
        (±:data:`SKEW_TOLERANCE_S`) or wider than any zone says nothing about
        the zone and is ignored.

        Parameters
        ----------
        host : str
            The normalised host name.
        field : str
            The clock field the collector wrote (``TimeCreated`` or ``EventTime``).
        written : object
            That field's value in the Sysmon record.
        utc : float
            The record's ``UtcTime``, epoch seconds.
        """
        if self.speaks_for is not None and not self.speaks_for(host):
            return  # another host's channel: its word on this host's clock is not taken
        wall = wall_seconds(written)
        if wall is None:
            return
        skew = wall - utc
        offset = round(skew / QUARTER_HOUR) * QUARTER_HOUR
        if abs(skew - offset) > SKEW_TOLERANCE_S or abs(offset) > MAX_OFFSET_S:
            return
        key = (host, field)
        runs = self.runs.setdefault(key, [])
        if add_observation(runs, utc, offset):
            self._dirty.add(key)
            if len(runs) > 1:
                self._changed.add(key)

    def offset(self, host: str, field: str, wall: float) -> float | None:
        """The offset of the run nearest to a record written at ``wall`` on ``host``.

        Parameters
        ----------
        host : str
            The normalised host name.
        field : str
            The clock field.
        wall : float
            The record's field read as if it were UTC, epoch seconds.

        Returns
        -------
        float or None
            Seconds to subtract from ``wall``; ``None`` when nothing was learnt.
        """
        runs = self.runs.get((host, field))
        return nearest_offset(runs, wall) if runs else None

    def check_utc_time(self, event: Event, field: str, written: object, utc_text: str) -> None:
        """Date a Sysmon ``event`` by its written time when its ``UtcTime`` is far from it (module docstring).

        ``event.ts`` is the ``UtcTime``.  Nearly every record agrees within
        :data:`UTC_TIME_BOUND_S`: one whose written time has ``UtcTime``'s date
        and hour costs two string comparisons, another one parse.  A gap that is a zone offset is
        the host's clock, never a skew.  Any other gap is judged at
        :meth:`settle`, by the runs the whole batch taught.

        Parameters
        ----------
        event : Event
            The parsed Sysmon event, dated by its ``UtcTime``; changed in place.
        field : str
            The clock field its record time was written in (``TimeCreated``,
            ``EventTime``, or :data:`RECORD_TIME`).
        written : object
            That field's value.
        utc_text : str
            The record's ``UtcTime`` as written.
        """
        # the same date and hour as UtcTime ("YYYY-MM-DD[ T]HH"): within the bound, no parse
        # (a parse is 0.13-0.24 us, the whole check ~4 % of a Windows record's parse, measured)
        if type(written) is str and written[11:13] == utc_text[11:13] and written[:10] == utc_text[:10]:
            return
        wall = wall_seconds(written)
        if wall is None:
            return
        gap = wall - event.ts
        if -UTC_TIME_BOUND_S <= gap <= UTC_TIME_BOUND_S:
            return
        # a zone offset (is_zone_offset inlined, ~0.2 us less a local-time record, measured):
        # the host's zone, maybe one its other records have not taught yet
        if (gap + SKEW_TOLERANCE_S) % QUARTER_HOUR <= 2 * SKEW_TOLERANCE_S and -_ZONE_LIMIT_S <= gap <= _ZONE_LIMIT_S:
            return
        key = (event.host or "", field)
        if len(self._skewed) < PENDING_LIMIT:
            self._skewed.append((event, key, wall, utc_text))
            return
        runs = self.runs.get(key)  # a batch past the limit: judged by what is learnt now
        if runs:
            offset = nearest_offset(runs, wall)
            earliest, latest = plausible_window()
            if earliest <= wall - offset <= latest:
                _date_by_record(event, field, wall, offset, utc_text)

    # -- dating -----------------------------------------------------------
    def date(self, event: Event, field: str, written: object) -> None:
        """Date ``event`` (of a host, without ``UtcTime``) by its host's ``field``.

        By the runs known now; :meth:`settle` dates it again if its host's runs
        change before the batch commits, or for the first time if none are known yet.

        Parameters
        ----------
        event : Event
            The parsed event (``ts`` as written, ``host`` set); changed in place.
        field : str
            The clock field its time came from.
        written : object
            That field's value.
        """
        # A TimeCreated ending in Z dated the event as written: its wall clock is
        # the event's time, no second parse (~0.25 us a record)
        if field == "TimeCreated" and isinstance(written, str) and written[-1:] in ("Z", "z"):
            wall: float | None = event.ts
        else:
            wall = wall_seconds(written)
        if wall is None:
            return
        key = (event.host or "", field)
        if len(self._pending) < PENDING_LIMIT:
            self._pending.append((event, key, wall))
        runs = self.runs.get(key)
        if runs:
            _apply(event, field, wall, runs[0].offset if len(runs) == 1 else nearest_offset(runs, wall))

    def settle(self, window: tuple[float, float] | None = None) -> list[Event]:
        """Date the batch's records by the runs known at its end.

        Parameters
        ----------
        window : tuple of float, optional
            The ingest's plausible event times (``earliest, latest``); a record
            whose new time falls outside keeps the time it was checked with.
            Default :func:`ingest.parsers.base.plausible_window`.

        Returns
        -------
        list of Event
            The events whose time changed (their fields must be serialised again).
        """
        changed = []
        earliest, latest = window or plausible_window()
        recheck = self._changed
        for event, key, wall in self._pending:
            if "event.timezone" in event.fields and key not in recheck:
                continue  # dated by runs that have not changed since
            runs = self.runs.get(key)
            if not runs:
                continue
            offset = nearest_offset(runs, wall)
            ts = wall - offset
            if ts != event.ts and earliest <= ts <= latest and _apply(event, key[1], wall, offset):
                changed.append(event)
        self._pending.clear()
        recheck.clear()
        for event, key, wall, utc_text in self._skewed:
            runs = self.runs.get(key)
            if not runs:
                continue  # nothing learnt of the host's clock: its UtcTime stands
            offset = nearest_offset(runs, wall)
            if earliest <= wall - offset <= latest and _date_by_record(event, key[1], wall, offset, utc_text):
                changed.append(event)
        self._skewed.clear()
        return changed

    # -- persistence ------------------------------------------------------
    def load(self, db: sqlite3.Connection) -> HostClocks:
        """Read the runs saved in the journal's ``host_clocks`` table.

        Parameters
        ----------
        db : sqlite3.Connection
            The journal's connection.

        Returns
        -------
        HostClocks
            ``self``.
        """
        for host, field, start, end, offset in db.execute(
            "SELECT host, field, start, end, offset FROM host_clocks ORDER BY host, field, start"
        ):
            self.runs.setdefault((host, field), []).append(ClockRun(start, end, offset))
        self._dirty.clear()
        return self

    def write(self, db: sqlite3.Connection) -> None:
        """Write the changed keys' runs inside the caller's transaction (the batch's).

        Another writer may have learnt the same host since we loaded: its runs
        are merged into ours as observations at their ends, never overwritten.

        Parameters
        ----------
        db : sqlite3.Connection
            The journal's connection, inside the batch's transaction.
        """
        for key in sorted(self._dirty):
            runs = self.runs[key]
            for start, end, offset in db.execute(
                "SELECT start, end, offset FROM host_clocks WHERE host = ? AND field = ?", key
            ).fetchall():
                add_observation(runs, start, offset)
                add_observation(runs, end, offset)
            db.execute("DELETE FROM host_clocks WHERE host = ? AND field = ?", key)
            db.executemany(
                "INSERT INTO host_clocks (host, field, start, end, offset) VALUES (?, ?, ?, ?, ?)",
                [(*key, run.start, run.end, run.offset) for run in runs],
            )

    def saved(self) -> None:
        """The caller's transaction of :meth:`write` committed."""
        self._dirty.clear()


def _apply(event: Event, field: str, wall: float, offset: float) -> bool:
    """Date ``event`` at ``wall - offset``; ``False`` when that changes nothing (a true UTC ``TimeCreated``).

    No window check here: the pipeline checks every parsed event's time, and
    :meth:`HostClocks.settle`, which runs after that check, makes its own.
    """
    if offset == 0.0 and field == "TimeCreated":
        if "event.timezone" in event.fields:  # dated by another run before the batch ended
            event.ts = wall
            del event.fields["event.timezone"]
            return True
        return False
    event.ts = wall - offset
    text = _offset_texts.get(offset)
    if text is None:
        text = _offset_texts[offset] = offset_text(offset)  # at most 113 quarter hours in ±14 h
    event.fields["event.timezone"] = text
    return True


_offset_texts: dict[float, str] = {}


def _date_by_record(event: Event, field: str, wall: float, offset: float, utc_text: str) -> bool:
    """Date a Sysmon ``event`` at its written time ``wall - offset`` when its ``UtcTime`` is too far from it.

    ``False`` (nothing changed) when the two agree within :data:`UTC_TIME_BOUND_S`
    (:data:`RECORD_TIME_BOUND_S` for a record time of its own).
    """
    written_utc = wall - offset
    gap = written_utc - event.ts
    bound = RECORD_TIME_BOUND_S if field == RECORD_TIME else UTC_TIME_BOUND_S
    if -bound <= gap <= bound or wall_seconds(utc_text) != event.ts:
        return False  # they agree, or a malformed UtcTime already gave way to the record's time
    fields = event.fields
    fields["sysmon.utc_time"] = utc_text
    fields["event.time_note"] = (
        f"time from the record ({'its own timestamp' if field == RECORD_TIME else field}): "
        f"Sysmon's UtcTime was {_span_text(abs(gap))} {'earlier' if gap > 0 else 'later'}"
    )
    event.ts = written_utc
    if offset != 0.0 or field not in (RECORD_TIME, "TimeCreated"):
        fields["event.timezone"] = offset_text(offset)  # as a clock-dated record says (_apply)
    return True


def _span_text(seconds: float) -> str:
    """``11.4 days`` or ``5.2 hours``: a time gap as the evidence shows it.

    >>> _span_text(982003.0), _span_text(5 * 3600.0)
    ('11.4 days', '5.0 hours')
    """
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days"
    return f"{seconds / 3600:.1f} hours"
