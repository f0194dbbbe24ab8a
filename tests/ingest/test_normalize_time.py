"""Timestamps and epoch counts (:mod:`ingest.normalize_time`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.normalize_time import parse_timestamp

MOMENT = 1772359200.123456  # 2026-03-01T10:00:00.123456Z


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1772359200, 1772359200.0),  # seconds
        (1772359200.5, 1772359200.5),
        ("1772359200", 1772359200.0),
        (1772359200123, 1772359200.123),  # milliseconds
        ("1772359200123", 1772359200.123),
        (1772359200123456, MOMENT),  # microseconds (failed with "year out of range")
        ("1772359200123456", MOMENT),
        (1772359200123456789, 1772359200.1234567),  # nanoseconds
        ("1772359200123456789", 1772359200.1234567),
        (1.772359200123456e18, MOMENT),
        (99_999_999_999, 99_999_999_999.0),  # the last second count: year 5138
        (100_000_000_000, 100_000_000.0),  # the first millisecond count: 1973-03-03
        (0, 0.0),
        ("-86400", -86400.0),
    ],
)
def test_epoch_times_by_magnitude(value: object, expected: float) -> None:
    ts = parse_timestamp(value)
    assert ts == pytest.approx(expected, abs=1e-6)
    datetime.fromtimestamp(ts, UTC)  # a real moment, not "year out of range"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "inf", "nan"])
def test_epoch_times_that_are_not_finite_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(value)
