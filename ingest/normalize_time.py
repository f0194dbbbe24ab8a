"""Timestamps: epoch counts in any unit and ISO-8601 text, as epoch seconds (UTC).

Part of :mod:`ingest.normalize` (which re-exports every public name).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

_SYSMON_UTC = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# Epoch units by magnitude: each unit's range starts where the previous one's
# ends, 1e11 seconds (year 5138) = 1e11 ms (1973-03-03) and so on up.
_EPOCH_UNITS = ((1e11, 1), (1e14, 1_000), (1e17, 1_000_000))


def epoch_seconds(number: int | float) -> float:
    """Epoch seconds from an epoch count in s, ms, us or ns, told apart by magnitude.

    Below 1e11 it is seconds (up to year 5138); below 1e14 milliseconds, below
    1e17 microseconds, else nanoseconds, each from 1973-03-03 on (an earlier
    millisecond or finer count reads as seconds).  Raises ``ValueError`` for a
    value that is not finite.

    >>> epoch_seconds(1772359200), epoch_seconds(1772359200123), epoch_seconds(1772359200123456)
    (1772359200.0, 1772359200.123, 1772359200.123456)
    >>> epoch_seconds(1772359200123456789)
    1772359200.1234567
    """
    size = abs(number)
    if not math.isfinite(size):
        raise ValueError(f"not a finite epoch time: {number!r}")
    for limit, per_second in _EPOCH_UNITS:
        if size < limit:
            return number / per_second
    return number / 1_000_000_000


def parse_timestamp(value: object, *, default_timezone: str = "UTC") -> float:
    """Epoch seconds (UTC) from the timestamp shapes of the corpus.

    Accepted: epoch numbers and epoch strings in seconds, milliseconds,
    microseconds or nanoseconds, told apart by magnitude (:func:`epoch_seconds`),
    ISO-8601 with ``Z``, ``+02:00`` or ``+0200`` offsets, and zone-less
    ``YYYY-MM-DD[ T]HH:MM:SS[.fff]``.  Zone-less values are read in
    ``default_timezone`` (the documented rule: Sysmon ``UtcTime`` is UTC by
    definition; other zone-less fields use the configured source zone).
    """
    if value is None or isinstance(value, bool):
        raise ValueError("missing timestamp")
    if isinstance(value, int | float):
        return epoch_seconds(value)
    text = str(value).strip()
    if not text:
        raise ValueError("empty timestamp")
    if text.isascii() and text.lstrip("-").isdigit():
        return epoch_seconds(int(text))  # an int keeps a nanosecond count exact
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        return epoch_seconds(number)
    iso = text.replace(" ", "T", 1) if _SYSMON_UTC.match(text) else text
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    # +0200 -> +02:00 (EVE writes offsets without a colon)
    if len(iso) > 5 and iso[-5] in "+-" and iso[-4:].isascii() and iso[-4:].isdigit() and "T" in iso:
        iso = iso[:-2] + ":" + iso[-2:]
    # Python < 3.12 fromisoformat accepts only 3 or 6 fractional digits
    iso = re.sub(r"(\.\d{6})\d+", r"\1", iso)
    iso = re.sub(r"\.(\d{1,5})(?=[+-]|$)", lambda m: "." + m.group(1).ljust(6, "0"), iso)
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"unrecognised timestamp {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(default_timezone))
    return moment.astimezone(UTC).timestamp()
