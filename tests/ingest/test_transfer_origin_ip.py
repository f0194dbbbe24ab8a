"""A file on the wire names the address it came from: ``file SERVED_BY ip`` of its sender.

Zeek's ``files`` record names a transfer's sender (``tx_hosts``, or with ``is_orig`` the
connection side that sent it) and Suricata's EVE ``fileinfo`` record its flow's packet source.
For a download that sender is the server: a payload 65 hosts fetched from one rare address with
no domain is tied to that address by ``file SERVED_BY ip``, as MDE's ``FileOriginIP`` is
(tests/ingest/test_file_origin_ip.py).  An upload's sender is the client, which served nothing.

An unhashed, unnamed HTTP download waits for its ``http`` record in the join state (saved with
the checkpoint); the address waits with it, so the graph is the same whichever log is read
first, in one ingest call or in several, and as the replay of the journal rebuilds it.  Through
the real parsers, projector, pipeline, journal and both stores; the LSASS campaign's Zeek TSV
logs come from ``$GRAPHSIEM_SAMPLES``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest import replay as replay_module
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.suricata import SuricataEveParser
from ingest.pipeline import ingest_paths
from ingest.projection import Projector
from ingest.replay import replay
from tests.ingest.test_projection_network import EVE_RECORDS, lease, parsed
from tests.ingest.test_projection_transfers import SERVER, download, leases, request, stored
from tests.reliability.snapshot import snapshot
from tests.samples import samples_path

LSASS = samples_path() / "otrf-security-datasets" / "LSASS_campaign_01_zeek"
SLIPS_EVE = samples_path() / "stratosphere-slips" / "test6-malicious.suricata.json"
ATTACKER = ("ip", "10.0.5.13")


def served_by_ips(relations: Any) -> set[tuple[Any, Any]]:
    """``(file, ip)`` of every ``file SERVED_BY ip`` among ``relations`` (projected or stored)."""
    found = set()
    for relation in relations:
        src, type_, dst = (relation.src, relation.type, relation.dst) if hasattr(relation, "src") else relation
        if type_ == "SERVED_BY" and dst[0] == "ip":
            found.add((src, dst))
    return found


# -- Zeek TSV: the LSASS campaign's 7,168-byte stager ------------------------------------------

def stager(graph: dict[str, Any]) -> tuple[str, str]:
    """The unhashed, unnamed PE of files.log, known by its server's address (http.log names no URL), type and size."""
    (ref,) = [ref for ref, (_, props) in graph["entities"].items()
              if ref[0] == "file" and ("size", 7168) in props]
    return ref


def ingest_in_calls(store: Any, journal_path: Path, calls: list[list[str]]) -> dict[str, Any]:
    """The LSASS logs ``calls`` (one list of names per ingest call, each call a new process that reads
    the join state back from the journal) into an emptied ``store``; its graph."""
    store.clear()
    with Journal(journal_path) as journal:
        for names in calls:
            replay_module._RESUMABLE.clear()
            ingest_paths([LSASS / name for name in names], store=store, journal=journal, progress=False)
    return snapshot(store)


def test_the_lsass_stager_is_served_by_the_address_that_sent_it_whichever_log_comes_first(store, tmp_path):
    """files.log's responder 10.0.5.13 sent the PE: it is SERVED_BY that address (http.log saw no request
    line: no URL), in the same graph whether files.log is read before http.log or after, in one call or in two, and the
    replay of the journal rebuilds it.  kerberos.log maps the victim 192.168.1.41 to mkt01 first."""
    arrangements = {
        "files first, one call": [["kerberos.log"], ["files.log", "http.log"]],
        "http first, one call": [["kerberos.log"], ["http.log", "files.log"]],
        "files first, two calls": [["kerberos.log"], ["files.log"], ["http.log"]],
        "http first, two calls": [["kerberos.log"], ["http.log"], ["files.log"]],
    }
    graphs = {name: ingest_in_calls(store, tmp_path / f"{n}.sqlite", calls)
              for n, (name, calls) in enumerate(arrangements.items())}
    expected = graphs["files first, one call"]
    stager_ref = stager(expected)
    assert {dst for src, type_, dst in expected["relations"] if src == stager_ref and type_ == "SERVED_BY"} == {
        ATTACKER}
    served = expected["relations"][(stager_ref, "SERVED_BY", ATTACKER)]
    assert served[0] == 1 and len(served[3]) == 1  # one event, the files record
    # the HTML page came from it too (the 404 page is no download): every download names its sender
    assert {src for src, dst in served_by_ips(expected["relations"]) if dst == ATTACKER} == {
        ref for ref in expected["entities"] if ref[0] == "file"}
    assert ("mkt01", ATTACKER) in expected["sightings"]
    for name, graph in graphs.items():
        for part in ("entities", "relations", "sightings", "counts"):
            assert graph[part] == expected[part], (name, part)
    with Journal(tmp_path / "2.sqlite") as journal:  # the files-first calls, replayed
        replay(journal, store)
    assert snapshot(store) == graphs["files first, two calls"]


def test_a_join_state_without_the_waiting_origin_is_not_read_and_the_journal_replays(embedded_store, tmp_path):
    """A version-4 state (saved before this change) keeps a waiting download without its sender: it is
    not read, the projector learns the joins again from the journal, and the download that arrives in
    the next call is still SERVED_BY its sender, as in the replayed graph."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        replay_module._RESUMABLE.clear()
        ingest_paths([LSASS / "kerberos.log", LSASS / "files.log"], store=embedded_store, journal=journal,
                     progress=False)
        seq, state = journal.join_state(journal.checkpoint())
        old = json.loads(state)
        assert old["_fuid_pending"], "no download waits: the test would prove nothing"
        old["version"] = 4
        old["_fuid_pending"] = [[fuid, pending[:6]] for fuid, pending in old["_fuid_pending"]]
        old_state = json.dumps(old).encode()
        assert Projector().restore_join_state(old_state) is False
        journal.set_checkpoint(seq, old_state)
        replay_module._RESUMABLE.clear()  # a new process: it reads the state back
        ingest_paths([LSASS / "http.log"], store=embedded_store, journal=journal, progress=False)
        live = snapshot(embedded_store)
        assert (stager(live), "SERVED_BY", ATTACKER) in live["relations"]
        replay(journal, embedded_store)
        assert snapshot(embedded_store) == live


# -- Zeek JSON -----------------------------------------------------------------------------------

def hosts_at(server: str) -> IpHostMap:
    """ws-01 at 10.0.0.1; the server's address mapped to srv-01 too, or not."""
    ipmap = leases(1)
    if server == "mapped":
        ipmap.add_lease(SERVER, "srv-01", 0.0, 2e9)
    return ipmap


@pytest.mark.parametrize("server", ["unmapped", "mapped"])
@pytest.mark.parametrize("batches", ["one batch", "two batches", "two projectors"])
def test_a_zeek_json_download_is_served_by_its_sender_whichever_log_comes_first(store, batches, server):
    """files record (is_orig false: the responder sent it) and http record in either order: one
    SERVED_BY ip, with the files record's event and time, and the address sighted once by each.
    A mapped server is its host in CONNECTED, and its address is still the file's origin."""
    files, http = download("10.0.0.1", "FA", "f"), request("10.0.0.1", "FA", "/a.exe", "h")
    graphs = []
    for first, second in ((files, http), (http, files)):
        projector = Projector(hosts_at(server))
        if batches == "one batch":
            projections = [projector.project([first, second])]
        elif batches == "two batches":
            projections = [projector.project([first]), projector.project([second])]
        else:  # another ingest call: a projector restored from the saved join state
            before = projector.project([first])
            restored = Projector(hosts_at(server))
            assert restored.restore_join_state(projector.join_state())
            projections = [before, restored.project([second])]
        graphs.append(stored(store, projections))
    files_first, http_first = graphs
    for part in ("entities", "relations", "sightings", "counts"):
        assert files_first[part] == http_first[part], part
    (file,) = [ref for ref in files_first["entities"] if ref[0] == "file"]
    assert files_first["relations"][(file, "SERVED_BY", ("ip", SERVER))] == (1, files.ts, files.ts, ("f",))
    # once by the files record, not twice (and by the http record's connection when it reached the address)
    by_http = server == "unmapped"
    assert files_first["sightings"][("ws-01", ("ip", SERVER))] == (
        http.ts if by_http else files.ts, files.ts, 1 + by_http)


def test_a_zeek_json_transfer_names_its_tx_host_and_an_upload_names_none():
    """Zeek before 5: ``tx_hosts`` sent the file, ``rx_hosts`` received it; the same file sent by the
    client (``is_orig``: an upload) is UPLOADED by it, and neither end served it."""
    older = {"_path": "files", "ts": 1709633734.2, "fuid": "F1", "tx_hosts": ["203.0.113.9"],
             "rx_hosts": ["10.0.0.1"], "conn_uids": ["C1"], "source": "HTTP", "mime_type": "application/pdf",
             "filename": "invoice.pdf", "total_bytes": 1024, "sha256": "ab" * 32}
    projection = Projector(leases(1)).project([parsed(older, "old"), download("10.0.0.1", "FU", "up", is_orig=True)])
    served = served_by_ips(projection.relations)
    assert {ip for _, ip in served} == {("ip", "203.0.113.9")}
    (pdf,) = [file for file, _ in served]
    assert {(r.src, r.type) for r in projection.relations if r.dst == pdf} == {(("host", "ws-01"), "DOWNLOADED")}
    uploads = [r for r in projection.relations if r.type == "UPLOADED"]
    assert [r.src for r in uploads] == [("host", "ws-01")]
    assert uploads[0].dst not in {file for file, _ in served}


# -- Suricata EVE fileinfo -----------------------------------------------------------------------

def test_an_eve_fileinfo_download_is_served_by_its_flow_source():
    """The packet that carried the file went server -> client: its source is where it came from."""
    projection = Projector(lease("192.0.2.10", "ws-10")).project([parsed(EVE_RECORDS["fileinfo_exe"])])
    (file,) = [e.ref for e in projection.entities if e.type == "file"]
    assert served_by_ips(projection.relations) == {(file, ("ip", "203.0.113.7"))}
    assert (("host", "ws-10"), file) in {(("host", s.host), s.entity) for s in projection.sightings}
    assert ("ws-10", ("ip", "203.0.113.7")) in {(s.host, s.entity) for s in projection.sightings}


def test_the_slips_capture_fileinfo_downloads_are_served_by_the_sensor_host_and_the_post_is_not():
    """Slips' capture: two 404 pages the monitored 192.168.1.129 served to a scanner, and a POST body
    a scanner sent it (an upload: the scanner UPLOADED it, nobody served it)."""
    parser = SuricataEveParser()
    events = []
    for number, line in enumerate(SLIPS_EVE.read_text().splitlines()):
        if '"event_type":"fileinfo"' in line:
            (event,) = parser.parse(json.loads(line), ParseContext(origin=f"slips:{number}"))
            events.append(event)
    assert len(events) == 3
    projection = Projector().project(events)
    served = served_by_ips(projection.relations)
    assert {ip for _, ip in served} == {("ip", "192.168.1.129")}
    served_files = {file for file, _ in served}
    assert {e.props["url"] for e in projection.entities if e.ref in served_files} == {"http://147.32.82.197:554/"}
    uploaded = {r.dst for r in projection.relations if r.type == "UPLOADED"}
    assert not uploaded & served_files


# -- what names no other machine -----------------------------------------------------------------

def test_a_loopback_sender_is_no_origin():
    """A file from the machine itself (a local proxy, a service on 127.0.0.1 or ::1) would make one
    ip node of every host's local downloads: only the real address is an origin."""
    def fetched(sender: str, fuid: str) -> dict[str, Any]:
        return {"_path": "files", "ts": 1709633734.2, "fuid": fuid, "tx_hosts": [sender], "rx_hosts": ["10.0.0.1"],
                "source": "HTTP", "mime_type": "application/zip", "total_bytes": 99, "sha256": fuid.lower() * 32}
    eve_local = {**EVE_RECORDS["fileinfo_exe"], "src_ip": "127.0.0.1", "dest_ip": "10.0.0.1"}
    events = [parsed(fetched("127.0.0.1", "AA"), "lo4"), parsed(fetched("::1", "BB"), "lo6"),
              parsed(fetched("203.0.113.9", "CC"), "real"), parsed(eve_local, "eve"),
              # an unhashed HTTP download from loopback that waits for its http record, which comes
              download("10.0.0.1", "FL", "wait", **{"id.resp_h": "127.0.0.1"}),
              request("10.0.0.1", "FL", "/local.exe", "h")]
    projection = Projector(leases(1)).project(events)
    assert len([e for e in projection.entities if e.type == "file"]) == 5  # every file was made
    assert {ip for _, ip in served_by_ips(projection.relations)} == {("ip", "203.0.113.9")}
