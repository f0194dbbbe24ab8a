"""An ``ALERTED`` edge keeps its IDS signatures, each with its alert count (task G4, review T9 F3).

The edge of 78.36.196.213 -> 192.168.1.129 said ``count 1`` and nothing of "ET CINS Active Threat
Intelligence Poor Reputation IP group 89", and several signatures between one pair of addresses
merged into one count.  The edge now keeps ``signatures`` (text -> alerts, at most
:data:`~graphsiem.model.SIGNATURE_CAP`) and ``signatures_dropped``, merged across ingest calls, on
both stores, and the API's edges show the :data:`~graphsiem.model.TALLY_SHOWN` most alerted.  Real ingests of Suricata EVE records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphsiem.api.services.graph_json import graph_to_json
from graphsiem.model import SIGNATURE_CAP, TALLY_SHOWN
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records
from tests.api.conftest import make_settings, running_api

ATTACKER, VICTIM = "78.36.196.213", "192.168.1.129"
CINS = "ET CINS Active Threat Intelligence Poor Reputation IP group 89"
HOSTILE = 'x"}) MATCH (n) DETACH DELETE n // \' $cap'
"""A signature text that would break a Cypher statement built by concatenation: it is data."""


def _alert(minute: int, signature: str, sid: int, severity: int = 2) -> dict[str, Any]:
    return {"timestamp": f"2021-06-06T15:{minute:02d}:46.457984+0200", "flow_id": 1000 + minute,
            "event_type": "alert", "src_ip": ATTACKER, "src_port": 51698, "dest_ip": VICTIM, "dest_port": 445,
            "proto": "TCP", "alert": {"action": "allowed", "gid": 1, "signature_id": sid, "rev": 1,
                                      "signature": signature, "category": "Misc Attack", "severity": severity}}


def _ingest(store: GraphStore, tmp_path: Path, *calls: list[dict[str, Any]]) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        for records in calls:  # one ingest call each: the store merges the edge across them
            report = ingest_records(records, store=store, journal=journal, origin="api")
            assert report.total.rejected == 0
    store.flush()


def _edge(store: GraphStore):
    [relation] = list(store.iter_relations("ALERTED"))
    assert (relation.src, relation.dst) == (("ip", ATTACKER), ("ip", VICTIM))
    return relation


def test_signatures_between_one_pair_are_kept_apart_with_their_counts(store: GraphStore, tmp_path: Path) -> None:
    _ingest(store, tmp_path, [_alert(0, CINS, 2403388), _alert(1, "ET SCAN Nmap", 2009582, 1)],
            [_alert(2, CINS, 2403388), _alert(3, HOSTILE, 9)])
    relation = _edge(store)
    assert relation.count == 4 and relation.signatures_dropped == 0
    assert relation.signatures == {f"{CINS} (sid 2403388, severity 2)": 2, "ET SCAN Nmap (sid 2009582, severity 1)": 1,
                                   f"{HOSTILE} (sid 9, severity 2)": 1}
    [neighbor] = store.neighbors("ip", ATTACKER)
    assert neighbor.relation.signatures == relation.signatures
    # the API's edge: most alerts first, then by text
    [edge] = graph_to_json(store.subgraph([("ip", ATTACKER)], radius=1)).edges
    assert [(s.signature, s.alerts) for s in edge.signatures or []] == [
        (f"{CINS} (sid 2403388, severity 2)", 2), ("ET SCAN Nmap (sid 2009582, severity 1)", 1),
        (f"{HOSTILE} (sid 9, severity 2)", 1)]
    assert edge.signatures_dropped == 0


def test_a_scanner_firing_many_rules_keeps_them_all_and_the_api_shows_the_top_20(store: GraphStore,
                                                                                   tmp_path: Path) -> None:
    """25 rules once or twice: under the store's capacity every count is exact; the API lists the 20 most
    alerted (ties by text) and counts the other 5 alerts as dropped (task S3)."""
    first = [_alert(n, f"ET SCAN rule {n:02d}", 2000000 + n) for n in range(TALLY_SHOWN - 2)]
    later = [_alert(30 + n, f"ET SCAN rule {n:02d}", 2000000 + n) for n in range(TALLY_SHOWN + 5)]
    _ingest(store, tmp_path, first, later)
    relation = _edge(store)
    rules = [f"ET SCAN rule {n:02d} (sid {2000000 + n}, severity 2)" for n in range(TALLY_SHOWN + 5)]
    assert relation.signatures == {rule: 2 if n < TALLY_SHOWN - 2 else 1 for n, rule in enumerate(rules)}
    assert relation.signatures_dropped == 0 and SIGNATURE_CAP > len(rules)
    assert relation.count == len(first) + len(later)
    [edge] = graph_to_json(store.subgraph([("ip", ATTACKER)], radius=1)).edges
    assert [(s.signature, s.alerts) for s in edge.signatures or []] == [
        (rule, 2 if n < TALLY_SHOWN - 2 else 1) for n, rule in enumerate(rules[:TALLY_SHOWN])]
    assert edge.signatures_dropped == 5  # rules 20..24, once each


def test_corpus_cins_alert_keeps_its_signature(store: GraphStore, tmp_path: Path, samples_dir: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([samples_dir / "stratosphere-slips" / "test6-malicious.suricata.json"], store=store,
                     journal=journal, progress=False)
    store.flush()
    [neighbor] = store.neighbors("ip", ATTACKER, relation_types=["ALERTED"])
    assert neighbor.relation.signatures == {f"{CINS} (sid 2403388, severity 2)": 1}
    alerted = list(store.iter_relations("ALERTED"))
    assert alerted and all(r.signatures for r in alerted)


def test_the_neighbors_api_shows_an_edges_signatures(store: GraphStore, tmp_path: Path) -> None:
    """``GET /v1/entities/ip/{ip}/neighbors``: the ALERTED edge lists its signatures, other edges none."""
    with running_api(make_settings(tmp_path / "data"), store) as api:
        posted = api.post("/v1/events", role="ingest",
                          json=[_alert(0, CINS, 2403388), _alert(1, CINS, 2403388), _alert(2, "ET SCAN Nmap", 2009582)])
        assert posted.status_code == 200, posted.text
        api.ctx.ingest.catch_up()
        graph = api.get(f"/v1/entities/ip/{ATTACKER}/neighbors", role="analyst").json()["graph"]
    [edge] = graph["edges"]
    assert edge["type"] == "ALERTED" and edge["count"] == 3
    assert edge["signatures"] == [{"signature": f"{CINS} (sid 2403388, severity 2)", "alerts": 2},
                                  {"signature": "ET SCAN Nmap (sid 2009582, severity 2)", "alerts": 1}]
    assert edge["signatures_dropped"] == 0


def _alert_between(minute: int, src: str, dst: str, signature: str, sid: int) -> dict[str, Any]:
    return {**_alert(minute, signature, sid), "src_ip": src, "dest_ip": dst}


def test_the_store_matches_signatures_and_gives_the_most_alerted_edges_with_a_count(
    store: GraphStore, tmp_path: Path,
) -> None:
    """A search's signature match is the store's (Neo4j: in the query), cut to a limit, with how many matched."""
    records = [_alert_between(n, "10.0.0.1", VICTIM, "ET SCAN Nmap", 1) for n in range(3)]
    records += [_alert_between(10 + n, "10.0.0.2", VICTIM, "ET SCAN Masscan", 2) for n in range(5)]
    records += [_alert_between(20, "10.0.0.3", VICTIM, "ET SCAN Nmap", 1), _alert_between(21, ATTACKER, VICTIM, CINS, 3)]
    records += [_alert_between(22, "10.0.0.4", VICTIM, HOSTILE, 9)]
    _ingest(store, tmp_path, records)

    edges, matched = store.alerted_by_signature("et scan", limit=2)
    assert matched == 3
    assert [(relation.src, relation.dst) for relation in edges] == [(("ip", "10.0.0.2"), ("ip", VICTIM)),
                                                                     (("ip", "10.0.0.1"), ("ip", VICTIM))]
    assert edges[0].signatures == {"ET SCAN Masscan (sid 2, severity 2)": 5}
    everything, matched = store.alerted_by_signature("et scan", limit=10)
    assert matched == 3 and [relation.src for relation in everything][2:] == [("ip", "10.0.0.3")]
    # the query's text is data: it matches the hostile signature and nothing else, and deletes nothing
    hostile, matched = store.alerted_by_signature(HOSTILE.lower(), limit=10)
    assert matched == 1 and hostile[0].src == ("ip", "10.0.0.4")
    assert store.alerted_by_signature("no such rule", limit=10) == ([], 0)
    assert len(list(store.iter_relations("ALERTED"))) == 5
