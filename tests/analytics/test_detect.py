"""detect() end to end on a real embedded store holding a hand-built fleet."""

from __future__ import annotations

import pytest

from analytics.baselines import run_baseline
from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.fleet import CAMPAIGN, CAMPAIGN_HOSTS, populate

CONTRACT_KEYS = {"id", "score", "hosts", "entities", "first_seen", "last_seen", "explanation", "evidence"}


@pytest.fixture
def fleet_store(tmp_path):
    store = EmbeddedStore(tmp_path / "graph")
    populate(store)
    yield store
    store.close()


def test_campaign_ranks_first_with_its_explanation(fleet_store):
    result = detect(fleet_store, config=DetectionConfig(min_hosts=3))
    top = result.clusters[0]
    assert top.pivot.ref == ("domain", "bad.example")
    assert {e.ref for e in top.entities} == set(CAMPAIGN)
    assert top.hosts == CAMPAIGN_HOSTS
    assert top.score == max(c.score for c in result.clusters)
    assert top.explanation.summary.startswith("8 hosts first contacted domain bad.example within")
    assert "LSASS memory accessed" in top.explanation.summary
    assert "powershell.exe spawned by wscript.exe is new in the fleet" in top.explanation.summary


def test_contract_shape(fleet_store):
    contract = detect(fleet_store).to_contract()
    assert set(contract) >= {"clusters"}
    scores = [c["score"] for c in contract["clusters"]]
    assert scores == sorted(scores, reverse=True)
    top = contract["clusters"][0]
    assert set(top) >= CONTRACT_KEYS
    assert top["first_seen"].endswith("Z") and top["last_seen"].endswith("Z")
    assert {"type": "domain", "value": "bad.example"} in top["entities"]
    assert set(top["explanation"]) == {"summary", "features", "checks"}
    assert all(set(f) >= {"name", "value", "baseline", "contribution"} for f in top["explanation"]["features"])
    ids = {r["event_id"] for r in top["evidence"]}
    assert {"ev-lsass", "ev-file"} <= ids
    assert all(r["source"].startswith("graph:") for r in top["evidence"])


def test_same_store_same_result(fleet_store):
    a = detect(fleet_store).to_contract()["clusters"]
    b = detect(fleet_store).to_contract()["clusters"]
    assert a == b


def test_suppressed_pivot_no_longer_starts_a_cluster(fleet_store):
    config = DetectionConfig(suppressed=frozenset(CAMPAIGN))
    assert all(c.pivot.ref not in CAMPAIGN for c in detect(fleet_store, config=config).clusters)


def test_empty_store_gives_no_clusters(tmp_path):
    with EmbeddedStore(tmp_path / "empty") as store:
        result = detect(store)
    assert result.clusters == [] and result.to_contract()["clusters"] == []


@pytest.mark.parametrize("name", ["host-count", "new-terms"])
def test_baselines_rank_by_host_count(fleet_store, name):
    clusters = run_baseline(fleet_store, name).clusters
    counts = [len(c.hosts) for c in clusters]
    assert counts == sorted(counts, reverse=True)
    if name == "new-terms":
        assert set(CAMPAIGN) <= {c.pivot.ref for c in clusters}
        assert ("process", "explorer") not in {c.pivot.ref for c in clusters}
    else:
        assert clusters[0].pivot.ref == ("process", "explorer")
