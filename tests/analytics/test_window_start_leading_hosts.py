"""Hosts whose clocks run hours ahead move the window's start back, not the fleet out of it (task F19).

Review S3: 30 campaign hosts' clocks skewed by -6..+6 h (NXLog local time read
as UTC) left three hosts 2.5 to 5.1 h ahead of the fleet's newest event.  They
are a cluster's worth (min_hosts), and none is a window ahead of the next, so
the default end followed them: the 24 h window ended 5.1 h past the fleet and
the beacon, on hosts with right clocks early in the fleet's day, fell out of it.
Those three hosts look exactly like the three servers still reporting at night
(tests/analytics/test_window_end_fresh_hosts.py), whose newest hours must stay
in, so the end stays; the window now starts a window's length before the
fleet's end (:mod:`analytics.window_end`, rule 3), in detection and in the
lab's feature frame.  The store tests run on [embedded] and [neo4j].
"""

from __future__ import annotations

from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.window_end import default_window_end
from graphsiem.lab.workspace import Workspace
from graphsiem.model import Entity, Relation, Sighting, epoch_to_iso

H = 3600.0
DAY = 24 * H
START = 1_780_000_000.0  # 2026-05-28: in the past, so the wall clock bounds nothing in the replays
CONFIG = DetectionConfig(evidence_top=0)
EARLY_CAMPAIGN = [("domain", "beacon.example"), ("process", "beacon")]
RELATION = {"domain": "RESOLVED", "process": "RAN"}
AHEAD_H = (5.1, 2.8, 2.5)  # the three skewed hosts of the review's replay


def _fleet_with_clocks_ahead(store, ahead_h: tuple[float, ...]) -> float:
    """40 hosts reporting for 3 days up to ``fleet_now``; 6 of them start a new beacon 22 h
    before it; the hosts ws-037.. have clocks ``ahead_h`` hours ahead.  Returns ``fleet_now``."""
    store.clear()
    hosts = [f"ws-{i:03d}" for i in range(40)]
    fleet_now = START + 3 * DAY
    skew = {hosts[-1 - i]: h * H for i, h in enumerate(ahead_h)}
    # a right clock's newest sighting is up to 6 min before fleet_now; a skewed one's, fleet_now + skew
    s = [Sighting(h, ("process", "explorer"), START + skew.get(h, 0.0),
                  fleet_now + skew[h] if h in skew else fleet_now - (i % 7) * 60, 50) for i, h in enumerate(hosts)]
    camp = fleet_now - 22 * H
    s += [Sighting(h, e, camp + 60 * i, camp + 60 * i + 20 * H, 200) for i, h in enumerate(hosts[:6])
          for e in EARLY_CAMPAIGN]
    entities = [Entity("host", h, h) for h in hosts]
    entities += [Entity("process", "explorer", "C:\\Windows\\explorer.exe"),
                 Entity("domain", "beacon.example", "beacon.example"),
                 Entity("process", "beacon", "powershell.exe -nop -w hidden -enc SQBFAFgA")]
    store.upsert_entities(entities)
    store.upsert_sightings(s)
    store.upsert_relations([Relation(("host", x.host), RELATION[x.entity[0]], x.entity, x.first_seen, x.last_seen,
                                     1, [f"ev-{x.host}-{x.entity[1]}"]) for x in s if x.entity[1] != "explorer"])
    store.flush()
    return fleet_now


def _beacon_found(result) -> bool:
    return any(("domain", "beacon.example") in [e.ref for e in c.entities] for c in result.clusters)


def test_three_clocks_hours_ahead_keep_the_fleets_last_window(store):
    fleet_now = _fleet_with_clocks_ahead(store, AHEAD_H)

    result = detect(store, config=CONFIG)

    # the end still follows the freshest hosts (they may be the only ones reporting) ...
    assert result.stats["window_end"] == fleet_now + 5.1 * H
    assert (result.stats["window_ends_at"], result.stats["hosts_ahead"]) == ("newest event", 0)
    # ... and the start is a window before the fleet's own newest event, so the beacon stays in
    assert result.stats["window_start"] == fleet_now - DAY
    assert _beacon_found(result)
    assert (result.stats["fleet_end"], result.stats["hosts_leading"]) == (fleet_now, 3)


def test_a_fleet_without_leading_hosts_keeps_a_window_of_its_length(store):
    fleet_now = _fleet_with_clocks_ahead(store, ())

    result = detect(store, config=CONFIG)

    assert (result.stats["window_start"], result.stats["window_end"]) == (fleet_now - DAY, fleet_now)
    assert (result.stats["fleet_end"], result.stats["hosts_leading"]) == (fleet_now, 0)
    assert _beacon_found(result)


def test_the_start_moves_back_one_window_at_most(store):
    # the weekend of test_window_end_fresh_hosts: a tenth of the fleet 60 h on
    fleet_now = _fleet_with_clocks_ahead(store, (60.0, 60.0, 60.0, 60.0))

    end = default_window_end(store, min_hosts=3, window_hours=24.0)

    assert end is not None
    assert (end.end, end.fleet_end, end.hosts_leading) == (fleet_now + 60 * H, fleet_now, 4)
    assert end.window_start(DAY) == end.end - 2 * DAY


def test_half_the_fleet_ahead_is_the_fleet_not_a_lead(store):
    fleet_now = _fleet_with_clocks_ahead(store, (3.0,) * 20)

    end = default_window_end(store, min_hosts=3, window_hours=24.0)

    assert end is not None
    assert (end.end, end.hosts_leading) == (fleet_now + 3 * H, 0)
    assert end.window_start(DAY) == end.end - DAY


def test_the_lab_frame_starts_where_detection_does(embedded_store, tmp_path):
    fleet_now = _fleet_with_clocks_ahead(embedded_store, AHEAD_H)
    result = detect(embedded_store, config=CONFIG)

    frame = Workspace(embedded_store, tmp_path).features(min_hosts=2)

    assert frame.attrs["window"] == (epoch_to_iso(result.stats["window_start"]), epoch_to_iso(fleet_now + 5.1 * H))
    assert frame.attrs["window"][0] == epoch_to_iso(fleet_now - DAY)
    assert bool(frame.loc[frame["key"] == "beacon.example", "is_new"].iloc[0])
