"""A six-host campaign keeps its novelty when one host's clock runs 30 hours behind (task F17).

The tenth-of-the-hosts rule (:data:`analytics.novelty.EARLY_HOST_SHARE`) tolerates an
early host only on ten hosts or more, so on six the host behind made the campaign old:
its pivot, members, lineage and behaviours.  One early host is now tolerated on ``2 k``
hosts or more when it is isolated before a fan-out: a day before every other host,
which then all saw it within the hour.  Chance traffic (one host yesterday, five more
over this afternoon) stays old, so the demo's background does not become new.
"""

from __future__ import annotations

from analytics.entity_stats import Window, entity_stats
from analytics.incidence import build_incidence
from analytics.lineage import behaviour_index
from analytics.novelty import established_at
from graphsiem.model import Relation, Sighting
from graphsiem.simulator import DEFAULT_SCENARIOS
from graphsiem.store.base import EntityPrevalence
from tests.analytics.clock_behind import detect_with_one_host_behind
from tests.analytics.cradle_steps import cradle_steps

HOUR = 3600.0
START = 1_000_000.0
WINDOW = Window(START, START + 24 * HOUR)
HOSTS = [f"ws-{i:02d}" for i in range(6)]
CRADLE = ("process", "powershell.exe -nop -w hidden -enc SQBFAFgA")


def _is_new(host_firsts: list[float]) -> bool:
    """Novelty of a domain seen in the window on the six hosts, with ``host_firsts`` as its history."""
    sightings = [Sighting(h, ("domain", "c2.example"), START + 10 * HOUR, START + 11 * HOUR, 1) for h in HOSTS]
    prevalence = [EntityPrevalence(("domain", "c2.example"), "c2.example", len(host_firsts), min(host_firsts),
                                   START + 11 * HOUR, 6, tuple(sorted(host_firsts)))]
    stats = entity_stats(build_incidence(sightings), prevalence, window=WINDOW, n_hosts=120, novelty_hosts=3)
    return bool(stats.is_new[0])


def test_six_hosts_one_thirty_hours_behind_stay_new_and_chance_traffic_stays_old():
    burst = [START + 10 * HOUR + i * 120 for i in range(5)]
    assert _is_new([burst[0] - 30 * HOUR] + burst)
    # one host on the day before, five more over the afternoon: browsing, not a campaign
    afternoon = [START + (12 + i) * HOUR for i in range(5)]
    assert not _is_new([afternoon[0] - 26 * HOUR] + afternoon)
    # one host a few hours before the window, then a burst: not isolated by a day
    assert not _is_new([START - 4 * HOUR] + burst)
    # five hosts: the early one is a fifth of them, too many to be a clock
    assert established_at([burst[0] - 30 * HOUR] + burst[:4], 3) < START


def test_behaviour_stays_new_with_one_of_six_hosts_behind():
    behind = START + 10 * HOUR - 30 * HOUR
    firsts = {CRADLE: tuple([behind] + [START + 10 * HOUR + i * 120 for i in range(5)])}
    images = {CRADLE: "powershell.exe", ("process", "lsass.exe"): "lsass.exe"}
    accessed = [Relation(CRADLE, "ACCESSED", ("process", "lsass.exe"), behind, START + 11 * HOUR)]
    behaviours = behaviour_index(accessed, [], images, host_first_seen=firsts, novelty_hosts=3)
    assert behaviours[CRADLE]["lsass_access"] >= START


SMALL_CAMPAIGN = r"""
name: small_campaign
label: PNG cradle on six workstations in one morning
kind: attack
hosts: {group: workstations, count: 6}
pivot: {type: domain, value: img-thumbs-edge.example}
activities:
  - schedule: {every: once, day: last, at: "10:00", spread_minutes: 20}
    steps:
""" + cradle_steps("http://img-thumbs-edge.example/i/logo.png")


def test_six_host_campaign_keeps_its_behaviours_with_one_host_thirty_hours_behind(tmp_path):
    scenario = tmp_path / "small_campaign.yaml"
    scenario.write_text(SMALL_CAMPAIGN, encoding="utf-8")
    result, behind = detect_with_one_host_behind(
        tmp_path, campaign="small_campaign", scenarios=list(DEFAULT_SCENARIOS) + [str(scenario)]
    )
    found = [c for c in result.clusters if c.pivot.value == "img-thumbs-edge.example"]
    assert found, [c.pivot.value for c in result.clusters]
    cluster = found[0]
    assert behind in cluster.hosts and len(cluster.hosts) == 6
    for behaviour in ("lsass_access", "encoded_command", "download_from_new_domain"):
        assert cluster.features[behaviour] == 1.0, behaviour
    assert cluster.features["interpreter_lineage"] >= 1.0
    assert cluster.score >= 50.0
