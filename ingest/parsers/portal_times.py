"""The times a Microsoft portal writes in its CSV exports, read as ISO 8601 (:func:`from_portal_time`).

Log Analytics (Sentinel) and the Defender portal export a ``datetime`` as the user's locale shows it
(``2/25/2025, 9:19:25.391 AM``); the Windows shapes (:mod:`ingest.parsers.windows_shapes`), Defender's
rows (:mod:`ingest.parsers.mde`) and the CSV reader's local times (:mod:`ingest.readers.csv_times`) read
them here, and a 12-hour clock's hour (:func:`twelve_hour`) with them.
"""

from __future__ import annotations

import re
from datetime import datetime

_PORTAL_TIME = re.compile(
    r"(?:(\d{1,2})/(\d{1,2})/|([A-Z][a-z]{2}) (\d{1,2}), )(\d{4}),? (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?"
    r"(?: ?([AP]M))?", re.ASCII)
_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


def from_portal_time(text: str) -> str | None:
    """A Microsoft portal's time, as its CSV exports write it, as ISO 8601 UTC; else ``None``.

    The Log Analytics (Sentinel) portal exports a ``datetime`` column under a
    header ``TimeGenerated [UTC]`` as ``2/25/2025, 9:19:25.391 AM``: US
    month-first, 12-hour, milliseconds.  The Defender portal's advanced
    hunting export writes the user's locale: ISO 8601, ``May 7, 2024 6:41:25.321 PM``
    or ``May 7, 2024 18:41:25``, or the month-first form.  Read here: the
    month-first form with ``AM``/``PM`` (upper case, as the US locale writes
    it) and the month-name forms, 12- or 24-hour.  A day-first date
    (``13/03/2024, 3:40:13.988 pm``), a numeric date on a 24-hour clock
    (either order possible) or anything else gives ``None``: read as given,
    it could be another instant.  Both portals export in UTC unless the user
    chose local time, which the text does not say: it is read as UTC.  The
    ISO text has seven fractional digits, as Log Analytics and Defender write
    their own times.

    >>> from_portal_time("2/25/2025, 9:19:25.391 AM"), from_portal_time("11/29/2026, 12:05:00 AM")
    ('2025-02-25T09:19:25.3910000Z', '2026-11-29T00:05:00.0000000Z')
    >>> from_portal_time("May 7, 2024 6:41:25.321 PM"), from_portal_time("May 7, 2024 18:41:25")
    ('2024-05-07T18:41:25.3210000Z', '2024-05-07T18:41:25.0000000Z')
    >>> from_portal_time("13/1/2025, 9:19:25 AM"), from_portal_time("2/25/2025 09:19:25")
    (None, None)
    """
    found = _PORTAL_TIME.fullmatch(text.strip())
    if found is None:
        return None
    month, day, month_name, named_day, year, hour, minute, second, fraction, half = found.groups()
    clock = int(hour)
    if half is not None:
        twelve = twelve_hour(clock, half)
        if twelve is None:
            return None
        clock = twelve
    elif month_name is None:
        return None  # 05/12/2024 18:41:25: May 12th or December 5th
    number = _MONTHS.get(month_name) if month_name is not None else int(month)
    try:
        moment = datetime(int(year), number or 0, int(day or named_day), clock, int(minute), int(second))
    except ValueError:
        return None
    return f"{moment.isoformat()}.{(fraction or '').ljust(7, '0')}Z"


def twelve_hour(hour: int, half: str) -> int | None:
    """The 24-hour hour of a 12-hour clock's ``hour`` and ``AM``/``PM`` (any case); None out of 1-12.

    >>> twelve_hour(12, "AM"), twelve_hour(12, "pm"), twelve_hour(1, "PM"), twelve_hour(13, "PM")
    (0, 12, 13, None)
    """
    if not 1 <= hour <= 12:
        return None
    return hour % 12 + (12 if half.upper() == "PM" else 0)


def portal_time_or_value(value: object) -> object:
    """``value`` as ISO 8601 when it is a portal's time text (:func:`from_portal_time`), else as it is.

    Cheap for the usual values: ISO text starts with a digit and ends with one or ``Z``.

    >>> portal_time_or_value("2/25/2025, 9:19:25.391 AM"), portal_time_or_value("2025-02-25T09:19:25Z")
    ('2025-02-25T09:19:25.3910000Z', '2025-02-25T09:19:25Z')
    """
    if value.__class__ is str and (value[-1:] == "M" or value[:1].isalpha()):  # type: ignore[index]
        return from_portal_time(value) or value  # type: ignore[arg-type]
    return value
