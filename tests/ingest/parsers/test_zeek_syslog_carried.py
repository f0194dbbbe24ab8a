"""A Zeek ``syslog`` message's carried Windows event is read once per session and message (issue #3).

Every capture copy of a datagram carries the same text (Brim's ``syslog.log``: 4 copies of
each).  :mod:`ingest.parsers.zeek_syslog_carried` remembers what the first copy's reading gave;
these tests check that a copy gets exactly what reading it again would give (every message of
the corpus, in file order), that it gets its own event, that the memory is keyed on the context
settings the reading reads, and that the localized-text count is kept per copy.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
import pytest

from graphsiem.model import Event
from ingest.parsers import syslog as syslog_module
from ingest.parsers.base import ParseContext
from ingest.parsers.localized_windows_text import LOCALIZED_TEXT
from ingest.parsers.syslog import windows_events_in_zeek_syslog
from ingest.parsers.zeek_syslog_carried import _MEMORY_KEY, RECENT_MESSAGES
from tests.ingest.parsers.test_zeek_syslog_windows_text_corpus import SYSLOG_JSON

FORWARDER = "1 2018-03-24T09:06:26-07:00 Kramer.jerry.land EvntSLog - - - "
LOGOFF = FORWARDER + "An account was logged off. Subject: Security ID: S-1-5-21-1 Account Name: alice " \
    "Account Domain: JERRY Logon ID: 0x1c9e1c Logon Type: 3"
GERMAN_TITLE_ONLY = FORWARDER + "Ein neuer Prozess wurde erstellt."


def _records() -> list[dict[str, Any]]:
    if not SYSLOG_JSON.exists():
        pytest.skip(f"sample corpus not found: {SYSLOG_JSON}")
    return [orjson.loads(line) for line in SYSLOG_JSON.read_bytes().splitlines() if line.strip()]


def _as_tuple(event: Event) -> tuple[Any, ...]:
    return (event.id, event.kind, event.ts, event.host, event.source, event.fields, event.origin, event.raw)


def _context() -> ParseContext:
    return ParseContext(extras={LOCALIZED_TEXT: Counter()})


def test_every_corpus_message_gives_what_reading_it_again_gives() -> None:
    records = _records()
    remembering, reading = _context(), _context()
    for number, record in enumerate(records, 1):
        remembering.origin = reading.origin = f"syslog.json:{number}"
        reading.extras.pop(_MEMORY_KEY, None)  # nothing remembered: every copy read again
        got = [_as_tuple(event) for event in windows_events_in_zeek_syslog(record, remembering)]
        assert got == [_as_tuple(event) for event in windows_events_in_zeek_syslog(record, reading)], number
    assert remembering.extras[LOCALIZED_TEXT] == reading.extras[LOCALIZED_TEXT]


def test_a_capture_copy_is_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = Counter[str]()
    real = syslog_module._parse_header

    def counted(line: str, context: ParseContext) -> Any:
        calls[line] += 1
        return real(line, context)

    monkeypatch.setattr(syslog_module, "_parse_header", counted)
    context = _context()
    for copy in range(4):
        context.origin = f"syslog.json:{copy + 1}"
        [event] = windows_events_in_zeek_syslog({"message": LOGOFF, "copy": copy}, context)
        assert (event.kind, event.host, event.origin, event.raw) == (
            "windows:other", "kramer", f"syslog.json:{copy + 1}", {"message": LOGOFF, "copy": copy})
    assert calls[LOGOFF] == 1


def test_an_rfc_3164_line_is_read_for_every_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    # its year comes from the per-file rule, whose state the context keeps (ingest.parsers.syslog_time)
    calls = Counter[str]()
    real = syslog_module._parse_header

    def counted(line: str, context: ParseContext) -> Any:
        calls[line] += 1
        return real(line, context)

    monkeypatch.setattr(syslog_module, "_parse_header", counted)
    line = "Mar 24 09:06:26 Kramer.jerry.land EvntSLog: " + LOGOFF.split(" - - - ", 1)[1]
    context = ParseContext(extras={LOCALIZED_TEXT: Counter()}, reference_year=2018)
    for _ in range(2):
        [event] = windows_events_in_zeek_syslog({"message": line}, context)
        assert (event.kind, event.host) == ("windows:other", "kramer")
    assert calls[line] == 2


def test_each_copy_gets_its_own_event() -> None:
    context = _context()
    first = windows_events_in_zeek_syslog({"message": LOGOFF}, context)[0]
    first.fields["event.code"] = "forged"
    first.id = "changed by the caller"
    second = windows_events_in_zeek_syslog({"message": LOGOFF}, context)[0]
    third = windows_events_in_zeek_syslog({"message": LOGOFF}, context)[0]
    assert second.fields["event.code"] == "4634" and second.id == ""
    assert second.fields is not third.fields
    second.fields["winlog.event_data.TargetUserName"] = "changed"
    assert third.fields["winlog.event_data.TargetUserName"] == "alice"


def test_a_stamp_without_zone_is_read_in_each_contexts_zone() -> None:
    zoneless = LOGOFF.replace("2018-03-24T09:06:26-07:00", "2018-03-24T09:06:26")
    context = _context()
    utc = windows_events_in_zeek_syslog({"message": zoneless}, context)[0].ts
    context.default_timezone = "America/Los_Angeles"
    assert windows_events_in_zeek_syslog({"message": zoneless}, context)[0].ts == utc + 7 * 3600


def test_a_nil_stamp_takes_each_receipt_time() -> None:
    undated = LOGOFF.replace("2018-03-24T09:06:26-07:00", "-")
    context = _context()
    assert windows_events_in_zeek_syslog({"message": undated}, context) == []  # a file: no receipt time
    context.received_at = 1_700_000_000.0
    assert windows_events_in_zeek_syslog({"message": undated}, context)[0].ts == 1_700_000_000.0
    context.received_at = 1_700_000_060.0
    assert windows_events_in_zeek_syslog({"message": undated}, context)[0].ts == 1_700_000_060.0


def test_localized_text_is_counted_for_every_copy() -> None:
    context = _context()
    for _ in range(4):
        [event] = windows_events_in_zeek_syslog({"message": GERMAN_TITLE_ONLY}, context)
        assert event.kind == "syslog:message"
    assert context.extras[LOCALIZED_TEXT] == Counter({("de", 4688): 4})


def test_the_memory_is_bounded() -> None:
    context = _context()
    for number in range(RECENT_MESSAGES * 3):
        windows_events_in_zeek_syslog({"message": LOGOFF.replace("alice", f"user{number}")}, context)
    assert len(context.extras[_MEMORY_KEY]) == RECENT_MESSAGES
