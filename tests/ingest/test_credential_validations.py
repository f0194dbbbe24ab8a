"""NTLM credential validations (Security 4776) are ``user VALIDATED_AT host`` with outcome and claim tallies (task K2).

A DC's 4776 names the account, the workstation the client *claimed* and an error code.  The
projection only sighted the user: a password spray left nothing an analyst could follow from the DC's
page.  Now every 4776, from a syslog forwarder's rendered text or a Windows record (Winlogbeat, evtx
JSON), is ``user VALIDATED_AT <dc>``; the edge tallies its outcomes (``success``, ``failure
0xc000006a``...) and the claimed workstation names (at most ``TALLY_CAP``, the rest counted; the API
shows 20), and a claimed name never becomes a host.  Failures are no log-on.  Real ingests through the pipeline, on
both stores (the Neo4j case against the server the test session starts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphsiem.api.services.graph_json import graph_to_json
from graphsiem.model import TALLY_CAP, TALLY_SHOWN
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.api.conftest import make_settings, running_api

DC_TEXT = ("1 2026-03-02T09:{minute:02d}:{second:02d}-05:00 DC01.corp.example EvntSLog - - - The domain controller "
           "attempted to validate the credentials for an account. Authentication Package: "
           "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0 Logon Account: {user} Source Workstation: {workstation} "
           "Error Code: {code}")
HOSTILE = "x'}) MATCH (n) DETACH DELETE n //"
"""A claimed workstation name that would break Cypher built by concatenation: it is data."""


def text_line(second: int, user: str, workstation: str, code: str) -> str:
    return DC_TEXT.format(minute=second // 60, second=second % 60, user=user, workstation=workstation, code=code)


def winlogbeat(second: int, user: str, workstation: str, status: str) -> dict[str, Any]:
    return {"@timestamp": f"2026-03-02T14:20:{second:02d}.000Z", "agent": {"type": "winlogbeat", "version": "8.11.0"},
            "host": {"name": "collector01"},
            "winlog": {"computer_name": "DC01.corp.example", "event_id": "4776", "channel": "Security",
                       "record_id": 900 + second,
                       "event_data": {"PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
                                      "TargetUserName": user, "Workstation": workstation, "Status": status}},
            "message": "The computer attempted to validate the credentials for an account."}


def evtx_json(second: int, user: str, workstation: str, status: str) -> dict[str, Any]:
    return {"Event": {"#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
                      "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
                                 "EventID": 4776, "Channel": "Security", "Computer": "DC01.corp.example",
                                 "TimeCreated": {"#attributes": {"SystemTime": f"2026-03-02T14:21:{second:02d}.0Z"}},
                                 "EventRecordID": 1000 + second},
                      "EventData": {"PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", "TargetUserName": user,
                                    "Workstation": workstation, "Status": status}}}


def ingest(store: GraphStore, tmp_path: Path, *files: tuple[str, str]) -> None:
    """Ingest each (name, text) file in its own call (the stores merge the edges across calls)."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        for name, text in files:
            path = tmp_path / name
            path.write_text(text)
            report = ingest_paths([path], store=store, journal=journal, progress=False)
            assert report.total.rejected == 0 and report.total.accepted > 0
    store.flush()


def validated(store: GraphStore) -> dict[tuple[Any, Any], Any]:
    return {(r.src, r.dst): r for r in store.iter_relations("VALIDATED_AT")}


def test_a_spray_is_on_the_dcs_page_with_its_failures_and_claims(store: GraphStore, tmp_path: Path) -> None:
    spray = [text_line(n, "alice", f"rnd{n:013d}", "0xC000006A") for n in range(6)]
    spray += [text_line(10, "ghost", "rnd0000000000010", "0xc0000064"), text_line(11, "alice", "WS-17", "0x0")]
    windows = [winlogbeat(1, "alice", "rnd0000000000020", "0xc000006a"),
               winlogbeat(2, "bob", HOSTILE, "0x0")]
    evtx = [evtx_json(3, "alice", "WS-17", "0xC000006A")]
    ingest(store, tmp_path, ("dc.syslog", "\n".join(spray) + "\n"),
           ("winlogbeat.ndjson", "\n".join(json.dumps(r) for r in windows) + "\n"),
           ("evtx.ndjson", "\n".join(json.dumps(r) for r in evtx) + "\n"))
    dc = ("host", "dc01")
    edges = validated(store)
    assert set(edges) == {(("user", "alice"), dc), (("user", "ghost"), dc), (("user", "bob"), dc)}
    alice = edges[(("user", "alice"), dc)]
    assert alice.count == 9 and len(alice.evidence) == 9
    assert alice.tallies == {
        "account_domain": {"unknown": 9},  # dc01 is not known to be a domain controller: names kept as given
        "outcomes": {"failure 0xc000006a": 8, "success": 1},
        "workstations": {**{f"rnd{n:013d}": 1 for n in range(6)}, "ws-17": 2, "rnd0000000000020": 1}}
    assert alice.tallies_dropped is None
    assert edges[(("user", "ghost"), dc)].tallies == {"account_domain": {"unknown": 1},
                                                       "outcomes": {"failure 0xc0000064": 1},
                                                       "workstations": {"rnd0000000000010": 1}}
    # an attacker's string is a label, verbatim (lower case: a host name's normal form)
    assert edges[(("user", "bob"), dc)].tallies == {"account_domain": {"unknown": 1}, "outcomes": {"success": 1},
                                                     "workstations": {HOSTILE.lower(): 1}}
    # the DC's page: its neighbours are the accounts, each edge with its tallies
    neighbors = {n.entity.ref: n.relation for n in store.neighbors("host", "dc01", relation_types=["VALIDATED_AT"])}
    assert set(neighbors) == {("user", "alice"), ("user", "ghost"), ("user", "bob")}
    assert neighbors[("user", "alice")].tallies == alice.tallies
    # the subgraph (the page's graph) carries them too
    graph = store.subgraph([dc], radius=1)
    [attrs] = [data for src, dst, key, data in graph.edges(keys=True, data=True)
               if key == "VALIDATED_AT" and src == "user:alice"]
    assert attrs["tallies"] == alice.tallies and attrs["tallies_dropped"] == {}
    # a claimed name is no host, and a failed validation is no log-on (neither is a success: 4624 is)
    assert sorted(e.key for e in store.iter_entities("host")) == ["dc01"]
    assert list(store.iter_relations("LOGGED_ON")) == []
    assert "dc01" in {s.host for s in store.hosts_of("user", "ghost")}


def test_claimed_names_are_kept_and_the_api_counts_those_past_the_20_shown(store: GraphStore, tmp_path: Path) -> None:
    """24 names once or twice each: under the store's capacity every count is exact; the API shows the 20
    most counted (ties by name) and counts the other 4 validations as dropped (task S3)."""
    first = [text_line(n, "guest", f"name{n:02d}", "0xc000006a") for n in range(TALLY_SHOWN - 3)]
    later = [text_line(100 + n, "guest", f"name{n:02d}", "0xc000006a") for n in range(TALLY_SHOWN + 4)]
    ingest(store, tmp_path, ("first.syslog", "\n".join(first) + "\n"), ("later.syslog", "\n".join(later) + "\n"))
    [edge] = validated(store).values()
    workstations = (edge.tallies or {})["workstations"]
    assert workstations == {f"name{n:02d}": 2 if n < TALLY_SHOWN - 3 else 1 for n in range(TALLY_SHOWN + 4)}
    assert not (edge.tallies_dropped or {}).get("workstations") and TALLY_CAP > len(workstations)
    assert (edge.tallies or {})["outcomes"] == {"failure 0xc000006a": len(first) + len(later)}
    assert edge.count == len(first) + len(later)
    [served] = [e for e in graph_to_json(store.subgraph([("host", "dc01")], radius=1)).edges
                if e.type == "VALIDATED_AT"]
    assert [(t.label, t.count) for t in (served.tallies or {})["workstations"]] == [
        (f"name{n:02d}", 2 if n < TALLY_SHOWN - 3 else 1) for n in range(TALLY_SHOWN)]
    assert served.tallies_dropped == {"workstations": 4}  # names 20..23, once each
    assert sorted(e.key for e in store.iter_entities("host")) == ["dc01"]


def test_the_dcs_neighbors_api_shows_the_accounts_with_their_failures(store: GraphStore, tmp_path: Path) -> None:
    """``GET /v1/entities/host/dc01/neighbors``: the accounts the DC validated, one edge each with its count,
    its outcomes (failures by status) and the workstations claimed, most first."""
    records = [winlogbeat(n, "alice", f"rnd{n:013d}", "0xc000006a") for n in range(3)]
    records += [winlogbeat(5, "alice", "rnd0000000000000", "0x0"), winlogbeat(9, "bob", "WS-17", "0x0")]
    with running_api(make_settings(tmp_path / "data"), store) as api:
        posted = api.post("/v1/events", role="ingest", json=records)
        assert posted.status_code == 200, posted.text
        api.ctx.ingest.catch_up()
        graph = api.get("/v1/entities/host/dc01/neighbors", role="analyst").json()["graph"]
    edges = {(edge["source"], edge["type"]): edge for edge in graph["edges"]}
    assert set(edges) == {("user:alice", "VALIDATED_AT"), ("user:bob", "VALIDATED_AT")}
    assert {node["id"] for node in graph["nodes"]} == {"host:dc01", "user:alice", "user:bob"}
    alice = edges[("user:alice", "VALIDATED_AT")]
    assert alice["count"] == 4 and alice["tallies_dropped"] == {}
    assert alice["tallies"] == {
        # the API says what a failure status and the unknown account domain mean (the page's only source)
        "account_domain": [{"label": "unknown", "count": 4, "meaning": "not known to be a DC: name as logged"}],
        "outcomes": [{"label": "failure 0xc000006a", "count": 3, "meaning": "wrong password"},
                     {"label": "success", "count": 1}],
        "workstations": [{"label": "rnd0000000000000", "count": 2}, {"label": "rnd0000000000001", "count": 1},
                         {"label": "rnd0000000000002", "count": 1}]}
    assert edges[("user:bob", "VALIDATED_AT")]["tallies"]["outcomes"] == [{"label": "success", "count": 1}]
