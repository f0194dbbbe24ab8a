"""Which suppressions removed a cluster: the clustering says so (task F2, item 1).

``graphsiem detect`` counted every benign verdict held as a suppressed pivot, also a behaviour
verdict given on other hosts, whose pivot was shown (:func:`analytics.clusters.covers_hosts`).
:func:`analytics.clusters.fan_out_clusters` now names the suppressed pivots whose cluster it
left out (``removed_by_suppression``), and a detection keeps them in its stats
(``suppressions_applied``).  A small fleet: one pivot on 6 hosts, suppressed with or without
the hosts its verdict was given on.
"""

from __future__ import annotations

from analytics.clusters import HOST_TYPE, fan_out_clusters
from analytics.entity_stats import Window, entity_stats
from analytics.incidence import build_incidence
from graphsiem.store.base import HostSighting

DAY = 86400.0
END = 10 * DAY
HOSTS = [f"ws-{i:03d}" for i in range(30)]
CAMPAIGN_HOSTS = HOSTS[:6]
PIVOT = ("domain", "c2.example")
NOT_SEEN = ("domain", "gone.example")  # suppressed, absent from the window


def _run(members: dict | None) -> tuple[list, set]:
    sightings = [HostSighting(h, ("process", "explorer"), 0.0, END, 50) for h in HOSTS]
    sightings += [HostSighting(h, PIVOT, END - 0.2 * DAY, END, 3) for h in CAMPAIGN_HOSTS]
    inc = build_incidence(sightings)
    stats = entity_stats(inc, [], window=Window(END - DAY, END))
    removed: set = set()
    clusters = fan_out_clusters(inc, stats, excluded=frozenset({PIVOT, NOT_SEEN}), excluded_members=members,
                                removed_by_suppression=removed)
    return [inc.entities[c.pivot] for c in clusters], removed


def test_a_suppression_that_removed_its_cluster_is_named():
    pivots, removed = _run(None)
    assert pivots == []
    assert removed == {PIVOT}  # not the one with nothing in the window


def test_a_verdict_given_on_other_hosts_removed_nothing():
    judged = frozenset({PIVOT, *((HOST_TYPE, h) for h in HOSTS[20:26])})
    pivots, removed = _run({PIVOT: judged})
    assert pivots == [PIVOT]
    assert removed == set()


def test_a_verdict_given_on_these_hosts_removed_the_cluster():
    judged = frozenset({PIVOT, *((HOST_TYPE, h) for h in CAMPAIGN_HOSTS)})
    assert _run({PIVOT: judged}) == ([], {PIVOT})
