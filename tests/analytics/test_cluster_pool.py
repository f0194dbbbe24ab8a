"""One pool and shared-host product a window, for both fan-out passes (analytics.cluster_pool).

A detection grows clusters twice over one window: its candidates, then the new clusters too small
to be candidates that the scorer is fitted on beside them (analytics.reference_clusters).  Both
passes picked the same pool and multiplied the same ``W[:, pool].T @ W[:, pool]``; the second now
takes the first's.  These tests hold that it does, and that nothing it returns moves: detection on a
simulated fleet gives the same clusters, risks and reference rows whether the passes share the pool
or each builds its own (the code before the change).
"""

from __future__ import annotations

import numpy as np
import pytest

import analytics.cluster_pool
import analytics.clusters
from analytics.cluster_pool import ClusterPool, candidate_pool
from analytics.clusters import fan_out_clusters
from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.entity_stats import Window, entity_stats
from analytics.incidence import build_incidence
from analytics.inputs import load_inputs
from analytics.reference_clusters import small_new_clusters
from graphsiem.store.base import HostSighting
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.simulated import ingest_simulated

DAY = 86400.0
END = 1_700_000_000.0 + 3 * DAY


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A simulated 60-host fleet (seed 7), ingested through the real path."""
    root = tmp_path_factory.mktemp("pool")
    with EmbeddedStore(root / "graph") as opened:
        ingest_simulated(root, opened, hosts=60, days=2, seed=7, density=0.2)
        yield opened


@pytest.fixture
def builds(monkeypatch):
    """How many pools are built: the calls of build_pool from either module."""
    calls: list[int] = []
    real = analytics.cluster_pool.build_pool

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(analytics.cluster_pool, "build_pool", counted)
    monkeypatch.setattr(analytics.clusters, "build_pool", counted)
    return calls


def _rollout_window():
    """Three days: old software on 40 hosts from the start, a new agent rollout on all 40 in one hour
    (pivots on most of the fleet: the co-occurrence gate applies), and new domains two or three hosts
    each browsed at random times of the window."""
    rng = np.random.RandomState(5)
    hosts = [f"ws-{i:03d}" for i in range(40)]
    out = [HostSighting(h, ("process", "svchost"), END - 3 * DAY + rng.uniform(0, 300), END, 50) for h in hosts]
    for h in hosts:
        at = END - 0.6 * DAY + rng.uniform(0, 3600)
        out += [HostSighting(h, ("file", "agent.msi"), at, END, 1), HostSighting(h, ("process", "agent.exe"), at + 9, END, 4)]
    for k in range(12):
        pair = [hosts[(k + j * (1 + k // 4)) % 40] for j in range(2 + k % 2)]
        out += [HostSighting(h, ("domain", f"d{k}.example"), END - DAY + rng.uniform(0, 0.9 * DAY), END, 1)
                for h in pair]
    inc = build_incidence(out)
    return inc, entity_stats(inc, [], window=Window(END - DAY, END))


def _shape(clusters):
    return [(c.pivot, c.members.tolist(), c.hosts.tolist()) for c in clusters]


def test_detection_builds_one_pool_for_both_passes(store, builds):
    result = detect(store)
    assert result.stats["small_cluster_rows"] > 0  # the second pass ran and found rows
    assert len(builds) == 1


def test_sharing_the_pool_moves_no_cluster_risk_or_reference_row(store, builds, monkeypatch):
    shared = detect(store)
    with monkeypatch.context() as each_its_own:
        each_its_own.setattr(ClusterPool, "fits", lambda self, *a, **k: False)  # every pass builds its pool
        apart = detect(store)
    assert len(builds) == 1 + 3  # apart: the candidate pool, then one per pass
    assert [c.to_contract() for c in shared.clusters] == [c.to_contract() for c in apart.clusters]
    assert shared.clusters and shared.reference is not None
    np.testing.assert_array_equal(shared.reference, apart.reference)


def test_small_new_clusters_take_the_candidates_pool_with_the_co_occurrence_gate(builds):
    inc, stats = _rollout_window()
    config = DetectionConfig()
    pool = candidate_pool(inc, stats, config)
    assert pool.widespread.any() and pool.first_seen is not None  # the gated path is exercised
    candidates = fan_out_clusters(inc, stats, min_hosts=config.min_hosts, pool=pool)
    small = small_new_clusters(inc, stats, config, candidates, pool=pool)
    assert len(builds) == 1
    assert small and _shape(small) == _shape(small_new_clusters(inc, stats, config, candidates))
    assert _shape(candidates) == _shape(fan_out_clusters(inc, stats, min_hosts=config.min_hosts))


def test_a_pool_of_another_member_floor_is_built_anew(builds):
    inc, stats = _rollout_window()
    config = DetectionConfig(min_coverage=0.8)  # the candidates' members need 3 hosts, the small pass's 2
    pool = candidate_pool(inc, stats, config)
    small = small_new_clusters(inc, stats, config, [], pool=pool)
    assert len(builds) == 2
    assert small and _shape(small) == _shape(small_new_clusters(inc, stats, config, []))


def test_a_pool_of_another_window_is_built_anew(store, builds):
    config = DetectionConfig()
    inputs = load_inputs(store, config)
    inc, stats = _rollout_window()
    other = candidate_pool(inc, stats, config)
    small = small_new_clusters(inputs.incidence, inputs.stats, config, [], pool=other)
    assert len(builds) == 2
    assert _shape(small) == _shape(small_new_clusters(inputs.incidence, inputs.stats, config, []))
