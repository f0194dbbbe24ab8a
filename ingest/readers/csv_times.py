"""Local-time columns of CSV exports: ``X [Local Time]`` read in the export's zone.

Part of the CSV reader (:mod:`ingest.readers.csv_rows`).  The Log Analytics
(Sentinel) portal writes a ``datetime`` column under ``X [UTC]`` when it shows
UTC, and under ``X [Local Time]`` when the user set the portal to local time:
the values are then wall-clock times of the user's zone, with nothing in the
text saying which zone.  Read as UTC they are off by the zone's offset (up to
14 hours): a process start and the connection it made would be ordered by the
analyst's desk, not by the attack.

So a ``[Local Time]`` column is read only in a zone the ingest is given
(``graphsiem ingest --timezone``, the API's ``timezone``): each value becomes
ISO 8601 with that zone's offset at that moment (``2/25/2025, 10:19:25.391 AM``
in ``Europe/Berlin`` -> ``2025-02-25T10:19:25.3910000+01:00``), the wall-clock
text kept as written and the instant made explicit, which every parser reads.
Without a zone the rows are rejected (:func:`no_zone_reason`): a rejection can
be re-ingested with the zone, while a row journaled at a guessed instant stays
there (and the same row read again in its right zone would be a second event,
its id being over its time).

Clock changes, by a written rule:

* A time the clocks skipped (the spring-forward gap, ``2:30 AM`` on the day
  Europe/Berlin goes from 02:00 to 03:00) is no time of that zone: a portal
  showing real instants in it never writes one.  The value is rejected, with
  the reason: the zone given is likely not the export's.
* A time the clocks repeated (the fall-back hour, ``2:30 AM`` twice) is the
  **earlier** instant (``fold=0``: the offset before the change, e.g. ``+02:00``
  for Europe/Berlin in October).  The text cannot tell the two apart; the rule
  is fixed so that the same export always gives the same instants.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ingest.host_clocks import offset_text
from ingest.parsers.portal_times import from_portal_time

LOCAL_TIME_SUFFIX = " [Local Time]"
"""Log Analytics' portal names a ``datetime`` column ``TimeGenerated [Local Time]`` when set to local time."""

_ZONELESS_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?", re.ASCII)
"""A zone-less ISO 8601 time (a Defender export in a locale that writes ISO): date, clock, fraction."""

_ZONED_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:?\d{2})", re.ASCII)
"""An ISO 8601 time that says its own zone: kept as it is, whatever the header says."""

_FRACTION_DIGITS = 7
"""Fractional digits of the ISO text made, as Log Analytics and Defender write their own times."""


def is_local_time_column(name: str) -> bool:
    """Whether a header cell marks a column of local times (``X [Local Time]``).

    >>> is_local_time_column("TimeGenerated [Local Time]"), is_local_time_column("TimeGenerated [UTC]")
    (True, False)
    """
    return name.endswith(LOCAL_TIME_SUFFIX)


def no_zone_reason(column: str) -> str:
    """Why a row with a value in the local-time column ``column`` (as the header wrote it) is not read."""
    return (f"CSV column {column[:80]!r} holds local times of a zone the export does not say; read as UTC "
            "they could be shifted by up to 14 hours. Ingest the file again with the zone it was exported "
            "in (graphsiem ingest --timezone ZONE; the API's ?timezone=ZONE), e.g. Europe/Berlin")


def local_time_iso(text: str, zone: ZoneInfo) -> str:
    """A local-time value of an export as ISO 8601 with ``zone``'s offset at that time.

    Read: a portal's time (``2/25/2025, 9:19:25.391 AM``, ``May 7, 2024 6:41:25 PM``:
    :func:`~ingest.parsers.portal_times.from_portal_time`) and zone-less ISO 8601
    (``2025-02-25 09:19:25.391``); an ISO time with its own ``Z`` or offset is kept as
    written.  A repeated hour is its earlier instant (module docstring).

    Raises
    ------
    ValueError
        The text is no time read here, a time the zone's clocks skipped, or a
        time whose instant falls outside years 1 to 9999 UTC (``0001-01-01 00:30:00``
        in Europe/Berlin); the message says which.

    Examples
    --------
    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> local_time_iso("2/25/2025, 10:19:25.391 AM", berlin)
    '2025-02-25T10:19:25.3910000+01:00'
    >>> local_time_iso("2025-07-01 12:00:00", berlin), local_time_iso("10/26/2025, 2:30:00 AM", berlin)
    ('2025-07-01T12:00:00.0000000+02:00', '2025-10-26T02:30:00.0000000+02:00')
    """
    stripped = text.strip()
    found = _ZONELESS_ISO.fullmatch(stripped)
    if found is None:
        portal = from_portal_time(stripped)  # its wall clock, written with a Z that is not meant here
        found = _ZONELESS_ISO.fullmatch(portal.removesuffix("Z")) if portal is not None else None
    if found is None:
        if _ZONED_ISO.fullmatch(stripped):
            return stripped
        raise ValueError(f"{stripped[:40]!r} is not a time read here (a portal's month-first "
                         "'2/25/2025, 9:19:25.391 AM' or ISO 8601)")
    date, clock, fraction = found.groups()
    try:
        wall = datetime.fromisoformat(f"{date}T{clock}")
    except ValueError:
        raise ValueError(f"{stripped[:40]!r} is not a date and time") from None
    moment = wall.replace(tzinfo=zone)  # fold=0: of a repeated hour, the earlier instant
    try:
        round_trip = moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    except OverflowError:  # its UTC instant is before year 1 or after 9999: no datetime holds it
        raise ValueError(f"{stripped[:40]!r} in {zone.key} is an instant outside years 1 to 9999 UTC "
                         "(the range of times read here)") from None
    if round_trip != wall:
        raise ValueError(f"{stripped[:40]!r} does not exist in {zone.key} (the clocks skipped it): "
                         "the export was not written in that zone")
    offset = moment.utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    digits = (fraction or "")[:_FRACTION_DIGITS].ljust(_FRACTION_DIGITS, "0")
    return f"{date}T{clock}.{digits}{offset_text(offset.total_seconds())}"
