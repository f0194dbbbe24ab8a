"""Fast timestamp texts for the hot path (hundreds of thousands per second).

``datetime.strftime`` dominated the simulator's profile; these helpers cache
the date part per day and do the time of day with integer arithmetic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

_DAY = 86400


@lru_cache(maxsize=4096)
def _date(day: int) -> str:
    return datetime.fromtimestamp(day * _DAY, tz=UTC).strftime("%Y-%m-%d")


def _split(ts: float) -> tuple[str, int, int, int, int]:
    millis = int(round(ts * 1000))
    seconds, ms = divmod(millis, 1000)
    day, rest = divmod(seconds, _DAY)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return _date(day), hours, minutes, secs, ms


def utc_text(ts: float) -> str:
    """Sysmon ``UtcTime``: ``2026-11-01 10:12:03.123``."""
    date, h, m, s, ms = _split(ts)
    return f"{date} {h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def iso_ms(ts: float) -> str:
    """ISO-8601 UTC with milliseconds: ``2026-11-01T10:12:03.123Z``."""
    date, h, m, s, ms = _split(ts)
    return f"{date}T{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z"
