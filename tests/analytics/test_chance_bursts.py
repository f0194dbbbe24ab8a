"""A burst of first contacts counts only beyond chance (review U4 F4).

Two of three hosts' first contacts in one 10-minute span of a day happen by chance about
4 % of the time; over the hundreds of small clusters of a day some do, and the demo's
ranks 7-10 were four 3- and 4-host web domains scoring 56.1 on ``burst_hosts`` 2 alone.
"""

from __future__ import annotations

import pytest

from analytics.clusters import fan_out_clusters
from analytics.entity_stats import Window, entity_stats
from analytics.features import FeatureContext, cluster_features
from analytics.incidence import build_incidence
from graphsiem.store.base import HostSighting
from tests.analytics.fleet import DAY, END, START

WINDOW = Window(END - DAY, END)
PIVOT = ("domain", "static.example")


def _burst(offsets_min: list[float]) -> float:
    """``burst_hosts`` of a new domain first contacted by one host at each offset (minutes into the window)."""
    hosts = [f"ws-{i:03d}" for i in range(len(offsets_min))]
    sightings = [HostSighting(h, PIVOT, WINDOW.start + 60 * t, END, 1) for h, t in zip(hosts, offsets_min, strict=True)]
    # an old, widespread process gives the fleet its size and its days before the window
    sightings += [HostSighting(f"ws-{i:03d}", ("process", "explorer"), START, END, 9) for i in range(30)]
    inc = build_incidence(sightings)
    stats = entity_stats(inc, [], window=WINDOW)
    (cluster,) = [c for c in fan_out_clusters(inc, stats) if inc.entities[c.pivot] == PIVOT]
    return cluster_features(FeatureContext(inc, stats), cluster.pivot, cluster.members, cluster.hosts).features["burst_hosts"]


@pytest.mark.parametrize("offsets", [
    [60.0, 63.0, 600.0],            # 2 of 3 within 3 minutes, the third 9 hours later (4.2 % by chance)
    [60.0, 68.0, 400.0, 900.0],     # 2 of 4 (8.3 %)
])
def test_two_hosts_of_a_small_cluster_in_ten_minutes_are_chance(offsets):
    assert _burst(offsets) == 0.0


@pytest.mark.parametrize(("offsets", "expected"), [
    ([60.0, 62.0, 65.0], 3.0),                   # all 3 within 5 minutes
    ([60.0, 62.0, 65.0, 500.0, 1200.0], 3.0),    # 3 of 5 (0.15 % by chance)
    ([60.0 + k for k in range(6)], 6.0),         # the beaconing campaign's 6 of 6
])
def test_a_burst_beyond_chance_still_counts(offsets, expected):
    assert _burst(offsets) == expected
