"""``repeat_contacts`` is measured on destinations only (review T2, finding 3).

A process pivot's sightings are its own events (every connection a new long-running process
made), not contacts with it: explorer.exe on 32 servers read as "contacted 334 times a day" and
scored as a beacon.  A process, file, script or user pivot with no new destination member takes
the feature's floor; a new domain, IP or URL polled more often than hourly still counts.  Hand-built sightings.
"""

from __future__ import annotations

import pytest

from analytics.clusters import fan_out_clusters
from analytics.entity_stats import Window, entity_stats
from analytics.features import REPEAT_FLOOR_PER_DAY, FeatureContext, cluster_features
from analytics.incidence import build_incidence
from analytics.repeat_rates import REPEAT_CAP_PER_DAY
from graphsiem.store.base import HostSighting

DAY = 86400.0
END = 1_700_000_000.0 + 3 * DAY
WINDOW = Window(END - DAY, END)
HOSTS = [f"srv-{i:03d}" for i in range(20)]


def _facts(pivot_key: tuple[str, str]):
    """A new entity ``pivot_key`` seen 334 times a day by 8 hosts since half a day ago, plus old filler."""
    first = END - 0.5 * DAY
    out = [HostSighting(h, pivot_key, first + 60 * i, END, 334) for i, h in enumerate(HOSTS[:8])]
    out += [HostSighting(h, ("process", "svchost"), END - 3 * DAY, END, 10) for h in HOSTS]
    inc = build_incidence(out)
    stats = entity_stats(inc, [], window=WINDOW)
    cluster = next(c for c in fan_out_clusters(inc, stats) if inc.entities[c.pivot] == pivot_key)
    return cluster_features(FeatureContext(inc, stats), cluster.pivot, cluster.members, cluster.hosts)


@pytest.mark.parametrize("pivot", [("process", r"c:\windows\explorer.exe"), ("file", r"c:\temp\a.dat"),
                                   ("script", "a1b2"), ("user", r"corp\svc-new")])
@pytest.mark.parametrize("destination", [("domain", "api.metrics-sync.example"), ("ip", "203.0.113.9"),
                                         ("url", "http://api.metrics-sync.example/b")])
def test_the_same_sightings_count_as_contacts_on_a_destination_only(pivot, destination):
    facts = _facts(pivot)
    assert facts.features["repeat_contacts"] == REPEAT_FLOOR_PER_DAY
    assert facts.context["repeat_contacts_raw"] == 0.0  # no "contacted N times a day" to show either
    polled = _facts(destination)  # a new destination polled more than hourly still counts
    # 334 contacts over each host's own span (about 12 hours; analytics.repeat_rates), the median host
    assert polled.context["repeat_contacts_raw"] == pytest.approx(333 / (0.5 * DAY - 60 * 3.5) * DAY, rel=0.01)
    assert polled.features["repeat_contacts"] == REPEAT_CAP_PER_DAY
