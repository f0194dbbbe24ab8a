"""Zeek values in the shared normal form: ``zeek.<key>`` names, epoch times, microseconds.

Split from :mod:`ingest.parsers.zeek` (which re-exports :func:`round_micro`
and :data:`MILLIS_FROM`): the rules that make the TSV and JSON copies of one
log give identical fields, and the record's ``ts`` as epoch seconds.  The
hot loop of Zeek ingest is :func:`_zeek_fields`, once per record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ingest.normalize import epoch_seconds, parse_timestamp
from ingest.parsers.base import ParseError

# "zeek.<key>" for every key seen, interned so no record builds the same string
# again; the keys that are not fields map to "".
_FIELD_NAMES: dict[str, str] = {"_path": "", "_write_ts": "", "ts": ""}


_NAME_CACHE_LIMIT = 65536


def _field_name(key: str) -> str:
    name = "zeek." + key
    if len(_FIELD_NAMES) < _NAME_CACHE_LIMIT:  # bounded: keys are attacker-controlled
        _FIELD_NAMES[key] = name
    return name


def _iso_to_epoch(value: str) -> float:
    try:
        # Fast path: Python >= 3.11 reads Zeek's "...T..:..:..ffffffZ" directly.
        moment = _fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        # zone-less or unusual shapes: the shared, documented rules
        return round(parse_timestamp(value), 6)
    # An aware datetime's timestamp() is its whole microseconds / 10**6,
    # correctly rounded, which round(_, 6) returns unchanged (see round_micro);
    # skipping that round saves a decimal conversion per time value.
    return moment.timestamp()


_fromisoformat = datetime.fromisoformat


def round_micro(value: float) -> float:
    """``round(value, 6)``, cheaper for a value that is already whole microseconds.

    A double ``x`` that is the nearest double to ``k / 10**6`` for an integer
    ``k`` (the value of a time read from text with at most six decimals) comes
    back from ``round(x, 6)`` unchanged: below 2**33 s, ``x`` lies within half
    an ulp (< 0.5 us) of ``k / 10**6``, which is therefore the six-place
    decimal ``round`` converts back to ``x``; above, doubles are coarser than
    a microsecond and any six-place decimal within 0.5 us converts back to
    ``x``.  ``k / 1e6`` (one correctly rounded division) tests that cheaply.

    >>> round_micro(1521911725.396014), round_micro(0.000431060791015625)
    (1521911725.396014, 0.000431)
    """
    if -1e15 < value < 1e15:  # also false for NaN
        if round(value * 1e6) / 1e6 == value:
            return value
    return round(value, 6)


def _normal_text(value: str) -> str | float:
    # brim's JSON writes Zeek ``time`` values as ISO-8601 with a Z
    if len(value) >= 20 and value[-1] == "Z" and value[10] == "T" and value[4] == "-":
        try:
            return _iso_to_epoch(value)
        except (ValueError, OverflowError):
            return value
    return value


def _normal_value(value: Any) -> Any:
    """One Zeek value in the shared normal form (times as epoch, floats to microseconds)."""
    kind = type(value)
    if kind is float:
        return round(value, 6)
    if kind is str:
        return _normal_text(value)
    if kind is list:
        return [_normal_value(item) for item in value]
    return value


def _zeek_fields(record: dict[str, Any]) -> dict[str, Any] | None:
    """``zeek.<key>`` fields of a flat record; ``None`` when a value is a nested object."""
    fields: dict[str, Any] = {}
    names = _FIELD_NAMES
    for key, value in record.items():
        # the hot loop of Zeek ingest: _normal_value inlined for the common types
        try:
            name = names[key]  # a subscript is cheaper than .get() for the usual hit
        except KeyError:
            name = _field_name(key)
        if not name:
            continue
        kind = type(value)
        if kind is str:
            if len(value) >= 20 and value[-1] == "Z":
                value = _normal_text(value)
        elif kind is not int:
            if kind is float:
                value = round(value, 6)
            elif kind is list:
                value = _normal_value(value)
            elif kind is dict:
                return None
        fields[name] = value
    return fields


def _dotted(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"id": {"orig_h": x}}`` -> ``{"id.orig_h": x}``, as Zeek itself writes it."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(_dotted(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


MILLIS_FROM = 1e11
"""A numeric ``ts`` this large or larger is milliseconds (:func:`ingest.normalize.epoch_seconds`).

As seconds it would be after the year 5138; as milliseconds it is after
1973-03-03.  Any ``ts`` in seconds an ingest accepts (up to a day past its
clock) is below it, so a seconds value is never read as milliseconds."""


def _event_time(value: Any) -> float:
    kind = type(value)
    if kind is str:  # JSON logs (ISO-8601); the checks below, in the order of the common cases
        try:
            return _iso_to_epoch(value)
        except (ValueError, OverflowError) as error:
            raise ParseError(f"Zeek ts: {error}") from None
    if kind is float and -MILLIS_FROM < value < MILLIS_FROM:  # TSV rows and epoch-time JSON
        return round_micro(value)
    if isinstance(value, bool) or value is None:
        raise ParseError(f"Zeek record has no usable ts ({value!r})")
    if isinstance(value, int | float):
        # LogAscii::json_timestamps=JSON::TS_MILLIS writes integer milliseconds;
        # epoch_seconds tells them by magnitude (module docstring)
        try:
            return round(epoch_seconds(value), 6)
        except ValueError as error:
            raise ParseError(f"Zeek ts: {error}") from None
    if isinstance(value, str):
        try:
            return _iso_to_epoch(value)
        except (ValueError, OverflowError) as error:
            raise ParseError(f"Zeek ts: {error}") from None
    raise ParseError(f"Zeek ts has type {type(value).__name__}")
