"""A young and spreading cluster says what happened (task X1, after F17).

Low and slow (:mod:`analytics.novelty`): an entity the fleet established within
the young horizon that at least ``min_hosts`` hosts first saw inside the window
counts as new and may start a cluster.  Its summary said "(known before the
window)" and its lineage "is new in the fleet", and no step pointed at the hosts
that had it first.  Now the summary says when the fleet first saw it, on how many
hosts, and how many new hosts it reached in the window, and a step sends the
analyst to the earlier hosts first (patient zero).
"""

from __future__ import annotations

from analytics.clusters import fan_out_clusters
from analytics.config import DetectionConfig
from analytics.detect import score_clusters
from analytics.features import FeatureContext
from analytics.inputs import DetectionInputs
from analytics.lineage import LineagePair
from graphsiem.model import Entity
from tests.analytics.test_low_and_slow_novelty import (
    CRADLE,
    DOMAIN,
    HOUR,
    START,
    URL,
    WINDOW,
    _stats,
)


def _young_cluster():
    """The low-and-slow campaign of F17's helpers: four hosts a day for four days, four new in the window,
    its cradle started by wscript.exe (a new pair since the horizon)."""
    incidence, stats = _stats({DOMAIN: [4, 3, 2, 1], URL: [4, 3, 2, 1], CRADLE: [4, 3, 2, 1]})
    pair = LineagePair("wscript.exe", "powershell.exe", 20, START - 4 * 86400 + 10 * HOUR)
    context = FeatureContext(incidence, stats, lineage={CRADLE: [pair]},
                             behaviours={CRADLE: {"lsass_access": START - 4 * 86400 + 10 * HOUR}},
                             encoded=frozenset({CRADLE}))
    processes = {CRADLE: Entity(CRADLE[0], CRADLE[1], CRADLE[1])}
    inputs = DetectionInputs(WINDOW, incidence, stats, context, processes)
    raw = fan_out_clusters(incidence, stats, min_hosts=3)
    (cluster,) = score_clusters(inputs, raw, DetectionConfig(min_hosts=3))
    return cluster


def test_the_summary_says_when_the_fleet_first_saw_it_and_where_it_spreads():
    cluster = _young_cluster()
    summary = cluster.explanation.summary
    assert "(known before the window)" not in summary
    # 16 hosts saw it 4, 3, 2 and 1 days before the window (the first 4 d 14 h before its end); 4 new inside
    assert "first seen by the fleet 5 days ago on 16 hosts, spreading to 4 new hosts in this window" in summary
    # its lineage is new since the young horizon (a week before the window), not since the window
    assert "powershell.exe spawned by wscript.exe is new in the fleet since 1970-01-04" in summary
    assert cluster.explanation.young is not None and cluster.explanation.young.new_hosts == 4


def test_a_step_sends_the_analyst_to_the_earlier_hosts_first():
    cluster = _young_cluster()
    (step,) = [c for c in cluster.explanation.checks if "patient zero" in c.check]
    assert step.feature is None
    assert "first saw it 5 days ago (1970-01-07 10:00Z) on 16 hosts" in step.check
    assert "spreading to 4 new hosts in this window" in step.check
    assert "look at the earlier hosts first" in step.check
    assert "pilot group of a planned rollout" in step.benign_if


def test_a_cluster_new_in_the_window_gets_neither():
    # the same entities, every host first seeing them inside the window: new, not young
    incidence, stats = _stats({DOMAIN: [], URL: [], CRADLE: []}, new_hosts=6)
    context = FeatureContext(incidence, stats)
    inputs = DetectionInputs(WINDOW, incidence, stats, context, {})
    (cluster,) = score_clusters(inputs, fan_out_clusters(incidence, stats, min_hosts=3), DetectionConfig(min_hosts=3))
    assert cluster.explanation.young is None
    assert cluster.explanation.summary.startswith("6 hosts first contacted")
    assert not [c for c in cluster.explanation.checks if "patient zero" in c.check]
