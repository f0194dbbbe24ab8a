"""The "why no clusters" census counts a suppression only where the clustering applies it (task K4, item 4).

A behaviour verdict is recorded with the hosts it was given on, and holds only for a pivot
mostly on those hosts (:func:`analytics.clusters.covers_hosts`): on other hosts the same
pivot starts its cluster as any other.  :func:`analytics.clusters.pivot_census` counted every
suppressed pivot out of the candidates, so an empty run's reason said one candidate fewer
than the clustering had per such verdict.  One pivot on 6 hosts, suppressed with the hosts of
another episode, with these hosts, or with none recorded.
"""

from __future__ import annotations

import pytest

from analytics.clusters import HOST_TYPE, fan_out_clusters, pivot_census
from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.entity_stats import Window, entity_stats
from analytics.incidence import build_incidence
from graphsiem.model import Sighting
from graphsiem.store.base import HostSighting

DAY = 86400.0
END = 10 * DAY
HOSTS = [f"ws-{i:03d}" for i in range(30)]
CAMPAIGN_HOSTS = HOSTS[:6]
PIVOT = ("domain", "c2.example")
OTHER_EPISODE = frozenset({PIVOT, *((HOST_TYPE, h) for h in HOSTS[20:26])})
THIS_EPISODE = frozenset({PIVOT, *((HOST_TYPE, h) for h in CAMPAIGN_HOSTS)})


def _sightings() -> list[tuple[str, tuple[str, str], float, float, int]]:
    rows = [(h, ("process", "explorer"), 0.0, END, 50) for h in HOSTS]
    return rows + [(h, PIVOT, END - 0.2 * DAY, END, 3) for h in CAMPAIGN_HOSTS]


@pytest.mark.parametrize(("members", "candidates"), [
    ({PIVOT: OTHER_EPISODE}, 1),  # the verdict judged other machines: the pivot is a candidate
    ({PIVOT: THIS_EPISODE}, 0),
    (None, 0),  # no hosts recorded: the verdict holds wherever the pivot goes
])
def test_the_census_counts_a_suppression_where_the_clustering_applies_it(members, candidates):
    inc = build_incidence([HostSighting(*row) for row in _sightings()])
    stats = entity_stats(inc, [], window=Window(END - DAY, END))
    rules = {"min_hosts": 3, "max_fraction": 0.5, "new_pivots_only": True, "excluded": frozenset({PIVOT})}

    census = pivot_census(inc, stats, excluded_members=members, **rules)
    clusters = fan_out_clusters(inc, stats, excluded_members=members, **rules)

    assert census["pivot_candidates"] == candidates == len(clusters)


def test_a_detection_counts_the_pivot_a_verdict_on_other_hosts_left_as_candidate(embedded_store):
    embedded_store.upsert_sightings([Sighting(*row) for row in _sightings()])
    embedded_store.flush()
    config = DetectionConfig(suppressed=frozenset({PIVOT}), suppressed_members={PIVOT: OTHER_EPISODE})

    result = detect(embedded_store, config=config, now=END)

    assert [c.pivot.ref for c in result.clusters] == [PIVOT]
    assert result.stats["pivot_candidates"] == 1
