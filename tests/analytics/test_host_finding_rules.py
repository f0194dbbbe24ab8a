"""The LSASS reader allow list admits only the names Windows ships in System32 (analytics.host_finding_rules,
HOSTF2): an administrator can create a file under a free name there (lsm.exe since Windows 8), and its read
of LSASS is a finding whether its creation is in the window or not; Task Manager's read is its dump."""

from __future__ import annotations

import pytest

from analytics.host_finding_rules import allowed_lsass_reader
from analytics.host_findings import hits_of_events

SYSTEM32 = "C:\\Windows\\System32\\"


def _reads(image: str, *, original: str | None = None, command: str | None = None, mask: str = "0x1410") -> list[str]:
    events: list[tuple] = []
    if original is not None:
        events.append(("c", "sysmon:process_create", 50.0,
                       {"process.executable": image, "process.command_line": command or image, "process.guid": "g",
                        "process.pe.original_file_name": original}))
    events.append(("a", "sysmon:process_access", 60.0,
                   {"process.executable": image, "process.guid": "g", "target.granted_access": mask,
                    "target.process.executable": SYSTEM32 + "lsass.exe"}))
    return [h.rule for h in hits_of_events("ws-1", events)]


@pytest.mark.parametrize("name", ["lsm.exe", "lsasrv.exe", "lsass-helper.exe", "csrsss.exe", "mimikatz.exe"])
@pytest.mark.parametrize("seen", [False, True])
def test_a_free_name_in_system32_reading_lsass_is_a_finding_seen_created_or_not(name, seen):
    assert _reads(SYSTEM32 + name, original=name if seen else None) == ["lsass_read"]


@pytest.mark.parametrize("image, original, command", [
    (SYSTEM32 + "csrss.exe", None, None),
    (SYSTEM32 + "csrss.exe", "CSRSS.Exe", "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows"),
    (SYSTEM32 + "wininit.exe", "wininit.exe", "wininit.exe"),
    (SYSTEM32 + "svchost.exe", "svchost.exe", "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p"),
    (SYSTEM32 + "svchost.exe", None, None),  # started at boot, before the window
    (SYSTEM32 + "WerFault.exe", "WerFault.exe", "C:\\Windows\\system32\\WerFault.exe -u -p 612 -s 1000"),
    ("C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\MsMpEng.exe", None, None),
])
def test_the_readers_windows_ships_stay_allowed(image, original, command):
    assert _reads(image, original=original, command=command) == []


@pytest.mark.parametrize("image, original, command", [
    (SYSTEM32 + "taskmgr.exe", None, None),  # Task Manager's "Create dump file": a procdump by hand
    (SYSTEM32 + "Taskmgr.exe", "Taskmgr.exe", "\"C:\\Windows\\system32\\taskmgr.exe\" /7"),
    ("C:\\Windows\\SysWOW64\\taskmgr.exe", None, None),
    (SYSTEM32 + "svchost.exe", "svchost.exe", "C:\\Windows\\System32\\svchost.exe"),  # hosts no service
    (SYSTEM32 + "csrss.exe", "mimikatz.exe", "csrss.exe"),  # a shipped name, not its own PE name
    (SYSTEM32 + "subdir\\csrss.exe", None, None),
])
def test_near_misses_of_the_shipped_readers_are_findings(image, original, command):
    assert _reads(image, original=original, command=command)[-1:] == ["lsass_read"]  # (after renamed_tool)


def test_a_query_only_handle_from_task_manager_reads_nothing():
    assert _reads(SYSTEM32 + "taskmgr.exe", mask="0x1400") == []
    assert not allowed_lsass_reader(SYSTEM32 + "lsm.exe", "lsm.exe")
