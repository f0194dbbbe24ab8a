"""Process Explorer reads LSASS unflagged only as a vouched-for build (analytics.host_finding_rules, T15L):
its name and PE OriginalFileName agreeing proved nothing (a mimikatz rebuilt with ``procexp64.exe`` in its
version resource agrees), so its own image load must say Microsoft signed it validly, or, no signer said,
it must run from under Program Files."""

from __future__ import annotations

import pytest

from analytics.host_findings import hits_of_events

PLANTED = "C:\\Users\\Public\\procexp64.exe"
PROGRAM_FILES = "C:\\Program Files\\Sysinternals\\procexp64.exe"
MICROSOFT = ("true", "Microsoft Corporation", "Valid")


def _rules(image: str, signer: tuple[str, str, str] | None) -> list[str]:
    events: list[tuple] = [("c", "sysmon:process_create", 50.0,
                            {"process.executable": image, "process.command_line": f'"{image}"', "process.guid": "{G}",
                             "process.pe.original_file_name": "procexp64.exe"})]
    if signer is not None:
        signed, subject, status = signer
        events.append(("l", "sysmon:image_load", 50.1,
                       {"process.executable": image, "file.path": image, "process.guid": "{g}",
                        "file.pe.original_file_name": "procexp64.exe", "file.code_signature.signed": signed == "true",
                        "file.code_signature.subject_name": subject, "file.code_signature.status": status}))
    events.append(("a", "sysmon:process_access", 60.0,
                   {"process.executable": image, "process.guid": "{G}", "target.granted_access": "0x1410",
                    "target.process.executable": "C:\\Windows\\System32\\lsass.exe"}))
    return [h.rule for h in hits_of_events("ws-1", events)]


@pytest.mark.parametrize("image, signer", [
    (PLANTED, None),  # the rebuilt mimikatz in a user-writable folder, no image load seen
    (PLANTED, ("false", "", "Unavailable")),  # its image load says it is unsigned
    (PLANTED, ("true", "Microsoft Corporation", "UnknownError")),  # a self-made certificate in Microsoft's name
    (PROGRAM_FILES, ("true", "Open Source Developer, Benjamin Delpy", "Valid")),  # signed, by someone else
])
def test_a_procexp_not_vouched_for_reading_lsass_is_a_finding(image, signer):
    assert _rules(image, signer) == ["lsass_read"]


@pytest.mark.parametrize("image, signer", [
    (PLANTED, MICROSOFT),  # Microsoft's build, run from wherever it was unzipped
    ("C:\\Tools\\procexp64.exe", MICROSOFT),
    (PROGRAM_FILES, None),  # no signer said: an administrator's install folder
    ("C:\\Program Files (x86)\\Sysinternals\\procexp64.exe", None),
])
def test_a_signed_or_installed_procexp_is_no_finding(image, signer):
    assert _rules(image, signer) == []
