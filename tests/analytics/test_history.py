"""Whether the store holds the fleet's data from before the detection window (task F8).

:func:`analytics.history.fleet_history` decides it per host and by majority, from the window
incidence detect already reads; an explanation without history is low confidence and says why.
"""

from __future__ import annotations

import numpy as np

from analytics.entity_stats import Window, entity_stats
from analytics.explain import NO_HISTORY, explain
from analytics.features import SCORED_FEATURES, ClusterFacts, FeatureContext
from analytics.history import HISTORY_MARGIN_S, fleet_has_history, fleet_history
from analytics.incidence import build_incidence
from graphsiem.store.base import HostSighting

DAY = 86400.0
START = 10 * DAY  # the window is [START, START + DAY]
HOSTS = [f"ws-{i:02d}" for i in range(10)]


def _sightings(first_seen: dict[str, float]) -> list[HostSighting]:
    """Each host saw two shared things, first at its own time, still active in the window."""
    return [HostSighting(h, (kind, "x"), first_seen[h], START + DAY - 1, 3) for h in HOSTS for kind in ("domain", "process")]


def test_data_that_begins_inside_the_window_is_no_history():
    history = fleet_history(build_incidence(_sightings({h: START + 60 for h in HOSTS})), START)
    assert (history.hosts, history.with_history, history.known) == (10, 0, False)


def test_a_day_of_data_before_the_window_is_history():
    assert fleet_has_history(build_incidence(_sightings({h: START - DAY for h in HOSTS})), START)


def test_minutes_before_the_window_are_no_baseline():
    """A window ending at the newest event starts a few minutes after a one-day dataset begins."""
    early = {h: START - HISTORY_MARGIN_S / 2 for h in HOSTS}
    assert not fleet_has_history(build_incidence(_sightings(early)), START)


def test_a_few_hosts_whose_clocks_run_behind_do_not_make_a_history():
    skewed = {h: (START - 3 * DAY if i < 4 else START + 60) for i, h in enumerate(HOSTS)}
    history = fleet_history(build_incidence(_sightings(skewed)), START)
    assert (history.with_history, history.known) == (4, False)


def test_half_the_fleet_with_earlier_data_is_a_history():
    half = {h: (START - 2 * DAY if i < 5 else START + 60) for i, h in enumerate(HOSTS)}
    assert fleet_has_history(build_incidence(_sightings(half)), START)


def test_the_feature_context_knows_whether_the_fleet_has_history_and_the_facts_carry_it():
    for first, expected in ((START + 60, False), (START - DAY, True)):
        incidence = build_incidence(_sightings({h: first for h in HOSTS}))
        context = FeatureContext(incidence, entity_stats(incidence, [], window=Window(START, START + DAY)))
        assert context.history is expected


def _explanation(history: bool, candidates: int):
    facts = ClusterFacts({n: 0.0 for n in SCORED_FEATURES}, [], [], [], [], history=history)
    zeros = np.zeros(len(SCORED_FEATURES))
    return explain(facts, zeros, zeros, pivot_type="domain", pivot_value="x.example", host_count=5,
                   pivot_is_new=True, candidates=candidates)


def test_an_explanation_without_history_is_low_confidence_and_says_why():
    explanation = _explanation(False, 40)
    assert explanation.confidence == "low" and explanation.history is False
    assert explanation.summary.endswith("; " + NO_HISTORY)
    assert _explanation(True, 40).confidence == "normal"


def test_both_reasons_are_given_when_both_hold():
    summary = _explanation(False, 3).summary
    assert "only 3 new clusters" in summary and summary.endswith(NO_HISTORY)
