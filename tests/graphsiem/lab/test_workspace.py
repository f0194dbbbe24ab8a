"""``graphsiem.lab``: the notebook facade (workspace, cluster views, evaluation tables, drawing) over a small simulated fleet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib
import networkx as nx
import pandas as pd
import pytest
from neo4j.exceptions import ClientError

from analytics.config import DetectionConfig
from graphsiem import lab
from graphsiem.lab.drawing import node_label
from graphsiem.model import Entity, EntityType, Sighting
from graphsiem.store.neo4j_server import Neo4jServer
from graphsiem.store.neo4j_store import Neo4jStore

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[lab.Workspace, Path]]:
    """A 40-host, two-day fleet ingested once: (workspace, ground_truth.json)."""
    base = tmp_path_factory.mktemp("lab")
    ws = lab.open("embedded", data_dir=base / "data", create=True)
    telemetry = ws.simulate(hosts=40, days=2, seed=3, density=0.1, out=base / "telemetry")
    report = ws.ingest(telemetry / "endpoint", telemetry / "network")
    assert report.total.rejected == 0
    try:
        yield ws, telemetry / "ground_truth.json"
    finally:
        ws.close()


@pytest.fixture(scope="module")
def clusters(fleet: tuple[lab.Workspace, Path]) -> list[lab.ClusterView]:
    return fleet[0].detect()


def test_features_has_one_row_per_non_host_entity_with_the_store_host_counts(fleet) -> None:
    ws, _ = fleet
    frame = ws.features()
    types = [t.value for t in EntityType if t is not EntityType.HOST]
    expected = {p.entity: p.hosts for p in ws.store.entity_prevalence(entity_types=types)}
    assert len(frame) == len(expected)
    assert dict(zip(zip(frame["type"], frame["key"], strict=True), frame["hosts"], strict=True)) == expected
    assert list(frame["hosts"]) == sorted(frame["hosts"], reverse=True)
    start = pd.Timestamp(frame.attrs["window"][0])
    new = frame[frame["is_new"]]
    assert (new["first_seen"] >= start).all() and (frame[~frame["is_new"]]["first_seen"] < start).all()


def test_features_min_hosts_leaves_out_rarer_entities(fleet) -> None:
    frame = fleet[0].features(min_hosts=5)
    assert len(frame) and frame["hosts"].min() >= 5


def test_detect_returns_ranked_views_of_the_detection(fleet) -> None:
    ws, _ = fleet
    views = ws.detect()
    assert views, "the simulated campaigns form clusters"
    assert [c.score for c in views] == sorted((c.score for c in views), reverse=True)
    assert ws.last_detection is not None
    assert [c.to_dict() for c in views] == [c.to_contract() for c in ws.last_detection.clusters]
    top = views[0]
    assert top.explanation.summary and list(top.explanation_frame()["name"])[0] == top.explanation.features[0].name


def test_detect_settings_override_the_config(fleet) -> None:
    ws, _ = fleet
    # host findings need no fan-out (one host's LSASS read is a case whatever min_hosts says),
    # and with no cluster left to carry the campaign's hits they would show: off here
    ws.detect(DetectionConfig(min_hosts=3, host_findings=False), min_hosts=50)
    assert ws.last_detection is not None and ws.last_detection.clusters == []
    ws.detect(DetectionConfig(min_hosts=3), min_hosts=50)
    assert ws.last_detection.clusters and all(c.host_finding for c in ws.last_detection.clusters)


def test_subgraph_holds_every_member(clusters) -> None:
    top = clusters[0]
    graph = top.subgraph()
    assert isinstance(graph, nx.MultiDiGraph)
    assert {e.uid for e in top.entities} <= set(graph.nodes)


def test_evidence_is_the_journaled_events_the_detection_referenced(fleet, clusters) -> None:
    ws, _ = fleet
    top = clusters[0]
    frame = top.evidence(limit=len(top.cluster.evidence))
    referenced = {ref["event_id"] for ref in top.cluster.evidence}
    assert len(frame) == len(referenced) and set(frame["event_id"]) == referenced
    assert list(frame["time"]) == sorted(frame["time"])
    first = ws.journal.get([frame.loc[0, "event_id"]])[0]
    assert (frame.loc[0, "kind"], frame.loc[0, "origin"], frame.loc[0, "fields"]) == (first.kind, first.origin, first.fields)
    assert frame.loc[0, "raw"] == first.raw and isinstance(first.raw, dict)  # the record as received


def test_evidence_of_a_baseline_row_is_looked_up_from_the_graph(fleet) -> None:
    ws, _ = fleet
    row = ws.baseline("new-terms")[0]
    assert row.cluster.evidence == []
    frame = row.evidence(limit=5)
    assert 0 < len(frame) <= 5
    edges_evidence = {i for _, _, d in row.subgraph().edges(data=True) for i in d.get("evidence", ())}
    assert set(frame["event_id"]) <= edges_evidence


def test_cluster_frame_labels_clusters_with_the_truth(fleet, clusters) -> None:
    ws, truth = fleet
    frame = ws.cluster_frame(clusters, truth)
    assert list(frame["rank"]) == list(range(1, len(clusters) + 1))
    assert set(lab.SCORED_FEATURES) <= set(frame.columns)
    ranks = ws.evaluate(truth, clusters)
    found = set(ranks.dropna(subset=["rank"])["name"])
    assert found and found <= set(frame["truth"])


def test_evaluate_pr_curve_and_compare_agree(fleet, clusters) -> None:
    ws, truth = fleet
    ranks = ws.evaluate(truth, clusters)
    metrics = ranks.attrs["metrics"]
    curve = lab.pr_curve(truth, clusters)
    assert len(curve) == metrics["rows"]
    attacks = (ranks["kind"] == "attack").sum()
    found = ranks[(ranks["kind"] == "attack") & ranks["rank"].notna()]
    assert curve["recall"].iloc[-1] == pytest.approx(len(found) / attacks)
    if len(curve) >= 5:
        assert curve.loc[curve["k"] == 5, "precision"].iloc[0] == pytest.approx(metrics["precision_at_5"])
    table = lab.compare(truth, {"scorer": clusters, "host-count": ws.baseline("host-count")})
    assert list(table.index) == ["scorer", "host-count"]
    assert table.loc["scorer", "average_precision"] == pytest.approx(metrics["average_precision"])


def test_rescore_ranks_by_the_new_risk_and_explains_it(fleet, clusters) -> None:
    ws, _ = fleet
    frame = ws.cluster_frame(clusters)
    # Scored on one custom column that only the last-ranked cluster stands out on.
    frame["custom"] = [0.0] * (len(clusters) - 1) + [50.0]
    rescored = ws.rescore(clusters, frame[["custom"]])
    assert sorted(c.id for c in rescored) == sorted(c.id for c in clusters)
    assert [c.score for c in rescored] == sorted((c.score for c in rescored), reverse=True)
    assert rescored[0].id == clusters[-1].id
    by_id = {c.id: c for c in clusters}
    # the summary states facts of the cluster and stays; the features explain the new risk
    assert all(c.explanation.summary == by_id[c.id].explanation.summary for c in rescored)
    assert all([f.name for f in c.explanation.features] == ["custom"] for c in rescored)
    assert rescored[0].explanation.features[0].contribution > 0


def test_save_config_writes_what_detect_config_loads(fleet, tmp_path: Path) -> None:
    tuned = DetectionConfig(min_hosts=4, n_estimators=50)
    path = fleet[0].save_config(tuned, tmp_path / "tuned.yaml")
    assert path.is_absolute() and DetectionConfig.load(path) == tuned


def test_cypher_needs_a_neo4j_workspace(fleet) -> None:
    with pytest.raises(TypeError, match="needs a Neo4j workspace"):
        fleet[0].cypher("RETURN 1 AS one")


def test_open_refuses_an_unknown_store(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown store 'sqlite'"):
        lab.open("sqlite", data_dir=tmp_path)


def test_draw_labels_members_and_escapes_mathtext(clusters) -> None:
    assert node_label({"value": "$a$"}) == r"\$a\$"
    ax = clusters[0].draw()
    texts = {t.get_text() for t in ax.texts}
    assert node_label({"value": clusters[0].pivot.value}) in texts
    assert not any(t.startswith("ws-") for t in texts), "hosts are not labelled"


@pytest.mark.neo4j
def test_cypher_passes_values_as_parameters(
    neo4j_server: Neo4jServer, neo4j_store: Neo4jStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = "x'}) DETACH DELETE n //\n`$key` \"quoted\" é"
    neo4j_store.upsert_entities([Entity("domain", hostile, hostile), Entity("host", "ws-1", "ws-1")])
    neo4j_store.upsert_sightings([Sighting("ws-1", ("domain", hostile), 1.0, 2.0, 3)])
    for name, value in neo4j_server.environ().items():
        monkeypatch.setenv(name, value)
    with lab.open("neo4j", data_dir=tmp_path) as ws:
        frame = ws.cypher(
            "MATCH (h:Host)-[s:SEEN]->(d:Domain {key: $key}) RETURN h.key AS host, d.value AS value, s.count AS n",
            key=hostile,
        )
        assert frame.to_dict("records") == [{"host": "ws-1", "value": hostile, "n": 3}]
        with pytest.raises(ClientError, match="(?i)read access mode"):
            ws.cypher("CREATE (:Scratch {v: $v})", v=1)
        assert ws.cypher("MATCH (n:Scratch) RETURN count(n) AS n").iloc[0]["n"] == 0
