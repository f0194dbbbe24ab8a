"""MDE ``ServiceInstalled`` and ``ScheduledTaskCreated``/``Updated`` rows: the kinds and fields of 7045/4698/4702.

Rows are made here from the ``DeviceEvents`` layout of ``fixtures/mde/advanced_hunting.json``
(its ``PowerShellCommand`` row's columns), with ``AdditionalFields`` as Microsoft's
advanced hunting writes them for these actions: ``ServiceName``, ``ServiceStartType``,
``ServiceAccount``; ``TaskName`` and ``TaskContent`` (the definition as JSON text).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from ingest.parsers.windows_persistence import SERVICE_KIND, TASK_CREATED_KIND, TASK_UPDATED_KIND
from tests.ingest.parsers.test_mde import ROWS, parse
from tests.ingest.parsers.test_windows_persistence import (
    CMD,
    ENCODED,
    POWERSHELL,
    STAGER,
    TASK_LINE,
    TASK_XML,
)

BASE = {key: value for key, value in ROWS["powershell_command"].items() if key != "AdditionalFields"}
INSTALLER = "c:\\windows\\system32\\sc.exe"
TASK_JSON = {
    "Triggers": {"BootTrigger": {"Enabled": "true"}},
    "Principals": {"Principal": {"id": "Author", "UserId": "S-1-5-18", "RunLevel": "HighestAvailable"}},
    "Settings": {"Hidden": "false"},
    "Actions": {"Exec": [{"Command": "powershell.exe", "Arguments": f"-nop -w hidden -enc {ENCODED}"},
                         {"Command": "%windir%\\system32\\cmd.exe", "Arguments": "/c whoami"}]},
}


def row(action: str, additional: dict[str, Any], **columns: Any) -> dict[str, Any]:
    return {**BASE, "ActionType": action, "AdditionalFields": json.dumps(additional),
            "InitiatingProcessFolderPath": INSTALLER, "InitiatingProcessFileName": "sc.exe",
            "InitiatingProcessCommandLine": "sc.exe create updsvc binPath= ...", **columns}


def test_service_installed_is_a_service_install_with_its_command_and_account() -> None:
    [event] = parse(row("ServiceInstalled", {"ServiceName": "updsvc", "ServiceStartType": 3, "ServiceType": 16,
                                             "ServiceAccount": "LocalSystem"},
                        FolderPath="C:\\Windows\\system32\\cmd.exe", FileName="cmd.exe",
                        ProcessCommandLine=f"%COMSPEC% /c powershell -enc {ENCODED}"))
    fields = event.fields
    assert event.kind == SERVICE_KIND
    assert fields["service.name"] == "updsvc" and fields["service.start_type"] == "demand start"
    assert fields["service.type"] == "user mode service"
    assert fields["process.executable"] == CMD
    assert fields["process.command_line"] == f"{CMD} /c powershell -enc {ENCODED}"
    assert fields["process.command_line_decoded"] == STAGER
    assert fields["user.name"] == "nt authority\\system"
    # the row's own process is the installer, not what will run
    assert fields["installer.process.name"] == "sc.exe"
    assert fields["subject.user.name"] == "corp\\jdoe"
    assert "mde.additional.ServiceName" not in fields


def test_service_installed_without_a_command_line_takes_the_image() -> None:
    [event] = parse(row("ServiceInstalled", {"ServiceName": "PSEXESVC"}, FolderPath="C:\\Windows\\PSEXESVC.exe",
                        FileName="PSEXESVC.exe"))
    assert event.fields["process.executable"] == "C:\\Windows\\PSEXESVC.exe"
    assert event.fields["process.command_line"] == "C:\\Windows\\PSEXESVC.exe"


@pytest.mark.parametrize("content", [json.dumps(TASK_JSON), TASK_JSON, TASK_XML], ids=["json-text", "object", "xml"])
def test_scheduled_task_created_reads_its_definition(content: Any) -> None:
    [event] = parse(row("ScheduledTaskCreated", {"TaskName": "\\OneDrive Sync", "TaskContent": content}))
    fields = event.fields
    assert event.kind == TASK_CREATED_KIND
    assert fields["task.name"] == "\\OneDrive Sync"
    assert fields["process.executable"] == POWERSHELL and fields["process.command_line"] == TASK_LINE
    assert fields["task.command_lines"][1] == f"{CMD} /c whoami"
    assert fields["user.name"] == "nt authority\\system"


def test_scheduled_task_updated_and_a_refused_definition() -> None:
    [event] = parse(row("ScheduledTaskUpdated", {"TaskName": "t", "TaskContent": "<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"}))
    assert event.kind == TASK_UPDATED_KIND
    assert event.fields["task.content_error"] == "task XML refused: DTDForbidden"


def test_additional_fields_as_an_object_read_alike() -> None:
    additional = {"TaskName": "t", "TaskContent": json.dumps(TASK_JSON)}
    as_text = parse(row("ScheduledTaskCreated", additional))[0].fields
    as_object = parse({**row("ScheduledTaskCreated", {}), "AdditionalFields": additional})[0].fields
    assert orjson.dumps(as_text, option=orjson.OPT_SORT_KEYS) == orjson.dumps(as_object, option=orjson.OPT_SORT_KEYS)
