"""A backtest at ``now`` sees only what was known at ``now`` (review R3, item 1).

One simulated fleet (100 hosts x 3 days; the attacks fall on the last day) is
ingested twice: whole into one store, and only its events up to ``now`` into
another (a second journal replayed).  Detecting on both at the same ``now`` must
give the same clusters, hosts, members and features: nothing first seen after
``now`` may enter the window, the fleet's first sightings or its size.

What cannot be exact: a store keeps one aggregate (first, last, count) per host
and entity, so a contact that went on past ``now`` is cut at it with a count
estimated from a steady rate (:func:`graphsiem.store.base.sighting_as_of`).
Only ``repeat_contacts`` (contacts per host-day) reads counts; it is compared
within 2 %.  Nor can contact regularity (context, not scored): a destination's
sighting keeps its 16 earliest and 16 latest contact times
(:mod:`graphsiem.contact_times`), so on the whole store the contacts just before
``now`` were dropped for later ones and only the earliest are known at ``now``;
the backtest measures regularity on no more hosts than the cut store does.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.simulator.engine import simulate
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.replay import replay
from tests.analytics.test_fleet_detection import _copy

HOUR = 3600.0
COUNTED = ("repeat_contacts", "repeat_contacts_raw")
"""The features read from sighting counts, estimated past ``now``."""
REGULARITY = ("contact_measured_hosts", "contact_regular_hosts", "contact_gap_s", "contact_gap_cv")
"""The context features read from kept contact times: the whole store kept fewer of those before ``now``."""


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("as_of")
    telemetry = root / "telemetry"
    simulate(telemetry, hosts=100, days=3, seed=7, density=0.2)
    window = json.loads((telemetry / "ground_truth.json").read_text())["detection_window"]
    last_day = datetime.fromisoformat(window[0]).timestamp()
    whole = EmbeddedStore(root / "whole")
    with Journal(root / "whole.sqlite") as journal:
        ingest_paths([telemetry / "endpoint", telemetry / "network"], store=whole, journal=journal, progress=False)
        events = [item.event for item in journal.iter_events(with_raw=True)]
    cuts = {}
    for name, now in (("end_of_day_2", last_day), ("mid_day_3", last_day + 16 * HOUR)):
        known = EmbeddedStore(root / name)
        with Journal(root / f"{name}.sqlite") as journal:
            journal.append([e for e in events if e.ts <= now])
            replay(journal, known)
        known.flush()
        cuts[name] = (now, known)
    yield whole, cuts
    whole.close()
    for _, store in cuts.values():
        store.close()


def _same_detection(full, known, now: float) -> None:
    """Detection on ``full`` at ``now`` equals detection on ``known`` (the data up to ``now``) at ``now``."""
    config = DetectionConfig(evidence_top=0)
    got, want = detect(full, now=now, config=config), detect(known, now=now, config=config)
    assert got.stats["hosts"] == want.stats["hosts"]
    assert [c.id for c in got.clusters] == [c.id for c in want.clusters]
    for g, w in zip(got.clusters, want.clusters, strict=True):
        assert g.hosts == w.hosts, g.id
        assert [e.ref for e in g.entities] == [e.ref for e in w.entities], g.id
        assert g.first_seen == w.first_seen <= now
        assert g.last_seen <= now
        exact = {k: v for k, v in g.features.items() if k not in COUNTED + REGULARITY}
        assert exact == {k: v for k, v in w.features.items() if k not in COUNTED + REGULARITY}, g.id
        assert g.features["contact_measured_hosts"] <= w.features["contact_measured_hosts"], g.id
        for name in COUNTED:
            assert g.features[name] == pytest.approx(w.features[name], rel=0.02), (g.id, name)
        assert g.score == pytest.approx(w.score, abs=1.0), g.id


def test_end_of_day_two_sees_nothing_of_day_three(fleet):
    whole, cuts = fleet
    now, known = cuts["end_of_day_2"]
    _same_detection(whole, known, now)


def test_mid_campaign_backtest_matches_the_store_cut_there(fleet):
    whole, cuts = fleet
    now, known = cuts["mid_day_3"]
    _same_detection(whole, known, now)
    # the campaigns of day 3 are found, as they were known at 16:00
    assert detect(known, now=now).clusters


def test_a_window_before_all_data_finds_nothing(fleet):
    whole, _ = fleet
    first = min(s.first_seen for s in whole.iter_sightings())
    result = detect(whole, now=first - 365 * 86400.0)
    assert result.clusters == []


@pytest.mark.neo4j
def test_neo4j_backtest_matches_the_store_cut_there(fleet, neo4j_store):
    whole, cuts = fleet
    now, known = cuts["mid_day_3"]
    _copy(whole, neo4j_store)
    _same_detection(neo4j_store, known, now)
    # the same arithmetic as the embedded store: identical, counts included
    config = DetectionConfig(evidence_top=0)
    on_neo4j, embedded = detect(neo4j_store, now=now, config=config), detect(whole, now=now, config=config)
    assert [(c.id, c.hosts, c.features, c.score) for c in on_neo4j.clusters] == [
        (c.id, c.hosts, c.features, c.score) for c in embedded.clusters]
