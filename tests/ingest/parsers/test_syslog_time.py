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
    # the year is given, not guessed: a date of it more than a day after "now" is no plausible
    # event time, and the parser says so (as the pipeline's time window would)
    with pytest.raises(ParseError, match="out of range"):
        _dated("Dec 30 00:00:00 h app: x", "2026-01-01T00:00:00", year=2026)


def test_3164_reference_year_without_february_29_rejects_the_line_naming_the_date_and_year() -> None:
    # the year was given: dating the line in 2020 (as before) put it three years off, silently
    with pytest.raises(ParseError, match=r"^invalid RFC 3164 date: Feb 29 does not exist in 2023, "
                                         r"the given year \(--year 2023\)$"):
        _dated("Feb 29 12:00:00 h app: x", "2026-11-29T00:00:00", year=2023)
    assert _dated("Feb 29 12:00:00 h app: x", "2026-11-29T00:00:00", year=2024) == "2024-02-29T12:00:00"


def test_3164_feb_29_in_the_year_a_file_moved_on_to_is_judged_in_that_year() -> None:
    new_year = ["Dec 31 23:59:59 h app: x", "Feb 29 12:00:00 h app: x"]
    assert _dated_lines(new_year, year=2023) == ["2023-12-31T23:59:59", "2024-02-29T12:00:00"]
    with pytest.raises(ParseError, match=r"Feb 29 does not exist in 2023, the file's year after New Year "
                                         r"\(--year 2022\)"):
        _dated_lines(new_year, year=2022)


def test_3164_feb_29_through_the_pipeline_with_a_year_without_one(tmp_path) -> None:
    from ingest.journal import Journal
    from ingest.pipeline import ingest_paths

    path = tmp_path / "messages"
    path.write_text("Feb 28 23:59:59 h app: a\nFeb 29 00:00:00 h app: b\nMar  1 00:00:00 h app: c\n")
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False, reference_year=2023)
        dated = sorted(e.event.ts for e in journal.iter_events())
        reasons = [(r.origin, r.reason) for r in journal.rejected()]
    assert (report.total.received, report.total.accepted, report.total.rejected) == (3, 2, 1)
    assert dated == [_at("2023-02-28T23:59:59"), _at("2023-03-01T00:00:00")]
    assert reasons == [(f"{path}:2", "invalid RFC 3164 date: Feb 29 does not exist in 2023, the given year (--year 2023)")]


def test_cef_rt_feb_29_in_a_year_without_one_names_the_year() -> None:
    with pytest.raises(ParseError, match=r"CEF rt: invalid CEF date: Feb 29 does not exist in 2023"):
        list(PARSER.parse("CEF:0|V|FW|1|1|Allowed|3|rt=Feb 29 10:00:00 UTC", ParseContext(reference_year=2023)))


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
    assert event.ts == _at("2024-03-05T10:00:08") and event.fields["observer.name"] == "fw-01"
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


# -- RFC 3164 year with --year: New Year inside a file --------------------------------


def _dated_lines(lines: list[str], year: int | None = 2005, origin: str = "messages", now: str = "2026-11-29T00:00:00",
                 context: ParseContext | None = None) -> list[str]:
    """The UTC times of ``lines`` read in order as lines 1, 2, ... of one file."""
    fixed = _at(now)
    context = context or ParseContext(reference_year=year, clock=lambda: fixed)
    dated = []
    for number, line in enumerate(lines, 1):
        context.origin = f"{origin}:{number}"
        (event,) = PARSER.parse(line, context)
        dated.append(datetime.fromtimestamp(event.ts, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    return dated


def test_3164_reference_year_moves_to_the_next_year_at_new_year_in_a_file() -> None:
    lines = ["Dec 31 23:59:59 h app: x", "Jan  1 00:00:01 h app: x", "Mar  1 00:00:00 h app: x"]
    assert _dated_lines(lines) == ["2005-12-31T23:59:59", "2006-01-01T00:00:01", "2006-03-01T00:00:00"]


def test_3164_reference_year_keeps_the_year_for_a_line_written_late() -> None:
    # a line late across a month's end, and a late December line just after New Year
    lines = ["Mar 31 23:59:59 h app: x", "Apr  1 00:00:01 h app: x", "Mar 31 23:59:58 h app: x",
             "Dec 31 23:59:59 h app: x", "Jan  1 00:00:01 h app: x", "Dec 31 23:59:58 h app: x",
             "Jan  1 00:00:02 h app: x"]
    assert _dated_lines(lines) == [
        "2005-03-31T23:59:59", "2005-04-01T00:00:01", "2005-03-31T23:59:58",
        "2005-12-31T23:59:59", "2006-01-01T00:00:01", "2005-12-31T23:59:58", "2006-01-01T00:00:02",
    ]


def test_3164_each_file_starts_in_the_reference_year() -> None:
    context = ParseContext(reference_year=2005)
    december_then_january = ["Dec 31 23:59:59 h app: x", "Jan  1 00:00:01 h app: x"]
    assert _dated_lines(december_then_january, context=context, origin="a.log")[1] == "2006-01-01T00:00:01"
    # a second file, and the first file read again (its line numbers start over)
    assert _dated_lines(["Jan  5 00:00:00 h app: x"], context=context, origin="b.log") == ["2005-01-05T00:00:00"]
    assert _dated_lines(december_then_january, context=context, origin="b.log")[0] == "2005-12-31T23:59:59"
    assert _dated_lines(["Jan  5 00:00:00 h app: x"], context=context, origin="b.log") == ["2005-01-05T00:00:00"]


def test_3164_without_reference_year_each_line_stays_nearest_to_now() -> None:
    lines = ["Dec 31 23:59:59 h app: x", "Jan  1 00:00:01 h app: x"]
    assert _dated_lines(lines, year=None, now="2026-06-01T00:00:00") == ["2025-12-31T23:59:59", "2026-01-01T00:00:01"]


@pytest.mark.parametrize(("year", "before", "bad", "reason", "after"), [
    (2005, "Dec 31 23:59:59", "Apr 31 00:00:00", "month 4 day 31", "Jan  1 00:00:01"),
    (2023, "Feb 28 23:59:59", "Feb 29 00:00:00", "Feb 29 does not exist in 2023", "Mar  1 00:00:01"),
], ids=["no-such-day", "feb-29-in-a-common-year"])
def test_3164_a_rejected_date_does_not_move_the_file_on(year: int, before: str, bad: str, reason: str,
                                                        after: str) -> None:
    context = ParseContext(reference_year=year, origin="m:1")
    (first,) = PARSER.parse(f"{before} h app: x", context)
    context.origin = "m:2"
    with pytest.raises(ParseError, match=reason):
        list(PARSER.parse(f"{bad} h app: x", context))
    context.origin = "m:3"
    (then,) = PARSER.parse(f"{after} h app: x", context)
    assert then.ts - first.ts == 2.0


def test_3164_new_year_through_the_pipeline_with_a_given_year(tmp_path) -> None:
    from ingest.journal import Journal
    from ingest.pipeline import ingest_paths

    for name in ("a.log", "b.log"):  # two files: each starts in the given year
        (tmp_path / name).write_text(f"Dec 31 23:59:59 {name[0]} app: x\nJan  1 00:00:01 {name[0]} app: y\n")
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        report = ingest_paths([tmp_path / "a.log", tmp_path / "b.log"], store=None, journal=journal,
                              progress=False, reference_year=2005)
        assert report.total.accepted == 4
        dated = sorted((e.event.host, e.event.ts) for e in journal.iter_events())
    finally:
        journal.close()
    expected = [_at("2005-12-31T23:59:59"), _at("2006-01-01T00:00:01")]
    assert dated == [("a", expected[0]), ("a", expected[1]), ("b", expected[0]), ("b", expected[1])]


# -- CEF rt layouts ----------------------------------------------------------------------

CEF_TIMES = {
    "epoch-ms": ("1709287202000", "2024-03-01T10:00:02"),
    "MMM dd yyyy HH:mm:ss.SSS zzz": ("Mar 01 2024 10:00:02.250 UTC", "2024-03-01T10:00:02.250"),
    "MMM dd yyyy HH:mm:ss.SSS": ("Mar 01 2024 10:00:02.250", "2024-03-01T10:00:02.250"),
    "MMM dd yyyy HH:mm:ss zzz": ("Mar 01 2024 10:00:02 UTC", "2024-03-01T10:00:02"),
    "MMM dd yyyy HH:mm:ss": ("Mar 01 2024 10:00:02", "2024-03-01T10:00:02"),
    "MMM dd HH:mm:ss.SSS zzz": ("Mar 01 10:00:02.000 UTC", "2024-03-01T10:00:02"),
    "MMM dd HH:mm:ss.SSS": ("Mar 01 10:00:02.500", "2024-03-01T10:00:02.500"),
    "MMM dd HH:mm:ss zzz": ("Mar 01 10:00:02 GMT", "2024-03-01T10:00:02"),
    "MMM dd HH:mm:ss": ("Mar  1 10:00:02", "2024-03-01T10:00:02"),
    "GMT+00:00": ("Mar 01 2024 10:00:02 GMT+00:00", "2024-03-01T10:00:02"),
    "GMT-08:00": ("Mar 01 2024 02:00:02 GMT-08:00", "2024-03-01T10:00:02"),
    "bare-offset": ("Mar 01 2024 11:00:02 +0100", "2024-03-01T10:00:02"),
    "Z": ("Mar 01 2024 10:00:02 Z", "2024-03-01T10:00:02"),
    "iana-zone": ("Mar 01 2024 11:00:02 Europe/Paris", "2024-03-01T10:00:02"),
    "fixed-zoneinfo-abbreviation": ("Mar 01 2024 05:00:02 EST", "2024-03-01T10:00:02"),
    "iso-8601": ("2024-03-01T10:00:02Z", "2024-03-01T10:00:02"),
}


@pytest.mark.parametrize(("rt", "expected"), CEF_TIMES.values(), ids=CEF_TIMES)
def test_cef_rt_in_every_layout_of_the_cef_standard(rt: str, expected: str) -> None:
    fixed = _at("2024-06-01T00:00:00")
    context = ParseContext(clock=lambda: fixed)  # no header time: only rt can date these
    (event,) = PARSER.parse(f"CEF:0|V|FW|1|1|Allowed|3|src=10.0.0.5 rt={rt}", context)
    assert event.ts == pytest.approx(datetime.fromisoformat(expected).replace(tzinfo=UTC).timestamp())
    assert "log.syslog.time_source" not in event.fields


def test_cef_rt_without_a_year_takes_the_syslog_year_rule() -> None:
    line = "CEF:0|V|FW|1|1|Allowed|3|src=10.0.0.5 rt=Dec 31 23:59:59 UTC"
    assert _dated_lines([line], year=None, now="2026-06-01T00:00:00") == ["2025-12-31T23:59:59"]
    new_year = ["<134>Dec 31 23:59:58 fw01 " + line, "<134>Jan  1 00:00:01 fw01 " + line.replace(
        "Dec 31 23:59:59", "Jan 01 00:00:00")]
    assert _dated_lines(new_year) == ["2005-12-31T23:59:59", "2006-01-01T00:00:00"]


@pytest.mark.parametrize("rt", ["Mar 01 2024 10:00:02 PST", "Mar 01 2024 10:00:02 GMT+25:00",
                                "Feb 30 2024 10:00:02", "yesterday", "99999999999999999999"])
def test_an_unreadable_cef_rt_falls_back_to_the_header_time_marked(rt: str) -> None:
    line = f"<134>1 2024-03-01T10:00:09Z fw01 - - - - CEF:0|V|FW|1|1|Allowed|3|src=10.0.0.5 rt={rt}"
    (event,) = PARSER.parse(line, ParseContext())
    assert event.ts == _at("2024-03-01T10:00:09")
    assert event.fields["log.syslog.time_source"] == "header"
    assert event.fields["cef.rt"] == rt


def test_an_unreadable_cef_rt_gives_way_to_a_readable_end() -> None:
    line = "<134>1 2024-03-01T10:00:09Z fw01 - - - - CEF:0|V|FW|1|1|Allowed|3|rt=Mar 01 2024 PST end=1709287202000"
    (event,) = PARSER.parse(line, ParseContext())
    assert event.ts == _at("2024-03-01T10:00:02") and "log.syslog.time_source" not in event.fields


def test_an_unreadable_cef_rt_without_a_header_time_is_rejected_naming_it() -> None:
    with pytest.raises(ParseError, match=r"CEF rt: unknown time zone 'PST' and without a syslog timestamp"):
        list(PARSER.parse("CEF:0|V|FW|1|1|Allowed|3|rt=Mar 01 2024 10:00:02 PST", ParseContext()))


# -- rsyslog's RFC 3339 lines without <PRI> ------------------------------------------------


def test_rsyslog_file_format_without_pri_is_syslog() -> None:
    line = "2024-03-01T10:00:00.123456+01:00 web01 sshd[123]: Accepted publickey for bob from 10.0.0.5 port 5 ssh2"
    assert PARSER.sniff(line) and PARSER.sniff("<38>" + line)
    (event,) = PARSER.parse(line, ParseContext())
    (with_pri,) = PARSER.parse("<38>" + line, ParseContext())
    assert event.ts == pytest.approx(_at("2024-03-01T09:00:00.123456"))
    assert (event.kind, event.host, event.ts) == (with_pri.kind, with_pri.host, with_pri.ts)
    assert event.fields["log.syslog.appname"] == "sshd" and event.fields["log.syslog.procid"] == "123"


@pytest.mark.parametrize("text", [
    "2024-03-01T10:00:00Z",  # a time alone
    "2024-03-01T10:00:00 web01 sshd[1]: x",  # RFC 3339 requires the offset
    "2024-03-01T10:00:00Z INFO starting the server",  # an application log: no tag
    "2024-03-01 10:00:00+01:00 web01 sshd[1]: x",
])
def test_other_iso_timestamped_text_is_not_taken_for_syslog(text: str) -> None:
    assert not PARSER.sniff(text)
