"""Classic Splunk ``WinEventLog`` text: the same events as the XML of the same event, times, bounds, framing."""

from __future__ import annotations

import io

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.journal import Journal
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.windows_kv import (
    MAX_LINES,
    MAX_TEXT_CHARS,
    WindowsKvParser,
    message_data,
    script_data,
    split_text,
)
from ingest.parsers.windows_persistence import TASK_UPDATED_KIND
from ingest.pipeline import ingest_paths, ingest_records
from ingest.readers.windows_kv_text import WindowsKvTextReader
from ingest.registry import default_registry
from tests.ingest.fuzz_seeds import seed_lines
from tests.ingest.parsers.test_windows_persistence import _KV_HEADER, CMD, TASK_LINE, TASK_XML
from tests.ingest.parsers.test_windows_xml_splunk_properties import splice
from tests.ingest.parsers.windows_kv_cases import (
    CASES,
    SECURITY_HEADER,
    SYSMON_1_DATA,
    SYSMON_HEADER,
    kv_text,
)
from tests.ingest.parsers.windows_xml_render import render
from tests.ingest.test_pipeline_fuzz import check

REGISTRY = default_registry()
KV = WindowsKvParser()
"""The file readers with this one first (ingest/readers/files.py is to list it: see the module)."""


def parse(text: str, context: ParseContext | None = None):
    (event,) = KV.parse(text, context or ParseContext(origin="t"))
    return event


def parse_xml(text: str):
    (event,) = REGISTRY.get("windows_xml").parse(text, ParseContext(origin="x"))
    return event


def journal_events(journal: Journal) -> list:
    return [item.event for item in journal.iter_events()]


def without(fields: dict, names: frozenset[str]) -> dict:
    return {key: value for key, value in fields.items() if key not in names}


# -- the same event as text and as XML ------------------------------------------------------------


@pytest.mark.parametrize("style", ["wevtutil", "toxml"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_text_gives_the_event_the_xml_of_the_same_event_gives(case, style):
    text, record, different = CASES[case]
    assert REGISTRY.detect(text).name == "windows_kv"
    kv, xml = parse(text), parse_xml(render(record, style))
    assert kv.kind != "windows:other"
    assert (kv.kind, kv.ts, kv.host, kv.source) == (xml.kind, xml.ts, xml.host, "windows_kv")
    assert without(kv.fields, different) == without(xml.fields, different)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_message_labels_are_read_under_windows_event_data_names(case):
    text, record, _ = CASES[case]
    _, header, message = split_text(text)
    data = script_data(message) if header["EventCode"] == "4104" else message_data(
        message, flat="sysmon" in header["LogName"].lower())
    assert data is not None and set(data) == set(record["Event"]["EventData"])


def test_a_label_repeated_in_two_sections_is_read_by_its_section():
    _, _, message = split_text(CASES["4688"][0])
    data = message_data(message)
    assert (data["SubjectUserName"], data["TargetUserName"]) == ("WS01$", "alice")
    assert (data["SubjectLogonId"], data["TargetLogonId"]) == ("0x3E7", "0x1F3A2")
    assert (data["ProcessId"], data["ParentProcessName"]) == ("0x2d0", "C:\\Windows\\explorer.exe")
    event = parse(CASES["4688"][0])
    assert event.fields["user.name"] == "corp\\alice"
    assert (event.fields["process.pid"], event.fields["process.parent.pid"]) == (0x1A2C, 0x2D0)


def test_4672_privileges_one_a_line_are_one_list():
    assert parse(CASES["4672"][0]).fields["winlog.privileges"] == [
        "SeSecurityPrivilege", "SeBackupPrivilege", "SeRestorePrivilege", "SeDebugPrivilege"]


def test_4625_s_top_level_logon_type_and_failure_are_read():
    fields = parse(CASES["4625"][0]).fields
    assert fields["winlog.logon.type"] == 3 and fields["source.ip"] == "203.0.113.9"
    assert fields["winlog.logon.failure.status"] == "0xc000006d"
    assert fields["winlog.logon.failure.reason"] == "Unknown user name or bad password."


def test_labels_without_values_are_empty_values_not_the_next_line():
    # Splunk's SEDCMD clean-ups write "Account Name:" for "Account Name: -"
    text = kv_text(SECURITY_HEADER, 4624, "Logon",
                   "An account was successfully logged on.\n\nSubject:\n\tSecurity ID:\n\tAccount Name:\n"
                   "\tAccount Domain:\n\tLogon ID:\n\nLogon Information:\n\tLogon Type:\t\t3\n\n"
                   "New Logon:\n\tAccount Name:\t\tbob\n\tAccount Domain:\t\tCORP\n\n"
                   "Network Information:\n\tWorkstation Name:\n\tSource Network Address:\t10.1.1.1\n"
                   "\tSource Port:")
    _, _, message = split_text(text)
    data = message_data(message)
    assert data["SubjectUserName"] == "" and data["WorkstationName"] == "" and data["IpPort"] == ""
    event = parse(text)
    assert (event.kind, event.fields["user.name"], event.fields["source.ip"]) == (
        "winsec:logon", "corp\\bob", "10.1.1.1")


def test_an_unmapped_event_keeps_its_message_and_labels_as_event_data():
    text = kv_text(SECURITY_HEADER, 5140, "File Share",
                   "A network share object was accessed.\n\nSubject:\n\tAccount Name:\t\talice\n\n"
                   "Network Information:\n\tObject Type:\t\tFile\n\tSource Address:\t\t10.0.0.9\n\n"
                   "Share Information:\n\tShare Name:\t\t\\\\*\\C$")
    event = parse(text)
    assert event.kind == "windows:other" and event.fields["message"].startswith("A network share")
    assert event.fields["winlog.event_data.ShareName"] == "\\\\*\\C$"
    assert event.fields["winlog.event_data.SubjectUserName"] == "alice"


# -- time -----------------------------------------------------------------------------------------

SECURITY_4688 = CASES["4688"][0]
SYSMON_1 = CASES["sysmon-1"][0]
HEADER_AS_UTC = 1795948262.0  # 2026-11-29 10:31:02 read as UTC


def test_the_header_is_read_in_the_default_zone():
    assert parse(SECURITY_4688).ts == HEADER_AS_UTC
    paris = parse(SECURITY_4688, ParseContext(default_timezone="Europe/Paris"))
    assert paris.ts == HEADER_AS_UTC - 3600 and "event.timezone" not in paris.fields


def test_milliseconds_and_a_24_hour_header_are_read():
    assert parse(SECURITY_4688.replace("10:31:02 AM", "10:31:02.250 PM", 1)).ts == HEADER_AS_UTC + 12 * 3600 + 0.25
    assert parse(SECURITY_4688.replace("10:31:02 AM", "22:31:02", 1)).ts == HEADER_AS_UTC + 12 * 3600


def test_sysmon_s_utc_time_dates_a_sysmon_event_whatever_the_header_says():
    shifted = SYSMON_1.replace("10:31:02 AM", "04:01:02 PM", 1)  # a host at UTC+05:30
    assert parse(shifted).ts == HEADER_AS_UTC + 0.123
    assert parse(shifted, ParseContext(default_timezone="Asia/Kolkata")).ts == HEADER_AS_UTC + 0.123


def splunk_result(raw: str, time: str, host: str = "ws01") -> dict:
    return {"_raw": raw, "_time": time, "host": host, "sourcetype": "WinEventLog:Security",
            "source": "WinEventLog:Security", "index": "wineventlog"}


def parse_wrapped(wrapper: dict, timezone: str = "UTC"):
    (event,) = REGISTRY.get("splunk").parse(wrapper, ParseContext(origin="s", default_timezone=timezone))
    return event


@pytest.mark.parametrize("timezone", ["UTC", "America/New_York"])
def test_splunk_s_time_dates_the_header_and_says_its_zone(timezone):
    # the host wrote 10:31:02 local time; Splunk's forwarder knew its zone (UTC+01:00)
    event = parse_wrapped(splunk_result(SECURITY_4688, "2026-11-29T10:31:02.000+01:00"), timezone)
    assert event.ts == HEADER_AS_UTC - 3600 and event.fields["event.timezone"] == "+01:00"
    assert event.source == "windows_kv" and event.kind == "winsec:process_create"


def test_splunk_s_time_that_is_no_zone_offset_leaves_the_header_in_the_default_zone():
    event = parse_wrapped(splunk_result(SECURITY_4688, "2026-11-29T09:54:00.000+00:00"))
    assert event.ts == HEADER_AS_UTC and "event.timezone" not in event.fields


def test_sysmon_s_utc_time_wins_over_a_wrong_splunk_time():
    # a forwarder with the wrong zone: _time an hour off; UtcTime is UTC by definition
    event = parse_wrapped(splunk_result(SYSMON_1, "2026-11-29T11:31:02.000+00:00"))
    assert event.ts == HEADER_AS_UTC + 0.123 and "event.timezone" not in event.fields


def test_a_text_without_header_time_takes_splunk_s_time():
    headless = SECURITY_4688.split("\n", 1)[1]
    assert REGISTRY.detect(headless).name == "windows_kv"
    assert parse_wrapped(splunk_result(headless, "2026-11-29T10:31:02.500+00:00")).ts == HEADER_AS_UTC + 0.5
    with pytest.raises(ParseError, match="without a header time"):
        parse(headless)


def test_the_splunk_time_hint_does_not_outlive_the_wrapped_record():
    context = ParseContext(origin="s")
    list(REGISTRY.get("splunk").parse(splunk_result(SECURITY_4688, "2026-11-29T10:31:02.000+01:00"), context))
    assert context.extras == {}
    assert parse(SECURITY_4688, context).ts == HEADER_AS_UTC


def test_a_host_s_sysmon_events_date_its_security_events_in_a_text_file(tmp_path, journal):
    # the host's clock is UTC+01:00: its header says 11:31, Sysmon's UtcTime 10:31
    sysmon = SYSMON_1.replace("10:31:02 AM", "11:31:02 AM", 1)
    security = SECURITY_4688.replace("10:31:02 AM", "11:35:00 AM", 1)
    path = tmp_path / "wineventlog.log"
    path.write_text(sysmon + "\n\n" + security + "\n")
    report = ingest_paths([path], store=None, journal=journal, progress=False)
    assert (report.total.received, report.total.accepted) == (2, 2)
    events = {event.kind: event for event in journal_events(journal)}
    assert events["sysmon:process_create"].ts == HEADER_AS_UTC + 0.123
    dated = events["winsec:process_create"]
    assert dated.ts == HEADER_AS_UTC + 238 and dated.fields["event.timezone"] == "+01:00"


# -- Splunk exports through the pipeline ----------------------------------------------------------


def test_splunk_results_pages_export_lines_and_hec_events_with_classic_raw_are_read(journal):
    texts = [CASES[name][0] for name in ("4688", "4624", "sysmon-3")]
    page = {"preview": False, "init_offset": 0,
            "results": [splunk_result(text, "2026-11-29T10:31:02.000+00:00") for text in texts]}
    line = {"preview": False, "offset": 0, "result": splunk_result(CASES["4672"][0], "1795948262")}
    hec = {"time": 1795948262, "host": "ws01", "sourcetype": "WinEventLog:Security", "event": CASES["4625"][0]}
    report = ingest_records(orjson.dumps(page) + b"\n" + orjson.dumps(line) + b"\n" + orjson.dumps(hec),
                            store=None, journal=journal)
    assert (report.total.received, report.total.accepted, report.total.rejected) == (5, 5, 0)
    kinds = sorted(event.kind for event in journal_events(journal))
    assert kinds == ["sysmon:network_connect", "winsec:logon", "winsec:logon_failed", "winsec:process_create",
                     "winsec:special_privileges"]
    assert {event.host for event in journal_events(journal)} == {"ws01"}


def test_a_text_without_computer_name_takes_splunk_s_host():
    text = SECURITY_4688.replace("ComputerName=ws01.corp.local\n", "")
    event = parse_wrapped(splunk_result(text, "2026-11-29T10:31:02.000+00:00", host="WS-0042"))
    assert (event.host, event.fields["host.name.original"]) == ("ws-0042", "WS-0042")


# -- hostile text ---------------------------------------------------------------------------------


def test_text_over_the_size_limit_is_rejected_with_its_size():
    huge = SECURITY_4688 + "\n\tProcess Command Line:\t" + "A" * MAX_TEXT_CHARS
    with pytest.raises(ParseError, match="over the limit of"):
        parse(huge)


def test_a_hundred_thousand_lines_are_rejected_before_they_are_split():
    assert MAX_LINES < 100_000
    text = SECURITY_4688 + "\n\tx" * 100_000
    with pytest.raises(ParseError, match=f"of {text.count(chr(10)) + 1} lines, over the limit of {MAX_LINES}"):
        parse(text)


@pytest.mark.timeout(20)
def test_long_runs_of_blanks_and_colons_are_read_in_linear_time():
    value = "a" + " " * 200_000 + "b"
    text = kv_text(SYSMON_HEADER, 1, "Process Create", "Process Create:\nUtcTime: 2026-11-29 10:31:02.123\n"
                   f"Image: C:\\a.exe\nCommandLine: {value}\n\n" + ":" * 200_000 + "\n" + "\t" * 200_000 + "x:")
    event = parse(text)
    assert event.fields["process.command_line"] == value and event.fields["process.executable"] == "C:\\a.exe"


@pytest.mark.parametrize(("text", "reason"), [
    ("11/29/2026 10:31:02 AM\nLogName=Security\nEventType=0\nMessage=x", "without a numeric EventCode"),
    ("11/29/2026 10:31:02 AM\nLogName=Security\nEventCode=99999999\nMessage=x", "without a numeric EventCode"),
    ("13/45/2026 10:31:02 AM\nLogName=Security\nEventCode=4688\nMessage=x", "unreadable header time"),
    ("11/29/2026 13:31:02 PM\nLogName=Security\nEventCode=4688\nMessage=x", "unreadable header time"),
])
def test_bad_texts_are_rejected_with_their_reason(text, reason):
    assert KV.sniff(text)
    with pytest.raises(ParseError, match=reason):
        parse(text)


def test_syslog_lines_are_not_claimed_and_classic_texts_are_not_taken_for_syslog():
    lines = [line for line in seed_lines() if isinstance(line, str)]
    assert lines
    lines += ["<13>Nov 29 10:31:02 ws01 sshd[1]: Failed password", "11/29/2026 10:31:02 AM something happened"]
    assert not any(KV.sniff(line) for line in lines)
    assert all(REGISTRY.detect(text).name == "windows_kv" for text, _, _ in CASES.values())


# -- text files -----------------------------------------------------------------------------------


def read(data: bytes, **kwargs):
    return list(WindowsKvTextReader(**kwargs).read(io.BytesIO(data), "f.log"))


def test_a_text_file_is_framed_into_its_events_by_the_header_lines():
    texts = [CASES[name][0] for name in ("4688", "sysmon-1", "4672")]
    data = ("\r\n".join(texts[0].split("\n")) + "\r\n\r\n" + texts[1] + "\n" + texts[2] + "\n\n").encode()
    frames = read(data)
    assert [frame.origin for frame in frames] == ["f.log:1", f"f.log:{texts[0].count(chr(10)) + 3}",
                                                  f"f.log:{texts[0].count(chr(10)) + texts[1].count(chr(10)) + 4}"]
    assert [parse(frame.record).kind for frame in frames] == [
        "winsec:process_create", "sysmon:process_create", "winsec:special_privileges"]
    assert frames[1].record == texts[1] and all(frame.format_hint == "windows_kv" for frame in frames)


def test_a_time_line_inside_a_message_does_not_start_an_event():
    text = kv_text(SYSMON_HEADER, 1, "Process Create", "Process Create:\nUtcTime: 2026-11-29 10:31:02.123\n"
                   "Image: C:\\a.exe\nCommandLine: echo\n11/29/2026 10:31:02 AM\nnot a header")
    (frame,) = read(text.encode())
    assert frame.record == text and parse(frame.record).fields["process.executable"] == "C:\\a.exe"


def test_text_before_the_first_event_and_an_event_over_the_limit_are_rejected_and_reading_goes_on():
    first, second = CASES["4688"][0], CASES["4624"][0]
    big = first + "\n" + "x" * 5000
    frames = read(("junk line\n" + big + "\n" + second).encode(), max_event_bytes=4096)
    reasons = [getattr(frame, "reason", None) for frame in frames]
    assert reasons[0].startswith("text before the first Windows event") and "'junk line'" in reasons[0]
    assert reasons[1].startswith("Windows event text too long") and len(frames) == 3
    assert frames[2].record == second


def test_a_text_file_through_the_pipeline_is_journaled_once(tmp_path, journal):
    path = tmp_path / "security.log"
    path.write_text("\n".join(text for text, _, _ in CASES.values()))
    first = ingest_paths([path], store=None, journal=journal, progress=False)
    again = ingest_paths([path], store=None, journal=journal, progress=False)
    assert (first.total.accepted, first.total.rejected) == (len(CASES), 0)
    # chosen by the default readers (`graphsiem ingest`), not read line by line as plain text
    assert first.files[str(path)].reader == "windows_kv_text"
    assert (again.total.received, again.total.accepted) == (len(CASES), len(CASES))
    # the same ids: nothing added; the two 4688 cases share the header's RecordNumber and time but not
    # their data, so they are two events (ingest.parsers.windows_record_ids)
    assert journal.counts()["events"] == len(CASES)


# -- property: nothing raises out of the pipeline -------------------------------------------------

PIECES = ("\n", "\r\n", "\t", ":", "Message=", "EventCode=", "EventCode=4688\n", "LogName=Security\n",
          "11/29/2026 10:31:02 AM\n", "\tAccount Name:\t", "Creator Subject:\n", "UtcTime: 9999-99-99 99:99:99\n",
          "UtcTime: 2026-11-29 10:31:02.123\n", "\x00", "\ufeff", "\ud800", "Creating Scriptblock text (1 of 1):\n",
          "ScriptBlock ID: x\n", " " * 300, "ComputerName=\n", "13/13/2026 99:99:99 PM\n")
SEEDS = [text for text, _, _ in CASES.values()]


@st.composite
def mutated_texts(draw: st.DrawFn) -> str:
    """A case's text with pieces of the format (or random text) spliced in, cut out or doubled."""
    return splice(draw, draw(st.sampled_from(SEEDS)), PIECES, edits=6, cut=120, double=300)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(mutated_texts(), min_size=1, max_size=5), stamp=st.sampled_from(
    ["2026-11-29T10:31:02.000+01:00", "1795948262", "garbage", "", "1e300"]))
def test_mutated_texts_in_splunk_results_never_break_the_pipeline(journal, texts, stamp):
    before = journal.counts()["rejected"]
    texts = [text.replace("\ud800", "\ufffd") for text in texts]  # JSON text holds no lone surrogate
    page = {"preview": False, "init_offset": 0, "results": [splunk_result(text, stamp) for text in texts]}
    report = ingest_records(orjson.dumps(page), store=None, journal=journal)
    assert report.total.received == len(texts)
    check(report, journal, before)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(mutated_texts(), min_size=1, max_size=5))
def test_mutated_text_files_never_break_the_pipeline(tmp_path_factory, texts):
    folder = tmp_path_factory.mktemp("kv")
    path = folder / "wineventlog.log"
    path.write_bytes("\n".join(texts).encode("utf-8", "surrogatepass"))
    with Journal(folder / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)
        check(report, journal, 0)


# -- a value's own lines are not labels (review H9) -----------------------------------------------


def sysmon_text(code: int, data: dict[str, str], title: str = "Process Create:") -> str:
    message = title + "\n" + "\n".join(f"{name}: {value}" for name, value in data.items())
    return kv_text(SYSMON_HEADER, code, "x", message)


FORGED_LABELS = "cmd.exe /c echo x\nUser: NT AUTHORITY\\SYSTEM\nParentImage: C:\\Windows\\explorer.exe"


def test_label_lines_inside_a_sysmon_command_line_stay_in_the_command_line():
    data = dict(SYSMON_1_DATA) | {"CommandLine": FORGED_LABELS}
    fields = parse(sysmon_text(1, data)).fields
    assert fields["user.name"] == "corp\\alice"
    assert fields["process.parent.executable"] == "C:\\Windows\\System32\\wscript.exe"
    assert fields["process.command_line"] == FORGED_LABELS


def test_a_whole_forged_tail_of_fields_inside_a_command_line_loses_to_the_real_fields():
    real = dict(SYSMON_1_DATA)
    names = list(real)
    forged_tail = "\n".join(f"{name}: forged" for name in names[names.index("CommandLine") + 1:])
    data = real | {"CommandLine": "cmd.exe /c x\n" + forged_tail}
    message = message_data(split_text(sysmon_text(1, data))[2], template=("sysmon", 1))
    assert message["User"] == "CORP\\alice" and message["ParentUser"] == "CORP\\alice"
    assert message["CommandLine"] == "cmd.exe /c x\n" + forged_tail


def test_a_user_line_inside_a_sysmon_13_registry_value_stays_in_the_value():
    details = "C:\\Users\\alice\\run.exe\nUser: NT AUTHORITY\\SYSTEM"
    data = {"RuleName": "-", "EventType": "SetValue", "UtcTime": "2026-11-29 10:31:02.123",
            "ProcessGuid": "{a95c9ede-899e-60d4-e391-2d0300000000}", "ProcessId": "6276",
            "Image": "C:\\Windows\\regedit.exe",
            "TargetObject": "HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x",
            "Details": details, "User": "CORP\\alice"}
    text = sysmon_text(13, data, "Registry value set:")
    assert message_data(split_text(text)[2], template=("sysmon", 13))["Details"] == details
    assert parse(text).fields["user.name"] == "corp\\alice"


def test_a_target_subject_inside_a_2012_r2_4688_command_line_is_not_the_target():
    text = kv_text(SECURITY_HEADER, 4688, "Process Creation",
                   "A new process has been created.\n\nSubject:\n\tSecurity ID:\t\tS-1-5-18\n"
                   "\tAccount Name:\t\tWS01$\n\tAccount Domain:\t\tCORP\n\tLogon ID:\t\t0x3E7\n\n"
                   "Process Information:\n\tNew Process ID:\t\t0x1a2c\n"
                   "\tNew Process Name:\tC:\\Windows\\System32\\cmd.exe\n\tToken Elevation Type:\t%%1936\n"
                   "\tCreator Process ID:\t0x2d0\n\tProcess Command Line:\tcmd.exe /c whoami\n\n"
                   "Target Subject:\n\tAccount Name:\t\tadministrator\n\tAccount Domain:\t\tCORP\n\n"
                   "Token Elevation Type indicates the type of token that was assigned to the new process.")
    data = message_data(split_text(text)[2], template=("security", 4688))
    assert "TargetUserName" not in data and data["SubjectUserName"] == "WS01$"
    fields = parse(text).fields
    assert fields.get("user.name") != "corp\\administrator"
    assert fields["process.command_line"] == "cmd.exe /c whoami"


def test_a_source_address_inside_a_4625_workstation_name_is_not_the_source():
    text = CASES["4625"][0].replace("Workstation Name:\tKALI",
                                    "Workstation Name:\tKALI\n\tSource Network Address:\t10.20.0.15")
    fields = parse(text).fields
    assert fields["source.ip"] == "203.0.113.9"


def test_an_unknown_event_keeps_the_first_of_a_repeated_label():
    text = kv_text(SECURITY_HEADER, 5140, "File Share",
                   "A network share object was accessed.\n\nShare Information:\n\tShare Name:\t\t\\\\*\\C$\n"
                   "\tShare Name:\t\t\\\\*\\ADMIN$")
    assert parse(text).fields["winlog.event_data.ShareName"] == "\\\\*\\C$"


@pytest.mark.timeout(20)
def test_sixteen_thousand_continuation_lines_are_joined_once():
    import time

    text = kv_text(SYSMON_HEADER, 1, "x", "Process Create:\nUtcTime: 2026-11-29 10:31:02.123\nImage: C:\\a.exe\n"
                   "CommandLine: a\n" + "\n".join(["x" * 60] * 16_000))
    _, _, message = split_text(text)
    costs = []
    for _ in range(3):
        began = time.process_time()
        data = message_data(message, template=("sysmon", 1))
        costs.append(time.process_time() - began)
    assert data["CommandLine"].count("\n") == 16_000
    assert min(costs) < 0.1  # joined once: ~10 ms; adding to the value line by line took 231 ms


def test_a_forged_header_inside_a_sysmon_command_line_does_not_start_an_event():
    forged = ("cmd.exe /c evil.exe\n11/29/2026 10:31:05 AM\nLogName=Security\nEventCode=4624\n"
              "ComputerName=dc01.corp.local\nMessage=An account was successfully logged on.")
    text = sysmon_text(1, dict(SYSMON_1_DATA) | {"CommandLine": forged})
    frames = read((text + "\n" + CASES["4672"][0]).encode())
    assert [frame.record for frame in frames] == [text, CASES["4672"][0]]
    assert parse(frames[0].record).fields["process.command_line"] == forged


# -- scheduled tasks: the task XML is the task creator's text (review H9) --------------------------


def _task_text(code: int, label: str, xml: str) -> str:
    return (_KV_HEADER.format(channel="Security", code=code)
            + "Message=A scheduled task was created.\n\nSubject:\n\tAccount Name:\t\tadm-jdoe\n"
            f"\tAccount Domain:\t\tCORP\n\nTask Information:\n\tTask Name: \t\t\\OneDrive Sync\n\t{label}: \t\t" + xml)


@pytest.mark.parametrize("xml", [
    TASK_XML.replace("</RegistrationInfo>\n", "</RegistrationInfo>\n\n"),
    TASK_XML.replace("</URI>", "</URI><Description>\nNote: keeps files in sync</Description>"),
], ids=["a blank line", "a label-like description line"])
def test_every_line_after_task_content_is_the_task_xml(xml) -> None:
    """The task's creator writes the XML: its blank lines and ``Note:`` lines are not the message's."""
    task = parse(_task_text(4698, "Task Content", xml))
    assert task.fields.get("task.content_error") is None
    assert task.fields["task.command_lines"] == [TASK_LINE, f"{CMD} /c whoami"]


def test_4702_s_task_new_content_label_is_read_as_the_updated_definition() -> None:
    task = parse(_task_text(4702, "Task New Content", TASK_XML))
    assert task.kind == TASK_UPDATED_KIND
    assert task.fields["task.command_lines"] == [TASK_LINE, f"{CMD} /c whoami"]


def test_fields_before_a_command_line_forged_inside_it_lose_to_the_real_ones():
    # a run through the forged Image..CommandLine is as long as the real one: the real ProcessId,
    # a field Windows writes on one line, must be followed by the next label line, the real Image
    forged = ("x\nImage: C:\\Windows\\System32\\svchost.exe\nFileVersion: 1\nDescription: Host\nProduct: Windows\n"
              "Company: Microsoft Corporation\nOriginalFileName: svchost.exe\nCommandLine: svchost.exe -k netsvcs")
    data = message_data(split_text(sysmon_text(1, dict(SYSMON_1_DATA) | {"CommandLine": forged}))[2],
                        template=("sysmon", 1))
    assert data["Image"] == SYSMON_1_DATA["Image"] and data["OriginalFileName"] == "PowerShell.EXE"
    assert data["CommandLine"] == forged and data["ProcessId"] == "6276"


def test_a_service_account_inside_a_7045_service_file_name_is_not_the_account():
    text = (_KV_HEADER.format(channel="System", code=7045)
            + "Message=A service was installed in the system.\n\nService Name:  upd\n"
            "Service File Name:  cmd.exe /c x\nService Account:  LocalSystem\nService Type:  user mode service\n"
            "Service Start Type:  demand start\nService Account:  CORP\\svc-backup")
    fields = parse(text).fields
    assert fields["user.name"] == "corp\\svc-backup"
    assert fields["process.command_line"].startswith("cmd.exe /c x\nService Account:  LocalSystem")


def test_an_older_sysmon_event_without_parent_user_still_ends_at_the_next_header():
    older = {name: value for name, value in SYSMON_1_DATA.items() if name != "ParentUser"}
    texts = [sysmon_text(1, older), CASES["4672"][0]]
    assert [frame.record for frame in read("\n".join(texts).encode())] == texts
