"""``max_fraction`` judges what the fleet did before the window, not what is new in it.

A campaign that reaches most of the fleet at once (a worm, a mass phishing wave) was
dropped from pivots and members by ``max_fraction`` (0.5) like svchost: the bigger the
compromise, the less was seen.  Now an entity first seen in the window while the fleet
has a baseline is a candidate whatever its share; what the fleet did before the window
stays out, and a store without a baseline (one day of data, a fresh install) keeps the
old rule, where everything looks new.  Hand-built sightings: no store needed.
"""

from __future__ import annotations

import numpy as np

from analytics.clusters import fan_out_clusters, pivot_census, ubiquitous
from analytics.entity_stats import Window, entity_stats
from analytics.incidence import build_incidence
from graphsiem.store.base import HostSighting

DAY = 86400.0
START = 1_700_000_000.0
HOSTS = [f"ws-{i:03d}" for i in range(40)]
CAMPAIGN = [("domain", "cdn-img-delivery2.example"), ("url", "http://cdn-img-delivery2.example/b.png"),
            ("process", "powershell -enc SQBFAFgA")]
UPDATES = ("domain", "update.corp.example")


def _fleet(*, days: float, campaign_hosts: list[str], history_hosts: list[str] | None = None,
           extra: list[HostSighting] = ()) -> tuple[list[HostSighting], Window]:
    """``days`` of data ending at the window's end; old software on every host from the start
    (or, for hosts not in ``history_hosts``, from the window's start: hosts enrolled today),
    rare browsing, and the campaign first seen by ``campaign_hosts`` within 10 minutes."""
    end = START + days * DAY
    window = Window(end - DAY, end)
    rng = np.random.RandomState(1)
    history = set(HOSTS if history_hosts is None else history_hosts)
    out: list[HostSighting] = []
    for h in HOSTS:
        since = START if h in history else window.start + 60
        out.append(HostSighting(h, ("process", "svchost"), since + rng.uniform(0, 300), end, 500))
        out.append(HostSighting(h, UPDATES, since + rng.uniform(0, 600), end, 24))
    for t in range(6):  # ordinary browsing: a few hosts each, over the whole span
        for h in rng.choice(HOSTS, size=4, replace=False):
            out.append(HostSighting(str(h), ("domain", f"site{t}.example"), START + rng.uniform(0, days * DAY), end, 3))
    first = end - 0.4 * DAY
    for i, h in enumerate(campaign_hosts):
        for key in CAMPAIGN:
            out.append(HostSighting(h, key, first + 15 * i, first + 3600, 2))
    return out + list(extra), window


def _run(sightings, window, **kwargs):
    inc = build_incidence(sightings)
    stats = entity_stats(inc, [], window=window)
    return inc, stats, fan_out_clusters(inc, stats, **kwargs)


def _pivots(inc, clusters):
    return {inc.entities[c.pivot] for c in clusters}


def test_a_new_campaign_on_three_quarters_of_a_fleet_with_history_forms_one_cluster():
    sightings, window = _fleet(days=3, campaign_hosts=HOSTS[:30])
    inc, _, clusters = _run(sightings, window)
    found = [c for c in clusters if inc.entities[c.pivot] in CAMPAIGN]
    assert len(found) == 1
    assert {inc.entities[j] for j in found[0].members} == set(CAMPAIGN)
    assert sorted(inc.hosts[r] for r in found[0].hosts) == HOSTS[:30]


def test_what_the_whole_fleet_did_before_the_window_is_still_no_pivot_nor_member():
    sightings, window = _fleet(days=3, campaign_hosts=HOSTS[:30])
    inc, stats, clusters = _run(sightings, window, new_pivots_only=False)
    assert CAMPAIGN[0] in _pivots(inc, clusters)
    members = {inc.entities[j] for c in clusters for j in c.members}
    assert UPDATES not in members and ("process", "svchost") not in members
    flags = dict(zip(inc.entities, ubiquitous(inc, stats, max_fraction=0.5).tolist(), strict=True))
    assert flags[UPDATES] and flags[("process", "svchost")]
    assert not any(flags[key] for key in CAMPAIGN)


def test_without_history_before_the_window_the_old_rule_holds():
    # One day of data: svchost and the update domain are "new" too; exempting the new
    # would make each a fleet-wide cluster.  Nothing on more than half the fleet is clustered.
    sightings, window = _fleet(days=1, campaign_hosts=HOSTS[:30])
    inc, stats, clusters = _run(sightings, window)
    assert stats.is_new.all()
    assert all(len(c.hosts) <= 0.5 * len(HOSTS) for c in clusters)
    assert not _pivots(inc, clusters) & (set(CAMPAIGN) | {UPDATES, ("process", "svchost")})


def test_an_hour_of_data_before_the_window_is_no_baseline():
    # A store whose data begin an hour before the window: the fleet's daily jobs have had no
    # chance to show before it, so "new" says nothing yet.
    sightings, window = _fleet(days=1 + 1 / 24, campaign_hosts=HOSTS[:30])
    inc, _, clusters = _run(sightings, window)
    assert not _pivots(inc, clusters) & set(CAMPAIGN)


def test_a_few_hosts_whose_clocks_run_days_behind_lend_no_baseline():
    sightings, window = _fleet(days=1, campaign_hosts=HOSTS[:30])
    skewed = [HostSighting(h, ("process", "svchost"), START - 3 * DAY, START + DAY, 9) for h in HOSTS[:3]]
    inc, _, clusters = _run(sightings + skewed, window)
    assert not _pivots(inc, clusters) & set(CAMPAIGN)


def test_what_only_hosts_enrolled_today_do_keeps_the_old_rule():
    # 24 hosts have two days of history, 16 were enrolled today.  The enrolment agent runs on
    # those 16 and 6 old hosts (55 % of the fleet): most of its hosts have no baseline, so its
    # novelty says nothing about them.
    enrolled = HOSTS[24:]
    agent = ("process", "enrolment-agent")
    extra = [HostSighting(h, agent, START + 2.7 * DAY, START + 3 * DAY, 1) for h in enrolled + HOSTS[:6]]
    sightings, window = _fleet(days=3, campaign_hosts=[], history_hosts=HOSTS[:24], extra=extra)
    inc, stats, clusters = _run(sightings, window)
    assert stats.is_new[inc.column_index()[agent]]
    assert agent not in _pivots(inc, clusters)


def test_a_fleet_wide_rollout_does_not_swallow_an_unrelated_change_on_most_of_its_hosts():
    # The day's patch on 38 of 40 hosts contains almost every host, so every entity is
    # "rare outside" it; the campaign on 26 of them must still form its own cluster.
    patch = [("file", "kb5032190-x64.msi"), ("process", "msiexec /i kb5032190-x64.msi")]
    at = START + 2.8 * DAY
    extra = [HostSighting(h, key, at + 30 * i, at + 1800, 1) for i, h in enumerate(HOSTS[:38]) for key in patch]
    sightings, window = _fleet(days=3, campaign_hosts=HOSTS[12:38], extra=extra)
    inc, _, clusters = _run(sightings, window)
    by_pivot = {inc.entities[c.pivot]: {inc.entities[j] for j in c.members} for c in clusters}
    assert by_pivot[("file", "kb5032190-x64.msi")] == set(patch)
    assert by_pivot[CAMPAIGN[0]] == set(CAMPAIGN)


def test_the_census_counts_what_clustering_does():
    # Each candidate below starts its own cluster, except the campaign's three twins (one cluster).
    sightings, window = _fleet(days=3, campaign_hosts=HOSTS[:30])
    inc, stats, clusters = _run(sightings, window)
    census = pivot_census(inc, stats, min_hosts=3, max_fraction=0.5, new_pivots_only=True)
    assert census["pivot_candidates"] == len(clusters) + 2
    assert census["baseline_hosts"] == len(HOSTS)
    sightings, window = _fleet(days=1, campaign_hosts=HOSTS[:30])
    inc, stats, clusters = _run(sightings, window)
    census = pivot_census(inc, stats, min_hosts=3, max_fraction=0.5, new_pivots_only=True)
    assert census["baseline_hosts"] == 0
    assert census["pivot_candidates"] == len(clusters) == 6  # the browsing sites, not the campaign


def test_a_pilot_group_with_history_lends_no_baseline_to_the_rest_of_the_fleet():
    # 12 pilot hosts reported for two days, 28 joined today.  A new entity on the 12 and 9
    # others (52 %) is mostly on hosts with a baseline, but the fleet has none: the old rule.
    newcomer = ("process", "new-tool")
    extra = [HostSighting(h, newcomer, START + 2.7 * DAY, START + 3 * DAY, 1) for h in HOSTS[:21]]
    sightings, window = _fleet(days=3, campaign_hosts=[], history_hosts=HOSTS[:12], extra=extra)
    inc, stats, clusters = _run(sightings, window)
    assert stats.is_new[inc.column_index()[newcomer]]
    assert newcomer not in _pivots(inc, clusters)
