"""Without history, the texts say which hosts have no earlier data, not that the store has none (task F27, review T5 P5).

The history test (:func:`analytics.history.fleet_has_history`) asks whether most
hosts seen in the detection window have data from before it.  The summary and
the last check said "the store holds no data from before the detection window":
a 2020 backtest of a store holding 2018-2019 data found a 3-host cluster and
said so.  What was tested is said instead: the summary names the window's hosts,
the check counts the cluster's hosts and the window's.  Each detection test runs
on [embedded] and [neo4j].
"""

from __future__ import annotations

from datetime import UTC, datetime

from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.explain import NO_HISTORY
from graphsiem.model import Entity, Relation, Sighting
from tests.analytics.small_fleet import cluster_of, write_fleet

H = 3600.0
DAY = 24 * H
OLD = datetime(2018, 11, 2, tzinfo=UTC).timestamp()
WINDOW_END = datetime(2020, 9, 4, 21, tzinfo=UTC).timestamp()
CAMPAIGN = ["pc01", "pc02", "pc03"]
DOMAIN = ("domain", "update-check.example")
CONFIG = DetectionConfig(evidence_top=0)


def _fleet(store, *, hosts_with_history: int = 0, other_new_hosts: int = 0) -> None:
    """Five hosts with data from 2018 only; in the window (the day before ``WINDOW_END``) three
    new hosts reach a new domain.  Optionally more window hosts: some with data from 2018 too."""
    store.clear()
    old = [f"old{i}" for i in range(5)]
    known = [f"kept{i}" for i in range(hosts_with_history)]
    fresh = [f"ws{i}" for i in range(other_new_hosts)]
    hosts = old + CAMPAIGN + known + fresh
    entities = [Entity("host", h, h) for h in hosts]
    entities += [Entity("process", "explorer", "C:\\Windows\\explorer.exe"), Entity(*DOMAIN, DOMAIN[1]),
                 Entity("process", "updater", "C:\\Tools\\updater.exe /check")]
    t = WINDOW_END - 6 * H
    sightings = [Sighting(h, ("process", "explorer"), OLD, OLD + 30 * DAY, 40) for h in old]
    sightings += [Sighting(h, ("process", "explorer"), OLD, WINDOW_END, 40) for h in known]
    sightings += [Sighting(h, ("process", "explorer"), t - 2 * H, WINDOW_END, 40) for h in CAMPAIGN + fresh]
    relations = []
    for i, h in enumerate(CAMPAIGN):
        sightings += [Sighting(h, DOMAIN, t + 60 * i, t + 600, 3), Sighting(h, ("process", "updater"), t + 60 * i, t + 600, 1)]
        relations.append(Relation(("process", "updater"), "RESOLVED", DOMAIN, t, t + 600, 3, [f"ev-{h}"]))
    write_fleet(store, entities, sightings, relations)


def _cluster(store):
    result = detect(store, config=CONFIG, now=WINDOW_END)
    assert result.stats["fleet_history"] is False
    return cluster_of(result, DOMAIN)


def test_a_backtest_of_a_store_with_older_data_says_its_hosts_have_none(store):
    _fleet(store)

    cluster = _cluster(store)

    assert sorted(cluster.hosts) == CAMPAIGN
    explanation = cluster.explanation
    assert explanation.summary.endswith(NO_HISTORY)
    assert "most hosts seen in the detection window have no data from before it" in explanation.summary
    last = explanation.checks[-1]
    assert last.check.startswith(
        "None of the cluster's 3 hosts has data from before the detection window (they are all the hosts seen in it), "
        "so whether domain update-check.example and the other members are new in the fleet cannot be told"
    ), last.check
    for text in (explanation.summary, *(c.check for c in explanation.checks)):
        assert "store holds no data" not in text


def test_the_check_counts_the_window_hosts_that_have_history(store):
    _fleet(store, hosts_with_history=2, other_new_hosts=3)  # 2 of the window's 8 hosts: below the quorum

    cluster = _cluster(store)

    assert cluster.explanation.checks[-1].check.startswith(
        "None of the cluster's 3 hosts has data from before the detection window, and 2 of the 8 hosts seen in it do"
    ), cluster.explanation.checks[-1].check
