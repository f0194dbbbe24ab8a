"""Security 5156 (a connection the Windows Filtering Platform permitted) beside Sysmon 1 and 3.

A 5156 names its process by a device path (``\\device\\harddiskvolume2\\...``) and a pid: it is
the process Sysmon 1 or 4688 created, or the one Sysmon 3 named by its GUID, joined by host, pid
and image name (``EntityBuilders._settle_deferred``).  A connection both Sysmon 3 and 5156 logged
is counted once (``EndpointRules._settle_wfp``).  The records are what the sources send (Winlogbeat
and NXLog via Logstash), through :func:`ingest.pipeline.ingest_records` into the stores.
"""

from __future__ import annotations

from itertools import permutations
from pathlib import Path
from typing import Any

import pytest

from ingest.journal import Journal
from ingest.pipeline import ingest_records
from ingest.replay import replay
from tests.ingest.test_process_identity import OTRF, ingested, processes_named, sysmon_1
from tests.ingest.test_projection_variants import SYSMON, edges, host, ingest, ip, process, winlog
from tests.reliability.snapshot import snapshot

NOTEPAD = "C:\\Windows\\System32\\notepad.exe"
NOTEPAD_DEVICE = "\\device\\harddiskvolume2\\windows\\system32\\notepad.exe"
NOTEPAD_GUID = "{03ba39f5-652c-5ce0-0000-0010760bff01}"
C2 = "10.0.10.106"


def wfp_5156(record_id: int, when: str, pid: int, source_port: int, pid_key: str = "ProcessID") -> dict[str, Any]:
    return winlog("Security", 5156, record_id, when + "Z", {
        pid_key: str(pid), "Application": NOTEPAD_DEVICE, "Direction": "%%14593", "SourceAddress": "172.18.39.106",
        "SourcePort": str(source_port), "DestAddress": C2, "DestPort": "443", "Protocol": "6"})


def sysmon_3(record_id: int, when: str, pid: int, source_port: int) -> dict[str, Any]:
    return winlog(SYSMON, 3, record_id, when + "Z", {
        "UtcTime": when.replace("T", " "), "ProcessGuid": NOTEPAD_GUID, "ProcessId": str(pid), "Image": NOTEPAD,
        "Protocol": "tcp", "Initiated": "true", "SourceIp": "172.18.39.106", "SourcePort": str(source_port),
        "DestinationIp": C2, "DestinationPort": "443"})


def logstash_5156(pid: int) -> dict[str, Any]:
    """NXLog via Logstash (OTRF empire_launcher_vbs): flat fields, the pid spelt ``ProcessId``."""
    return {"EventID": 5156, "Channel": "Security", "SourceName": "Microsoft-Windows-Security-Auditing",
            "Hostname": "WS-0043", "@timestamp": "2020-09-04T16:09:39.000Z", "EventTime": "2020-09-04 16:09:39",
            "RecordNumber": 9, "ProcessId": str(pid), "Application": NOTEPAD_DEVICE, "Direction": "%%14593",
            "SourceAddress": "172.18.39.106", "SourcePort": "50692", "DestAddress": C2, "DestPort": "443",
            "Protocol": "6", "ExecutionProcessID": 4}


CREATE = sysmon_1(1, "2020-09-04T16:09:30.000", NOTEPAD_GUID, 7924, NOTEPAD, "notepad.exe",
                  "{03ba39f5-0000-5ce0-0000-000000000001}", 700, "C:\\Windows\\explorer.exe", "explorer.exe")
NOTEPAD_NODE = process(NOTEPAD, "notepad.exe")


def connected(graph: dict[str, Any], src: tuple[str, str], dst: tuple[str, str]) -> int:
    """The count of ``src CONNECTED dst`` (0 without the relation)."""
    relation = graph["relations"].get((src, "CONNECTED", dst))
    return relation[0] if relation else 0


def sighting(graph: dict[str, Any], host_name: str, ref: tuple[str, str]) -> int:
    counts = graph["sightings"].get((host_name, ref))
    return counts[2] if counts else 0


# -- the process: one node, whichever source names it first ----------------------------------

@pytest.mark.parametrize("order", ["sysmon-first", "wfp-first"])
def test_a_5156_is_the_process_sysmon_3_named_without_its_creation(embedded_store, tmp_path, order):
    """HR001's Empire agent: no Sysmon 1 of notepad in the capture, only its Sysmon 3 (by GUID) and 5156s."""
    records = [sysmon_3(1, "2020-09-04T16:09:40.100", 7924, 50692), wfp_5156(2, "2020-09-04T16:09:44.000", 7924, 50700)]
    graph = ingest(embedded_store, tmp_path, records if order == "sysmon-first" else records[::-1])
    assert processes_named(graph, "notepad.exe") == [process(NOTEPAD)]
    assert connected(graph, process(NOTEPAD), ip(C2)) == 2  # two connections (two source ports)


def test_a_5156_of_another_image_with_that_pid_is_not_joined(embedded_store, tmp_path):
    other = wfp_5156(2, "2020-09-04T16:09:39.000", 7924, 50692)
    other["winlog"]["event_data"]["Application"] = "\\device\\harddiskvolume2\\windows\\system32\\svchost.exe"
    graph = ingest(embedded_store, tmp_path, [CREATE, other])
    assert processes_named(graph, "notepad.exe") == [NOTEPAD_NODE]
    svchost = process("\\windows\\system32\\svchost.exe")  # its own node, keyed without the volume
    assert processes_named(graph, "svchost.exe") == [svchost]
    assert connected(graph, svchost, ip(C2)) == 1


def test_an_unknown_process_is_keyed_without_its_volume(embedded_store, tmp_path):
    """Volume 2 on one host, 3 on another (a recovery partition first): one program, one node, not the
    C: path of a Sysmon node (which drive a volume is, the event does not say)."""
    first = wfp_5156(1, "2020-09-04T16:09:39.000", 7924, 50692)
    second = wfp_5156(2, "2020-09-04T16:09:49.000", 4242, 50693)
    second["winlog"]["event_data"]["Application"] = NOTEPAD_DEVICE.replace("volume2", "volume3")
    second["winlog"]["computer_name"] = "WS-0044"
    graph = ingest(embedded_store, tmp_path, [first, second])
    assert processes_named(graph, "notepad.exe") == [process("\\windows\\system32\\notepad.exe")]


@pytest.mark.parametrize("order", ["create-first", "wfp-first"])
def test_a_5156_written_by_nxlog_via_logstash_is_the_process_sysmon_1_created(embedded_store, tmp_path, order):
    """``ProcessId``, not ``ProcessID``: the pid that joins the 5156 to the process Sysmon 1 created."""
    records = [CREATE, logstash_5156(7924)]
    graph = ingest(embedded_store, tmp_path, records if order == "create-first" else records[::-1])
    assert processes_named(graph, "notepad.exe") == [NOTEPAD_NODE]
    assert connected(graph, NOTEPAD_NODE, ip(C2)) == 1


# -- the connection: counted once when Sysmon 3 logged it too --------------------------------

SAME_3 = sysmon_3(3, "2020-09-04T16:09:40.100", 7924, 50692)
SAME_5156 = wfp_5156(4, "2020-09-04T16:09:39.000", 7924, 50692)


@pytest.mark.parametrize("order", list(permutations((SAME_3, SAME_5156))), ids=["sysmon-first", "wfp-first"])
def test_a_connection_sysmon_3_also_logged_counts_once(embedded_store, tmp_path, order):
    graph = ingest(embedded_store, tmp_path, [CREATE, *order])
    assert processes_named(graph, "notepad.exe") == [NOTEPAD_NODE]
    assert connected(graph, NOTEPAD_NODE, ip(C2)) == 1
    assert connected(graph, host("ws-0043"), ip(C2)) == 1
    assert sighting(graph, "ws-0043", ip(C2)) == 1


def test_each_sysmon_3_corroborates_one_5156(embedded_store, tmp_path):
    """Two 5156 of one connection (a retry WFP permitted twice) and one Sysmon 3: two counts, not one or three."""
    again = wfp_5156(5, "2020-09-04T16:09:39.500", 7924, 50692)
    graph = ingest(embedded_store, tmp_path, [CREATE, SAME_5156, again, SAME_3])
    assert connected(graph, NOTEPAD_NODE, ip(C2)) == 2
    assert sighting(graph, "ws-0043", ip(C2)) == 2


def test_a_5156_without_a_sysmon_3_is_the_connection(embedded_store, tmp_path):
    other_port = wfp_5156(5, "2020-09-04T16:09:39.500", 7924, 50999)
    graph = ingest(embedded_store, tmp_path, [CREATE, SAME_5156, SAME_3, other_port])
    assert connected(graph, NOTEPAD_NODE, ip(C2)) == 2
    assert sighting(graph, "ws-0043", ip(C2)) == 2


def test_a_file_ingest_and_a_replay_of_its_journal_make_one_graph(embedded_store, tmp_path):
    records = [SAME_5156, CREATE, SAME_3, wfp_5156(5, "2020-09-04T16:09:45.000", 7924, 50701)]
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_records(records, store=embedded_store, journal=journal, origin="api")
        live = snapshot(embedded_store)
        replay(journal, embedded_store)
        assert snapshot(embedded_store) == live
    assert connected(live, NOTEPAD_NODE, ip(C2)) == 2


# -- the OTRF captures the reviewer reproduced on -------------------------------------------

RDP = OTRF / "empire_enable_rdp_2019-05-18203650.json"
LAUNCHER_VBS = OTRF / "empire_launcher_vbs_2020-09-04160940.json"
BITSADMIN = OTRF / "cmd_bitsadmin_download_psh_script_2020-10-2302365189.json"


def test_rdp_the_empire_agent_is_one_node_with_its_c2_counted_once(tmp_path):
    """HR001's notepad pid 7924: 15 Sysmon 3 and 14 5156 of the same connections to the C2 (Sysmon's
    clock 11 days behind Security's: the source port ties them, not the time)."""
    graph = ingested(RDP, tmp_path)
    (notepad,) = processes_named(graph, "notepad.exe")
    assert connected(graph, notepad, ip(C2)) == 15
    assert not [ref for ref, (_, props) in graph["entities"].items()
                if ref[0] == "process" and "\\device\\" in str(dict(props).get("image", "")).lower()]


def test_launcher_vbs_the_stager_connection_is_on_the_wscript_child(tmp_path):
    graph = ingested(LAUNCHER_VBS, tmp_path)
    spawned = edges(graph, "SPAWNED")
    (wscript,) = processes_named(graph, "wscript.exe")
    stagers = {child for parent, child in spawned if parent == wscript}
    callers = {src for src, dst in edges(graph, "CONNECTED") if dst == ip("10.10.10.5") and src[0] == "process"}
    assert callers and callers <= stagers
    powershells = processes_named(graph, "powershell.exe")
    assert not [ref for ref in powershells
                if "\\device\\" in str(dict(graph["entities"][ref][1]).get("image", "")).lower()]


def test_bitsadmin_the_download_server_is_sighted_once_per_connection(tmp_path):
    graph = ingested(BITSADMIN, tmp_path)
    server = ip("151.101.208.133")
    assert sighting(graph, "workstation5", server) == 2
    assert connected(graph, host("workstation5"), server) == 1


def test_otrf_rdp_file_ingest_and_replay_make_one_graph(tmp_path):
    if not RDP.exists():
        pytest.skip(f"sample corpus not found: {RDP}")
    from graphsiem.store import open_store
    from ingest.pipeline import ingest_paths

    store = open_store("embedded", data_dir=tmp_path)
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            ingest_paths([Path(RDP)], store=store, journal=journal, progress=False)
            live = snapshot(store)
            replay(journal, store)
            assert snapshot(store) == live
        (notepad,) = processes_named(live, "notepad.exe")
        assert connected(live, notepad, ip(C2)) == 15
    finally:
        store.close()
