"""CEF event times: ``rt``, else ``end``, ``start``, ``deviceReceiptTime``, in any layout of the standard.

Split from :mod:`ingest.parsers.syslog_cef`, which re-exports :func:`cef_time`
(the LEEF payload reads its times with it too): epoch milliseconds, or
``MMM dd [yyyy] HH:mm:ss[.SSS] [zzz]`` with a UTC name, an offset, or a zone
:mod:`zoneinfo` knows; without one, ``ParseContext.default_timezone``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from ingest.normalize import parse_timestamp
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog_time import yearless_time
from ingest.parsers.windows_time import checked_time

_TIME_KEYS = ("rt", "end", "start", "deviceReceiptTime")
_TEXT_TIME_RE = re.compile(
    r"([A-Za-z]{3}) +(\d{1,2})(?: +(\d{4}))? +(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?: +(\S+))?"
)
_OFFSET_RE = re.compile(r"(?:GMT|UTC|UT)?([+-])(\d{1,2})(?::?(\d{2}))?")
_MONTHS = {name: number for number, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_UTC_NAMES = frozenset(("UTC", "GMT", "UT", "Z"))


def _zone(name: str) -> tzinfo:
    """The zone of a CEF time's ``zzz``; :class:`ParseError` when no zone has that name."""
    upper = name.upper()
    if upper in _UTC_NAMES:
        return UTC
    offset = _OFFSET_RE.fullmatch(upper)
    if offset is not None:
        hours, minutes = int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 23 or minutes > 59:
            raise ParseError(f"zone offset {name[:12]!r} out of range")
        sign = -1 if offset.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # unknown, malformed or a directory of the zone tree
        raise ParseError(f"unknown time zone {name[:40]!r}") from None


def _text_time(value: str, context: ParseContext) -> float | None:
    """``MMM dd [yyyy] HH:mm:ss[.SSS] [zzz]`` as epoch seconds; ``None`` for another layout."""
    match = _TEXT_TIME_RE.fullmatch(value)
    if match is None:
        return None
    month_name, day, year, hour, minute, second, fraction, zone_name = match.groups()
    month = _MONTHS.get(month_name.upper())
    if month is None:
        raise ParseError(f"month {month_name!r} unknown")
    zone = _zone(zone_name) if zone_name else ZoneInfo(context.default_timezone)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    clock = (int(hour), int(minute), int(second), micro)
    if year is None:
        return yearless_time(month, int(day), clock, context, zone, what="CEF date")
    try:
        return datetime(int(year), month, int(day), *clock, tzinfo=zone).astimezone(UTC).timestamp()
    except (ValueError, OverflowError) as exc:
        raise ParseError(f"invalid date: {exc}") from None


def cef_time(extension: dict[str, str], context: ParseContext) -> tuple[float | None, list[tuple[str, str, str]]]:
    """The event time of ``rt``, else ``end``, ``start``, ``deviceReceiptTime`` (module docstring).

    Returns
    -------
    ts : float or None
        Epoch seconds of the first of them that reads as a time from 1970 to
        2100; ``None`` when none does (the caller falls back to the syslog
        header's time).
    unreadable : list of (key, value, reason)
        The ones before it that did not read, in that order.

    Examples
    --------
    >>> cef_time({"rt": "Mar 01 2024 10:00:02 GMT+01:00"}, ParseContext())
    (1709283602.0, [])
    >>> cef_time({"rt": "yesterday"}, ParseContext())
    (None, [('rt', 'yesterday', "CEF rt: unrecognised time 'yesterday'")])
    """
    unreadable: list[tuple[str, str, str]] = []
    for key in _TIME_KEYS:
        value = extension.get(key)
        if not value:
            continue
        try:
            if value.isascii() and value.isdigit():
                ts = parse_timestamp(int(value), default_timezone=context.default_timezone)
            else:
                text = _text_time(value, context)
                ts = text if text is not None else parse_timestamp(value, default_timezone=context.default_timezone)
            return checked_time(ts, value, context.clock()), unreadable
        except ParseError as exc:
            unreadable.append((key, value, f"CEF {key}: {exc}"))
        except (ValueError, OverflowError):
            unreadable.append((key, value, f"CEF {key}: unrecognised time {value[:40]!r}"))
    return None, unreadable
