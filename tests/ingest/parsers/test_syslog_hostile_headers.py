"""Crafted syslog headers are read in linear time, and read as before (review R2, items 1 and 2).

RFC 5424 structured data whose PARAM-NAME has no ``=`` and a TAG of ``a(`` repeated made the
header patterns retry every position: one 60 KB datagram held the GIL for 37 s, a 1 MB line for
minutes.  The 200,000-character headers here took minutes before (timeout marks: the project's
convention for linear-time tests, see test_windows_kv.py); the results are asserted, and the
linear readers are checked against the backtracking patterns they replace on short texts.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsiem.model import Event
from ingest.parsers.base import ParseContext
from ingest.parsers.syslog import SyslogParser
from ingest.parsers.syslog_header import _SD_PARAM_RE, _match_tag

PARSER = SyslogParser()
CONTEXT = ParseContext(origin="t:1", reference_year=2024)
RFC5424 = "<13>1 2026-11-20T09:00:00Z h app 1 - "
RFC3164 = "<13>Nov 20 09:00:00 host "
# the patterns of ingest/parsers/syslog_header.py before: the reference of what a header reads
BACKTRACKING_TAG = re.compile(r"([^\s\[\]:]+(?:\([^)\s]*\))?)(?:\[([^\]\s]*)\])?: ?(.*)", re.DOTALL)
BACKTRACKING_SD_PARAM = re.compile(r'([^\s=\]"]+)="((?:[^"\\]|\\.)*)"')


def parse(line: str) -> Event:
    assert PARSER.sniff(line)
    (event,) = PARSER.parse(line, CONTEXT)
    return event


@pytest.mark.timeout(20)
def test_a_long_structured_data_name_without_equals_is_read_in_linear_time() -> None:
    event = parse(RFC5424 + "[x " + "a" * 200_000 + ' n="v"][y m="w\\]"] hi')
    structured = {k: v for k, v in event.fields.items() if k.startswith("syslog.sd.")}
    assert structured == {"syslog.sd.x.n": "v", "syslog.sd.y.m": "w]"}
    assert event.fields["message"] == "hi"


@pytest.mark.timeout(20)
def test_an_unterminated_structured_data_value_of_backslashes_is_read_in_linear_time() -> None:
    event = parse(RFC5424 + '[x a="' + "\\" * 200_000)
    assert not [k for k in event.fields if k.startswith("syslog.sd.")]
    assert event.fields["log.syslog.appname"] == "app" and event.fields["message"] == ""


@pytest.mark.timeout(20)
def test_a_tag_of_open_parentheses_is_read_in_linear_time() -> None:
    text = "a(" * 100_000 + " rest"
    event = parse(RFC3164 + text)
    assert "log.syslog.appname" not in event.fields  # no ":" ends it: no TAG, all message
    assert event.fields["message"] == text
    event = parse(RFC3164 + "a(" * 100_000 + "x[7]: rest")
    assert event.fields["log.syslog.appname"] == "a(" * 100_000 + "x"
    assert event.fields["log.syslog.procid"] == "7" and event.fields["message"] == "rest"


@pytest.mark.parametrize(("text", "app", "pid", "message"), [
    ("sshd(pam_unix)[19939]: check pass", "sshd(pam_unix)", "19939", "check pass"),
    ("app(x[1]): msg", "app(x[1])", None, "msg"),  # the (...) closes after the name's run
    ("app(a:b): msg", "app(a", None, "b): msg"),  # the longest name that a ":" follows wins
    ("app(a)b(c d): msg", None, None, None),
])
def test_tags_with_parentheses_are_split_as_before(text: str, app: str | None, pid: str | None,
                                                   message: str | None) -> None:
    expected = None if app is None else (app, pid, message)
    assert _match_tag(text) == expected
    reference = BACKTRACKING_TAG.match(text)
    assert (None if reference is None else reference.groups()) == expected


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="a()[]: \n\tx1", max_size=16))
def test_the_linear_tag_reader_reads_what_the_backtracking_pattern_read(text: str) -> None:
    reference = BACKTRACKING_TAG.match(text)
    assert _match_tag(text) == (None if reference is None else reference.groups())


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet='a="\\] \n=b', max_size=16))
def test_the_linear_structured_data_pattern_finds_what_the_backtracking_one_found(text: str) -> None:
    assert _SD_PARAM_RE.findall(text) == BACKTRACKING_SD_PARAM.findall(text)
