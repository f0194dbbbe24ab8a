"""The corpus's iewin7 says its Windows release through its own binaries' FileVersion (Sysmon 1), which the
Sysmon parser keeps as ``process.pe.file_version`` (HOSTF3 #4, analytics.host_os_versions)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from analytics.host_findings import PROCESS_CREATES
from analytics.host_os_versions import windows_release
from tests.analytics.test_host_findings_corpus import run_graphsiem
from tests.samples import samples_path

PSEXEC = "evtx-attack-samples/Lateral Movement/LM_sysmon_psexec_smb_meterpreter.evtx"


def test_iewin7_is_read_as_windows_7_from_its_own_binaries(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ingested = run_graphsiem("ingest", str(samples_path() / PSEXEC), "--data", str(data))
    assert ingested.returncode == 0, ingested.stderr
    connection = sqlite3.connect(data / "journal.sqlite")
    rows = connection.execute("SELECT id, kind, ts, fields FROM events WHERE host = 'iewin7' AND kind IN (?, ?)",
                              PROCESS_CREATES).fetchall()
    events = [(i, kind, ts, orjson.loads(blob)) for i, kind, ts, blob in rows]
    assert {f.get("process.pe.file_version") for _, _, _, f in events} >= {"6.1.7601.17514 (win7sp1_rtm.101119-1850)"}
    assert windows_release(events) == "6.1"
