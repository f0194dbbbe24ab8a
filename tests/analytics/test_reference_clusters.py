"""The window's new clusters too small to be candidates (analytics.reference_clusters)."""

from __future__ import annotations

from analytics.clusters import fan_out_clusters
from analytics.config import DetectionConfig
from analytics.entity_stats import Window, entity_stats
from analytics.incidence import build_incidence
from analytics.reference_clusters import small_new_clusters
from graphsiem.store.base import HostSighting
from tests.analytics.fleet import DAY, END, START

WINDOW = Window(END - DAY, END)


def _window():
    new = END - 0.5 * DAY
    sightings = [HostSighting(h, ("domain", "trio.example"), new, END, 1) for h in ("a", "b", "c")]
    sightings += [HostSighting(h, ("domain", f"pair{k}.example"), new + 3600 * k, END, 1)
                  for k, pair in enumerate([("d", "e"), ("f", "g"), ("h", "i")]) for h in pair]
    sightings += [HostSighting(h, ("domain", "old-pair.example"), START, END, 5) for h in ("j", "k")]
    sightings += [HostSighting(f"ws-{i}", ("process", "explorer"), START, END, 9) for i in range(30)]
    inc = build_incidence(sightings)
    return inc, entity_stats(inc, [], window=WINDOW)


def _pivots(inc, clusters):
    return sorted(inc.entities[c.pivot][1] for c in clusters)


def test_new_pivots_on_fewer_hosts_than_a_candidate_needs():
    inc, stats = _window()
    config = DetectionConfig()
    candidates = fan_out_clusters(inc, stats, min_hosts=config.min_hosts)
    assert _pivots(inc, candidates) == ["trio.example"]
    # not the candidate, not a pair the fleet knew before the window
    assert _pivots(inc, small_new_clusters(inc, stats, config, candidates)) == [
        "pair0.example", "pair1.example", "pair2.example"]


def test_none_when_every_new_pair_is_a_candidate_already():
    inc, stats = _window()
    config = DetectionConfig(min_hosts=2)
    assert small_new_clusters(inc, stats, config, fan_out_clusters(inc, stats, min_hosts=2)) == []


def test_at_most_history_max_rows():
    inc, stats = _window()
    config = DetectionConfig(history_max_rows=2)
    assert len(small_new_clusters(inc, stats, config, [])) == 2
