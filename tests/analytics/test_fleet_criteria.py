"""Issue 5's acceptance criteria, literally, on full-density simulated fleets.

300 hosts x 2 days at the simulator's default density (about 190k events per
seed, ~30 s each here) give enough candidate clusters (30-50) for "no benign
decoy in the top 10" to mean something.  The larger evaluation (1,500 hosts x
3 days, 5 seeds) is ``benchmarks/evaluate_fleet.py``.
"""

from __future__ import annotations

import pytest

from analytics.baselines import run_baseline
from analytics.detect import detect
from analytics.evaluate import evaluate, load_truth
from graphsiem.simulator.engine import simulate
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

SEEDS = [3, 8]


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def evaluated(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"full-fleet{request.param}")
    simulate(root / "telemetry", hosts=300, days=2, seed=request.param)
    store = EmbeddedStore(root / "graph")
    with Journal(root / "journal.sqlite") as journal:
        report = ingest_paths(
            [root / "telemetry" / "endpoint", root / "telemetry" / "network"],
            store=store, journal=journal, progress=False,
        )
    assert report.total.rejected == 0
    truth = load_truth(root / "telemetry" / "ground_truth.json")
    ranking = [cluster.to_contract() for cluster in detect(store).clusters]
    baselines = {
        name: evaluate([c.to_contract() for c in run_baseline(store, name).clusters], truth)
        for name in ("host-count", "new-terms")
    }
    yield evaluate(ranking, truth), baselines, len(ranking)
    store.close()


def test_there_are_more_candidate_clusters_than_the_top_ten(evaluated):
    _, _, clusters = evaluated
    assert clusters > 10


def test_seed_campaign_ranks_first(evaluated):
    result, _, _ = evaluated
    assert result.seed_rank == 1


def test_every_attack_is_in_the_top_ten(evaluated):
    result, _, _ = evaluated
    attacks = {name: rank for name, rank in result.ranks.items() if result.kinds[name] == "attack"}
    assert attacks and all(rank is not None and rank <= 10 for rank in attacks.values()), attacks


def test_no_benign_decoy_is_in_the_top_ten(evaluated):
    result, _, _ = evaluated
    assert result.decoys_in_top_10 == 0, result.ranks


def test_scorer_average_precision_beats_both_baselines(evaluated):
    result, baselines, _ = evaluated
    for name, baseline in baselines.items():
        assert result.average_precision > baseline.average_precision, name
