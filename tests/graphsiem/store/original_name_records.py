r"""Sysmon events of our own making whose binaries carry a PE ``OriginalFileName`` (task G1b).

NXLog-style flat events (the shape of ``digest_records``), ingested by the real
pipeline, so the original names reach the graph as a hunter's data does
(``ingest.projection_entities`` keeps them as ``original_file_name``):

* ``RENAMED``: Sysmon 1 of ``C:\Users\Public\svcupd.exe``, a copy of PowerShell
  (``OriginalFileName PowerShell.EXE``), under Word: its command line and path hold no
  "powershell";
* ``GENUINE``: Sysmon 1 of the real ``powershell.exe`` (its command line holds the name);
* ``LOADED``: Sysmon 7 of ``C:\Users\Public\wbem.dll``, a renamed ``System.Management.Automation.dll``;
* ``HOSTILE``: Sysmon 1 of ``upd.exe`` whose version resource holds Cypher and markup:
  an attacker's text, found as data.
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.journal import Journal
from ingest.pipeline import ingest_paths

RENAMED_PATH = "C:\\Users\\Public\\svcupd.exe"
RENAMED_CMD = "svcupd.exe -nop -w hidden -c Get-Date"
GENUINE_CMD = "powershell.exe -NoProfile -Command Get-Date"
LOADED_PATH = "C:\\Users\\Public\\wbem.dll"
LOADED_ORIGINAL = "System.Management.Automation.dll"
HOSTILE_CMD = "upd.exe /run"
HOSTILE_ORIGINAL = "x' OR 1=1 // }) MATCH (n) DETACH DELETE n <img src=x onerror=alert(1)>.exe"


def _sysmon(event_id: int, second: int, data: dict[str, str]) -> dict[str, object]:
    return {"SourceName": "Microsoft-Windows-Sysmon", "Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": event_id, "Hostname": "WS-RENAME", "@timestamp": f"2024-06-01T10:00:{second:02d}.000Z",
            "UtcTime": f"2024-06-01 10:00:{second:02d}.000", **data}


def _created(second: int, image: str, cmd: str, guid: str, pid: str, original: str) -> dict[str, object]:
    return _sysmon(1, second, {
        "Image": image, "CommandLine": cmd, "ProcessGuid": guid, "ProcessId": pid,
        "OriginalFileName": original,
        "ParentImage": "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "ParentCommandLine": "WINWORD.EXE /n invoice.docm",
        "ParentProcessGuid": "{22222222-0000-0000-0000-000000000001}", "ParentProcessId": "100",
        "User": "WS-RENAME\\bob"})


RENAMED = _created(1, RENAMED_PATH, RENAMED_CMD, "{22222222-0000-0000-0000-000000000002}", "200", "PowerShell.EXE")
GENUINE = _created(2, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", GENUINE_CMD,
                   "{22222222-0000-0000-0000-000000000003}", "300", "PowerShell.EXE")
LOADED = _sysmon(7, 3, {"Image": RENAMED_PATH, "ProcessGuid": "{22222222-0000-0000-0000-000000000002}",
                        "ProcessId": "200", "ImageLoaded": LOADED_PATH, "OriginalFileName": LOADED_ORIGINAL})
HOSTILE = _created(4, "C:\\Users\\Public\\upd.exe", HOSTILE_CMD, "{22222222-0000-0000-0000-000000000004}", "400",
                   HOSTILE_ORIGINAL)


def ingest_original_name_records(store, tmp_path: Path) -> None:  # noqa: ANN001 - any GraphStore
    """Write the records to ``tmp_path`` and ingest them into ``store`` through the real pipeline."""
    path = tmp_path / "sysmon_original_names.json"
    path.write_text("".join(json.dumps(r) + "\n" for r in (RENAMED, GENUINE, LOADED, HOSTILE)), encoding="utf-8")
    with Journal(tmp_path / "original-names-journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
    assert report.total.rejected == 0 and report.projected["errors"] == 0
    store.flush()
