"""lsm.exe reads LSASS unflagged only on Windows Vista/7 (NT 6.0/6.1), where it is its own process, and
mrt.exe only at System32 vouched for by its signer or its PE OriginalFileName (HOSTF3 #4,
analytics.host_finding_rules, analytics.host_os_versions).

A host's Windows version is read from its own process creations: Sysmon 1 writes each image's
``FileVersion``, and Windows' binaries under System32 carry the release's (``6.1.7601.17514
(win7sp1_rtm...)``, the corpus's iewin7).  Most of them must agree: one planted binary claiming 6.1 on a
Windows 10 host does not make it a Windows 7."""

from __future__ import annotations

import pytest

from analytics.host_findings import hits_of_events

SYSTEM32 = "C:\\Windows\\System32\\"
LSM = SYSTEM32 + "lsm.exe"
MRT = SYSTEM32 + "mrt.exe"
MICROSOFT = ("true", "Microsoft Corporation", "Valid")
WIN7 = "6.1.7601.17514 (win7sp1_rtm.101119-1850)"
WIN10 = "10.0.19041.1 (WinBuild.160101.0800)"


def _creation(n: int, image: str, version: str | None, original: str | None = None) -> tuple:
    fields = {"process.executable": image, "process.command_line": image, "process.guid": f"{{W{n}}}"}
    if version is not None:
        fields["process.pe.file_version"] = version
    if original is not None:
        fields["process.pe.original_file_name"] = original
    return (f"w{n}", "sysmon:process_create", 10.0 + n, fields)


def _windows(version: str, planted: str | None = None) -> list[tuple]:
    """The host's own Windows binaries starting (their FileVersion ``version``), and one planted binary."""
    events = [_creation(n, SYSTEM32 + name, version) for n, name in enumerate(("cmd.exe", "svchost.exe", "conhost.exe"))]
    if planted is not None:
        events.append(_creation(9, SYSTEM32 + "evil.exe", planted))
    return events


def _rules(image: str, windows: list[tuple], *, created: bool = True, original: str | None = None,
           signer: tuple[str, str, str] | None = None) -> list[str]:
    events = list(windows)
    name = image.rsplit("\\", 1)[-1]
    if created:
        events.append(("c", "sysmon:process_create", 50.0,
                       {"process.executable": image, "process.command_line": image, "process.guid": "{G}",
                        "process.pe.original_file_name": original or name}))
    if signer is not None:
        signed, subject, status = signer
        events.append(("l", "sysmon:image_load", 50.1,
                       {"process.executable": image, "file.path": image, "process.guid": "{g}",
                        "file.pe.original_file_name": original or name, "file.code_signature.signed": signed == "true",
                        "file.code_signature.subject_name": subject, "file.code_signature.status": status}))
    events.append(("a", "sysmon:process_access", 60.0,
                   {"process.executable": image, "process.guid": "{G}", "target.granted_access": "0x1410",
                    "target.process.executable": "C:\\Windows\\System32\\lsass.exe"}))
    return [h.rule for h in hits_of_events("ws-1", events)]


@pytest.mark.parametrize("windows", [_windows(WIN7), _windows("6.0.6002.18005 (lhs_sp2rtm.090410-1830)")],
                         ids=["windows-7", "vista"])
def test_lsm_on_windows_7_or_vista_is_no_finding(windows) -> None:
    assert _rules(LSM, windows) == []
    assert _rules(LSM, windows, created=False) == []  # started at boot, its creation before the window


@pytest.mark.parametrize("image, windows, original", [
    (LSM, _windows(WIN10), None),  # Windows 10: lsm is a service DLL, an lsm.exe is anyone's
    (LSM, _windows(WIN10, planted=WIN7), None),  # one planted binary claiming 6.1 among Windows 10's own
    (LSM, [], None),  # the host's version unknown (no FileVersion logged)
    ("C:\\Users\\Public\\lsm.exe", _windows(WIN7), None),  # Windows 7, but not at System32
    (LSM, _windows(WIN7), "mimikatz.exe"),  # Windows 7, at System32, its PE name another's
], ids=["windows-10", "planted-6.1", "unknown", "outside-system32", "other-original-name"])
def test_lsm_elsewhere_is_a_finding(image, windows, original) -> None:
    assert "lsass_read" in _rules(image, windows, original=original)  # a renamed mimikatz is a renamed_tool too


@pytest.mark.parametrize("created, original, signer", [
    (True, "mrt.exe", None),  # its creation's OriginalFileName agrees, no signer said
    (True, "MRT.exe", MICROSOFT),
    (False, None, MICROSOFT),  # only its image load seen: Microsoft's valid signature
])
def test_mrt_vouched_for_at_system32_is_no_finding(created, original, signer) -> None:
    assert _rules(MRT, _windows(WIN10), created=created, original=original, signer=signer) == []


@pytest.mark.parametrize("image, created, original, signer", [
    (MRT, False, None, None),  # nothing vouches for it: no creation, no signer
    (MRT, True, "mimikatz.exe", None),  # its PE name another's
    (MRT, True, "mrt.exe", ("false", "", "Unavailable")),  # its name agrees but its image load says unsigned
    (MRT, True, "mrt.exe", ("true", "Open Source Developer, Benjamin Delpy", "Valid")),
    ("C:\\Windows\\Temp\\mrt.exe", True, "mrt.exe", MICROSOFT),  # Microsoft's, run from elsewhere
], ids=["unvouched", "other-original-name", "unsigned", "other-signer", "outside-system32"])
def test_mrt_not_vouched_for_is_a_finding(image, created, original, signer) -> None:
    assert "lsass_read" in _rules(image, _windows(WIN10), created=created, original=original, signer=signer)
