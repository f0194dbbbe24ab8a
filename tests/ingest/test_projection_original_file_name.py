"""The PE ``OriginalFileName`` reaches the graph (task G1: renamed binaries, MITRE ATT&CK T1036.003).

A copy of powershell.exe renamed ``svcupd.exe`` is still PowerShell: its version resource says
so, and Sysmon 1/7, ECS and MDE carry it (``process.pe.original_file_name``,
``file.pe.original_file_name``).  The projection keeps it as the process's and the loaded file's
``original_file_name``, on both stores, so the analytics can read a process by what it is.  A
``-`` (no version resource: the herpaderping capture's ``wardog.exe``) names nothing and is not kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records

OTRF = "otrf-security-datasets"
EMPIRE_VBS = "empire_launcher_vbs_2020-09-04160940.json"
HERPADERPING = "cmd_process_herpaderping_snippingtool_2020-10-2708290130.json"

RENAMED = {
    "@timestamp": "2026-03-01T10:00:00Z", "event": {"code": "1", "category": "process"},
    "host": {"name": "ws-0001"},
    "process": {
        "executable": "C:\\Users\\Public\\svcupd.exe",
        "command_line": "svcupd.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=",
        "pid": 4242, "pe": {"original_file_name": "PowerShell.EXE", "company": "Microsoft Corporation"},
        "parent": {
            "executable": "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
            "command_line": "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE\" /n invoice.docm",
            "pid": 100, "pe": {"original_file_name": "WinWord.exe"},
        },
    },
    "user": {"name": "bob", "domain": "CORP"},
}
"""An ECS process start of a renamed PowerShell under Word, each with its PE original name."""


def _processes(store: GraphStore) -> dict[str, dict]:
    """Image file name (lower case) -> props of the process entities."""
    return {str(e.props.get("image", "")).rsplit("\\", 1)[-1].lower(): e.props
            for e in store.iter_entities("process")}


def _ingest_corpus(store: GraphStore, samples_dir: Path, tmp_path: Path, name: str) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([samples_dir / OTRF / name], store=store, journal=journal, progress=False)
    store.flush()


def test_a_renamed_powershell_keeps_its_original_file_name_and_so_does_its_parent(store: GraphStore, tmp_path):
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records(json.dumps(RENAMED), store=store, journal=journal)
    store.flush()
    assert [(f.counts.accepted, f.counts.rejected) for f in report.files.values()] == [(1, 0)]
    processes = _processes(store)
    assert processes["svcupd.exe"]["original_file_name"] == "PowerShell.EXE"
    assert processes["winword.exe"]["original_file_name"] == "WinWord.exe"


def test_the_corpus_sysmon_process_starts_keep_their_original_file_names(store: GraphStore, samples_dir, tmp_path):
    # NXLog via Logstash: wscript.exe -> powershell.exe -> whoami.exe, each with its OriginalFileName
    _ingest_corpus(store, samples_dir, tmp_path, EMPIRE_VBS)
    processes = _processes(store)
    assert processes["powershell.exe"]["original_file_name"] == "PowerShell.EXE"
    assert processes["wscript.exe"]["original_file_name"] == "wscript.exe"
    assert processes["whoami.exe"]["original_file_name"] == "whoami.exe"
    assert processes["wmiprvse.exe"]["original_file_name"] == "Wmiprvse.exe"


def test_a_dash_is_no_original_file_name_and_loaded_files_keep_theirs(store: GraphStore, samples_dir, tmp_path):
    # Process Herpaderping: wardog.exe (mimikatz written over) has no version resource, Sysmon writes "-"
    _ingest_corpus(store, samples_dir, tmp_path, HERPADERPING)
    processes = _processes(store)
    assert "original_file_name" not in processes["wardog.exe"]
    assert processes["processherpaderping.exe"]["original_file_name"] == "ProcessHerpaderping.exe"
    # Sysmon 7 image loads: the DLL's own OriginalFileName on the file entity
    loaded = {str(e.props.get("name", "")).lower(): e.props.get("original_file_name")
              for e in store.iter_entities("file")}
    assert loaded.get("samlib.dll"), sorted(n for n, o in loaded.items() if o)[:20]
    assert all(value != "-" for value in loaded.values())


@pytest.mark.parametrize("value", ["-", "", "  "])
def test_an_empty_original_file_name_is_not_kept(embedded_store, tmp_path, value):
    # another host's copy whose sensor wrote no original name, beside one that did
    blank = json.loads(json.dumps(RENAMED))
    blank["host"]["name"] = "ws-0002"
    blank["process"]["executable"] = "C:\\Users\\Public\\other.exe"
    blank["process"]["command_line"] = "other.exe /quiet"
    blank["process"]["pe"]["original_file_name"] = value
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_records(json.dumps(RENAMED) + "\n" + json.dumps(blank), store=embedded_store, journal=journal)
    embedded_store.flush()
    processes = _processes(embedded_store)
    assert processes["svcupd.exe"]["original_file_name"] == "PowerShell.EXE"
    assert "original_file_name" not in processes["other.exe"]
