"""A small candidate set of attacks is no "ordinary cluster" (review U4 F1).

Fitted on its candidates alone, a run whose few candidates were mostly attacks took an
attack's values for the baseline: on the quickstart fleet the beaconing campaign's 6-host
burst *was* the baseline, its synchrony contributed exactly 0 and it scored 29.7.  The
scorer is now fitted on the window's new clusters too small to be candidates as well
(analytics.reference_clusters): random first contacts, so the baseline has no burst and the
spread cap, and an attack's synchrony counts again.
"""

from __future__ import annotations

import numpy as np
import pytest

from analytics.detect import detect
from analytics.features import SPREAD_CAP_MIN
from graphsiem.model import Entity, Sighting
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.fleet import DAY, END, populate

SYNCHRONISED = [f"sync{k}.example" for k in range(4)]
BROWSED = [f"pair{k}.example" for k in range(40)]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """The test fleet's campaign, 4 more synchronised 4-host domains, and 40 new domains two hosts each
    browsed at random times of the window (each too few hosts for a candidate)."""
    rng = np.random.RandomState(3)
    with EmbeddedStore(tmp_path_factory.mktemp("small") / "graph") as store:
        populate(store)
        store.upsert_entities([Entity("domain", n, n) for n in SYNCHRONISED + BROWSED])
        sightings = [Sighting(f"ws-{10 + 4 * k + i:03d}", ("domain", n), END - 0.5 * DAY + 60 * i, END, 2)
                     for k, n in enumerate(SYNCHRONISED) for i in range(4)]
        for k, n in enumerate(BROWSED):  # a pair of hosts each: two domains on one pair would be one cluster
            sightings += [Sighting(f"ws-{h:03d}", ("domain", n), END - DAY + rng.uniform(0, 0.95 * DAY), END, 1)
                          for h in (k, (k + 1 + k // 8) % 40)]
        store.upsert_sightings(sightings)
        store.flush()
        return detect(store)


def _feature(cluster, name):
    return next(f for f in cluster.explanation.features if f.name == name)


def test_the_window_small_new_clusters_are_fitted_on_and_never_shown(result):
    # most pairs are clusters of their own; a pair inside a bigger new domain's hosts is its member
    assert len(BROWSED) // 2 <= result.stats["small_cluster_rows"] <= len(BROWSED)
    assert result.stats["clusters"] == len(result.clusters)
    assert not {c.pivot.value for c in result.clusters} & set(BROWSED)
    assert {"bad.example", *SYNCHRONISED} <= {c.pivot.value for c in result.clusters}


def test_the_baseline_is_ordinary_new_activity_not_the_attacks(result):
    campaign = next(c for c in result.clusters if c.pivot.value == "bad.example")
    burst, spread = _feature(campaign, "burst_hosts"), _feature(campaign, "first_contact_spread_min")
    assert (burst.baseline, spread.baseline) == (0.0, SPREAD_CAP_MIN)
    assert burst.value == 8.0 and burst.contribution > 0
    assert spread.contribution > 0


def test_a_synchronised_candidate_scores_above_the_threshold(result):
    for cluster in result.clusters:
        if cluster.pivot.value in SYNCHRONISED:
            assert _feature(cluster, "burst_hosts").contribution > 0, cluster.pivot.value
            assert cluster.score > 50.0, (cluster.pivot.value, cluster.score)
