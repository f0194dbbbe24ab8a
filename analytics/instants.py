"""Read the end of a detection window (``now``) from what people type or hold.

``detect(now=...)`` works in epoch seconds; a notebook holds a ``datetime`` or
a timestamp, and ``graphsiem detect --now`` gets text.  One reader for all, so
a naive time (no zone: local or UTC?) is refused the same way everywhere
instead of being read in the machine's zone.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any


def instant_to_epoch(value: Any) -> float:
    """Epoch seconds of ``value``: a number (epoch seconds), an aware ``datetime``
    (or pandas ``Timestamp``) or ISO-8601 text with a zone (``Z`` or ``+hh:mm``).

    Raises
    ------
    ValueError
        Text that is not ISO-8601, a time without a zone, or a number that is not finite.

    Examples
    --------
    >>> instant_to_epoch("2026-11-02T00:00:00Z")
    1793577600.0
    >>> instant_to_epoch("2026-11-02T01:00+01:00")
    1793577600.0
    >>> instant_to_epoch("2026-11-02 00:00")
    Traceback (most recent call last):
    ...
    ValueError: now '2026-11-02 00:00' has no time zone: add Z (UTC) or an offset such as +01:00
    """
    if isinstance(value, bool):
        raise ValueError(f"now must be a time, got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"now must be a finite number of epoch seconds, got {value!r}")
        return float(value)
    shown = value
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise ValueError(f"now {value!r} is not an ISO-8601 time such as 2026-11-02T00:00:00Z") from None
        value = parsed
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"now {str(shown)!r} has no time zone: add Z (UTC) or an offset such as +01:00")
        return value.timestamp()
    raise ValueError(f"now must be epoch seconds, an aware datetime or ISO-8601 text, got {type(value).__name__}")
