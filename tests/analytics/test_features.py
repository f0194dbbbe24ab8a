"""Entity and cluster features on hand-built data."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.clusters import fan_out_clusters
from analytics.entity_stats import Window, entity_stats
from analytics.features import (
    SCORED_FEATURES,
    FeatureContext,
    burst_chance,
    burst_size,
    cluster_features,
    feature_matrix,
    first_contact_spread_minutes,
    is_private_ip,
)
from analytics.incidence import build_incidence
from analytics.lineage import behaviour_index, lineage_index
from graphsiem.model import Relation
from graphsiem.store.base import EntityPrevalence
from tests.analytics.fleet import CAMPAIGN, DAY, END, START, fleet_sightings


@pytest.fixture
def fleet():
    inc = build_incidence(fleet_sightings())
    stats = entity_stats(inc, [], window=Window(END - DAY, END), n_hosts=40)
    return inc, stats


def test_new_entities_are_those_first_seen_in_the_window(fleet):
    inc, stats = fleet
    col = inc.column_index()
    assert stats.is_new[col[("domain", "bad.example")]]
    assert not stats.is_new[col[("process", "explorer")]]
    assert stats.age_days[col[("process", "explorer")]] == pytest.approx(1.0, abs=0.01)


def test_prevalence_rows_override_window_counts(fleet):
    inc, _ = fleet
    prevalence = [EntityPrevalence(("domain", "bad.example"), "bad.example", 30, START, END, 99)]
    stats = entity_stats(inc, prevalence, window=Window(END - DAY, END), n_hosts=40)
    j = inc.column_index()[("domain", "bad.example")]
    assert stats.total_hosts[j] == 30
    assert stats.first_seen[j] == START
    assert not stats.is_new[j]
    assert stats.fleet_fraction[j] == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("contacts", "expected"),
    [([0.0], 0.0), ([0.0, 600.0], 5.0), ([0.0, 60.0, 120.0, 180.0, 10 * DAY], 2.0)],
)
def test_first_contact_spread_is_an_iqr_in_minutes(contacts, expected):
    assert first_contact_spread_minutes(np.array(contacts)) == pytest.approx(expected)


def _rel(src, type_, dst, first):
    return Relation(src, type_, dst, first, first)


def test_campaign_cluster_features(fleet):
    inc, stats = fleet
    col = inc.column_index()
    images = {("process", "cradle"): "powershell.exe", ("process", "parent"): "wscript.exe",
              ("process", "lsass"): "lsass.exe"}
    lineage = lineage_index([_rel(("process", "parent"), "SPAWNED", ("process", "cradle"), END - 3600)],
                            images, {("process", "cradle"): 8}, n_hosts=40)
    behaviours = behaviour_index([_rel(("process", "cradle"), "ACCESSED", ("process", "lsass"), END - 60)], [], images)
    context = FeatureContext(inc, stats, lineage, behaviours, frozenset({("process", "cradle")}))
    (cluster,) = [c for c in fan_out_clusters(inc, stats) if inc.entities[c.pivot] in CAMPAIGN]
    facts = cluster_features(context, cluster.pivot, cluster.members, cluster.hosts)
    f = facts.features
    assert set(f) == set(SCORED_FEATURES)
    assert facts.context["new_member_fraction"] == 1.0
    assert facts.context["exclusivity"] == 1.0  # context, not scored (min_overlap makes it >= 0.8)
    assert f["first_contact_spread_min"] == pytest.approx(3.5)  # 8 hosts, one a minute
    assert f["burst_hosts"] == 8.0
    assert f["interpreter_lineage"] == 1.0  # powershell.exe under wscript.exe, new
    assert facts.context["new_lineage"] == 1.0
    assert f["source_kinds"] == 2.0
    assert facts.behaviours == ["download_from_new_domain", "encoded_command", "lsass_access"]
    assert (f["lsass_access"], f["encoded_command"], f["download_from_new_domain"], f["remote_thread"]) == (1, 1, 1, 0)
    assert f["repeat_contacts"] == 24.0  # 3 a day: floored to hourly
    assert col[("domain", "bad.example")] == cluster.pivot


def test_feature_matrix_orders_columns_like_scored_features():
    row = {name: float(i) for i, name in enumerate(SCORED_FEATURES)}
    X = feature_matrix([row, row])
    assert X.shape == (2, len(SCORED_FEATURES))
    assert X[0].tolist() == list(range(len(SCORED_FEATURES)))
    assert feature_matrix([]).shape == (0, len(SCORED_FEATURES))


def test_behaviours_known_before_the_window_do_not_count(fleet):
    inc, stats = fleet
    images = {("process", "cradle"): "powershell.exe", ("process", "lsass"): "lsass.exe"}
    old = behaviour_index([_rel(("process", "cradle"), "ACCESSED", ("process", "lsass"), START)], [], images)
    context = FeatureContext(inc, stats, {}, old, frozenset())
    (cluster,) = [c for c in fan_out_clusters(inc, stats) if inc.entities[c.pivot] in CAMPAIGN]
    facts = cluster_features(context, cluster.pivot, cluster.members, cluster.hosts)
    assert "lsass_access" not in facts.behaviours


@pytest.mark.parametrize(("contacts", "expected"), [([], 0), ([5.0], 1), ([0.0, 599.0, 601.0, 1300.0], 2)])
def test_burst_size_counts_contacts_in_the_busiest_span(contacts, expected):
    assert burst_size(np.array(contacts), span_s=600.0) == expected


@pytest.mark.parametrize(("ip", "private"), [("10.1.2.3", True), ("127.0.0.1", True), ("8.8.8.8", False), ("x", False)])
def test_is_private_ip(ip, private):
    assert is_private_ip(ip) is private


@pytest.mark.parametrize(("burst", "hosts", "window_h", "expected"), [
    (2, 2, 24, 2 / 144),              # two contacts within 10 minutes of each other in a day
    (2, 3, 24, 3 * 2 / 144),          # any of 3 hosts, either of the 2 others
    (3, 5, 24, 5 * 6 / 144 ** 2),
    (1, 40, 24, 1.0),                 # one host is no burst
    (3, 6, 1, 1.0),                   # 3 of 6 in an hour's window: bound past 1
    (2, 3, 0.1, 1.0),                 # a window shorter than the span
])
def test_burst_chance_is_the_union_bound_over_the_window(burst, hosts, window_h, expected):
    assert burst_chance(burst, hosts, window_h * 3600.0) == pytest.approx(expected)
