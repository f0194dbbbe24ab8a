"""Clock runs: a host field's offsets from UTC over spans of Sysmon time (:mod:`ingest.host_clocks`).

An offset is a whole number of quarter hours (every zone's), at most 14 h either way; a skew within
:data:`SKEW_TOLERANCE_S` of one is a late write of that zone.  :class:`~ingest.host_clocks.HostClocks`
keeps, per ``(host, field)``, sorted disjoint :class:`ClockRun` spans over which one offset was observed
(:func:`add_observation` puts an observation in) and dates a record by the run nearest to it
(:func:`nearest_offset`).  Moved out of :mod:`ingest.host_clocks`, which re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "MAX_OFFSET_S", "MAX_RUNS", "QUARTER_HOUR", "SKEW_TOLERANCE_S", "ClockRun", "add_observation",
    "is_zone_offset", "nearest_offset", "offset_text",
]

QUARTER_HOUR = 900.0
SKEW_TOLERANCE_S = 120.0
"""How far from a whole number of quarter hours a skew may be: a late write, not a zone."""
MAX_OFFSET_S = 14 * 3600.0
"""The widest zone offset (UTC+14, Line Islands)."""
MAX_RUNS = 512
"""Runs kept per (host, field): two changes a year for decades; beyond it the oldest go."""


def is_zone_offset(difference: float, tolerance: float = 1.0) -> bool:
    """Whether ``difference`` (s) is a zone offset: whole quarter hours, at most 14 h, within ``tolerance``.

    >>> is_zone_offset(-5 * 3600 + 0.25), is_zone_offset(5 * 3600 + 120), is_zone_offset(15 * 3600)
    (True, False, False)
    """
    quarters = round(difference / QUARTER_HOUR)
    return abs(difference) <= MAX_OFFSET_S + tolerance and abs(difference - quarters * QUARTER_HOUR) < tolerance


def offset_text(offset: float) -> str:
    """``+hh:mm`` of an offset in seconds (ECS ``event.timezone``), e.g. ``-04:00``."""
    sign = "-" if offset < 0 else "+"
    minutes = round(abs(offset)) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(slots=True)
class ClockRun:
    """A span of Sysmon time (UTC epoch seconds) over which one offset was observed."""

    start: float
    end: float
    offset: float


def add_observation(runs: list[ClockRun], utc: float, offset: float) -> bool:
    """Put an observation into ``runs`` (sorted, disjoint); ``False`` if it changes nothing."""
    index = 0
    for index, run in enumerate(runs):  # noqa: B007 - the index is read after the loop
        if run.start <= utc <= run.end:
            if run.offset == offset:
                return False
            # another offset inside a run: the run is cut around the observation
            runs[index : index + 1] = [
                ClockRun(run.start, utc, run.offset), ClockRun(utc, utc, offset), ClockRun(utc, run.end, run.offset)
            ]
            return True
        if utc < run.start:
            break
    else:
        index = len(runs)
    before = runs[index - 1] if index > 0 else None
    after = runs[index] if index < len(runs) else None
    if before is not None and before.offset == offset:
        before.end = utc
        if after is not None and after.offset == offset:  # the gap between two equal runs is closed
            before.end = after.end
            del runs[index]
    elif after is not None and after.offset == offset:
        after.start = utc
    else:
        runs.insert(index, ClockRun(utc, utc, offset))
        if len(runs) > MAX_RUNS:
            del runs[0]
    return True


def nearest_offset(runs: list[ClockRun], wall: float) -> float:
    """The offset of the run whose span is nearest to ``wall`` read in that run's offset."""
    if len(runs) == 1:
        return runs[0].offset
    best_offset, best_distance = runs[0].offset, float("inf")
    for run in runs:
        ts = wall - run.offset
        distance = run.start - ts if ts < run.start else ts - run.end if ts > run.end else 0.0
        if distance <= best_distance:  # a tie goes to the later run
            best_offset, best_distance = run.offset, distance
    return best_offset
