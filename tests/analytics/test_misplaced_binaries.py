"""A Windows core process run from outside its folder gets a step (task K5, MITRE ATT&CK T1036.005).

``C:\\Users\\Public\\svchost.exe`` has the real name in the wrong place: Windows runs svchost.exe
only from System32 or SysWOW64, lsass.exe only from System32, explorer.exe from the Windows folder.
The step says where the process ran and where Windows keeps the binary.  The real binaries in every
form a sensor writes their path (device paths, ``\\SystemRoot``, ``..``; another drive is outside since
task P2: test_misplaced_binary_dodges), Windows' own
copies (WinSxS, a feature update's NewOS, Sysnative) and programs with no fixed home stay quiet.
The fan-out tests run on [embedded] and [neo4j].
"""

from __future__ import annotations

import pytest

from analytics.detect import detect
from analytics.misplaced_binaries import HOME_FOLDERS, misplaced_binary, misplaced_binary_check
from analytics.renamed_binaries import masquerade_checks
from tests.analytics.masquerade_fleet import write_domain_groups
from tests.analytics.test_per_host_command_lines import CONFIG
from tests.analytics.test_renamed_lookalike import _process


@pytest.mark.parametrize(("path", "binary"), [
    ("C:\\Users\\Public\\svchost.exe", "svchost.exe"),
    ("C:\\ProgramData\\Microsoft\\svchost.exe", "svchost.exe"),
    ("C:\\Windows\\svchost.exe", "svchost.exe"),  # the Windows folder is not System32
    ("C:\\Windows\\SysWOW64\\lsass.exe", "lsass.exe"),  # lsass has no 32-bit copy
    ("C:\\Windows\\System32\\..\\Temp\\LSASS.EXE", "lsass.exe"),  # climbing out of System32
    ("\\\\?\\C:\\Windows\\Temp\\csrss.exe", "csrss.exe"),
    ("\\Device\\HarddiskVolume3\\Users\\x\\AppData\\Local\\Temp\\explorer.exe", "explorer.exe"),
    ("C:\\Windows\\System32\\explorer.exe", "explorer.exe"),  # explorer.exe lives in the Windows folder
    ("C:\\Windows\\System32\\Tasks\\svchost.exe", "svchost.exe"),  # below System32 is not System32
    ("C:/Users/Public/wmiprvse.exe", "wmiprvse.exe"),
])
def test_a_windows_process_outside_its_folder_is_misplaced(path, binary):
    found = misplaced_binary(path)
    assert found is not None and found.binary == binary


@pytest.mark.parametrize("path", [
    "C:\\Windows\\System32\\svchost.exe", "C:\\WINDOWS\\system32\\SVCHOST.EXE", "C:\\Windows\\SysWOW64\\svchost.exe",
    "\\Device\\HarddiskVolume2\\Windows\\System32\\svchost.exe", "\\SystemRoot\\System32\\smss.exe",
    "%SystemRoot%\\System32\\svchost.exe", "\\??\\C:\\Windows\\system32\\csrss.exe",
    "C:\\Windows\\explorer.exe", "C:\\Windows\\SysWOW64\\explorer.exe", "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
    "C:\\Windows\\WinSxS\\amd64_microsoft-windows-services-svchost_31bf3856ad364e35_10.0.19041.1_none_x\\svchost.exe",
    "C:\\$WINDOWS.~BT\\NewOS\\Windows\\System32\\lsass.exe", "C:\\Windows\\Sysnative\\svchost.exe",
    "svchost.exe", "", "C:\\Tools\\cmd.exe", "C:\\Program Files\\Notepad++\\notepad++.exe",
    "C:\\Users\\Public\\scvhost.exe",  # a misspelling is the look-alike step's, not this one's
    "C:\\Windows\\System32\\en-US\\svchost.exe.mui",
])
def test_the_real_binaries_and_windows_own_copies_are_not_misplaced(path):
    assert misplaced_binary(path) is None


def test_every_home_is_a_windows_folder():
    for binary, folders in HOME_FOLDERS.items():
        assert binary.endswith(".exe") and binary == binary.lower()
        assert folders and all(f.startswith("\\windows\\") and f.endswith("\\") for f in folders), binary


def test_the_step_says_where_it_ran_and_where_windows_keeps_it():
    process = _process("C:\\Users\\Public\\svchost.exe\n")
    step = misplaced_binary_check([process], "ws-1, ws-2")
    assert step is not None and step.feature is None
    # the path's forged line break shows as the server's mark (graphsiem.visible_text), never as a break
    assert step.check.startswith("svchost.exe runs from C:\\Users\\Public\\svchost.exe\u23ce, outside C:\\Windows\\System32 or "
                                 "C:\\Windows\\SysWOW64 where Windows keeps it: ")
    assert "T1036.005" in step.check and "ws-1, ws-2" in step.check and "\n" not in step.check
    assert any(s.check.startswith("svchost.exe runs from") for s in masquerade_checks([process], "ws-1"))
    assert masquerade_checks([_process("C:\\Windows\\System32\\svchost.exe")], "ws-1") == ()


# -- a fan-out through detection -------------------------------------------------------------------------


FAKE = "C:\\ProgramData\\Microsoft\\Crypto\\svchost.exe"
REAL = "C:\\Windows\\System32\\svchost.exe"
PER_HOST = "C:\\Users\\Public\\Libraries\\lsass.exe"
GROUPS = {  # domain -> (hosts, image, OriginalFileName, command line: one for all, or one each with {i})
    "misplaced.example": (range(0, 20), FAKE, None, f'"{FAKE}" -k netsvcs'),
    "service.example": (range(20, 28), REAL, "svchost.exe", f"{REAL} -k NetworkService -p -s NewSvc"),
    "per-host.example": (range(30, 45), PER_HOST, None, f'"{PER_HOST}" -t {{i:04x}}'),
}


@pytest.fixture
def clusters(store):
    write_domain_groups(store, GROUPS, hosts=50, gap=30.0)
    return detect(store, config=CONFIG).clusters


def _steps(clusters, domain: str) -> list[str]:
    found = [c for c in clusters if ("domain", domain) in [e.ref for e in c.entities]]
    assert found, f"no cluster holds {domain}: {[c.pivot.value for c in clusters]}"
    return [s.check for s in found[0].explanation.checks if "T1036" in s.check]


def test_a_campaigns_svchost_outside_system32_on_20_hosts_gets_the_step(clusters):
    (step,) = _steps(clusters, "misplaced.example")
    assert step.startswith(f"svchost.exe runs from {FAKE}, outside C:\\Windows\\System32 or C:\\Windows\\SysWOW64")


def test_a_misplaced_lsass_with_a_command_line_per_host_gets_the_step_from_its_credited_processes(clusters):
    cluster = next(c for c in clusters if ("domain", "per-host.example") in [e.ref for e in c.entities])
    assert not any(e.type == "process" and "lsass.exe" in e.value for e in cluster.entities)  # each on one host
    (step,) = _steps(clusters, "per-host.example")
    assert ("lsass.exe with a different command line on each of 15 hosts reached domain per-host.example: "
            f"lsass.exe runs from {PER_HOST}, outside C:\\Windows\\System32 where Windows keeps it (e.g. ") in step
    assert "each ran on one host only, so none is a cluster member" in step


def test_the_real_svchost_reaching_a_new_domain_gets_no_masquerade_step(clusters):
    assert _steps(clusters, "service.example") == []
