"""A benign verdict on one cluster moves no other cluster's risk (review T11 F1).

A suppressed pivot's cluster used to be left out before the isolation forest was
fitted, so the population every other cluster is rare in lost a member: on the
120-host fleet a verdict on the software-rollout decoy took the seed campaign's
risk from 75.4 to 62.8 (and lifting it re-sent the attacks as ``cluster.grown``
webhooks with unchanged hosts).  The suppressed cluster is now scored with the
rest and only then left out, so every other cluster keeps its risk exactly.

A real simulated fleet through the real path (simulate -> ingest -> detect),
with and without the verdict, and with the candidate history the service keeps.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.evaluate import load_truth, match
from graphsiem.api.state import StateStore
from graphsiem.simulator.engine import simulate
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """The review's fleet (120 hosts, 2 days, seed 7, density 0.2): its store and ground truth."""
    root = tmp_path_factory.mktemp("benign-verdict-fleet")
    simulate(root / "telemetry", hosts=120, days=2, seed=7, density=0.2)
    store = EmbeddedStore(root / "graph")
    with Journal(root / "journal.sqlite") as journal:
        ingest_paths([root / "telemetry" / "endpoint", root / "telemetry" / "network"], store=store,
                     journal=journal, progress=False)
    yield store, load_truth(root / "telemetry" / "ground_truth.json")
    store.close()


def _decoy(clusters, truth):
    """The first cluster matching a benign (decoy) truth entry."""
    for c in clusters:
        entry = match(c.to_contract(), truth)
        if entry is not None and entry.kind != "attack":
            return c
    raise AssertionError("the fleet shows no decoy cluster to give a benign verdict")


def test_suppressing_a_decoy_leaves_every_other_risk_unchanged(fleet):
    store, truth = fleet
    plain = detect(store).clusters
    decoy = _decoy(plain, truth)
    attacks = [c for c in plain if (e := match(c.to_contract(), truth)) is not None and e.kind == "attack"]
    assert attacks, "the fleet's attacks are found"

    verdict = DetectionConfig(suppressed=frozenset({decoy.pivot.ref}))
    result = detect(store, config=verdict)

    assert decoy.id not in {c.id for c in result.clusters}
    assert result.stats["suppressions_applied"] == [list(decoy.pivot.ref)]
    before = {c.id: c.score for c in plain if c.id != decoy.id}
    assert {c.id: c.score for c in result.clusters} == pytest.approx(before, abs=1e-9)
    assert result.stats["suppressed_scored"] == 1
    # the explanation still counts the candidates the risk was measured against
    assert result.clusters[0].explanation.candidates == plain[0].explanation.candidates


def test_with_the_candidate_history_a_verdict_and_its_lift_change_no_risk(fleet, tmp_path: Path):
    """As the service runs: the history is read and kept by each run (a lift re-sent
    the attacks as grown because their risk came back over the webhook's threshold)."""
    store, truth = fleet
    state = StateStore(tmp_path / "state.sqlite")
    try:
        first = detect(store, history=state).clusters
        decoy = _decoy(first, truth)
        suppressed = detect(store, config=DetectionConfig(suppressed=frozenset({decoy.pivot.ref})),
                            history=state).clusters
        lifted = detect(store, history=state).clusters
    finally:
        state.close()
    before = {c.id: c.score for c in first if c.id != decoy.id}
    assert {c.id: c.score for c in suppressed} == pytest.approx(before, abs=1e-9)
    assert {c.id: c.score for c in lifted} == pytest.approx({c.id: c.score for c in first}, abs=1e-9)


def test_a_behaviour_verdict_on_its_hosts_leaves_every_other_risk_unchanged(tmp_path: Path):
    """A behaviour pivot's verdict is recorded with its hosts (it holds on those machines only):
    the same rule, scored with the rest, then left out.  The behaviour fleet plus a few new
    domains, each on a few hosts at its own pace, so there is a population to be rare in."""
    from analytics.behaviour_pivots import is_behaviour
    from graphsiem.model import Entity, Sighting
    from tests.analytics.behaviour_campaign import DAY, HOSTS, START, build_fleet

    store = EmbeddedStore(tmp_path / "graph")
    try:
        build_fleet(store)
        domains, sightings = [], []
        for d, (count, spread_s) in enumerate([(3, 60), (4, 3600), (5, 600), (3, 7200), (6, 120), (4, 300)]):
            name = f"new-{d}.example"
            domains.append(Entity("domain", name, name))
            hosts = HOSTS[26 + d: 26 + d + count] if d < 2 else HOSTS[8 + 2 * d: 8 + 2 * d + count]
            sightings += [Sighting(h, ("domain", name), START + 1.3 * DAY + d * 3000 + i * spread_s,
                                   START + 1.9 * DAY, 2 + d) for i, h in enumerate(hosts)]
        store.upsert_entities(domains)
        store.upsert_sightings(sightings)
        store.flush()

        plain = detect(store).clusters
        behaviour = next(c for c in plain if is_behaviour(c.pivot.ref))
        assert len(plain) >= 4, "a population besides the behaviour cluster"
        covered = frozenset([*(e.ref for e in behaviour.entities), *(("host", h) for h in behaviour.hosts)])
        verdict = DetectionConfig(suppressed=frozenset({behaviour.pivot.ref}),
                                  suppressed_members={behaviour.pivot.ref: covered})
        result = detect(store, config=verdict)
    finally:
        store.close()

    assert result.stats["suppressions_applied"] == [list(behaviour.pivot.ref)]
    before = {c.id: c.score for c in plain if c.id != behaviour.id}
    assert {c.id: c.score for c in result.clusters} == pytest.approx(before, abs=1e-9)
