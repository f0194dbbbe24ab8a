"""A workstation name an NTLM client declares is a claim tied to the address that sent it (task G4, review T9 F6).

All 236 ``hostname=WORKSTATION`` records of the Brim sample come from the red team's 10.150.0.20:
the graph had a host ``workstation`` logged on to four servers and nothing linking it to that
address.  ``WORKSTATION`` (the default of Metasploit and Impacket-based tools) is now a placeholder
that makes no host; the client's address ``LOGGED_ON`` the server; a real claimed name
(``KALI``) still logs on and is ``CLAIMED_AT`` the address it came from.  The claim never
teaches the IP -> host map.  Real ingests through the pipeline, on both stores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records

RED_TEAM = "10.150.0.20"


def _ntlm(uid: str, ts: float, client: str, server: str, hostname: str) -> dict[str, Any]:
    return {"_path": "ntlm", "ts": ts, "uid": uid, "id.orig_h": client, "id.orig_p": 40000, "id.resp_h": server,
            "id.resp_p": 445, "username": "Administrator", "domainname": "JERRY", "hostname": hostname,
            "server_nb_computer_name": "SRV", "success": True}


def _conn(uid: str, ts: float, client: str, server: str) -> dict[str, Any]:
    return {"_path": "conn", "ts": ts, "uid": uid, "id.orig_h": client, "id.orig_p": 40001, "id.resp_h": server,
            "id.resp_p": 445, "proto": "tcp"}


def _relations(store: GraphStore, type_: str) -> dict[tuple, int]:
    return {(r.src, r.dst): r.count for r in store.iter_relations(type_)}


def test_a_tool_default_name_makes_no_host_and_the_address_logs_on(store: GraphStore, tmp_path: Path) -> None:
    records = [_ntlm("C1", 1521912155.0, RED_TEAM, "10.47.22.25", "WORKSTATION"),
               _ntlm("C2", 1521912156.0, RED_TEAM, "10.47.22.25", "WORKSTATION"),
               _ntlm("C3", 1521912157.0, RED_TEAM, "10.47.24.25", "workstation"),
               _ntlm("C4", 1521912158.0, RED_TEAM, "10.47.24.25", "-")]
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records(records, store=store, journal=journal, origin="api")
    store.flush()
    assert report.total.accepted == 4 and report.total.rejected == 0
    assert store.get_entity("host", "workstation") is None
    assert [e.key for e in store.iter_entities("host")] == []
    assert _relations(store, "LOGGED_ON") == {
        (("ip", RED_TEAM), ("ip", "10.47.22.25")): 2, (("ip", RED_TEAM), ("ip", "10.47.24.25")): 2,
        (("user", "srv\\administrator"), ("ip", "10.47.22.25")): 2,
        (("user", "srv\\administrator"), ("ip", "10.47.24.25")): 2}
    assert _relations(store, "CLAIMED_AT") == {}


def test_a_real_claimed_name_is_tied_to_its_address_and_teaches_no_map(store: GraphStore, tmp_path: Path) -> None:
    records = [_ntlm("C1", 1521912155.0, "10.164.94.120", "10.47.21.82", "KALI"),
               _conn("C2", 1521912200.0, "10.164.94.120", "10.47.3.200")]
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_records(records, store=store, journal=journal, origin="api")
    store.flush()
    client, kali = ("ip", "10.164.94.120"), ("host", "kali")
    assert _relations(store, "CLAIMED_AT") == {(kali, client): 1}
    assert _relations(store, "LOGGED_ON") == {
        (kali, ("ip", "10.47.21.82")): 1, (client, ("ip", "10.47.21.82")): 1,
        (("user", "srv\\administrator"), ("ip", "10.47.21.82")): 1}
    # the claim is no IP -> host evidence: the later connection stays the address's
    assert _relations(store, "CONNECTED") == {(client, ("ip", "10.47.21.82")): 1, (client, ("ip", "10.47.3.200")): 1}
    assert [s for s in store.iter_sightings() if s.host == "kali"] == []


def test_corpus_brim_ntlm_workstation_is_the_red_team_address(store: GraphStore, tmp_path: Path,
                                                             samples_dir: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([samples_dir / "brimdata-zed-sample-data" / "zeek-default" / "ntlm.log"],
                              store=store, journal=journal, progress=False)
    store.flush()
    assert report.total.rejected == 0
    assert store.get_entity("host", "workstation") is None
    servers = {r.dst for r in store.iter_relations("LOGGED_ON") if r.src == ("ip", RED_TEAM)}
    assert servers == {("ip", f"10.47.{n}.25") for n in (21, 22, 24, 27)}
