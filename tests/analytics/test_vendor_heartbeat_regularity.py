"""A vendor agent's heartbeat is as regular as the beacon and must still rank below it (task HB).

Contact regularity (analytics.contact_regularity) is context, not a scored feature, because a
benign agent's heartbeat runs on a schedule too.  On a simulated fleet with the optional heartbeat
scenarios added to the default set: the old, prevalent agent makes no cluster; the agent rolled out
this morning does (a new domain on half the fleet) and is measured regular, as the beacon is, yet
scores below the beacon.
"""

from __future__ import annotations

import pytest

from analytics.contact_regularity import REGULAR_CV
from graphsiem.simulator import DEFAULT_SCENARIOS
from tests.analytics.simulated import simulated_detection

BEACON, OLD, NEW = "api.metrics-sync-cloud.example", "heartbeat.sentryvault-agent.com", "checkin.patchpilot-cloud.com"


@pytest.fixture(scope="module")
def clusters(tmp_path_factory):
    result, _ = simulated_detection(tmp_path_factory.mktemp("fleet-heartbeat"), hosts=120, days=2, seed=3,
                                    density=0.3,
                                    scenarios=[*DEFAULT_SCENARIOS, "vendor_heartbeat", "vendor_heartbeat_rollout"])
    return [c.to_contract() for c in result.clusters]


def _having(clusters, domain):
    """Clusters holding the domain, as pivot or member."""
    return [c for c in clusters if c["pivot"]["value"] == domain
            or any(k["key"] == domain for k in c["entity_keys"])]


def test_the_old_agents_heartbeat_makes_no_cluster(clusters):
    assert _having(clusters, OLD) == []


def test_the_new_agents_heartbeat_is_measured_regular_like_the_beacon(clusters):
    (beacon,) = [c for c in clusters if c["pivot"]["value"] == BEACON]
    (rollout,) = [c for c in clusters if c["pivot"]["value"] == NEW]
    for cluster in (beacon, rollout):
        features = cluster["features"]
        assert features["contact_measured_hosts"] >= 0.9 * len(cluster["hosts"]), cluster["pivot"]
        assert features["contact_regular_hosts"] == features["contact_measured_hosts"], cluster["pivot"]
        assert features["contact_gap_cv"] <= REGULAR_CV
    # a fixed heartbeat (2 % jitter) is more regular than the beacon (20 % jitter)
    assert rollout["features"]["contact_gap_cv"] < 0.05 < beacon["features"]["contact_gap_cv"]
    assert 1700 <= rollout["features"]["contact_gap_s"] <= 1900


def test_the_new_agents_heartbeat_scores_below_the_beacon(clusters):
    (beacon,) = [c for c in clusters if c["pivot"]["value"] == BEACON]
    below = _having(clusters, NEW)
    assert below and all(c["score"] < beacon["score"] for c in below)
    assert min(clusters.index(c) for c in below) > clusters.index(beacon)  # ranked after it
