"""Syslog parser on the project's own lines: RFC 3164/5424, CEF, @cee Windows events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsiem.model import Event
from ingest.parsers import syslog, syslog_header
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog import SyslogParser, parse_syslog_text, windows_events_in_zeek_syslog
from ingest.parsers.syslog_cef import parse_extension, split_cef

LINES = (Path(__file__).parent / "fixtures" / "syslog" / "lines.log").read_text("utf-8").splitlines()
PARSER = SyslogParser()
CONTEXT_2024 = ParseContext(origin="lines.log:1", reference_year=2024)


def _parse(line: str, context: ParseContext = CONTEXT_2024) -> Event:
    assert PARSER.sniff(line)
    (event,) = PARSER.parse(line, context)
    return event


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


# (line index, kind, host, time UTC, expected fields subset)
CASES = [
    (0, "syslog:logon_failed", "web-01", "2024-03-05T10:00:01", {
        "log.syslog.appname": "sshd", "log.syslog.procid": "4242",
        "log.syslog.facility": "auth", "log.syslog.severity": "info",
        "message": "Failed password for invalid user admin from 203.0.113.9 port 50022 ssh2",
    }),
    (1, "syslog:logon_failed", "web-01", "2024-03-15T10:00:02", {
        "log.syslog.appname": "sshd(pam_unix)", "log.syslog.procid": "4243",
        "source.ip": "203.0.113.9", "user.name": "root",
    }),
    (2, "syslog:message", "web-01", "2024-03-05T10:00:03", {
        "log.syslog.appname": "kernel", "message": "eth0: link up",
    }),
    (3, "syslog:message", None, "2024-03-05T10:00:04", {
        "log.syslog.appname": "cron", "log.syslog.procid": "77",
        "message": "(root) CMD (run-parts /etc/cron.hourly)",
    }),
    (4, "syslog:message", "app-02", "2024-03-05T09:00:05.25", {
        "log.syslog.appname": "billing", "log.syslog.procid": "991", "log.syslog.msgid": "ID47",
        "log.syslog.facility": "local4", "log.syslog.severity": "notice",
        "syslog.sd.exampleSDID@32473.iut": "3",
        "syslog.sd.exampleSDID@32473.eventSource": 'App"x]',
        "syslog.sd.meta.seq": "7",
        "message": "invoice 42 paid",
    }),
    (5, "winsec:logon", "ws-0042", "2024-03-05T09:00:06", {
        "event.code": "4624", "event.channel": "Security", "user.name": "corp\\alice",
        "winlog.logon.type": 10, "source.ip": "10.1.2.3", "source.port": 50123,
        "message": "An account was successfully logged on.",
    }),
    (6, "sysmon:process_create", "ws-0042", "2024-03-05T09:00:06.5", {
        "process.name": "cmd.exe", "process.pid": 77, "process.parent.name": "explorer.exe",
    }),
    # a firewall's view of others' traffic: no host (the sensor rule maps the client), the device is the observer
    (7, "cef:event", None, "2024-03-05T10:00:08", {
        "observer.name": "fw-01", "observer.vendor": "Example Corp", "observer.product": "Edge Firewall",
        "host.name.original": None,
        "cef.vendor": "Example Corp", "cef.product": "Edge Firewall", "rule.id": "100|7",
        "rule.name": "Port scan detected", "alert.severity": "7",
        "source.ip": "203.0.113.9", "source.port": 40000,
        "destination.ip": "10.1.2.3", "destination.port": 22, "network.transport": "tcp",
        # shost of an outside address is its DNS name; dhost of an internal one a fleet host's name
        "source.domain": "scanner.example.net", "source.hostname": None,
        "destination.hostname": "ws-0042", "destination.domain": None,
        "user.name": "corp\\alice", "event.action": "blocked",
        "message": "scan of 1=many ports\nsecond line", "cef.zone": "dmz",
        "url.full": "http://example.com/a?b=1", "file.name": "invoice.pdf",
        "file.hash.md5": "0123456789abcdef0123456789abcdef",
    }),
    # a proxy's record of a client's request: not the proxy's own download
    (8, "cef:event", None, "2024-03-05T10:00:09", {
        "http.request.method": "GET", "url.full": "https://cdn.example.net/img.png",
        "observer.hostname": "proxy-01.corp.example", "observer.name": "proxy-01",
    }),
    (9, "syslog:message", "pc-test", "2018-03-24T15:59:37", {
        "log.syslog.appname": "EvntSLog", "message": "Special privileges assigned to new logon.",
    }),
]


@pytest.mark.parametrize(("index", "kind", "host", "moment", "expected"), CASES)
def test_fixture_lines(index: int, kind: str, host: str | None, moment: str, expected: dict) -> None:
    event = _parse(LINES[index])
    assert event.kind == kind
    assert event.host == host
    assert event.ts == pytest.approx(_epoch(moment))
    assert event.origin == "lines.log:1"
    assert {key: event.fields.get(key) for key in expected} == expected


def test_cee_windows_events_keep_the_line_as_evidence() -> None:
    event = _parse(LINES[5])
    assert event.source == "syslog"
    assert event.raw == LINES[5]


NXLOG_CEE = (
    '<14>1 2024-03-05T09:00:10Z WS-0042.corp.example nxlog - - - @cee: {{"EventID": 4688, '
    '"Hostname": {host}, "Channel": "Security", {time}"NewProcessName": "C:\\\\Windows\\\\cmd.exe", '
    '"NewProcessId": "0x4d", "ParentProcessName": "C:\\\\Windows\\\\explorer.exe"}}'
)


@pytest.mark.parametrize(("host", "own_time", "expected_host", "expected_time"), [
    ('"WS-0042.corp.example"', "", "ws-0042", "2024-03-05T09:00:10"),
    ('"WS-0042.corp.example"', '"EventTime": "-", ', "ws-0042", "2024-03-05T09:00:10"),
    ('"DC-01.corp.example"', '"EventTime": "2024-03-05 08:59:59", ', "dc-01", "2024-03-05T08:59:59"),
    ('""', "", "ws-0042", "2024-03-05T09:00:10"),
    ("null", "", "ws-0042", "2024-03-05T09:00:10"),
])
def test_cee_nxlog_events_fall_back_to_the_header_time_and_host(
    host: str, own_time: str, expected_host: str, expected_time: str
) -> None:
    line = NXLOG_CEE.format(host=host, time=own_time)
    event = _parse(line)
    assert event.kind == "winsec:process_create"
    assert (event.host, event.ts) == (expected_host, pytest.approx(_epoch(expected_time)))
    assert event.fields["process.executable"].endswith("cmd.exe")
    # a syslog line like the EvntSLog ones: the line is the evidence, syslog the source
    assert (event.source, event.raw) == ("syslog", line)


def test_cee_evntslog_events_without_source_take_the_header_host() -> None:
    line = LINES[5].replace('"source": "WS-0042.corp.example", ', "")
    assert _parse(line).host == "ws-0042"


def test_zeek_callers_name_the_source_and_keep_their_record() -> None:
    record = {"_path": "syslog", "message": LINES[9]}
    event = parse_syslog_text(LINES[9], CONTEXT_2024, source="zeek", raw=record)
    assert event.source == "zeek" and event.raw is record


def test_3164_time_is_read_in_the_configured_zone() -> None:
    context = ParseContext(reference_year=2024, default_timezone="Europe/Paris")
    assert _parse(LINES[2], context).ts == pytest.approx(_epoch("2024-03-05T09:00:03"))


# The RFC 3164 year rule and RFC 5424 NILVALUE times: test_syslog_time.py (injected clock).


def test_cef_digit_lookalikes_stay_text_instead_of_failing_int() -> None:
    # "²".isdigit() is True but int("²") raises: such values are kept as text
    line = "CEF:0|V|P|1|s|n|3|rt=1709632800000 spt=\u00b2 dpt=443 fsize=1\u00b2"
    (event,) = SyslogParser().parse(line, ParseContext())
    assert event.fields["destination.port"] == 443
    assert event.fields["cef.spt"] == "\u00b2" and "source.port" not in event.fields
    assert "file.size" not in event.fields


def test_cef_header_and_extension_escapes() -> None:
    header, extension = split_cef(r"CEF:0|V\|x|P|1|sig|na\\me|3|a=1 b=two words c=x\=y")
    assert header == ["0", "V|x", "P", "1", "sig", "na\\me", "3"]
    assert extension == {"a": "1", "b": "two words", "c": "x=y"}
    assert parse_extension("") == {}


@pytest.mark.parametrize(("line", "reason"), [
    ("<999>Mar  5 10:00:01 h a: x", "PRI"),
    ("<13>1 2024-13-45T99:00:00Z h a - - - x", "timestamp"),
    ("<13>1 2024-03-05T09:00:06Z h EvntSLog - - - @cee: {not json", "@cee"),
    ("CEF:0|only|three", "CEF header"),
    ("CEF:0|V|P|1|s|n|3|src=1.2.3.4", "without rt"),
    ("<13>just words", "not a syslog line"),
    ("CEF:0|V|P|1|s|n|3|rt=99999999999999999999", "out of range"),
    ("<13>1 1960-01-01T00:00:00Z h a - - - x", "out of range"),
    ("<13>1 9999-12-31T23:59:59-14:00 h a - - - x", "timestamp"),
])
def test_bad_lines_are_rejected_with_a_reason(line: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        list(PARSER.parse(line, CONTEXT_2024))


def test_sniff_accepts_only_syslog_text() -> None:
    assert all(PARSER.sniff(line) for line in LINES)
    assert not PARSER.sniff({"message": LINES[0]})
    assert not PARSER.sniff("hello world")
    assert not PARSER.sniff('{"EventID": 1}')


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(LINES), st.integers(min_value=0, max_value=200), st.text(max_size=12))
def test_mutated_lines_parse_or_are_rejected_with_a_reason(line: str, cut: int, noise: str) -> None:
    mutated = line[:cut] + noise + line[cut + len(noise):]
    try:
        events = list(PARSER.parse(mutated, CONTEXT_2024))
    except ParseError as exc:
        assert str(exc)
    else:
        assert len(events) == 1 and isinstance(events[0].ts, float)


def test_zeek_syslog_records_yield_the_carried_windows_event_only() -> None:
    carried = windows_events_in_zeek_syslog({"_path": "syslog", "message": LINES[5][4:]}, CONTEXT_2024)
    assert [e.kind for e in carried] == ["winsec:logon"]
    assert carried[0].source == "zeek" and carried[0].host == "ws-0042"
    # a title alone is no Windows event, but the line is still its EvntSLog sender's (task Q1)
    carried = windows_events_in_zeek_syslog({"message": LINES[9]}, CONTEXT_2024)
    assert [(e.kind, e.host, e.source) for e in carried] == [("syslog:message", "pc-test", "zeek")]
    assert windows_events_in_zeek_syslog({"message": "x @cee: {bad"}, CONTEXT_2024) == []
    assert windows_events_in_zeek_syslog({"message": 42}, CONTEXT_2024) == []


def test_a_forwarder_line_no_module_reads_has_its_header_and_text_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # the syslog:message of an EvntSLog line that is no known event is made from the header and the
    # Windows text reading already done, not by reading the line again (ZSYS, issue #3: 1,720 of the
    # Brim syslog.log's 4,756 lines a tiled copy)
    calls: list[str] = []
    for name in ("windows_text_event", "_parse_header"):
        real = getattr(syslog, name)
        monkeypatch.setattr(syslog, name, lambda *args, real=real, name=name, **kwargs: (
            calls.append(name), real(*args, **kwargs))[1])
    # a context of its own: a session remembers what a message gave (ingest.parsers.zeek_syslog_carried)
    context = ParseContext(origin="lines.log:1", reference_year=2024)
    carried = windows_events_in_zeek_syslog({"message": LINES[9]}, context)
    assert [(e.kind, e.host, e.source) for e in carried] == [("syslog:message", "pc-test", "zeek")]
    assert calls == ["_parse_header", "windows_text_event"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_parses_or_is_rejected_with_a_reason(text: str) -> None:
    try:
        events = list(PARSER.parse(text, CONTEXT_2024))
    except ParseError as exc:
        assert str(exc)
    else:
        assert len(events) == 1


@pytest.mark.parametrize(("prefix", "alphabet"), [
    ("CEF:0|", "|\\= abc:CEF0"),
    ("LEEF:1.0|", "|\\=^\t x0123LEF:abcsrdtv."),
    ("LEEF:2.0|", "|\\=^\t x0123LEF:abcsrdtv.#"),
])
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_random_cef_and_leef_payloads_parse_or_are_rejected_with_a_reason(prefix: str, alphabet: str, data) -> None:
    tail = data.draw(st.text(alphabet=alphabet, max_size=80))
    try:
        events = list(PARSER.parse("<13>Mar  5 10:00:00 h " + prefix + tail, CONTEXT_2024))
    except ParseError as exc:
        assert str(exc)
    else:
        assert len(events) == 1 and events[0].kind.startswith(("cef:", "leef:", "syslog:"))


def test_an_rfc5424_timestamp_seen_again_is_read_once_and_by_its_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    # capture copies repeat a datagram's TIMESTAMP (ZSYS, issue #3): it is parsed once; a zone-less
    # one is still read in each context's default zone
    reads: list[object] = []
    real = syslog_header.parse_timestamp
    monkeypatch.setattr(syslog_header, "parse_timestamp",
                        lambda value, **kwargs: (reads.append(value), real(value, **kwargs))[1])
    line = "<13>1 2024-07-04T05:06:07.123456+02:00 web01 app - - - copy"
    first, second = parse_syslog_text(line, CONTEXT_2024), parse_syslog_text(line, CONTEXT_2024)
    assert first.ts == second.ts == _epoch("2024-07-04T03:06:07.123456") and len(reads) == 1
    zoneless = "<13>1 2024-07-04T05:06:08 web01 app - - - copy"
    in_utc = parse_syslog_text(zoneless, ParseContext(default_timezone="UTC"))
    in_berlin = parse_syslog_text(zoneless, ParseContext(default_timezone="Europe/Berlin"))
    assert in_utc.ts - in_berlin.ts == 7200
