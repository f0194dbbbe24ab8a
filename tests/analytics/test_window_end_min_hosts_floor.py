"""Tuning ``min_hosts`` down does not let two stray clocks end the window (review T11, F6).

The stray tail used to set aside at most ``min_hosts - 1`` hosts ahead of the
fleet, so with ``min_hosts=2`` (notebook 02's tuned value) two hosts dated
days after a replayed fleet ended the window past all of it: 0 clusters.  It
now sets aside up to :data:`analytics.window_end.STRAY_HOSTS_FLOOR` hosts
whatever ``min_hosts`` is, and names them.  Each test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.window_end import default_window_end
from graphsiem.model import Entity, Sighting
from tests.analytics.fleet import CAMPAIGN_HOSTS, DAY, END, populate

TUNED = DetectionConfig(evidence_top=0, min_hosts=2)


def _strays(store, hosts: list[str], ts: float) -> None:
    """Each of ``hosts`` reports one new domain at ``ts``, far after the rest of the fleet."""
    store.upsert_entities([Entity("domain", "late.example", "late.example")])
    store.upsert_sightings([s for h in hosts for s in (Sighting(h, ("domain", "late.example"), ts, ts, 1),
                                                       Sighting(h, ("process", "explorer"), ts, ts, 1))])
    store.flush()


def test_two_hosts_weeks_ahead_do_not_end_the_window_with_min_hosts_2(store):
    store.clear()
    populate(store)
    baseline = detect(store, config=TUNED)
    assert any(set(CAMPAIGN_HOSTS) <= set(c.hosts) for c in baseline.clusters)
    _strays(store, ["ws-030", "ws-031"], END + 27 * DAY)

    result = detect(store, config=TUNED)

    assert result.stats["window_end"] == END
    assert (result.stats["window_ends_at"], result.stats["hosts_ahead"]) == ("fleet's newest event", 2)
    assert result.stats["hosts_ahead_shown"] == ["ws-030", "ws-031"]
    assert [c.hosts for c in result.clusters] == [c.hosts for c in baseline.clusters]


def test_three_hosts_as_far_ahead_still_move_the_window_with_min_hosts_2(store):
    # three hosts as far ahead may be a campaign of their own (the rule kept for the default min_hosts)
    store.clear()
    populate(store)
    _strays(store, ["ws-030", "ws-031", "ws-032"], END + 5 * DAY)
    end = default_window_end(store, min_hosts=2, window_hours=24.0, wall_clock=END + 30 * DAY)
    assert end is not None and (end.end, end.hosts_ahead) == (END + 5 * DAY, 0)
