"""The event time rule of the Windows mapping (see :mod:`ingest.parsers.windows_events`).

Sysmon ``UtcTime`` first, then the record's zoned time, then zone-less values
in the configured zone; a fast path skips the general parser for the
``YYYY-MM-DD[ T]HH:MM:SS[.fff][Z]`` forms that make up nearly every record.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ingest.normalize import is_unset, parse_timestamp
from ingest.parsers.base import ParseError


def _fast_utc(text: str, *, require_zone: bool) -> float | None:
    """``YYYY-MM-DD[ T]HH:MM:SS[.fff][Z]`` as UTC epoch seconds, without the general parser.

    Sysmon ``UtcTime`` has no ``Z`` and is UTC by definition; a record time
    takes this path only when it ends in ``Z`` (``require_zone``).  Anything
    else returns ``None`` and goes to :func:`ingest.normalize.parse_timestamp`.
    """
    end = len(text)
    if end < 19:
        return None
    if text[-1] in "Zz":
        end -= 1
    elif require_zone:
        return None
    # Events cluster in few minutes: the epoch of "YYYY-MM-DD HH:MM" is looked up,
    # not re-parsed; only the seconds and their fraction are read per event.
    minute = _minutes.get(text[:16])
    if minute is None:
        minute = _minute_start(text[:16])
        if minute is None:
            return None
    try:
        second = int(text[17:19])
    except ValueError:
        return None
    if second > 60:
        return None
    seconds = minute + second
    if end == 19:
        return seconds
    digits = text[20:end]
    if text[19] != "." or not (digits.isascii() and digits.isdigit()):
        return None
    return seconds + int(digits) / 10 ** len(digits)


_minutes: dict[str, float] = {}


def _minute_start(head: str) -> float | None:
    """Epoch seconds of ``YYYY-MM-DD[ T]HH:MM`` UTC (memoised in ``_minutes``), ``None`` if malformed."""
    if head[4] != "-" or head[10] not in " T" or head[13] != ":":
        return None
    midnight = _midnight(head[:10])
    try:
        hour, minute = int(head[11:13]), int(head[14:16])
    except ValueError:
        return None
    if midnight is None or hour > 23 or minute > 59:
        return None
    # float + int: exact, and the same value the per-event sum gave before
    start = midnight + hour * 3600 + minute * 60
    if len(_minutes) < 65536:
        _minutes[head] = start
    return start


_midnights: dict[str, float] = {}


def _midnight(day: str) -> float | None:
    """Epoch seconds of ``YYYY-MM-DD`` 00:00 UTC, memoised (events cluster on few days)."""
    value = _midnights.get(day)
    if value is None:
        try:
            value = datetime(int(day[0:4]), int(day[5:7]), int(day[8:10]), tzinfo=UTC).timestamp()
        except ValueError:
            return None
        if len(_midnights) < 65536:
            _midnights[day] = value
    return value


LATEST = 4102444800.0
"""2100-01-01 UTC: later event times are corrupt or mis-scaled values."""


def checked_time(ts: float, written: object) -> float:
    """``ts`` when it is a plausible event time (1970 to 2100), else :class:`ParseError`."""
    if math.isfinite(ts) and 0.0 <= ts < LATEST:
        return ts
    raise ParseError(f"timestamp out of range: {str(written)[:40]!r}")


def event_time(data: Mapping[str, Any], record_time: object, default_timezone: str) -> float:
    """Epoch seconds by the module's time rule (Sysmon ``UtcTime`` first)."""
    utc = data.get("UtcTime")
    if isinstance(utc, str) and utc and not is_unset(utc):
        fast = _fast_utc(utc, require_zone=False)
        if fast is not None:
            return fast
        try:
            return checked_time(parse_timestamp(utc, default_timezone="UTC"), utc)
        except (ValueError, OverflowError):
            pass  # a malformed UtcTime: fall back to the record's own time
    if record_time is None or is_unset(record_time):
        raise ParseError("no timestamp (UtcTime, @timestamp, TimeCreated or TimeGenerated)")
    ts = _fast_utc(record_time, require_zone=True) if isinstance(record_time, str) else None
    if ts is not None:
        return ts
    try:
        ts = parse_timestamp(record_time, default_timezone=default_timezone)
    except (ValueError, OverflowError) as exc:
        raise ParseError(f"bad timestamp: {exc}") from None
    return checked_time(ts, record_time)
