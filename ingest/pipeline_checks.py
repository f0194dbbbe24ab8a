"""What the pipeline checks of a parser's output, and the text it keeps of a rejected record.

Plausible event times
---------------------
Every event's time must lie in the window from 1990-01-01 UTC to the
ingest's clock (``time.time()``, read once a batch) plus one day
(:func:`ingest.parsers.base.plausible_window`, which the parsers' own time
checks share), whatever the parser; a record with an event outside it is
rejected with a reason naming the time and the window.
A Windows ``UtcTime`` of 1601-01-01 or 9999-12-31, a Zeek ``ts`` in the year
5138, are corrupt values: one such event would date an entity's first or last
sighting centuries away and make a new domain look old.  ``time_window``
(``ingest_paths``/``ingest_records``) replaces the window, e.g. for archives
dated before 1990.
"""

from __future__ import annotations

import math
from typing import Any, cast

import orjson

from graphsiem.model import Event, epoch_to_iso

MAX_RAW_CHARS = 100_000
"""Rejected raw text kept per record (a megabyte of garbage need not be kept whole)."""


def check_events(events: list[Any], earliest: float, latest: float) -> str | None:
    """Why a parser's output is unusable (a parser bug or an implausible time), or None."""
    for event in events:
        if is_plain(event, earliest, latest):
            continue
        problem = check_event(event, earliest, latest)
        if problem is not None:
            return problem
    return None


def is_plain(event: Any, earliest: float, latest: float) -> bool:
    """The fast check: an Event of exact types, as every parser makes them, at a plausible time.

    The window check also refuses NaN and infinities (every comparison with
    NaN is false), so it replaces the finiteness test ``ts - ts == 0.0``.
    """
    return (
        event.__class__ is Event
        and event.ts.__class__ is float
        and earliest <= event.ts <= latest
        and event.kind.__class__ is str
        and event.kind != ""
        and event.fields.__class__ is dict
        and (event.host is None or event.host.__class__ is str)
        and event.origin.__class__ is str
        and event.source.__class__ is str
    )


def check_event(event: Any, earliest: float, latest: float) -> str | None:
    """The full check of one event (any types): the reason it is unusable, or None."""
    if not isinstance(event, Event):
        return f"parser returned {type(event).__name__}, not an Event"
    if not isinstance(event.ts, int | float) or isinstance(event.ts, bool) or not math.isfinite(event.ts):
        return f"event has no valid time (ts={event.ts!r})"
    if not earliest <= event.ts <= latest:
        return (
            f"event time {time_text(event.ts)} is outside the plausible window "
            f"{time_text(earliest)} .. {time_text(latest)}"
        )
    if not isinstance(event.kind, str) or not event.kind:
        return "event has no kind"
    if not isinstance(event.fields, dict):
        return "event fields are not a mapping"
    if event.host is not None and not isinstance(event.host, str):
        return f"event host is a {type(event.host).__name__}, not text"
    if not isinstance(event.origin, str) or not isinstance(event.source, str):
        return "event origin/source is not text"
    return None


def time_text(ts: float) -> str:
    """``ts`` as ISO-8601 UTC, or as the number where no calendar date can show it (past 9999)."""
    try:
        return cast(str, epoch_to_iso(ts))
    except (ValueError, OverflowError, OSError):
        return repr(ts)




def reason_of(exc: BaseException) -> str:
    """The rejection reason for a parser's exception: a ParseError's own words, else its type and text."""
    from ingest.parsers.base import ParseError

    if isinstance(exc, ParseError):
        return str(exc) or "unparseable record"
    return f"{type(exc).__name__}: {exc}"


def raw_of(record: Any, text: str) -> str:
    """The raw JSON of a record whose text is canonical: that text when it is the object's, else a dump."""
    return text if record.__class__ is dict and text[:1] == "{" and text[-1:] == "}" else dump_record(record)


def dump_record(record: Any) -> str:
    """JSON text of anything a client may send (falls back to ``repr`` for what JSON cannot hold)."""
    try:
        return orjson.dumps(record, default=str).decode("utf-8")
    except (TypeError, ValueError):
        pass
    try:
        return orjson.dumps(repr(record)[:MAX_RAW_CHARS]).decode("utf-8")
    except RecursionError:
        # A deeply nested value (a JSON body of [[[[...]]]]) defeats repr too;
        # the rejection must still be kept, so keep a description instead.
        return orjson.dumps(f"<{type(record).__name__} nested too deeply to keep>").decode()
