"""The page's "Why it scored high" and summary speak to a first-week analyst (review R4, finding 13).

Feature rows said "inter-quartile range of the hosts' first contact with a new
pivot ... capped at 60" and "new member"; a 3-host cluster's summary said
"half of them within 37 minutes".
"""

from __future__ import annotations

import re

import numpy as np

from analytics.cluster_summary import summarize
from analytics.explain import explain
from analytics.features import SCORED_FEATURES, ClusterFacts

JARGON = re.compile(r"inter-quartile|\bIQR\b|\bpivot\b|new member|capped|floored|\bsightings?\b|^1 when", re.IGNORECASE)


def _facts(spread: float = 37.0, full: float = 74.0) -> ClusterFacts:
    features = {name: 0.0 for name in SCORED_FEATURES}
    features["first_contact_spread_min"] = spread
    context = {"first_contact_spread_raw_min": spread, "first_contact_range_min": full}
    return ClusterFacts(features, [], [], [], [], context)


def test_every_feature_row_is_described_without_jargon():
    rows = explain(_facts(), np.zeros(len(SCORED_FEATURES)), np.zeros(len(SCORED_FEATURES)),
                   pivot_type="domain", pivot_value="x.example", host_count=3, pivot_is_new=True).features
    assert {r.name for r in rows} == set(SCORED_FEATURES)
    for row in rows:
        assert row.description, row.name
        assert not JARGON.search(row.description), (row.name, row.description)


def test_a_three_host_cluster_is_not_said_to_have_halves():
    text = summarize(_facts(), pivot_type="domain", pivot_value="x.example", host_count=3, pivot_is_new=True)
    assert text == "3 hosts first contacted domain x.example within 74 minutes"


def test_a_larger_cluster_says_how_many_hosts_the_shorter_time_is_true_of():
    text = summarize(_facts(4.0, 9.0), pivot_type="domain", pivot_value="x.example", host_count=22, pivot_is_new=True)
    assert text == "22 hosts first contacted domain x.example within 9 minutes (10 of them within 4 minutes)"
