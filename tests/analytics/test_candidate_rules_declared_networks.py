"""The candidate history's rules judge "internal" with the networks the run declared (task K4, item 4).

A declared network changes what is external (a download from it is from the organisation's
own server, :func:`analytics.external_addresses.is_external_ip`), so candidates kept under
other networks are another population.  The rules text (:func:`candidate_rules`) left the
networks out: a run with ``--internal-network`` (or ``GRAPHSIEM_INTERNAL_NETWORKS``) was
scored against rows kept without them, and the other way round.  Without declared networks
the text is unchanged, so no fleet's history starts afresh at the upgrade.
"""

from __future__ import annotations

import json

from analytics.candidate_history import candidate_rules
from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.features import SCORED_FEATURES
from graphsiem.api.state import StateStore
from graphsiem.internal_networks import INTERNAL_NETWORKS_ENV
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.fleet import END, populate

DAY = 86400.0
OWN = "198.51.100.0/24"


def test_declared_networks_are_part_of_the_rules(monkeypatch):
    monkeypatch.delenv(INTERNAL_NETWORKS_ENV, raising=False)
    plain, declared = DetectionConfig(), DetectionConfig(internal_networks=(OWN,))

    assert candidate_rules(plain) != candidate_rules(declared)
    assert json.loads(candidate_rules(declared))["internal_networks"] == [OWN]
    assert "internal_networks" not in json.loads(candidate_rules(plain))  # the text of earlier releases


def test_the_environment_networks_count_as_the_run_declared_them(monkeypatch):
    """``GRAPHSIEM_INTERNAL_NETWORKS`` is in force in every run: the same rules as declaring it for the run."""
    monkeypatch.delenv(INTERNAL_NETWORKS_ENV, raising=False)
    undeclared = candidate_rules(DetectionConfig())
    for_the_run = candidate_rules(DetectionConfig(internal_networks=(OWN, "10.20.0.0/16")))
    monkeypatch.setenv(INTERNAL_NETWORKS_ENV, f"10.20.0.0/16,{OWN}")

    assert candidate_rules(DetectionConfig()) != undeclared
    assert candidate_rules(DetectionConfig()) == for_the_run
    assert candidate_rules(DetectionConfig(internal_networks=(OWN,))) == for_the_run


def test_a_run_with_other_networks_reads_none_of_the_rows_kept_without_them(tmp_path, monkeypatch):
    monkeypatch.delenv(INTERNAL_NETWORKS_ENV, raising=False)
    store = EmbeddedStore(tmp_path / "graph")
    state = StateStore(tmp_path / "state.sqlite")
    try:
        populate(store)
        # a run without declared networks kept the window a day before this one
        state.replace_candidate_rows(candidate_rules(DetectionConfig()), (END - 2 * DAY, END - DAY), "earlier",
                                     [("a", dict.fromkeys(SCORED_FEATURES, 1.0))])
        plain = detect(store, config=DetectionConfig(evidence_top=0), history=state)
        declared = detect(store, config=DetectionConfig(evidence_top=0, internal_networks=(OWN,)), history=state)
    finally:
        state.close()
        store.close()

    assert plain.stats["history_rows"] == 1
    assert declared.stats["history_rows"] == 0
    # said, as after any change of rules: the earlier window and the plain run's own, kept under other rules
    assert declared.stats["history_rules_changed"] == 2
