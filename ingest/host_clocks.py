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
field's offset from UTC.  :class:`HostClocks` keeps the last offset seen per
``(host, field)``; a record of that host without ``UtcTime`` is then dated
by its field minus the offset, and says so in ``event.timezone`` (ECS: the
offset a zone-less time was read in).  The latest observation wins, so a
change of daylight saving time is followed at the next Sysmon record.

Records read before the first Sysmon record of their host, in the same
batch, are settled at the batch's commit (:meth:`HostClocks.settle`), so a
file that starts with Security events is dated as a whole.  The offsets are
kept in the journal's ``host_clocks`` table, written in the batch's
transaction, so a later ingest call (an agent's small batches) dates its
records by what an earlier call learnt.

The journal keeps the dated events; a replay reads them, so live = replay
needs no clock state.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from graphsiem.model import Event
from ingest.parsers.base import plausible_window
from ingest.parsers.windows_time import wall_seconds

QUARTER_HOUR = 900.0
SKEW_TOLERANCE_S = 120.0
"""How far from a whole number of quarter hours a skew may be: a late write, not a zone."""
MAX_OFFSET_S = 14 * 3600.0
"""The widest zone offset (UTC+14, Line Islands)."""
UNSETTLED_LIMIT = 65536
"""At most this many records a batch wait for their host's clock (more: dated as written)."""


def offset_text(offset: float) -> str:
    """``+hh:mm`` of an offset in seconds (ECS ``event.timezone``), e.g. ``-04:00``."""
    sign = "-" if offset < 0 else "+"
    minutes = round(abs(offset)) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(slots=True)
class _Unsettled:
    event: Event
    field: str
    wall: float


class HostClocks:
    """Per ``(host, field)`` offsets from UTC, learnt from Sysmon records (module docstring)."""

    def __init__(self) -> None:
        self.offsets: dict[tuple[str, str], float] = {}
        self._learnt_at: dict[tuple[str, str], float] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._unsettled: list[_Unsettled] = []
        self._minutes: dict[tuple[str, str], str] = {}

    # -- learning ---------------------------------------------------------
    def is_due(self, host: str, field: str, utc_text: str) -> bool:
        """Whether a Sysmon record of ``host`` at ``utc_text`` should be observed.

        The first of each minute of ``UtcTime`` per ``(host, field)`` is: a
        zone's offset changes twice a year, and comparing every record's two
        clocks cost ~0.5 us (a fifth of a Windows record's parse, measured).
        """
        key = (host, field)
        minute = utc_text[:16]
        if self._minutes.get(key) == minute:
            return False
        if len(self._minutes) >= 65536:
            self._minutes.clear()
        self._minutes[key] = minute
        return True

    def observe(self, host: str, field: str, written: object, utc: float) -> None:
        """Learn ``field``'s offset on ``host`` from a record dated ``utc`` by Sysmon.

        ``written`` is the field's text; a skew that is not a whole number of
        quarter hours (±:data:`SKEW_TOLERANCE_S`) or wider than any zone says
        nothing about the zone and is ignored.
        """
        wall = wall_seconds(written)
        if wall is None:
            return
        skew = wall - utc
        offset = round(skew / QUARTER_HOUR) * QUARTER_HOUR
        if abs(skew - offset) > SKEW_TOLERANCE_S or abs(offset) > MAX_OFFSET_S:
            return
        key = (host, field)
        if self.offsets.get(key) != offset:
            self.offsets[key] = offset
            self._dirty.add(key)
        if utc > self._learnt_at.get(key, 0.0):
            self._learnt_at[key] = utc

    # -- dating -----------------------------------------------------------
    def date(self, event: Event, field: str, written: object) -> None:
        """Date ``event`` (of a host, without ``UtcTime``) by its host's ``field``, if learnt.

        Unknown yet: the event keeps its time and waits for :meth:`settle`.
        """
        # A TimeCreated ending in Z dated the event as written: its wall clock is
        # the event's time, no second parse (~0.25 us a record)
        wall = event.ts if field == "TimeCreated" and written.__class__ is str and written[-1:] in "Zz" \
            else wall_seconds(written)
        if wall is None:
            return
        offset = self.offsets.get((event.host or "", field))
        if offset is None:
            if len(self._unsettled) < UNSETTLED_LIMIT:
                self._unsettled.append(_Unsettled(event, field, wall))
            return
        _apply(event, field, wall, offset)

    def settle(self) -> list[Event]:
        """Date the batch's waiting events whose host's clock is now known; returns those changed."""
        changed = []
        earliest, latest = plausible_window()
        for waiting in self._unsettled:
            event = waiting.event
            offset = self.offsets.get((event.host or "", waiting.field))
            if (
                offset is not None
                and earliest <= waiting.wall - offset <= latest  # the batch's events were checked as written
                and _apply(event, waiting.field, waiting.wall, offset)
            ):
                changed.append(event)
        self._unsettled.clear()
        return changed

    # -- persistence ------------------------------------------------------
    def load(self, db: sqlite3.Connection) -> HostClocks:
        """Read the offsets saved in the journal's ``host_clocks`` table; returns ``self``."""
        for host, field, offset, learnt_at in db.execute(
            "SELECT host, field, offset, learnt_at FROM host_clocks"
        ):
            self.offsets[(host, field)] = offset
            self._learnt_at[(host, field)] = learnt_at
        self._dirty.clear()
        return self

    def write(self, db: sqlite3.Connection) -> None:
        """Write the changed offsets inside the caller's transaction (the batch's).

        Another writer may have learnt a host since we loaded: the observation
        of the later event time wins, as it would in one process.
        """
        for key in sorted(self._dirty):
            row = db.execute(
                "SELECT offset, learnt_at FROM host_clocks WHERE host = ? AND field = ?", key
            ).fetchone()
            if row is not None and row[1] > self._learnt_at.get(key, 0.0):
                self.offsets[key], self._learnt_at[key] = row
                continue
            db.execute(
                "INSERT OR REPLACE INTO host_clocks (host, field, offset, learnt_at) VALUES (?, ?, ?, ?)",
                (*key, self.offsets[key], self._learnt_at.get(key, 0.0)),
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
        return False
    event.ts = wall - offset
    text = _offset_texts.get(offset)
    if text is None:
        text = _offset_texts[offset] = offset_text(offset)  # at most 113 quarter hours in ±14 h
    event.fields["event.timezone"] = text
    return True


_offset_texts: dict[float, str] = {}


CLOCK_FIELDS = ("TimeCreated", "EventTime")
"""NXLog's fields a host clock is learnt for: ``TimeCreated``, else the zone-less ``EventTime``."""
