"""The cheap dodges of the misplaced-binary step (red team T12, finding 2; task P2).

``D:\\Windows\\System32\\svchost.exe`` (a folder anyone who may write to ``D:`` can create), a made-up
folder below ``C:\\$WINDOWS.~BT`` (any user may create folders at ``C:\\``'s root), ``Sysnative`` on
another drive or below its own subfolders, a network share or a shadow copy all read as the binary's
home before; a living-off-the-land binary Windows keeps only in System32 (``rundll32.exe``) had no home
at all, so its copy in ``C:\\Users\\Public`` was never misplaced.  The real binaries in every form the
corpus and sensors write them (``\\Device\\HarddiskVolumeN``, ``\\SystemRoot``), Windows' own copies and
programs with legitimate copies elsewhere (PowerShell 7, MSBuild, a portable cmd.exe) stay quiet.
The fan-out test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

import pytest

from analytics.detect import detect
from analytics.driver_paths import (
    NETWORK_SHARE,
    SHADOW_COPY,
    outside_driver_directory,
    read_windows_path,
)
from analytics.misplaced_binaries import misplaced_binary, misplaced_binary_check
from tests.analytics.masquerade_fleet import write_domain_groups
from tests.analytics.test_misplaced_binaries import _steps
from tests.analytics.test_per_host_command_lines import CONFIG
from tests.analytics.test_renamed_lookalike import _process

OTHER_DRIVE = "drive D:, not the system drive C:"


@pytest.mark.parametrize(("path", "binary", "elsewhere"), [
    ("D:\\Windows\\System32\\svchost.exe", "svchost.exe", OTHER_DRIVE),
    ("E:\\Windows\\explorer.exe", "explorer.exe", "drive E:, not the system drive C:"),
    ("D:\\Windows\\Sysnative\\lsass.exe", "lsass.exe", OTHER_DRIVE),
    ("\\\\?\\D:\\Windows\\System32\\lsass.exe", "lsass.exe", OTHER_DRIVE),
    ("\\\\fileserver\\share\\svchost.exe", "svchost.exe", NETWORK_SHARE),
    ("\\\\fileserver\\c$\\Windows\\System32\\svchost.exe", "svchost.exe", NETWORK_SHARE),
    ("\\\\?\\UNC\\fileserver\\share\\svchost.exe", "svchost.exe", NETWORK_SHARE),
    ("\\??\\UNC\\fileserver\\share\\lsass.exe", "lsass.exe", NETWORK_SHARE),
    ("\\Device\\Mup\\fileserver\\share\\svchost.exe", "svchost.exe", NETWORK_SHARE),
    ("\\Device\\Mup\\fileserver\\share\\Windows\\System32\\svchost.exe", "svchost.exe", NETWORK_SHARE),
    ("\\\\webdav.example@SSL\\DavWWWRoot\\Windows\\System32\\svchost.exe", "svchost.exe", NETWORK_SHARE),
    ("\\Device\\WebDavRedirector\\webdav.example\\DavWWWRoot\\lsass.exe", "lsass.exe", NETWORK_SHARE),
    ("\\Device\\HarddiskVolumeShadowCopy3\\Users\\Public\\svchost.exe", "svchost.exe", SHADOW_COPY),
    ("\\Device\\HarddiskVolumeShadowCopy3\\Windows\\System32\\svchost.exe", "svchost.exe", SHADOW_COPY),
    ("\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\Windows\\System32\\lsass.exe", "lsass.exe", SHADOW_COPY),
    # a made-up folder below the feature update's, and Sysnative's subfolders: no home of the binary
    ("C:\\$WINDOWS.~BT\\NewOS\\Windows\\svchost.exe", "svchost.exe", ""),
    ("C:\\$WINDOWS.~BT\\NewOS\\Windows\\System32\\Tasks\\lsass.exe", "lsass.exe", ""),
    ("C:\\$WINDOWS.~BT\\NewOS\\lsass.exe", "lsass.exe", ""),
    ("C:\\$WINDOWS.~BT\\Sources\\svchost.exe", "svchost.exe", ""),
    ("C:\\Windows\\Sysnative\\Tasks\\svchost.exe", "svchost.exe", ""),
    ("C:\\Windows\\Sysnative\\explorer.exe", "explorer.exe", ""),  # Sysnative is System32: no explorer.exe
    # living-off-the-land binaries Windows keeps only in System32 and SysWOW64
    ("C:\\Users\\Public\\rundll32.exe", "rundll32.exe", ""),
    ("C:\\Users\\Public\\regsvr32.exe", "regsvr32.exe", ""),
    ("C:\\ProgramData\\mshta.exe", "mshta.exe", ""),
    ("C:\\Users\\x\\AppData\\Local\\Temp\\certutil.exe", "certutil.exe", ""),
    ("C:\\Users\\Public\\msiexec.exe", "msiexec.exe", ""),
    ("C:\\Users\\Public\\wmic.exe", "wmic.exe", ""),
    ("C:\\Windows\\System32\\wmic.exe", "wmic.exe", ""),  # wmic lives in wbem
    ("C:\\Users\\Public\\cscript.exe", "cscript.exe", ""),
    ("C:\\Users\\Public\\wscript.exe", "wscript.exe", ""),
    ("C:\\Users\\Public\\powershell.exe", "powershell.exe", ""),
    ("C:\\Windows\\System32\\powershell.exe", "powershell.exe", ""),  # PowerShell 5 lives in WindowsPowerShell\v1.0
    ("C:\\Users\\Public\\bitsadmin.exe", "bitsadmin.exe", ""),
    ("C:\\Users\\Public\\schtasks.exe", "schtasks.exe", ""),
    ("C:\\Users\\Public\\WerFault.exe", "werfault.exe", ""),
])
def test_a_dodge_that_read_as_home_is_misplaced_and_says_why(path, binary, elsewhere):
    found = misplaced_binary(path)
    assert found is not None and found.binary == binary and found.elsewhere == elsewhere


@pytest.mark.parametrize("path", [
    # the real binaries as the corpus and sensors write them (Windows' own events: HarddiskVolume2)
    "\\Device\\HarddiskVolume2\\Windows\\System32\\svchost.exe",
    "\\device\\harddiskvolume4\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe",
    "\\\\?\\GLOBALROOT\\Device\\HarddiskVolume3\\Windows\\System32\\lsass.exe",
    "\\SystemRoot\\System32\\smss.exe", "%windir%\\system32\\rundll32.exe", "\\\\?\\C:\\Windows\\System32\\lsass.exe",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "C:\\Windows\\SysWOW64\\WindowsPowerShell\\v1.0\\powershell.exe",
    "C:\\Windows\\System32\\rundll32.exe", "C:\\Windows\\SysWOW64\\regsvr32.exe", "C:\\Windows\\System32\\mshta.exe",
    "C:\\Windows\\System32\\certutil.exe", "C:\\Windows\\SysWOW64\\msiexec.exe", "C:\\Windows\\System32\\wbem\\WMIC.exe",
    "C:\\Windows\\SysWOW64\\wbem\\wmic.exe", "C:\\Windows\\System32\\cscript.exe", "C:\\Windows\\System32\\WerFault.exe",
    # Windows' own copies: the feature update's new system in the binary's folders, Sysnative as System32
    "C:\\$WINDOWS.~BT\\NewOS\\Windows\\System32\\lsass.exe", "C:\\$Windows.~BT\\NewOS\\Windows\\SysWOW64\\svchost.exe",
    "C:\\$WINDOWS.~BT\\NewOS\\Windows\\explorer.exe", "C:\\$WINDOWS.~BT\\NewOS\\Windows\\System32\\wbem\\WmiPrvSE.exe",
    "C:\\Windows\\Sysnative\\svchost.exe", "C:\\Windows\\Sysnative\\wbem\\wmiprvse.exe",
    "C:\\Windows\\WinSxS\\amd64_microsoft-windows-rundll32_31bf3856ad364e35_10.0.19041.1_none_x\\rundll32.exe",
    # programs with legitimate copies elsewhere: no fixed home
    "C:\\Program Files\\PowerShell\\7\\pwsh.exe", "C:\\Tools\\cmd.exe",
    "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\MSBuild.exe",
    "C:\\Program Files\\Microsoft Visual Studio\\2022\\Community\\MSBuild\\Current\\Bin\\MSBuild.exe",
    "C:\\Windows\\Microsoft.NET\\Framework\\v4.0.30319\\InstallUtil.exe",
    "\\\\fileserver\\share\\tools\\setup.exe", "svchost.exe", "rundll32.exe",
])
def test_the_real_binaries_windows_copies_and_roaming_programs_stay_quiet(path):
    assert misplaced_binary(path) is None


def test_the_step_says_the_path_is_on_a_network_share_or_another_drive():
    share = misplaced_binary_check([_process("\\\\fileserver\\share\\svchost.exe")], "ws-1")
    assert share is not None and share.check.startswith(
        "svchost.exe runs from \\\\fileserver\\share\\svchost.exe (a network share), outside C:\\Windows\\System32 or "
        "C:\\Windows\\SysWOW64 where Windows keeps it: ")
    drive = misplaced_binary_check([_process("D:\\Windows\\System32\\lsass.exe")], "ws-1")
    assert drive is not None and drive.check.startswith(
        "lsass.exe runs from D:\\Windows\\System32\\lsass.exe (drive D:, not the system drive C:), outside "
        "C:\\Windows\\System32 where Windows keeps it: ")
    lolbin = misplaced_binary_check([_process("C:\\Users\\Public\\powershell.exe")], "ws-1")
    assert lolbin is not None and lolbin.check.startswith(
        "powershell.exe runs from C:\\Users\\Public\\powershell.exe, outside "
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0 or C:\\Windows\\SysWOW64\\WindowsPowerShell\\v1.0 where ")


def test_paths_are_read_with_their_volume():
    assert read_windows_path("C:\\Windows\\x.exe").drive == "c"
    assert read_windows_path("\\Device\\HarddiskVolume2\\Windows\\x.exe").drive is None
    assert read_windows_path("\\Device\\Mup\\srv\\share\\x.exe").folders == "\\srv\\share\\x.exe"
    assert read_windows_path("\\\\srv\\share\\..\\..\\x.exe").elsewhere == NETWORK_SHARE
    # the driver check keeps its reading: any local drive, a share or shadow copy is not known to be outside
    assert outside_driver_directory("D:\\Windows\\Temp\\RTCore64.sys")
    assert not outside_driver_directory("D:\\Windows\\System32\\drivers\\x.sys")
    assert not outside_driver_directory("\\\\srv\\share\\x.sys")


# -- a fan-out through detection -------------------------------------------------------------------------


OTHER = "D:\\Windows\\System32\\svchost.exe"
LOLBIN = "C:\\Users\\Public\\Libraries\\rundll32.exe"
REAL = "C:\\Windows\\System32\\rundll32.exe"
GROUPS = {  # domain -> (hosts, image, OriginalFileName, command line: one for all, or one each with {i})
    "other-drive.example": (range(0, 20), OTHER, None, f'"{OTHER}" -k netsvcs'),
    "lolbin.example": (range(20, 40), LOLBIN, "RUNDLL32.EXE", f'"{LOLBIN}" C:\\Users\\Public\\x.dll,Start'),
    "real.example": (range(40, 48), REAL, "RUNDLL32.EXE", f'{REAL} shell32.dll,Control_RunDLL'),
}


@pytest.fixture
def clusters(store):
    write_domain_groups(store, GROUPS, hosts=50, gap=30.0)
    return detect(store, config=CONFIG).clusters


def test_a_campaigns_svchost_on_another_drive_and_a_copied_rundll32_get_the_step(clusters):
    (drive,) = _steps(clusters, "other-drive.example")
    assert drive.startswith(f"svchost.exe runs from {OTHER} (drive D:, not the system drive C:), outside ")
    (lolbin,) = _steps(clusters, "lolbin.example")
    assert lolbin.startswith(f"rundll32.exe runs from {LOLBIN}, outside C:\\Windows\\System32 or C:\\Windows\\SysWOW64")
    assert _steps(clusters, "real.example") == []
