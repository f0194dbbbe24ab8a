"""Fan-out clustering on hand-built fleets."""

from __future__ import annotations

from analytics.clusters import fan_out_clusters
from analytics.entity_stats import Window, entity_stats
from analytics.incidence import build_incidence
from graphsiem.store.base import HostSighting
from tests.analytics.fleet import CAMPAIGN, CAMPAIGN_HOSTS, DAY, END, fleet_sightings


def _clusters(sightings, **kwargs):
    inc = build_incidence(sightings)
    stats = entity_stats(inc, [], window=Window(END - DAY, END))
    return inc, fan_out_clusters(inc, stats, **kwargs)


def test_campaign_entities_form_one_cluster_on_its_hosts():
    inc, clusters = _clusters(fleet_sightings())
    with_campaign = [c for c in clusters if inc.entities[c.pivot] in CAMPAIGN]
    assert len(with_campaign) == 1
    cluster = with_campaign[0]
    assert {inc.entities[j] for j in cluster.members} == set(CAMPAIGN)
    assert sorted(inc.hosts[r] for r in cluster.hosts) == CAMPAIGN_HOSTS
    # The domain names the cluster (network indicators first among equals).
    assert inc.entities[cluster.pivot] == ("domain", "bad.example")


def test_ubiquitous_entities_start_no_cluster():
    inc, clusters = _clusters(fleet_sightings())
    assert all(inc.entities[c.pivot] != ("process", "explorer") for c in clusters)


def test_member_seen_widely_outside_is_not_merged():
    s = [HostSighting(h, ("domain", "x"), 100.0, 100.0, 1) for h in "abcd"]
    s += [HostSighting(h, ("ip", "1"), 100.0, 100.0, 1) for h in "abcdefghij"]
    s += [HostSighting(h, ("process", "filler"), 100.0, 100.0, 1) for h in "klmnopqrstuvwxyz"]
    inc, clusters = _clusters(s, max_fraction=0.9, new_pivots_only=False)
    domain = next(c for c in clusters if inc.entities[c.pivot] == ("domain", "x"))
    assert [inc.entities[j] for j in domain.members] == [("domain", "x")]


def test_too_few_hosts_is_no_pivot():
    s = [HostSighting(h, ("domain", "x"), 100.0, 100.0, 1) for h in "ab"]
    s += [HostSighting(h, ("process", "filler"), 100.0, 100.0, 1) for h in "cdefgh"]
    _, clusters = _clusters(s, min_hosts=3, max_fraction=0.9, new_pivots_only=False)
    assert [len(c.hosts) for c in clusters] == [6]


def test_suppressed_pivot_starts_no_cluster():
    inc, clusters = _clusters(fleet_sightings(), excluded=frozenset(CAMPAIGN))
    assert all(inc.entities[c.pivot] not in CAMPAIGN for c in clusters)


def test_no_two_clusters_share_most_members():
    inc, clusters = _clusters(fleet_sightings(seed=3))
    sets = [set(c.members.tolist()) for c in clusters]
    for i, a in enumerate(sets):
        for b in sets[i + 1 :]:
            assert len(a & b) < 0.5 * min(len(a), len(b))


def test_only_new_entities_are_pivots_by_default():
    inc, clusters = _clusters(fleet_sightings())
    old = {inc.entities[c.pivot] for c in _clusters(fleet_sightings(), new_pivots_only=False)[1]}
    new = {inc.entities[c.pivot] for c in clusters}
    assert new < old
    assert ("domain", "bad.example") in new
