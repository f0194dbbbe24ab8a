"""One host with a wrong clock must not erase a campaign's novelty (task F13).

"New in the window" is "fewer than ``min_hosts`` hosts, and at most a tenth of
its hosts, saw it before the window start" (:mod:`analytics.novelty`), for entities and, from the per-host first
sightings of their processes, for lineage pairs and behaviours.  The fleet's
earliest sighting made a whole campaign old when one campaign host's endpoint
clock ran 30 hours behind: its novelty, lineage and behaviours were lost.
"""

from __future__ import annotations

import numpy as np
import pytest

from analytics.entity_stats import Window, entity_stats
from analytics.incidence import build_incidence
from analytics.lineage import behaviour_index, lineage_index
from graphsiem.model import Relation, Sighting
from graphsiem.store.base import EntityPrevalence
from tests.analytics.clock_behind import detect_with_one_host_behind

HOUR = 3600.0
START = 1_000_000.0
WINDOW = Window(START, START + 24 * HOUR)
CRADLE = ("process", "powershell.exe -enc SQBFAFgA")
HOSTS = [f"ws-{i:02d}" for i in range(10)]


def _window_stats(host_firsts: list[float], k: int):
    """Stats of one domain seen in the window on ten hosts, with ``host_firsts`` as its history."""
    sightings = [Sighting(h, ("domain", "c2.example"), START + HOUR, START + 2 * HOUR, 1) for h in HOSTS]
    incidence = build_incidence(sightings)
    prevalence = [EntityPrevalence(("domain", "c2.example"), "c2.example", len(host_firsts), min(host_firsts),
                                   START + 2 * HOUR, 10, tuple(sorted(host_firsts)))]
    return entity_stats(incidence, prevalence, window=WINDOW, n_hosts=20, novelty_hosts=k)


def test_one_host_thirty_hours_behind_leaves_the_entity_new():
    firsts = [START - 30 * HOUR + HOUR] + [START + HOUR] * 9
    stats = _window_stats(firsts, k=3)
    assert stats.is_new[0]
    assert stats.age_days[0] == 0.0
    # the span of a new beacon is measured from the k-th host, not from the host behind
    assert stats.active_days[0] == 1.0
    assert stats.first_seen[0] == firsts[0]  # the fleet's earliest sighting is kept as it was


def test_an_entity_min_hosts_hosts_saw_before_the_window_is_old():
    firsts = [START - 5 * 24 * HOUR, START - 4 * 24 * HOUR, START - 3 * 24 * HOUR] + [START + HOUR] * 7
    stats = _window_stats(firsts, k=3)
    assert not stats.is_new[0]
    assert stats.age_days[0] == pytest.approx(4.0)  # from the second host: one early host of ten is tolerated


def test_one_early_host_of_five_keeps_the_entity_old():
    # a handful of hosts' chance traffic: one host the day before is no clock, the entity is old
    stats = _window_stats([START - 24 * HOUR] + [START + HOUR] * 4, k=3)
    assert not stats.is_new[0]


def test_an_entity_every_one_of_its_few_hosts_saw_before_is_old():
    stats = _window_stats([START - 2 * 24 * HOUR, START - 24 * HOUR], k=3)
    assert not stats.is_new[0]


def test_lineage_pair_and_behaviour_stay_new_with_one_host_behind():
    behind = START - 30 * HOUR
    firsts = {CRADLE: tuple([behind] + [START + HOUR + i for i in range(9)])}
    images = {("process", "wscript.exe x.js"): "wscript.exe", CRADLE: "powershell.exe",
              ("process", "lsass.exe"): "lsass.exe"}
    spawned = [Relation(("process", "wscript.exe x.js"), "SPAWNED", CRADLE, behind, START + 2 * HOUR)]
    accessed = [Relation(CRADLE, "ACCESSED", ("process", "lsass.exe"), behind, START + 2 * HOUR)]

    lineage = lineage_index(spawned, images, {CRADLE: 10}, n_hosts=20, host_first_seen=firsts, novelty_hosts=3)
    (pair,) = lineage[CRADLE]
    assert pair.first_seen == behind
    assert pair.is_new_since(START)
    behaviours = behaviour_index(accessed, [], images, host_first_seen=firsts, novelty_hosts=3)
    assert behaviours[CRADLE]["lsass_access"] >= START

    # three hosts ran it before the window: the pair and the behaviour are old
    old = {CRADLE: (behind, behind + 1, behind + 2) + firsts[CRADLE][1:]}
    (pair,) = lineage_index(spawned, images, {CRADLE: 12}, n_hosts=20, host_first_seen=old, novelty_hosts=3)[CRADLE]
    assert not pair.is_new_since(START)
    assert behaviour_index(accessed, [], images, host_first_seen=old, novelty_hosts=3)[CRADLE]["lsass_access"] < START


def test_seed_campaign_keeps_novelty_and_behaviours_with_one_host_thirty_hours_behind(tmp_path):
    result, behind = detect_with_one_host_behind(tmp_path, campaign="seed_campaign")
    top = result.clusters[0]
    assert top.pivot.value == "cdn-img-delivery.example"
    assert behind in top.hosts
    for behaviour in ("lsass_access", "encoded_command", "download_from_new_domain"):
        assert top.features[behaviour] == 1.0, behaviour
    assert top.features["interpreter_lineage"] >= 1.0
    assert "LSASS" in top.explanation.summary and "encoded PowerShell" in top.explanation.summary
    assert np.isfinite(top.score)
