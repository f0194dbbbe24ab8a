"""Windows JSON parsers on the project's own fixtures: every shape, every covered event id."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsiem.model import Event
from ingest.normalize import parse_timestamp
from ingest.parsers.base import ParseContext, ParseError, ParserRegistry
from ingest.parsers.windows import parsers
from ingest.parsers.windows_events import event_time, to_event
from ingest.parsers.windows_shapes import from_winlogbeat

FIXTURES = Path(__file__).parent / "fixtures" / "windows"
SHAPES = {
    "winlogbeat6.ndjson": "winlogbeat",
    "winlogbeat7.ndjson": "winlogbeat",
    "nxlog.ndjson": "nxlog",
    "sentinel.ndjson": "sentinel",
    "evtx_dump.ndjson": "evtx_json",
}
DECODED = "Write-Output 'graphsiem-test'"


def _registry() -> ParserRegistry:
    registry = ParserRegistry()
    for parser in parsers():
        registry.register(parser)
    return registry


REGISTRY = _registry()


def _records(name: str) -> list[dict]:
    return [orjson.loads(line) for line in (FIXTURES / name).read_bytes().splitlines() if line]


def _parse(record: dict, context: ParseContext | None = None) -> Event:
    parser = REGISTRY.detect(record)
    events = list(parser.parse(record, context or ParseContext(origin="fixture:1")))
    assert len(events) == 1
    return events[0]


# The same five logical events are written in every shape; each must give
# these fields (a subset check: shapes may add more, never differ on these).
COMMON_EXPECTED = [
    (
        "sysmon:process_create",
        1709632800.123,  # Sysmon UtcTime wins over the record's own time
        {
            "event.code": "1",
            "event.channel": "Microsoft-Windows-Sysmon/Operational",
            "host.name.original": "WS-0042.corp.example",
            "process.executable": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "process.name": "powershell.exe",
            "process.pid": 4242,
            "process.guid": "1a2b3c4d-0001-0002-0003-000000000001",
            "process.command_line_decoded": DECODED,
            "process.parent.executable": "C:\\Windows\\System32\\wscript.exe",
            "process.parent.name": "wscript.exe",
            "process.parent.pid": 4100,
            "process.parent.guid": "1a2b3c4d-0001-0002-0003-000000000000",
            "process.parent.command_line": "wscript.exe C:\\Users\\alice\\invoice.vbs",
            "process.hash.sha1": "a" * 40,
            "process.hash.md5": "b" * 32,
            "process.hash.sha256": "c" * 64,
            "process.hash.imphash": "d" * 32,
            "process.integrity_level": "Medium",
            "process.working_directory": "C:\\Users\\alice\\",
            "user.name": "corp\\alice",
        },
    ),
    (
        "winsec:logon",
        1709632801.5,
        {
            "event.code": "4624",
            "event.outcome": "success",
            "user.name": "corp\\alice",
            "winlog.logon.type": 10,
            "source.ip": "10.1.2.3",
            "source.port": 50123,
            "source.workstation": "ws-0099",
            "process.pid": 500,
            "process.name": "svchost.exe",
        },
    ),
    (
        "winsec:process_create",
        1709632802.25,
        {
            "event.code": "4688",
            "process.executable": "C:\\Windows\\System32\\cmd.exe",
            "process.name": "cmd.exe",
            "process.pid": 0x2730,
            "process.command_line": "cmd.exe /c whoami",
            "process.parent.executable": "C:\\Windows\\explorer.exe",
            "process.parent.name": "explorer.exe",
            "process.parent.pid": 0x1F4,
            "user.name": "corp\\alice",
        },
    ),
    (
        "powershell:script_block",
        1709632803.0,
        {
            "event.code": "4104",
            "powershell.script_block_text": DECODED,
            "powershell.script_block_id": "abcdef01-2345-6789-abcd-ef0123456789",
            "powershell.message_number": 1,
            "powershell.message_total": 1,
        },
    ),
    ("windows:other", 1709632804.0, {"event.code": "7036", "event.channel": "System"}),
]


@pytest.mark.parametrize("fixture", sorted(SHAPES))
def test_each_shape_is_detected_by_its_parser(fixture: str) -> None:
    for record in _records(fixture):
        assert REGISTRY.detect(record).name == SHAPES[fixture]


@pytest.mark.parametrize("fixture", sorted(SHAPES))
@pytest.mark.parametrize("index", range(len(COMMON_EXPECTED)))
def test_each_shape_gives_the_same_normalised_event(fixture: str, index: int) -> None:
    kind, ts, expected = COMMON_EXPECTED[index]
    event = _parse(_records(fixture)[index])
    assert event.kind == kind
    assert event.ts == pytest.approx(ts, abs=1e-3)
    assert event.host == "ws-0042"
    assert event.source == SHAPES[fixture]
    # a record with its EventRecordID has the content id of its System key, one in every shape
    # (ingest.parsers.windows_record_ids); one without (the NXLog and Sentinel fixtures') gets its
    # id from the pipeline
    if fixture in ("nxlog.ndjson", "sentinel.ndjson"):
        assert event.id == ""
    else:
        assert event.id and event.id == _parse(_records("evtx_dump.ndjson")[index]).id
    assert {key: event.fields.get(key) for key in expected} == expected


@pytest.mark.parametrize("fixture", ["winlogbeat6.ndjson", "winlogbeat7.ndjson", "nxlog.ndjson"])
def test_collector_host_is_never_the_event_host(fixture: str) -> None:
    for record in _records(fixture):
        event = _parse(record)
        assert event.host == "ws-0042"
        assert "collector01" not in orjson.dumps(event.fields).decode()
        assert "wec01" not in orjson.dumps(event.fields).decode()


# One NXLog record per further event id, with the fields it must give.
EVENT_ID_EXPECTED = [
    ("sysmon:network_connect", {
        "process.name": "agent.exe", "process.pid": 4242, "user.name": "corp\\alice",
        "network.transport": "tcp", "network.direction": "outbound",
        "source.ip": "10.1.2.3", "source.port": 50000,
        "destination.ip": "203.0.113.7", "destination.port": 443,
        "destination.ptr": "cdn.example.net", "destination.domain": None, "host.ip": "10.1.2.3",
    }),
    ("sysmon:process_terminate", {"process.executable": "C:\\Tools\\agent.exe", "process.pid": 4242}),
    ("sysmon:image_load", {
        "process.name": "agent.exe", "file.path": "C:\\Tools\\evil.dll", "file.name": "evil.dll",
        "file.hash.sha256": "abcdef0123456789" * 4,
    }),
    ("sysmon:remote_thread", {
        "process.name": "agent.exe", "process.guid": "1a2b3c4d-0001-0002-0003-000000000001",
        "target.process.name": "explorer.exe", "target.process.pid": 0x270,
        "target.process.guid": "1a2b3c4d-0001-0002-0003-0000000000ff",
    }),
    ("sysmon:process_access", {
        "process.executable": "C:\\Tools\\agent.exe", "process.pid": 4242,
        "target.process.executable": "C:\\Windows\\system32\\lsass.exe",
        "target.process.name": "lsass.exe", "target.process.pid": 612,
        "target.process.guid": "1a2b3c4d-0001-0002-0003-0000000000ee",
        "target.granted_access": "0x1010", "user.name": "corp\\alice",
    }),
    ("sysmon:file_create", {
        "file.path": "C:\\Users\\alice\\AppData\\Local\\Temp\\Payload.PNG", "file.name": "payload.png",
    }),
    ("sysmon:registry_set", {
        "registry.path": "HKLM\\System\\CurrentControlSet\\Control\\Terminal Server\\fDenyTSConnections",
        "registry.value": "DWORD (0x00000000)", "event.action": "SetValue",
    }),
    ("sysmon:dns_query", {
        "dns.question.name": "cdn.example.net", "dns.rcode": "0",
        "dns.answers": ["edge.example.net", "203.0.113.7", "198.51.100.9"],
        "process.name": "agent.exe",
    }),
    ("sysmon:file_delete", {
        "file.name": "notes.txt", "file.hash.md5": "0123456789abcdef" * 2,
    }),
    ("winsec:logon_failed", {
        "event.outcome": "failure", "user.name": "corp\\bob", "winlog.logon.type": 3,
        "source.ip": "198.51.100.20", "source.port": 0, "source.workstation": "attacker-pc",
    }),
    ("winsec:special_privileges", {"user.name": "corp\\administrator"}),
    ("powershell:pipeline", {
        "powershell.command": "Invoke-WebRequest",
        "powershell.host_application": "powershell.exe -enc " + (
            "VwByAGkAdABlAC0ATwB1AHQAcAB1AHQAIAAnAGcAcgBhAHAAaABzAGkAZQBtAC0AdABlAHMAdAAnAA=="
        ),
        "process.command_line_decoded": DECODED,
        "user.name": "corp\\alice",
    }),
]


@pytest.mark.parametrize(("index", "case"), list(enumerate(EVENT_ID_EXPECTED)))
def test_event_id_mapping(index: int, case: tuple[str, dict]) -> None:
    kind, expected = case
    event = _parse(_records("event_ids.ndjson")[index])
    assert event.kind == kind
    assert {key: event.fields.get(key) for key in expected} == expected


def test_sysmon_events_are_timed_by_utctime_others_by_the_record() -> None:
    records = _records("event_ids.ndjson")
    assert _parse(records[0]).ts == pytest.approx(1709632803.0)  # UtcTime 10:00:03
    assert _parse(records[9]).ts == pytest.approx(1709632800.0)  # TimeCreated 10:00:00Z


def test_zone_less_event_time_uses_the_configured_zone() -> None:
    record = {"Hostname": "WS-0042", "EventID": 7036, "Channel": "System",
              "EventTime": "2024-03-05 11:00:01"}
    context = ParseContext(origin="fixture:1", default_timezone="Europe/Paris")
    assert _parse(record, context).ts == pytest.approx(1709632801.0)  # 10:00:01Z


def test_sentinel_event_data_packed_as_json_string() -> None:
    event = _parse(_records("sentinel_packed.ndjson")[0])
    assert event.kind == "winsec:logon"
    assert event.fields["user.name"] == "corp\\carol"
    assert event.fields["source.ip"] == "10.9.8.7"
    assert event.fields["event.channel"] == "Security"  # from Type=SecurityEvent
    assert event.host == "dc-01"


def test_sentinel_event_data_packed_as_xml_string() -> None:
    event = _parse(_records("sentinel_packed.ndjson")[1])
    assert event.kind == "winsec:special_privileges"
    assert event.fields["user.name"] == "corp & co\\carol"


@pytest.mark.parametrize("keywords", ["0x8020000000000000", -9223372036854775808,
                                      ["Audit Success"], None, {"odd": 1}])
def test_keywords_drift_is_harmless(keywords: object) -> None:
    record = _records("nxlog.ndjson")[1]
    record["Keywords"] = keywords
    assert _parse(record).kind == "winsec:logon"


@pytest.mark.parametrize(("record", "reason"), [
    ({"Hostname": "WS-1", "EventID": "abc", "Channel": "Security",
      "TimeCreated": "2024-03-05T10:00:00Z"}, "event id"),
    ({"Hostname": "WS-1", "EventID": "46\u00b2", "Channel": "Security",  # isdigit, not int()
      "TimeCreated": "2024-03-05T10:00:00Z"}, "event id"),
    ({"Hostname": "WS-1", "EventID": 4688, "Channel": "Security"}, "no timestamp"),
    ({"Hostname": "WS-1", "EventID": 4688, "Channel": "Security",
      "TimeCreated": "yesterday"}, "bad timestamp"),
    ({"Hostname": "WS-1", "EventID": 4688, "Channel": "Security",
      "TimeCreated": "2024-03-05T10:00:00Z", "NewProcessId": "0xZZ"}, "NewProcessId"),
    ({"Event": {"System": "nope"}}, "Event.System"),
])
def test_bad_records_are_rejected_with_a_reason(record: dict, reason: str) -> None:
    parser = next(p for p in parsers() if p.sniff(record) or p.name == "evtx_json"
                  and "Event" in record)
    with pytest.raises(ParseError, match=reason):
        list(parser.parse(record, ParseContext(origin="fixture:1")))


def test_parsers_refuse_non_objects() -> None:
    for parser in parsers():
        assert parser.sniff("EventID 4624") is False
        with pytest.raises(ParseError):
            list(parser.parse("EventID 4624", ParseContext()))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(min_value=0, max_value=4),
    fixture=st.sampled_from(sorted(SHAPES)),
    mutations=st.dictionaries(st.sampled_from([
        "EventID", "event_id", "Channel", "Hostname", "computer_name", "TimeCreated", "@timestamp",
        "UtcTime", "ProcessId", "NewProcessId", "CommandLine", "Image", "Hashes", "TimeGenerated",
        "Computer", "event_data", "winlog", "Event", "IpAddress", "LogonType", "QueryResults",
    ]), _json_values, max_size=4),
)
def test_mutated_records_parse_or_are_rejected_with_a_reason(
    index: int, fixture: str, mutations: dict
) -> None:
    record = _records(fixture)[index]
    record.update(mutations)
    for parser in parsers():
        if not parser.sniff(record):
            continue
        try:
            events = list(parser.parse(record, ParseContext(origin="fuzz:1")))
        except ParseError as exc:
            assert str(exc)
        else:
            assert len(events) == 1
            assert isinstance(events[0].ts, float)


@settings(max_examples=200, deadline=None)
@given(
    # the plausible window: from 1990 to a day past the clock (ingest.parsers.base)
    moment=st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2025, 12, 31)),
    separator=st.sampled_from([" ", "T"]),
    digits=st.integers(min_value=0, max_value=7),
)
def test_fast_sysmon_time_agrees_with_the_general_parser(
    moment: datetime, separator: str, digits: int
) -> None:
    text = moment.strftime(f"%Y-%m-%d{separator}%H:%M:%S")
    if digits:
        text += "." + f"{moment.microsecond:06d}{moment.microsecond % 10}"[:digits]
    expected = parse_timestamp(text, default_timezone="UTC")
    assert event_time({"UtcTime": text}, None, "UTC") == pytest.approx(expected, abs=1e-6)
    assert event_time({}, text + "Z", "Europe/Paris") == pytest.approx(expected, abs=1e-6)


def test_evtx_dump_named_data_kept_apart_from_attributes() -> None:
    record = {"Event": {"System": {
        "EventID": 10, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "WS-7",
        "TimeCreated": {"#attributes": {"SystemTime": "2024-03-05T10:00:00.000000Z"}}},
        "EventData": {"Data": [
            {"#attributes": {"Name": "SourceImage"}, "#text": "C:\\Tools\\dumper.exe"},
            {"#attributes": {"Name": "TargetImage"}, "#text": "C:\\Windows\\System32\\lsass.exe"},
        ]}}}
    event = _parse(record)
    assert event.kind == "sysmon:process_access"
    assert event.fields["target.process.name"] == "lsass.exe"
    assert event.fields["process.name"] == "dumper.exe"


def test_evtx_dump_user_data_is_read_as_event_data() -> None:
    record = {"Event": {"System": {
        "EventID": 4672, "Channel": "Security", "Computer": "WS-7",
        "TimeCreated": {"#attributes": {"SystemTime": "2024-03-05T10:00:00Z"}}},
        "UserData": {"Wrapper": {"SubjectUserName": "eve", "SubjectDomainName": "CORP"}}}}
    assert _parse(record).fields["user.name"] == "corp\\eve"


def test_a_failed_logon_keeps_why_it_failed() -> None:
    """4625 Status/SubStatus tell a wrong password (0xC000006A) from an account that does not exist."""
    record = {"TimeGenerated": "2024-03-05T10:00:00Z", "Computer": "DC-1", "EventID": "4625",
              "Channel": "Security",
              "EventData": {"TargetUserName": "ghost", "TargetDomainName": "CORP", "LogonType": "3",
                            "Status": "0xC000006D", "SubStatus": "0xC0000064", "FailureReason": "%%2313",
                            "IpAddress": "198.51.100.9"}}
    fields = _parse(record).fields
    assert (fields["winlog.logon.failure.status"], fields["winlog.logon.failure.sub_status"],
            fields["winlog.logon.failure.reason"]) == ("0xc000006d", "0xc0000064", "%%2313")
    record["EventData"]["SubStatus"] = ["0xC0000064"]  # a list, as some shapes give
    assert _parse(record).fields["winlog.logon.failure.sub_status"] == "0xc0000064"


def test_special_privileges_are_listed() -> None:
    record = {"TimeGenerated": "2024-03-05T10:00:00Z", "Computer": "WS-7", "EventID": 4672, "Channel": "Security",
              "EventData": {"SubjectUserName": "eve", "SubjectDomainName": "CORP",
                            "PrivilegeList": "SeDebugPrivilege\r\n\t\t\tSeTcbPrivilege\r\n\t\t\t"}}
    assert _parse(record).fields["winlog.privileges"] == ["SeDebugPrivilege", "SeTcbPrivilege"]
    record["EventData"]["PrivilegeList"] = ["SeDebugPrivilege", "SeTcbPrivilege"]  # a list, as some shapes give
    assert _parse(record).fields["winlog.privileges"] == ["SeDebugPrivilege", "SeTcbPrivilege"]


def test_sentinel_xml_event_data_with_single_quotes_and_unnamed_values() -> None:
    record = {"TimeGenerated": "2024-03-05T10:00:00Z", "Computer": "WS-7", "EventID": 4688,
              "Channel": "Security",
              "EventData": "<EventData><Data Name='NewProcessName'>C:\\x\\a.exe</Data>"
                           "<Data Name='NewProcessId'>0x10</Data><Data>loose</Data></EventData>"}
    event = _parse(record)
    assert event.fields["process.name"] == "a.exe"
    assert event.fields["process.pid"] == 16


@pytest.mark.parametrize("channel", ["security", "SECURITY", ""])
def test_security_events_are_known_by_any_channel_spelling_or_none(channel: str) -> None:
    record = _records("nxlog.ndjson")[1]
    record["Channel"] = channel
    assert _parse(record).kind == "winsec:logon"


def test_sysmon_ids_are_not_guessed_without_a_sysmon_channel() -> None:
    record = _records("nxlog.ndjson")[0]
    record["Channel"] = "Application"
    assert _parse(record).kind == "windows:other"


def _message_of(record: dict) -> str | None:
    return (record.get("message") or record.get("Message") or record.get("RenderedDescription")
            or record.get("Activity"))


def _with_nxlog_messages() -> list[dict]:
    return [{**record, "Message": f"rendered {index}"} for index, record in enumerate(_records("nxlog.ndjson"))]


@pytest.mark.parametrize("records", [
    _records("winlogbeat7.ndjson"), _records("sentinel.ndjson"), _with_nxlog_messages(),
], ids=["winlogbeat7", "sentinel", "nxlog"])
def test_only_unmapped_events_copy_the_message_the_raw_record_keeps_it(records: list[dict]) -> None:
    kinds = set()
    for record in records:
        message = _message_of(record)
        assert message
        event = _parse(record)
        kinds.add(event.kind)
        if event.kind == "windows:other":
            assert event.fields["message"] == message
        else:
            assert "message" not in event.fields
        assert event.raw is record and _message_of(event.raw) == message
    assert "windows:other" in kinds and len(kinds) == len(records)


def test_callers_may_keep_the_message_of_mapped_events() -> None:
    record = _records("winlogbeat7.ndjson")[1]
    event = to_event(from_winlogbeat(record), source="winlogbeat", context=ParseContext(), raw=record)
    assert event.kind == "winsec:logon" and event.fields["message"] == "fixture"


def _sysmon_1(image: str, command_line: str) -> dict:
    record = _records("winlogbeat7.ndjson")[0]
    record["winlog"]["event_data"].update(Image=image, CommandLine=command_line)
    return record


@pytest.mark.parametrize(
    ("image", "command_line", "decoded"),
    [
        # the audit's false positive: cmd.exe echoing text that happens to follow "-e"
        (r"C:\Windows\System32\cmd.exe", "cmd /c echo -e SGVsbG8gV29ybGQhISE=", None),
        # cmd.exe running PowerShell: the stager is searchable on the cmd.exe process too
        (r"C:\Windows\System32\cmd.exe", "cmd /c powershell -enc SQBFAFgA", "IEX"),
        # PowerShell by its image, whatever the command line's program is written as
        (r"C:\Program Files\PowerShell\7\pwsh.exe", "pwsh -ec SQBFAFgA", "IEX"),
        (r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", '"powershell" \u2013enc "SQBFAFgA"', "IEX"),
        # PowerShell, but what follows -e is not a script
        (r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", "powershell -e SGVsbG8gV29ybGQhISE=", None),
        # a renamed copy of PowerShell (T1036.003) runs the payload just the same
        (r"C:\Users\Public\svch0st.exe", "svch0st.exe -nop -w hidden -enc SQBFAFgA", "IEX"),
    ],
)
def test_sysmon_1_decodes_scripts_not_garbage(image: str, command_line: str, decoded: str | None) -> None:
    event = _parse(_sysmon_1(image, command_line))
    assert event.fields["process.command_line"] == command_line  # kept as written
    assert event.fields.get("process.command_line_decoded") == decoded
