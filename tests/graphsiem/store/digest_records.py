"""Windows events of our own making whose Sysmon ``Hashes`` carry every digest (F25).

Written as NXLog-style flat events (the herpaderping dataset's shape) and
ingested by the real pipeline, so the digests reach the graph the way a
hunter's data does: ``ingest.parsers`` splits ``Hashes``, the projection keeps
them on the process and file entities.

* ``DROPPER``: a Sysmon 1 of ``C:\\Users\\bob\\dropper.exe`` with SHA1, MD5,
  SHA256 and IMPHASH (written upper case, as Sysmon does);
* ``RERUN``: the same image run with another command line (another process
  entity with the same digests);
* ``HELPER``: a Sysmon 1 of another image, other digests but the dropper's imphash
  (one import table, two builds);
* ``LOADED``: a Sysmon 7 of a DLL with its own digests (a file keyed by SHA-256);
* ``HASHER``: a Sysmon 1 whose command line contains the dropper's MD5 (a text hit).
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.journal import Journal
from ingest.pipeline import ingest_paths

SHA1 = "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567"
MD5 = "5D41402ABC4B2A76B9719D911017C592"
SHA256 = "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"
IMPHASH = "F34D5F2D4577ED6D9CEEC516C1F5A744"
HELPER_MD5 = "7E716D0E702DF0505FC72E2B89467910"
HELPER_SHA256 = "B5BB9D8014A0F9B1D61E21E796D78DCCDF1352F23CD32812F4850B878AE4944C"
DLL_SHA256 = "7D865E959B2466918C9863AFCA942D0FB89D7C9AC0C99BAFC3749504DED97730"
DLL_MD5 = "E4D909C290D0FB1CA068FFADDF22CBD0"
DLL_SHA1 = "D3486AE9136E7856BC42212385EA797094475802"
DLL_IMPHASH = "0AB1C2D3E4F5061728394A5B6C7D8E9F"

DROPPER_CMD = "dropper.exe --stage 1"
RERUN_CMD = "dropper.exe --stage 2"


def _sysmon(event_id: int, second: int, data: dict[str, str]) -> dict[str, object]:
    return {"SourceName": "Microsoft-Windows-Sysmon", "Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": event_id, "Hostname": "WS-DIGEST", "@timestamp": f"2024-05-01T10:00:{second:02d}.000Z",
            "UtcTime": f"2024-05-01 10:00:{second:02d}.000", **data}


def _created(second: int, image: str, cmd: str, guid: str, pid: str, hashes: str) -> dict[str, object]:
    return _sysmon(1, second, {
        "Image": image, "CommandLine": cmd, "ProcessGuid": guid, "ProcessId": pid,
        "ParentImage": "C:\\Windows\\System32\\cmd.exe", "ParentCommandLine": "cmd.exe",
        "ParentProcessGuid": "{11111111-0000-0000-0000-000000000001}", "ParentProcessId": "100",
        "User": "WS-DIGEST\\bob", "Hashes": hashes})


DROPPER = _created(1, "C:\\Users\\bob\\dropper.exe", DROPPER_CMD, "{11111111-0000-0000-0000-000000000002}", "200",
                   f"SHA1={SHA1},MD5={MD5},SHA256={SHA256},IMPHASH={IMPHASH}")
RERUN = _created(2, "C:\\Users\\bob\\dropper.exe", RERUN_CMD, "{11111111-0000-0000-0000-000000000003}", "300",
                 f"SHA1={SHA1},MD5={MD5},SHA256={SHA256},IMPHASH={IMPHASH}")
HELPER = _created(3, "C:\\Users\\bob\\helper.exe", "helper.exe", "{11111111-0000-0000-0000-000000000004}", "400",
                  f"MD5={HELPER_MD5},SHA256={HELPER_SHA256},IMPHASH={IMPHASH}")
LOADED = _sysmon(7, 4, {"Image": "C:\\Users\\bob\\dropper.exe", "ProcessGuid": "{11111111-0000-0000-0000-000000000002}",
                        "ProcessId": "200", "ImageLoaded": "C:\\Users\\bob\\evil.dll",
                        "Hashes": f"SHA1={DLL_SHA1},MD5={DLL_MD5},SHA256={DLL_SHA256},IMPHASH={DLL_IMPHASH}"})
HASHER = _created(5, "C:\\Windows\\System32\\certutil.exe", f"certutil -hashfile dropper.exe MD5 | findstr {MD5}",
                  "{11111111-0000-0000-0000-000000000005}", "500", "")


def ingest_digest_records(store, tmp_path: Path) -> None:  # noqa: ANN001 - any GraphStore
    """Write the records to ``tmp_path`` and ingest them into ``store`` through the real pipeline."""
    path = tmp_path / "sysmon_digests.json"
    path.write_text("".join(json.dumps(r) + "\n" for r in (DROPPER, RERUN, HELPER, LOADED, HASHER)),
                    encoding="utf-8")
    with Journal(tmp_path / "digests-journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
    assert report.total.rejected == 0 and report.projected["errors"] == 0
    store.flush()
