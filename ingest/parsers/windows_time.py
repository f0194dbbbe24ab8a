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

from ingest.normalize import UNSET_TEXT, parse_timestamp
from ingest.parsers.base import ParseError, plausible_window


def _fast_utc(text: str, require_zone: bool) -> float | None:
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
    # Events cluster in few seconds: the epoch of "YYYY-MM-DD HH:MM:SS" and the
    # value of ".fff" are looked up, not re-parsed (two dict reads instead of
    # a dozen slices, int() calls and checks; 0.4 us of 7 per Windows record).
    seconds = _seconds.get(text[:19])
    if seconds is None:
        seconds = _second_start(text[:19])
        if seconds is None:
            return None
    if end == 19:
        return seconds
    fraction = _fractions.get(text[19:end])
    if fraction is None:
        fraction = _fraction(text[19:end])
        if fraction is None:
            return None
    return seconds + fraction


_seconds: dict[str, float] = {}
_SECONDS_LIMIT = 65536


def _second_start(head: str) -> float | None:
    """Epoch seconds of ``YYYY-MM-DD[ T]HH:MM:SS`` UTC (memoised in ``_seconds``), ``None`` if malformed."""
    minute = _minutes.get(head[:16])
    if minute is None:
        minute = _minute_start(head[:16])
        if minute is None:
            return None
    try:
        second = int(head[17:19])
    except ValueError:
        return None
    if second > 60:
        return None
    start = minute + second
    if len(_seconds) >= _SECONDS_LIMIT:
        _seconds.clear()  # a time-ordered stream has moved on: keep the table warm for the new seconds
    _seconds[head] = start
    return start


_fractions: dict[str, float] = {}


def _fraction(text: str) -> float | None:
    """``.fff`` as seconds, ``None`` unless a dot and ASCII digits (up to ``.ddd`` memoised in ``_fractions``)."""
    digits = text[1:]
    if text[0] != "." or not (digits.isascii() and digits.isdigit()):
        return None
    value = int(digits) / 10 ** len(digits)
    if len(text) <= 4:  # at most 1,111 valid keys: no bound needed
        _fractions[text] = value
    return value


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
    """Epoch seconds of ``YYYY-MM-DD`` 00:00 UTC, memoised (events cluster on few days).

    ``None`` for a malformed day and for one outside :func:`checked_time`'s
    window (1990 to a day past the clock): the general path then refuses it with its reason,
    so the fast path accepts no time the general one would not.
    """
    value = _midnights.get(day)
    if value is None:
        try:
            value = datetime(int(day[0:4]), int(day[5:7]), int(day[8:10]), tzinfo=UTC).timestamp()
        except ValueError:
            return None
        earliest, latest = plausible_window()
        if not earliest <= value < min(LATEST, latest - 86399):  # the whole day inside the window
            return None
        if len(_midnights) < 65536:
            _midnights[day] = value
    return value


LATEST = 4102444800.0
"""2100-01-01 UTC: later event times are corrupt or mis-scaled values."""


def checked_time(ts: float, written: object, now: float | None = None) -> float:
    """``ts`` when it is a plausible event time, else :class:`ParseError`.

    Plausible is the pipeline's window: from 1990 (:data:`EARLIEST_EVENT_TIME`)
    to a day past the clock (and before 2100).  Parsers that have another time
    (Windows ``UtcTime`` then the record's time; CEF ``rt`` then the syslog
    header's) fall back to it when the first is outside, so such a record is
    not rejected for a time it did not need.  ``now`` is the clock (a parser's
    ``ParseContext.clock()``; default the time now).
    """
    earliest, latest = plausible_window(now)
    if math.isfinite(ts) and earliest <= ts <= latest and ts < LATEST:
        return ts
    raise ParseError(f"timestamp out of range: {str(written)[:40]!r}")


def event_time(data: Mapping[str, Any], record_time: object, default_timezone: str) -> float:
    """Epoch seconds by the module's time rule (Sysmon ``UtcTime`` first)."""
    utc = data.get("UtcTime")
    # a UtcTime is longer than any "absent" text: tested by its length, not hashed
    if isinstance(utc, str) and (len(utc) > _UNSET_LONGEST or utc not in UNSET_TEXT):
        # A second and a fraction both seen before: two lookups, no call.
        # Any miss (new second, "Z", no or odd fraction) takes _fast_utc.
        seconds = _seconds.get(utc[:19])
        if seconds is not None:
            fraction = _fractions.get(utc[19:])
            if fraction is not None:
                return seconds + fraction
        fast = _fast_utc(utc, False)
        if fast is not None:
            return fast
        try:
            return checked_time(parse_timestamp(utc, default_timezone="UTC"), utc)
        except (ValueError, OverflowError):
            pass  # a malformed UtcTime: fall back to the record's own time
    if isinstance(record_time, str):
        if len(record_time) <= _UNSET_LONGEST and record_time in UNSET_TEXT:
            raise ParseError(_NO_TIME)
        if record_time[-1:] == "Z":  # as for UtcTime above: two lookups when both are known
            seconds = _seconds.get(record_time[:19])
            if seconds is not None:
                fraction = _fractions.get(record_time[19:-1])
                if fraction is not None:
                    return seconds + fraction
        ts = _fast_utc(record_time, True)
        if ts is not None:
            return ts
    elif record_time is None:
        raise ParseError(_NO_TIME)
    try:
        ts = parse_timestamp(record_time, default_timezone=default_timezone)
    except (ValueError, OverflowError) as exc:
        raise ParseError(f"bad timestamp: {exc}") from None
    return checked_time(ts, record_time)


_UNSET_LONGEST = max(map(len, UNSET_TEXT))
_NO_TIME = "no timestamp (UtcTime, @timestamp, TimeCreated or TimeGenerated)"


def wall_seconds(written: object) -> float | None:
    """A host clock's ``YYYY-MM-DD[ T]HH:MM:SS[.fff][Z]`` as if it were UTC, ``None`` if it is not such text.

    The ``Z`` is not believed: :mod:`ingest.host_clocks` compares this value
    with Sysmon's ``UtcTime`` to learn what the host's clock really is.
    """
    if not isinstance(written, str):
        return None
    return _fast_utc(written, False)
