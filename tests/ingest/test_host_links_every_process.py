"""A host leads to every process its events name, and to who cleared its log (task G4, review T9 F1).

PC04's only event was mimikatz reading LSASS (Sysmon 10): its page showed no relation, because
``host RAN process`` came from a process creation only and the access only sighted the processes.
Any event of a host that names a process now relates ``host RAN process`` (the process ran there),
with the event as evidence; the sightings, which prevalence analytics count, are what they were.
A cleared Security or System log (1102, 104) is ``user CLEARED_LOG host``.  Real ingests of
Winlogbeat records and of the corpus' EVTX files, on both stores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.ingest.test_projection_variants import SYSMON, ingest, process, winlog

MIMIKATZ = "C:\\Users\\IEUser\\Desktop\\mimikatz_trunk\\Win32\\mimikatz.exe"
LSASS = "C:\\Windows\\system32\\lsass.exe"
PC04 = ("host", "pc04")


def _lsass_read(granted: str) -> dict[str, Any]:
    return winlog(SYSMON, 10, 7, "2019-03-17T19:37:11.641Z", {
        "UtcTime": "2019-03-17 19:37:11.641", "SourceProcessGUID": "{365abb72-a0a5-5c8e-0000-0010a4c4a800}",
        "SourceProcessId": "3588", "SourceImage": MIMIKATZ, "TargetProcessGUID": "{365abb72-9f3a-5c8e-0000-0010f6d10000}",
        "TargetProcessId": "476", "TargetImage": LSASS, "GrantedAccess": granted}, computer="PC04")


def _by_type(graph: dict[str, Any], type_: str) -> dict[tuple, tuple]:
    return {(src, dst): value for (src, kind, dst), value in graph["relations"].items() if kind == type_}


def test_a_host_whose_only_event_is_an_lsass_read_ran_both_processes(store: GraphStore, tmp_path: Path) -> None:
    graph = ingest(store, tmp_path, [_lsass_read("0x1010")])
    mimikatz, lsass = process(MIMIKATZ), process(LSASS)
    [(accessed, (_, _, _, evidence))] = _by_type(graph, "ACCESSED").items()
    assert accessed == (mimikatz, lsass)
    ran = _by_type(graph, "RAN")
    assert set(ran) == {(PC04, mimikatz), (PC04, lsass)}
    # the same event is the evidence behind the host's edges (a host page opens it)
    assert {value[3] for value in ran.values()} == {evidence} and len(evidence) == 1
    assert all(value[0] == 1 for value in ran.values())
    # prevalence reads sightings: one per process on pc04, as before
    assert {key: value[2] for key, value in graph["sightings"].items()} == {("pc04", mimikatz): 1, ("pc04", lsass): 1}
    assert [n.relation.type for n in store.neighbors("host", "pc04")] == ["RAN", "RAN"]


def test_a_query_only_handle_relates_no_access_but_both_processes_ran_on_the_host(store, tmp_path: Path) -> None:
    graph = ingest(store, tmp_path, [_lsass_read("0x1000")])
    assert not _by_type(graph, "ACCESSED")
    assert set(_by_type(graph, "RAN")) == {(PC04, process(MIMIKATZ)), (PC04, process(LSASS))}


BEACON = "C:\\Users\\Public\\update.exe"


def _connection(record_id: int, when: str) -> dict[str, Any]:
    return winlog(SYSMON, 3, record_id, when, {
        "UtcTime": when.replace("T", " ").rstrip("Z"), "ProcessGuid": "{1}", "ProcessId": "4242", "Image": BEACON,
        "Protocol": "tcp", "Initiated": "true", "SourceIp": "10.0.0.5", "SourcePort": str(50000 + record_id),
        "DestinationIp": "203.0.113.9", "DestinationPort": "443"}, computer="WS-0007")


def _file_write(record_id: int, when: str) -> dict[str, Any]:
    return winlog(SYSMON, 11, record_id, when, {
        "UtcTime": when.replace("T", " ").rstrip("Z"), "ProcessGuid": "{1}", "ProcessId": "4242", "Image": BEACON,
        "TargetFilename": "C:\\Users\\Public\\loot.zip"}, computer="WS-0007")


def test_a_process_seen_only_by_its_connections_and_writes_ran_on_its_host(store, tmp_path: Path) -> None:
    records = [_connection(1, "2024-05-01T10:00:00.000Z"), _connection(2, "2024-05-01T10:05:00.000Z"),
               _file_write(3, "2024-05-01T10:06:00.000Z")]
    graph = ingest(store, tmp_path, records)
    beacon = process(BEACON)
    ran = _by_type(graph, "RAN")
    assert set(ran) == {(("host", "ws-0007"), beacon)}
    count, first, last, evidence = ran[(("host", "ws-0007"), beacon)]
    assert count == 3 and len(evidence) == 3 and last - first == 360.0
    assert graph["sightings"][("ws-0007", beacon)][2] == 3  # one sighting per event, as before


SUBJECT = {"SubjectUserSid": "S-1-5-21-1587066498-1489273250-1035260531-1106", "SubjectUserName": "user01",
           "SubjectDomainName": "EXAMPLE", "SubjectLogonId": "0x17dad"}


def test_a_cleared_log_relates_its_account_to_the_host(store: GraphStore, tmp_path: Path) -> None:
    cleared = winlog("Security", 1102, 9, "2019-03-19T23:34:25.000Z", SUBJECT, computer="PC01.example.corp")
    system = winlog("System", 104, 10, "2019-03-19T23:34:26.000Z", {**SUBJECT, "Channel": "System"},
                    computer="PC01.example.corp")
    # a record naming no account (only its rendered text did) relates nothing: its host is kept
    anonymous = winlog("System", 104, 11, "2020-10-23T02:36:40.718Z", {"Channel": "System"}, computer="WORKSTATION5")
    graph = ingest(store, tmp_path, [cleared, system, anonymous])
    user = ("user", "example\\user01")
    [(count, _, _, evidence)] = _by_type(graph, "CLEARED_LOG").values()
    assert set(_by_type(graph, "CLEARED_LOG")) == {(user, ("host", "pc01"))}
    assert count == 2 and len(evidence) == 2
    assert [n.relation.type for n in store.neighbors("user", "example\\user01")] == ["CLEARED_LOG"]
    assert [n.entity.ref for n in store.neighbors("host", "pc01")] == [user]
    assert ("host", "workstation5") in graph["entities"] and not store.neighbors("host", "workstation5")


EVTX = "evtx-attack-samples"


def _ingest_corpus(store: GraphStore, tmp_path: Path, *paths: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths(list(paths), store=store, journal=journal, progress=False)
    assert report.total.rejected == 0
    store.flush()


def test_corpus_pc04_and_pc01_pages_lead_to_the_attack(store: GraphStore, tmp_path: Path, samples_dir: Path) -> None:
    """The two EVTX files of the review's finding: mimikatz on PC04, the Security log cleared on PC01."""
    _ingest_corpus(store, tmp_path,
                   samples_dir / EVTX / "Credential Access" / "sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx",
                   samples_dir / EVTX / "Defense Evasion" / "DE_1102_security_log_cleared.evtx")
    pc04 = {(n.relation.type, n.entity.value.lower()) for n in store.neighbors("host", "pc04")}
    assert ("RAN", MIMIKATZ.lower()) in pc04 and ("RAN", LSASS.lower()) in pc04
    pc01 = {(n.relation.type, n.entity.ref) for n in store.neighbors("host", "pc01")}
    assert ("CLEARED_LOG", ("user", "example\\user01")) in pc01
    [cleared] = store.neighbors("user", "example\\user01", relation_types=["CLEARED_LOG"])
    assert cleared.relation.count == 1 and len(cleared.relation.evidence) == 1
