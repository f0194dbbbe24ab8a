"""The pid join never makes an older or another-folder process of a pid the one an event names.

Windows reuses pids at once, and a name is not a program: ``C:\\Users\\Public\\svchost.exe`` is not
``C:\\Windows\\System32\\svchost.exe``.  A reference without a command line (a 5156, a Sysmon 3 whose
creation was not logged, a 4688 without command lines) joins a known process of its pid only when
the image path agrees (without its volume: 5156 writes ``\\device\\harddiskvolume2\\...``), and a
4688, which announces a new process, never joins one that held the pid before its own moment.
"""

from __future__ import annotations

from pathlib import Path

from graphsiem.store.embedded import EmbeddedStore
from tests.ingest.test_projection_variants import (
    SYSMON,
    edges,
    ingest,
    process,
    security_4688,
    winlog,
)

LEGIT = "C:\\Windows\\System32\\svchost.exe"
LEGIT_CMD = "C:\\Windows\\system32\\svchost.exe -k netsvcs"
C2 = ("ip", "203.0.113.66")


def _sysmon_1(record_id: int, when: str, guid: str, pid: int, image: str, command: str) -> dict:
    return winlog(SYSMON, 1, record_id, when + "Z", {
        "UtcTime": when.replace("T", " "), "ProcessGuid": guid, "ProcessId": str(pid), "Image": image,
        "CommandLine": command, "User": "WS-0043\\wardog", "ParentProcessGuid": "{aaaaaaaa-0000-0000-0000-000000000002}",
        "ParentProcessId": "600", "ParentImage": "C:\\Windows\\System32\\services.exe", "ParentCommandLine": "services.exe"})


def _wfp(record_id: int, when: str, pid: str, application: str) -> dict:
    return winlog("Security", 5156, record_id, when, {
        "ProcessID": pid, "Application": application, "Direction": "%%14593", "SourceAddress": "10.0.0.5",
        "SourcePort": "50000", "DestAddress": C2[1], "DestPort": "443", "Protocol": "6"})


def _process_entities(graph: dict) -> dict:
    return {key: value for key, value in graph["entities"].items() if key[0] == "process"}


def test_a_5156_from_another_folder_does_not_join_the_system_process_of_its_pid(tmp_path: Path) -> None:
    create = _sysmon_1(1, "2024-03-01T10:00:00.000", "{aaaaaaaa-0000-0000-0000-000000000001}", 800, LEGIT, LEGIT_CMD)
    masquerade = _wfp(2, "2024-03-04T10:00:00Z", "800", "\\device\\harddiskvolume2\\users\\public\\svchost.exe")
    with EmbeddedStore(tmp_path / "graph") as store:
        graph = ingest(store, tmp_path, [create, masquerade])

    connected = {src for src, dst in edges(graph, "CONNECTED") if dst == C2 and src[0] == "process"}
    assert connected and process(LEGIT, LEGIT_CMD) not in connected
    values = {value[0].lower() for value in _process_entities(graph).values()}
    assert any(v.endswith("\\users\\public\\svchost.exe") for v in values), values  # a node of its own


def test_the_same_program_from_its_own_folder_still_joins_by_pid(tmp_path: Path) -> None:
    create = _sysmon_1(1, "2024-03-01T10:00:00.000", "{aaaaaaaa-0000-0000-0000-000000000001}", 800, LEGIT, LEGIT_CMD)
    same = _wfp(2, "2024-03-04T10:00:00Z", "800", "\\device\\harddiskvolume2\\windows\\system32\\svchost.exe")
    with EmbeddedStore(tmp_path / "graph") as store:
        graph = ingest(store, tmp_path, [create, same])

    assert (process(LEGIT, LEGIT_CMD), C2) in set(edges(graph, "CONNECTED"))


def test_a_4688_never_joins_a_process_that_held_its_pid_days_before(tmp_path: Path) -> None:
    create = _sysmon_1(1, "2024-03-01T10:00:00.000", "{aaaaaaaa-0000-0000-0000-000000000001}", 800, LEGIT, LEGIT_CMD)
    # a new svchost.exe from the same folder, logged by a 4688 without its command line, reusing pid 800
    later = security_4688(2, "2024-03-05T10:00:00Z", "0x320", LEGIT, "", "0x1", None)
    with EmbeddedStore(tmp_path / "graph") as store:
        graph = ingest(store, tmp_path, [create, later])

    # (the 4688's parent, pid 0x1, ran there too: task G4; only the svchost.exe nodes are counted)
    ran = {dst for src, dst in edges(graph, "RAN")
           if dict(graph["entities"][dst][1]).get("image", "").lower() == LEGIT.lower()}
    assert process(LEGIT, LEGIT_CMD) in ran and len(ran) == 2  # the new process is a node of its own


def test_a_sysmon_reference_from_another_folder_does_not_join_a_4688_process_of_its_pid(tmp_path: Path) -> None:
    cmd = "C:\\Windows\\System32\\cmd.exe"
    backup = security_4688(1, "2024-03-01T10:00:00Z", "0x64", cmd, "cmd.exe /c backup.bat", "0x1", None)
    connect = winlog(SYSMON, 3, 2, "2024-03-04T10:00:00Z", {
        "UtcTime": "2024-03-04 10:00:00.000", "ProcessGuid": "{bbbbbbbb-0000-0000-0000-000000000009}",
        "ProcessId": "100", "Image": "C:\\Users\\Public\\cmd.exe", "Protocol": "tcp", "Initiated": "true",
        "SourceIp": "10.0.0.5", "SourcePort": "5000", "DestinationIp": "203.0.113.77", "DestinationPort": "443"})
    with EmbeddedStore(tmp_path / "graph") as store:
        graph = ingest(store, tmp_path, [backup, connect])

    connected = {src for src, dst in edges(graph, "CONNECTED") if dst == ("ip", "203.0.113.77")}
    assert connected and process(cmd, "cmd.exe /c backup.bat") not in connected


def test_a_4688_path_joins_the_process_a_sysmon_reference_named_by_name_only(tmp_path: Path) -> None:
    # Sysmon 10 names the accessed process "wardog.exe" by GUID and pid; the 4688 of its creation names
    # C:\Users\wardog\Desktop\wardog.exe without a command line; no Sysmon 1: one node, whatever the order
    from tests.ingest.test_process_identity import ACCESS, LSASS_CREATE, SECURITY

    for order in ([LSASS_CREATE, ACCESS, SECURITY], [LSASS_CREATE, SECURITY, ACCESS]):
        data = tmp_path / str(len(list(tmp_path.iterdir())))
        data.mkdir()
        with EmbeddedStore(data / "graph") as store:
            graph = ingest(store, data, order)
        wardogs = [value for value in _process_entities(graph).values() if dict(value[1]).get("name") == "wardog.exe"]
        assert len(wardogs) == 1, wardogs


def test_a_5156_of_a_program_run_from_a_share_joins_its_process(tmp_path: Path) -> None:
    share = "\\\\fileserver\\share\\tool.exe"
    create = _sysmon_1(1, "2024-03-01T10:00:00.000", "{aaaaaaaa-0000-0000-0000-000000000003}", 900, share, "tool.exe -x")
    connect = _wfp(2, "2024-03-01T10:00:05Z", "900", "\\device\\mup\\fileserver\\share\\tool.exe")
    with EmbeddedStore(tmp_path / "graph") as store:
        graph = ingest(store, tmp_path, [create, connect])

    assert (process(share, "tool.exe -x"), C2) in set(edges(graph, "CONNECTED"))
