"""One-sided risk end to end: the simulator's 80-host, one-day fleet (seed 3).

Before the scorer was one-sided, the benign ContosoNotes rollout scored 82.6,
above the default webhook threshold (80), on one reason: its exclusivity 0.978
sat below the fleet baseline 1 (being seen a little outside its hosts, i.e.
*less* confined, was the rare value the forest isolated).
"""

from __future__ import annotations

import pytest

from analytics.detect import detect
from analytics.evaluate import evaluate, load_truth, match
from analytics.features import SUSPICIOUS_DIRECTION
from graphsiem.simulator.engine import simulate
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

WEBHOOK_THRESHOLD = 80.0


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed3")
    simulate(root / "telemetry", hosts=80, days=1, seed=3)
    with EmbeddedStore(root / "graph") as store:
        with Journal(root / "journal.sqlite") as journal:
            ingest_paths([root / "telemetry" / "endpoint", root / "telemetry" / "network"],
                         store=store, journal=journal, progress=False)
        clusters = [c.to_contract() for c in detect(store).clusters]
    return clusters, load_truth(root / "telemetry" / "ground_truth.json")


def _first_match(clusters, truth, name):
    for cluster in clusters:
        entry = match(cluster, truth)
        if entry is not None and entry.name == name:
            return cluster
    raise AssertionError(f"no cluster matches {name}")


def test_the_rollout_stays_below_the_webhook_threshold(ranked):
    clusters, truth = ranked
    rollout = _first_match(clusters, truth, "software_rollout")
    assert rollout["score"] < WEBHOOK_THRESHOLD
    assert not [f for f in rollout["explanation"]["features"] if f["contribution"] > 0]


# In this one-day fleet nothing has a baseline, and the hourly driver-updater decoy
# (new PowerShell under a service, contacting a new domain) ties with the BYOVD
# attack: byovd - driver_updater = -0.12 +/- 0.47 risk points over forest seeds 0-19
# (+0.10 +/- 0.56 while the dead exclusivity column was still scored, when 8 of the
# 20 seeds already put the decoy first).  Their order is the forest's coin toss, so
# it is not asserted; the 300-host, 3-day benchmark is where decoys are judged.
TIED_WITH_AN_ATTACK = {"driver_updater"}


def test_attacks_still_rank_first_and_above_every_benign_cluster(ranked):
    clusters, truth = ranked
    result = evaluate(clusters, truth)
    assert result.seed_rank == 1
    attacks = [r for n, r in result.ranks.items() if result.kinds[n] == "attack"]
    benign = [r for n, r in result.ranks.items()
              if result.kinds[n] != "attack" and r is not None and n not in TIED_WITH_AN_ATTACK]
    assert None not in attacks and max(attacks) <= len(attacks) + len(TIED_WITH_AN_ATTACK)
    assert all(b > max(attacks) for b in benign)


def test_no_explanation_credits_a_benign_side_value(ranked):
    clusters, _ = ranked
    credited = [
        (c["explanation"]["summary"][:60], f["name"], f["value"], f["baseline"], f["contribution"])
        for c in clusters
        for f in c["explanation"]["features"]
        if (f["value"] - f["baseline"]) * SUSPICIOUS_DIRECTION[f["name"]] < 0 and f["contribution"] > 0
    ]
    assert credited == []
