"""Windows events sent over syslog as their rendered text on one line (EvntSLog without ``@cee``).

Fixture lines (``fixtures/syslog/windows_text.log``, written for these tests) are read as the
message of a Zeek ``syslog`` record and as plain syslog lines.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from graphsiem.model import Event
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog import parse_syslog_text
from ingest.parsers.syslog_windows_text import event_data
from ingest.parsers.zeek import ZeekParser

LINES = (Path(__file__).parent / "fixtures" / "syslog" / "windows_text.log").read_text().splitlines()


def zeek_record(message: str) -> dict[str, Any]:
    """A Zeek syslog.log record (as Zeek's JSON writer gives it) carrying ``message``."""
    return {
        "_path": "syslog", "ts": 1772460900.5, "uid": "CBs8sZ2kIbw2QgSdy4", "id.orig_h": "192.0.2.10",
        "id.orig_p": 58947, "id.resp_h": "192.0.2.153", "id.resp_p": 514, "proto": "udp",
        "facility": "LOCAL0", "severity": "NOTICE", "message": message,
    }


def zeek_events(index: int) -> list[Event]:
    return list(ZeekParser().parse(zeek_record(LINES[index]), ParseContext(origin=f"windows_text.log:{index + 1}")))


def windows_event(index: int) -> Event:
    """The one endpoint event the Zeek record of fixture line ``index`` adds to its zeek:syslog event."""
    events = zeek_events(index)
    assert [event.kind for event in events][0] == "zeek:syslog" and len(events) == 2, [e.kind for e in events]
    assert events[0].host is None  # the network view stays a sensor event
    return events[1]


def at(moment: str) -> float:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC).timestamp()


def test_logon_text_becomes_the_logon_event_on_the_sender_host() -> None:
    event = windows_event(0)
    assert (event.kind, event.host, event.source, event.ts) == ("winsec:logon", "dc01", "zeek", at("2026-03-02T14:15:00"))
    fields = event.fields
    assert fields["event.code"] == "4624" and fields["event.channel"] == "Security"
    assert fields["host.name.original"] == "DC01.corp.example"
    # New Logon's account, not Subject's "-"
    assert (fields["user.name"], fields["user.id"]) == ("corp\\alice", "S-1-5-21-1-2-3-1104")
    assert (fields["source.ip"], fields["source.port"], fields["source.workstation"]) == ("192.0.2.44", 51000, "ws-17")
    assert fields["winlog.logon.type"] == 3 and fields["event.outcome"] == "success"
    assert event.raw == zeek_record(LINES[0])  # the Zeek record is the evidence


def test_explanation_is_no_part_of_the_last_value() -> None:
    # Windows' explanation names labels ("Workstation name is not always available", "Key length
    # indicates..."): no second workstation, nothing added to the key length
    _, data = event_data(LINES[0].split(" - - - ", 1)[1]) or (0, {})
    assert data["KeyLength"] == "128" and data["WorkstationName"] == "WS-17"
    assert data["LmPackageName"] == "NTLM V2"  # "Package Name (NTLM only):" read as one label


def test_failed_logon_keeps_statuses_and_the_source() -> None:
    fields = windows_event(1).fields
    assert windows_event(1).kind == "winsec:logon_failed"
    assert fields["user.name"] == "corp\\bob" and fields["source.ip"] == "198.51.100.7"
    assert fields["source.workstation"] == "kali"
    assert (fields["winlog.logon.failure.status"], fields["winlog.logon.failure.sub_status"]) == (
        "0xc000006d", "0xc000006a")
    assert fields["winlog.logon.failure.reason"] == "Unknown user name or bad password."


@pytest.mark.parametrize(("index", "user", "outcome", "status"), [
    (2, "carol", "success", None),  # a domain controller's wording
    (3, "dave", "failure", "0xc000006a"),  # a member's (and later DCs') wording
])
def test_credential_validation_names_account_workstation_and_outcome(
    index: int, user: str, outcome: str, status: str | None
) -> None:
    event = windows_event(index)
    assert (event.kind, event.host) == ("winsec:credential_validation", "dc01")
    fields = event.fields
    assert (fields["event.code"], fields["user.name"], fields["source.workstation"]) == ("4776", user, "kali")
    assert fields["event.outcome"] == outcome
    assert fields.get("winlog.logon.failure.status") == status
    # a mapped event: no copy of the message, no unmapped event data
    assert "message" not in fields and not any(key.startswith("winlog.event_data.") for key in fields)


def test_kerberos_service_ticket_reads_account_client_and_encryption() -> None:
    event = windows_event(4)
    fields = event.fields
    assert event.kind == "winsec:kerberos_service_ticket"
    assert fields["user.name"] == "corp.example\\alice" and fields["source.ip"] == "192.0.2.44"
    assert (fields["kerberos.service"], fields["kerberos.ticket_encryption"], fields["kerberos.status"]) == (
        "MSSQLSvc", "0x17", "0x0")


def test_kerberos_tgt_is_a_logon_at_the_kdc() -> None:
    event = windows_event(5)
    fields = event.fields
    assert event.kind == "winsec:kerberos_logon" and fields["event.outcome"] == "success"
    assert fields["user.name"] == "corp.example\\erin" and fields["user.id"] == "S-1-5-21-1-2-3-1105"
    assert fields["source.ip"] == "192.0.2.45" and fields["kerberos.pre_auth_type"] == "2"


def test_process_creation_reads_the_command_line_up_to_the_explanation() -> None:
    event = windows_event(6)
    fields = event.fields
    assert (event.kind, event.host) == ("winsec:process_create", "ws-17")
    assert fields["process.command_line"] == "cmd.exe /c whoami /all"
    assert fields["process.executable"].lower() == "c:\\windows\\system32\\cmd.exe"
    assert fields["process.parent.executable"].lower() == "c:\\windows\\explorer.exe"
    assert fields["user.name"] == "corp\\alice"  # Target Subject is "-": the creator's account


def test_log_cleared_names_who_cleared_it() -> None:
    event = windows_event(7)
    assert (event.kind, event.fields["user.name"]) == ("windows:log_cleared", "corp\\alice")


def test_logoff_is_kept_with_its_event_data_named_as_windows_xml_names_it() -> None:
    event = windows_event(8)
    assert event.kind == "windows:other" and event.fields["event.code"] == "4634"
    assert event.fields["winlog.event_data.TargetUserName"] == "alice"
    assert event.fields["winlog.event_data.LogonType"] == "3"
    assert event.fields["message"].startswith("An account was logged off.")


def test_special_privileges_lists_each_privilege() -> None:
    event = windows_event(9)
    assert event.kind == "winsec:special_privileges" and event.fields["user.name"] == "corp\\administrator"
    assert event.fields["winlog.privileges"] == ["SeDebugPrivilege", "SeBackupPrivilege"]


@pytest.mark.parametrize("index", [10, 11], ids=["other-text", "title-alone"])
def test_text_of_no_known_event_is_a_message_of_its_windows_sender(index: int) -> None:
    """No Windows event, but the EvntSLog sender's line all the same: on its host (task Q1)."""
    events = zeek_events(index)
    assert [(event.kind, event.host) for event in events] == [("zeek:syslog", None), ("syslog:message", "dc01")]
    assert events[0].fields["zeek.message"] == LINES[index]


def test_undated_text_in_zeek_keeps_the_zeek_event_and_the_syslog_parser_says_why() -> None:
    assert [event.kind for event in zeek_events(12)] == ["zeek:syslog"]
    with pytest.raises(ParseError, match="NILVALUE"):
        parse_syslog_text(LINES[12], ParseContext(origin="windows_text.log:13"))
    # a live source dates it by receipt, and says so
    event = parse_syslog_text(LINES[12], ParseContext(origin="udp", received_at=1772460000.0))
    assert (event.kind, event.ts, event.fields["log.syslog.time_source"]) == (
        "winsec:special_privileges", 1772460000.0, "receipt")


def test_text_without_a_hostname_stays_a_syslog_message() -> None:
    line = LINES[9].replace("DC01.corp.example", "-", 1)
    event = parse_syslog_text(line, ParseContext(origin="syslog"))
    assert (event.kind, event.host) == ("syslog:message", None)
    assert [event.kind for event in ZeekParser().parse(zeek_record(line), ParseContext(origin="zeek"))] == [
        "zeek:syslog"]


def test_forged_source_address_inside_the_workstation_name_loses_to_windows_own() -> None:
    fields = windows_event(13).fields
    assert (fields["source.ip"], fields["source.port"]) == ("198.51.100.9", 40002)
    assert fields["user.name"] == "corp\\mallory"


def test_plain_syslog_line_gives_the_same_windows_event() -> None:
    from_syslog = parse_syslog_text(LINES[0], ParseContext(origin="syslog"), source="zeek")
    from_zeek = windows_event(0)
    assert (from_syslog.kind, from_syslog.host, from_syslog.ts, from_syslog.fields) == (
        from_zeek.kind, from_zeek.host, from_zeek.ts, from_zeek.fields)


def test_plain_syslog_text_of_no_known_event_stays_a_syslog_message() -> None:
    event = parse_syslog_text(LINES[10], ParseContext(origin="syslog"))
    assert (event.kind, event.host, event.fields["log.syslog.appname"]) == ("syslog:message", "dc01", "EvntSLog")


_MUTATIONS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=4000), st.integers(min_value=0, max_value=40),
              st.text(alphabet=st.sampled_from(list(" :-\\\t\r\nABCDacdenst0x()Account Name:Source Network "
                                                    "Address:Logon Type:Subject:\u00e9\u200b")),
                      max_size=30)),
    max_size=6,
)


def _mutate(line: str, edits: list[tuple[int, int, str]]) -> str:
    for position, length, text in edits:
        position %= len(line) + 1
        line = line[:position] + text + line[position + length:]
    return line


RECOGNISED = frozenset(range(10)) | {13}
"""Fixture lines that are a known event's text, dated and hosted."""


@settings(max_examples=300, deadline=None)
@given(index=st.integers(min_value=0, max_value=len(LINES) - 1), edits=_MUTATIONS)
@example(index=0, edits=[])
@example(index=2, edits=[])
def test_mutated_text_never_raises_in_zeek_and_only_parse_errors_in_syslog(
    index: int, edits: list[tuple[int, int, str]]
) -> None:
    line = _mutate(LINES[index], edits)
    events = list(ZeekParser().parse(zeek_record(line), ParseContext(origin="mutant")))
    assert events[0].kind == "zeek:syslog" and len(events) <= 2
    if not edits and index in RECOGNISED:
        assert len(events) == 2
    assert all(event.host for event in events[1:])
    try:
        parse_syslog_text(line, ParseContext(origin="mutant"))
    except ParseError as error:
        assert str(error)


def test_a_capture_copys_text_is_read_once_and_each_reading_owns_its_data(monkeypatch: pytest.MonkeyPatch) -> None:
    # a sensor logs one datagram once per tap (the Brim syslog.log: 4 copies within 0.7 ms): the
    # copies' equal text is read once (ZSYS, issue #3), and no caller's event shares another's data
    from ingest.parsers import syslog_windows_text as reader

    scans: list[str] = []
    scan = reader._labels_in
    monkeypatch.setattr(reader, "_labels_in", lambda text, layout: (scans.append(text), scan(text, layout))[1])
    message = LINES[0].partition(" - - - ")[2]
    copy = "".join(list(message))  # an equal text, another object, as the next record's decoding gives it
    first = event_data(message)
    first_again = event_data(copy)
    assert first is not None and first == first_again and len(scans) <= 1
    first[1]["TargetUserName"] = "changed by its event"
    assert event_data(copy) == first_again and first_again[1]["TargetUserName"] == "alice"
