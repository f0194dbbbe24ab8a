"""One stray clock cannot blind the detector (task I9; review R1, items 1 and 6).

Without ``now`` the window used to end at the store's newest sighting: one
event a host dated 5 days ahead, or in 2099, moved the 24 h window past the
whole fleet and the detection found nothing.  The default end is now the
fleet's newest event (:mod:`analytics.window_end`): hosts ahead of the fleet
are ignored (and named in the stats), while a fleet that moved on moves the
window.  Each test runs on [embedded] and [neo4j] (the new store read).
"""

from __future__ import annotations

import pytest

from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.model import Entity, Sighting
from tests.analytics.fleet import CAMPAIGN_HOSTS, DAY, END, populate

CONFIG = DetectionConfig(evidence_top=0)
YEAR_2099 = 4_070_908_800.0  # 2099-01-01T00:00:00Z


def _shape(result):
    return [(c.id, c.hosts, [e.ref for e in c.entities]) for c in result.clusters]


def _stray(store, host: str, ts: float) -> None:
    """What one event stamped ``ts`` on ``host`` leaves in the graph: a new entity sighted then,
    and an old sighting (the host's ubiquitous process) stretched to then."""
    store.upsert_entities([Entity("domain", "late.example", "late.example")])
    store.upsert_sightings([Sighting(host, ("domain", "late.example"), ts, ts, 1),
                            Sighting(host, ("process", "explorer"), ts, ts, 1)])
    store.flush()


@pytest.fixture
def fleet(store):
    store.clear()
    populate(store)
    baseline = detect(store, config=CONFIG)
    assert any(c.hosts == sorted(CAMPAIGN_HOSTS) for c in baseline.clusters)
    assert baseline.stats["window_end"] == END
    return store, baseline


def test_a_healthy_fleet_ends_at_its_newest_event_and_says_so(fleet):
    _, baseline = fleet
    assert (baseline.stats["window_ends_at"], baseline.stats["hosts_ahead"]) == ("newest event", 0)
    assert baseline.stats["newest_sighting"] == END


def test_one_host_five_days_ahead_does_not_move_the_window(fleet):
    store, baseline = fleet
    _stray(store, "ws-020", END + 5 * DAY)

    result = detect(store, config=CONFIG)

    assert _shape(result) == _shape(baseline)
    assert [c.score for c in result.clusters] == pytest.approx([c.score for c in baseline.clusters], abs=1.0)
    assert result.stats["window_end"] == END
    # the analyst sees that a stray clock was ignored, and whose
    assert result.stats["window_ends_at"] == "fleet's newest event"
    assert result.stats["newest_sighting"] == END + 5 * DAY
    assert (result.stats["hosts_ahead"], result.stats["hosts_ahead_shown"]) == (1, ["ws-020"])
    # nothing of the stray event is read: the late entity is not in the window
    assert all(("domain", "late.example") not in [e.ref for e in c.entities] for c in result.clusters)


def test_events_stamped_2099_do_not_move_the_window(fleet):
    store, baseline = fleet
    # a fifth of the fleet: more hosts than the stray tail may set aside (min_hosts - 1); the wall clock bounds them
    for i in range(32, 40):
        _stray(store, f"ws-{i:03d}", YEAR_2099)

    result = detect(store, config=CONFIG)

    assert _shape(result) == _shape(baseline)
    assert result.stats["window_end"] == END
    assert result.stats["newest_sighting"] == YEAR_2099
    assert result.stats["hosts_ahead"] == 8
    assert result.stats["clock_limit"] is not None and END < result.stats["clock_limit"] < YEAR_2099


def test_a_fleet_that_moved_on_moves_the_window(fleet):
    store, _ = fleet
    later = END + 3 * DAY
    hosts = [f"ws-{i:03d}" for i in range(40)]
    store.upsert_sightings([Sighting(h, ("process", "explorer"), later, later, 1) for h in hosts])
    store.flush()

    result = detect(store, config=CONFIG)

    assert result.stats["window_end"] == later
    assert (result.stats["window_ends_at"], result.stats["hosts_ahead"]) == ("newest event", 0)
    # the campaign is three days old now: out of the window
    assert not any(c.hosts == sorted(CAMPAIGN_HOSTS) for c in result.clusters)


def test_most_hosts_moving_on_moves_the_window_even_if_some_lag(fleet):
    store, _ = fleet
    later = END + 3 * DAY
    hosts = [f"ws-{i:03d}" for i in range(36)]  # 4 of 40 hosts stay silent
    store.upsert_sightings([Sighting(h, ("process", "explorer"), later, later, 1) for h in hosts])
    store.flush()

    assert detect(store, config=CONFIG).stats["window_end"] == later
