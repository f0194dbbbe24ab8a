"""One process, one node: Sysmon 1, Security 4688 and Sysmon 10 of one process, in any order.

A reference without a command line (4688 under an audit policy without command lines, the
image and GUID of Sysmon 7/10/11/13) is the full process of its host and GUID, else of its host,
pid and image name at that time, whichever of them comes first in the batch
(``EntityBuilders._settle_deferred``).  A pid held by another image, or reused by the same image
under another GUID, never joins.  The records are what the sources send (Winlogbeat), through
:func:`ingest.pipeline.ingest_records` into the stores.
"""

from __future__ import annotations

import os
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest

from graphsiem.store import open_store
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.projection import project_events
from ingest.replay import replay
from tests.ingest.test_projection import ev
from tests.ingest.test_projection_variants import (
    SYSMON,
    edges,
    ingest,
    process,
    security_4688,
    winlog,
)
from tests.reliability.snapshot import snapshot

WARDOG = "C:\\Users\\wardog\\Desktop\\wardog.exe"
HERP = "C:\\Users\\wardog\\Desktop\\ProcessHerpaderping.exe"
HERP_CMD = "ProcessHerpaderping.exe  mimikatz.exe wardog.exe C:\\windows\\System32\\SnippingTool.exe"
CONHOST = "C:\\Windows\\System32\\conhost.exe"
CONHOST_CMD = "\\??\\C:\\windows\\system32\\conhost.exe 0xffffffff -ForceV1"
LSASS = LSASS_CMD = "C:\\windows\\system32\\lsass.exe"
WARDOG_GUID, HERP_GUID, LSASS_GUID = (f"{{39e4a257-{run}-000000000700}}"
                                      for run in ("1289-5f98-482d", "1289-5f98-472d", "f131-5f8b-0c00"))


def sysmon_1(record_id: int, when: str, guid: str, pid: int, image: str, command: str,
             parent_guid: str, parent_pid: int, parent_image: str, parent_command: str) -> dict[str, Any]:
    return winlog(SYSMON, 1, record_id, when + "Z", {
        "UtcTime": when.replace("T", " "), "ProcessGuid": guid, "ProcessId": str(pid), "Image": image,
        "CommandLine": command, "User": "WS-0043\\wardog", "ParentProcessGuid": parent_guid,
        "ParentProcessId": str(parent_pid), "ParentImage": parent_image, "ParentCommandLine": parent_command})


def sysmon_10(record_id: int, when: str, source: tuple[str, int, str], target: tuple[str, int, str]) -> dict[str, Any]:
    (source_guid, source_pid, source_image), (target_guid, target_pid, target_image) = source, target
    return winlog(SYSMON, 10, record_id, when + "Z", {
        "UtcTime": when.replace("T", " "), "SourceProcessGUID": source_guid, "SourceProcessId": str(source_pid),
        "SourceImage": source_image, "TargetProcessGUID": target_guid, "TargetProcessId": str(target_pid),
        "TargetImage": target_image, "GrantedAccess": "0x1fffff"})


# lsass (its creation logged earlier) opens wardog.exe 12 ms before wardog's Sysmon 1, naming it by
# its bare image; Security's 4688 of the same creation has no command line (pid 8924 = 0x22dc)
LSASS_CREATE = sysmon_1(1, "2020-10-27T08:00:00.000", LSASS_GUID, 756, LSASS, LSASS_CMD,
                        "{39e4a257-f131-5f8b-0b00-000000000700}", 600, "C:\\windows\\system32\\wininit.exe",
                        "wininit.exe")
HERP_CREATE = sysmon_1(2, "2020-10-27T08:28:57.061", HERP_GUID, 10164, HERP, HERP_CMD,
                       "{39e4a257-1269-5f98-452d-000000000700}", 10032, "C:\\Windows\\System32\\cmd.exe",
                       '"C:\\windows\\system32\\cmd.exe" ')
ACCESS = sysmon_10(3, "2020-10-27T08:28:57.117", (LSASS_GUID, 756, LSASS), (WARDOG_GUID, 8924, "wardog.exe"))
CREATE = sysmon_1(4, "2020-10-27T08:28:57.129", WARDOG_GUID, 8924, WARDOG, '"wardog.exe"',
                  HERP_GUID, 10164, HERP, HERP_CMD)
SECURITY = security_4688(5, "2020-10-27T08:28:57.129Z", "0x22dc", WARDOG, "", "0x27b4", HERP)
CHILD = security_4688(6, "2020-10-27T08:28:57.373Z", "0x228", CONHOST, CONHOST_CMD, "0x22dc", WARDOG)

WARDOG_NODE = process(WARDOG, '"wardog.exe"')


def processes_named(graph: dict[str, Any], name: str) -> list[tuple[str, str]]:
    return [ref for ref, (_, props) in graph["entities"].items()
            if ref[0] == "process" and dict(props).get("name") == name]


@pytest.mark.parametrize("order", list(permutations((ACCESS, CREATE, SECURITY))),
                         ids=lambda order: "-".join(str(r["winlog"]["event_id"]) for r in order))
def test_sysmon_1_security_4688_and_sysmon_10_of_one_process_are_one_node_in_any_order(
        embedded_store, tmp_path, order):
    graph = ingest(embedded_store, tmp_path, [LSASS_CREATE, HERP_CREATE, *order, CHILD])
    assert processes_named(graph, "wardog.exe") == [WARDOG_NODE]
    conhost = process(CONHOST, CONHOST_CMD)
    assert edges(graph, "SPAWNED") >= {(process(HERP, HERP_CMD), WARDOG_NODE), (WARDOG_NODE, conhost)}
    assert (process(LSASS, LSASS_CMD), WARDOG_NODE) in edges(graph, "ACCESSED")
    # the full node keeps its own image, not the bare name the access named it by
    assert dict(graph["entities"][WARDOG_NODE][1])["image"] == WARDOG


def test_the_one_node_is_the_same_in_both_stores(store, tmp_path):
    graph = ingest(store, tmp_path, [LSASS_CREATE, HERP_CREATE, SECURITY, ACCESS, CREATE, CHILD])
    assert processes_named(graph, "wardog.exe") == [WARDOG_NODE]
    assert (WARDOG_NODE, process(CONHOST, CONHOST_CMD)) in edges(graph, "SPAWNED")


def test_a_pid_taken_by_another_image_at_that_time_is_not_joined(embedded_store, tmp_path):
    """A 4688 of notepad.exe half a second before wardog's creation with the same pid is another process;
    the 4688 of wardog's own creation joins it."""
    notepad = security_4688(7, "2020-10-27T08:28:56.629Z", "0x22dc", "C:\\Windows\\notepad.exe", "", "0x27b4", HERP)
    graph = ingest(embedded_store, tmp_path, [HERP_CREATE, notepad, CREATE, SECURITY])
    assert processes_named(graph, "notepad.exe") == [process("C:\\Windows\\notepad.exe")]
    assert processes_named(graph, "wardog.exe") == [WARDOG_NODE]
    assert {user for src, user in edges(graph, "RUN_AS") if src == WARDOG_NODE} == {
        ("user", "ws-0043\\wardog"), ("user", "corp\\jdoe")}  # Sysmon's user and the 4688's subject


def test_a_pid_reused_by_the_same_image_is_not_joined(embedded_store, tmp_path):
    """Outside the join window (a 4688 ten seconds before the Sysmon 1), and under another GUID."""
    early = security_4688(7, "2020-10-27T08:28:47.129Z", "0x22dc", WARDOG, "", "0x27b4", HERP)
    other_run = sysmon_10(8, "2020-10-27T08:29:30.000", (LSASS_GUID, 756, LSASS),
                          ("{39e4a257-1300-5f98-4a2d-000000000700}", 8924, "wardog.exe"))
    graph = ingest(embedded_store, tmp_path, [LSASS_CREATE, HERP_CREATE, early, ACCESS, CREATE, SECURITY, other_run])
    assert sorted(processes_named(graph, "wardog.exe")) == sorted([WARDOG_NODE, process(WARDOG),
                                                                   process("wardog.exe")])
    accessed = edges(graph, "ACCESSED")
    assert (process(LSASS, LSASS_CMD), process("wardog.exe")) in accessed  # the other run
    assert (process(LSASS, LSASS_CMD), WARDOG_NODE) in accessed  # this run, named 12 ms before its creation


@pytest.mark.parametrize("spelling", ["\\??\\C:\\Windows\\explorer.exe",
                                      "%windir%\\explorer.exe", "\\SystemRoot\\explorer.exe"])
def test_an_image_path_is_one_process_in_any_spelling_windows_gives_it(spelling):
    """Two sources naming explorer by image only (no GUID, no pid): one node, shown as spelt last."""
    a = ev("sysmon:file_create", event_id="e1", process__executable="C:\\Windows\\explorer.exe",
           file__path="C:\\a.txt")
    b = ev("sysmon:file_create", event_id="e2", process__executable=spelling, file__path="C:\\b.txt")
    processes = [e for e in project_events([a, b]).entities if e.type == "process"]
    assert [(e.key, e.props["image"]) for e in processes] == [(process("C:\\Windows\\explorer.exe")[1], spelling)]


def test_a_file_ingest_and_a_replay_of_its_journal_make_one_graph(embedded_store, tmp_path):
    records = [LSASS_CREATE, HERP_CREATE, ACCESS, SECURITY, CREATE, CHILD]
    with Journal(tmp_path / "journal.sqlite") as journal:
        from ingest.pipeline import ingest_records

        ingest_records(records, store=embedded_store, journal=journal, origin="api")
        live = snapshot(embedded_store)
        replay(journal, embedded_store)
        assert snapshot(embedded_store) == live
    assert processes_named(live, "wardog.exe") == [WARDOG_NODE]


# -- the OTRF herpaderping and bitsadmin captures (Sysmon + Security on WORKSTATION5) ----------

OTRF = Path(os.environ.get("GRAPHSIEM_SAMPLES", "/nonexistent")) / "otrf-security-datasets"
HERPADERPING = OTRF / "cmd_process_herpaderping_snippingtool_2020-10-2708290130.json"
BITSADMIN = OTRF / "cmd_bitsadmin_download_psh_script_2020-10-2302365189.json"


def ingested(path: Path, data_dir: Path) -> dict[str, Any]:
    if not path.exists():
        pytest.skip(f"sample corpus not found: {path}")
    store = open_store("embedded", data_dir=data_dir)
    try:
        with Journal(data_dir / "journal.sqlite") as journal:
            ingest_paths([path], store=store, journal=journal, progress=False)
        return snapshot(store)
    finally:
        store.close()


def test_herpaderping_wardog_and_its_parent_cmd_are_one_node_each(tmp_path):
    graph = ingested(HERPADERPING, tmp_path)
    (wardog,) = processes_named(graph, "wardog.exe")
    (cmd,) = processes_named(graph, "cmd.exe")
    spawned = edges(graph, "SPAWNED")
    assert {dst for src, dst in spawned if src == wardog} == {process(CONHOST, CONHOST_CMD)}
    (herpaderping,) = {src for src, dst in spawned if dst == wardog}
    assert (cmd, herpaderping) in spawned
    loaded = {dict(graph["entities"][dst][1]).get("name") for src, dst in edges(graph, "LOADED") if src == wardog}
    assert {"samlib.dll", "vaultcli.dll", "cryptdll.dll"} <= loaded  # mimikatz's DLLs, on the same node
    assert (("host", "workstation5"), wardog) in edges(graph, "RAN")


def test_bitsadmin_parent_cmd_is_one_node(tmp_path):
    graph = ingested(BITSADMIN, tmp_path)
    (cmd,) = processes_named(graph, "cmd.exe")
    (bitsadmin,) = processes_named(graph, "bitsadmin.exe")
    assert (cmd, bitsadmin) in edges(graph, "SPAWNED")
