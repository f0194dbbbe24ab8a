"""The Windows time rule's fast path: its memo tables change no answer and stay bounded."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import windows_time
from ingest.parsers.base import ParseError
from ingest.parsers.windows_time import event_time


def _exact(moment: datetime, fraction: str) -> float:
    """Whole UTC seconds plus the written fraction, as one correctly rounded division."""
    seconds = float(calendar.timegm(moment.timetuple()))
    return seconds + int(fraction) / 10 ** len(fraction) if fraction else seconds


@pytest.fixture
def empty_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    for table in ("_seconds", "_fractions", "_minutes", "_midnights"):
        monkeypatch.setattr(windows_time, table, {})


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2025, 12, 31)),  # the window
    digits=st.text(alphabet="0123456789", max_size=7),
)
def test_remembered_times_equal_the_exact_value(moment: datetime, digits: str) -> None:
    text = moment.strftime("%Y-%m-%d %H:%M:%S") + (f".{digits}" if digits else "")
    expected = _exact(moment, digits)
    for _ in range(2):  # the second read comes from the memo tables
        assert event_time({"UtcTime": text}, None, "UTC") == expected
        assert event_time({}, text.replace(" ", "T") + "Z", "UTC") == expected


def test_seconds_table_is_cleared_when_full(monkeypatch: pytest.MonkeyPatch, empty_tables: None) -> None:
    monkeypatch.setattr(windows_time, "_SECONDS_LIMIT", 4)
    for round_ in range(2):
        for second in range(10):
            moment = datetime(2024, 3, 5, 10, 0, second)
            assert event_time({"UtcTime": f"2024-03-05 10:00:{second:02d}.250"}, None, "UTC") == _exact(moment, "250")
        assert len(windows_time._seconds) <= 4, round_


def test_only_short_valid_fractions_are_remembered(empty_tables: None) -> None:
    assert event_time({}, "2024-03-05T10:00:00.1234567Z", "UTC") == _exact(datetime(2024, 3, 5, 10), "1234567")
    assert event_time({}, "2024-03-05T10:00:00.5Z", "UTC") == _exact(datetime(2024, 3, 5, 10), "5")
    with pytest.raises(ParseError, match="bad timestamp"):
        event_time({}, "2024-03-05T10:00:00.5xZ", "UTC")
    assert list(windows_time._fractions) == [".5"]


@pytest.mark.parametrize(
    ("utc", "record_time", "fraction"),
    [
        ("2024-03-05 10:00:00.250Z", None, "250"),  # a known second, a fraction with a zone letter
        ("2024-03-05 10:00:00", None, ""),  # a known second, no fraction
        (None, "2024-03-05T10:00:00Z", ""),
        (None, "2024-03-05T10:00:00.250z", "250"),  # lower-case zone letter
        (None, "2024-03-05T10:00:00.2500000Z", "2500000"),  # a fraction too long to remember
    ],
)
def test_known_seconds_with_other_tails_read_exactly(utc: str | None, record_time: str | None, fraction: str) -> None:
    moment = datetime(2024, 3, 5, 10)
    # the second and the fraction ".250" are remembered first, by the common forms
    assert event_time({"UtcTime": "2024-03-05 10:00:00.250"}, None, "UTC") == _exact(moment, "250")
    assert event_time({}, "2024-03-05T10:00:00.250Z", "UTC") == _exact(moment, "250")
    data = {} if utc is None else {"UtcTime": utc}
    assert event_time(data, record_time, "UTC") == _exact(moment, fraction)


# outside the window (1990 to a day past the clock): 2099 is a corrupt value as much as 9999, and a
# device with an unset clock writes 1970
@pytest.mark.parametrize("day", ["9999-12-31", "1601-01-01", "2100-01-01", "1969-12-31", "1970-01-01",
                                 "1989-12-31", "2099-12-31"])
@pytest.mark.parametrize("is_warm", [False, True])
def test_the_fast_path_refuses_times_outside_the_documented_range(day: str, is_warm: bool) -> None:
    # Before, the fast path returned these (1601 is Windows' zero FILETIME) and
    # only the general parser's checked_time applied the 1970-2099 range.
    if is_warm:  # the same day and second already read once: the memo lookups must not let it in
        with pytest.raises(ParseError):
            event_time({"UtcTime": f"{day} 23:59:59.999"}, None, "UTC")
    with pytest.raises(ParseError, match="out of range"):
        event_time({}, f"{day}T23:59:59.999Z", "UTC")
    with pytest.raises(ParseError, match="out of range"):
        event_time({}, f"{day}T23:59:59Z", "UTC")
    # an implausible UtcTime is a malformed one: the record's own time dates the event
    moment = datetime(2024, 3, 5, 10)
    assert event_time({"UtcTime": f"{day} 23:59:59.999"}, "2024-03-05T10:00:00Z", "UTC") == _exact(moment, "")
    with pytest.raises(ParseError, match="out of range"):
        event_time({"UtcTime": f"{day} 23:59:59.999"}, f"{day}T23:59:59Z", "UTC")


@pytest.mark.parametrize(("day", "expected"), [("1990-01-01", 631152000.0)])
def test_the_fast_path_keeps_the_ends_of_its_range(day: str, expected: float) -> None:
    assert event_time({"UtcTime": f"{day} 00:00:00"}, None, "UTC") == expected
    assert event_time({}, f"{day}T00:00:00Z", "UTC") == expected
    now = time.time()  # and today, and up to a day past the clock
    for moment in (now, now + 86000):
        text = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S")
        assert event_time({"UtcTime": text}, None, "UTC") == float(int(moment))
