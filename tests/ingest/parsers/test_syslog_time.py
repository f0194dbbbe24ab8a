"""The syslog time rules: the RFC 3164 year (injected clock, no real time) and RFC 5424 NILVALUE."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog import SyslogParser

PARSER = SyslogParser()


def _at(moment: str) -> float:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC).timestamp()


def _dated(line: str, now: str, zone: str = "UTC", year: int | None = None) -> str:
    """The UTC time the parser gives ``line`` when the clock reads ``now`` (UTC)."""
    fixed = _at(now)
    context = ParseContext(default_timezone=zone, reference_year=year, clock=lambda: fixed)
    (event,) = PARSER.parse(line, context)
    return datetime.fromtimestamp(event.ts, UTC).strftime("%Y-%m-%dT%H:%M:%S")


# (clock in UTC, source zone, RFC 3164 date, the event's time in UTC)
YEAR_CASES = {
    # local now is 2027-01-01 01:00 in Auckland: the line is 30 minutes old, not a year
    "new-year-in-auckland-30-minutes-old": (
        "2026-12-31T12:00:00", "Pacific/Auckland", "Jan  1 00:30:00", "2026-12-31T11:30:00"),
    # a sender 90 s ahead of the collector crosses New Year first: next year, not a year back
    "sender-slightly-ahead-at-new-year": (
        "2026-12-31T23:59:00", "UTC", "Jan  1 00:00:30", "2027-01-01T00:00:30"),
    # UTC+14: New Year there while UTC still has ten and a half hours of December
    "kiritimati-utc-plus-14": (
        "2026-12-31T10:30:00", "Pacific/Kiritimati", "Jan  1 00:15:00", "2026-12-31T10:15:00"),
    # UTC-11: still 31 December there, already 1 January in UTC
    "pago-pago-utc-minus-11": (
        "2027-01-01T05:00:00", "Pacific/Pago_Pago", "Dec 31 17:00:00", "2027-01-01T04:00:00"),
    "eleven-months-ago": ("2026-11-29T00:00:00", "UTC", "Dec 29 10:00:00", "2025-12-29T10:00:00"),
    "earlier-this-year": ("2026-11-29T00:00:00", "UTC", "Jan 15 10:00:00", "2026-01-15T10:00:00"),
    "exactly-one-day-ahead-is-tolerated": (
        "2026-06-15T00:00:00", "UTC", "Jun 16 00:00:00", "2026-06-16T00:00:00"),
    "more-than-one-day-ahead-is-last-year": (
        "2026-06-15T00:00:00", "UTC", "Jun 16 00:00:01", "2025-06-16T00:00:01"),
    # 29 February: candidate years without one are skipped
    "feb-29-this-leap-year": ("2028-03-10T00:00:00", "UTC", "Feb 29 12:00:00", "2028-02-29T12:00:00"),
    "feb-29-hours-ahead-in-a-leap-year": (
        "2028-02-28T23:00:00", "UTC", "Feb 29 06:00:00", "2028-02-29T06:00:00"),
    "feb-29-in-a-non-leap-year-is-the-last-leap-year": (
        "2027-06-01T00:00:00", "UTC", "Feb 29 12:00:00", "2024-02-29T12:00:00"),
    "feb-29-next-year-is-too-far-ahead": (
        "2027-12-31T00:00:00", "UTC", "Feb 29 12:00:00", "2024-02-29T12:00:00"),
}


@pytest.mark.parametrize(("now", "zone", "date", "expected"), YEAR_CASES.values(), ids=YEAR_CASES)
def test_3164_year_is_the_nearest_to_now_in_the_source_zone(now: str, zone: str, date: str, expected: str) -> None:
    assert _dated(f"<13>{date} host app: x", now, zone) == expected


def test_3164_reference_year_wins_over_the_clock() -> None:
    assert _dated("Jun 14 15:16:01 combo ftpd[1]: x", "2026-11-29T00:00:00", year=2005) == "2005-06-14T15:16:01"
    # a date after "now" is the reference year's all the same: the year is given, not guessed
    assert _dated("Dec 30 00:00:00 h app: x", "2026-01-01T00:00:00", year=2026) == "2026-12-30T00:00:00"


def test_3164_reference_year_without_february_29_moves_to_the_last_leap_year() -> None:
    assert _dated("Feb 29 12:00:00 h app: x", "2026-11-29T00:00:00", year=2023) == "2020-02-29T12:00:00"


def test_3164_default_clock_is_the_real_time() -> None:
    two_days_ago = datetime.fromtimestamp(time.time() - 2 * 86400, UTC).replace(microsecond=0)
    line = f"{two_days_ago:%b} {two_days_ago.day:2d} {two_days_ago:%H:%M:%S} h app: x"
    (event,) = PARSER.parse(line, ParseContext())
    assert event.ts == two_days_ago.timestamp()


def test_3164_impossible_dates_are_rejected() -> None:
    with pytest.raises(ParseError, match="invalid RFC 3164 date: month 4 day 31"):
        _dated("Apr 31 00:00:00 h app: x", "2026-06-01T00:00:00")


def test_5424_nil_timestamp_of_a_plain_message_is_rejected_naming_the_rule() -> None:
    with pytest.raises(ParseError, match=r"NILVALUE.*no receipt time"):
        list(PARSER.parse("<13>1 - web-01 app - - - disk full", ParseContext()))


def test_5424_nil_timestamp_takes_the_time_a_cef_payload_carries() -> None:
    line = "<13>1 - fw-01 - - - - CEF:0|V|P|1|s|Blocked|5|rt=1709632808000 src=203.0.113.9"
    (event,) = PARSER.parse(line, ParseContext())
    assert event.ts == _at("2024-03-05T10:00:08") and event.host == "fw-01"
    with pytest.raises(ParseError, match=r"without rt/end/start, and the RFC 5424 TIMESTAMP is NILVALUE"):
        list(PARSER.parse("<13>1 - fw-01 - - - - CEF:0|V|P|1|s|Blocked|5|src=203.0.113.9", ParseContext()))


def test_5424_nil_timestamp_takes_the_time_a_cee_windows_payload_carries() -> None:
    own_time = ('<13>1 - WS-1 nxlog - - - @cee: {"EventID": 4624, "Hostname": "WS-1", '
                '"Channel": "Security", "EventTime": "2024-03-05 10:00:00", "LogonType": "3"}')
    (event,) = PARSER.parse(own_time, ParseContext())
    assert event.kind == "winsec:logon" and event.ts == _at("2024-03-05T10:00:00")
    evntslog = '<13>1 - WS-1 EvntSLog - - - @cee: {"source": "WS-1", "nteventlogtype": "System", "id": "7036"}'
    with pytest.raises(ParseError, match=r"@cee Windows event: no timestamp .*NILVALUE"):
        list(PARSER.parse(evntslog, ParseContext()))


RECEIVED = 1764374400.25  # 2025-11-29T00:00:00.25Z: a listener's receipt time


@pytest.mark.parametrize("line", [
    "<13>1 - web-01 app - - - disk full",
    "<13>1 - fw-01 - - - - CEF:0|V|P|1|s|Blocked|5|src=203.0.113.9",
    '<13>1 - WS-1 EvntSLog - - - @cee: {"source": "WS-1", "nteventlogtype": "System", "id": "7036"}',
])
def test_5424_nil_timestamp_from_a_live_source_takes_its_receipt_time_marked(line: str) -> None:
    (event,) = PARSER.parse(line, ParseContext(received_at=RECEIVED))
    assert event.ts == RECEIVED and event.fields["log.syslog.time_source"] == "receipt"


def test_a_time_of_its_own_wins_over_the_receipt_time() -> None:
    context = ParseContext(received_at=RECEIVED)
    dated = [
        "<13>1 2024-03-05T10:00:00Z web-01 app - - - disk full",
        "<13>1 - fw-01 - - - - CEF:0|V|P|1|s|Blocked|5|rt=1709632800000 src=203.0.113.9",
    ]
    for line in dated:
        (event,) = PARSER.parse(line, context)
        assert event.ts == _at("2024-03-05T10:00:00") and "log.syslog.time_source" not in event.fields
