"""The default window end keeps a fleet's freshest hosts and survives a wrong server clock (review RV2, items 1, 2).

The rule before set aside up to a tenth of the fleet more than 2 h past the
90th percentile of the hosts' newest sightings, and bounded every read by
this machine's clock + 1 h unless most hosts had nothing before it.  So a
campaign on the servers still reporting overnight (workstations off) was cut,
and a server clock 3 h behind a live fleet cut its newest 2 h.  Now only
fewer hosts than a cluster needs may be set aside, and only when more than a
window ahead of the next host; and when most hosts are past the clock bound
it is this machine's clock that is wrong (:mod:`analytics.window_end`).
Each test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

import pytest

from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.window_end import default_window_end
from graphsiem.model import Entity, Relation, Sighting

H = 3600.0
DAY = 24 * H
START = 1_780_000_000.0  # 2026-05-28: in the past, so the wall clock bounds nothing in the replays
CONFIG = DetectionConfig(evidence_top=0)
CAMPAIGN = [("domain", "bad.example"), ("file", "f" * 64), ("process", "cradle")]
RELATION = {"domain": "RESOLVED", "file": "DOWNLOADED", "process": "RAN"}


def _write(store, sightings: list[Sighting], hosts: list[str]) -> None:
    entities = [Entity("host", h, h) for h in hosts]
    entities += [Entity("process", "explorer", "C:\\Windows\\explorer.exe"),
                 Entity("domain", "bad.example", "bad.example"), Entity("file", "f" * 64, "f" * 64),
                 Entity("process", "cradle", "powershell.exe -nop -w hidden -enc SQBFAFgA")]
    entities += [Entity("domain", f"site{t}.example", f"site{t}.example") for t in range(6)]
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations([Relation(("host", s.host), RELATION[s.entity[0]], s.entity, s.first_seen, s.last_seen,
                                     1, [f"ev-{s.host}-{s.entity[1][:6]}"]) for s in sightings])
    store.flush()


def _servers_reporting_on(store, workstations: int, servers: int, hours_on: float) -> float:
    """The review's replay: workstations stop reporting at ``ws_stop``; servers go on ``hours_on`` h
    and a campaign (new domain, file, encoded PowerShell) hits every server ``hours_on - 0.5`` h
    after ``ws_stop``.  Returns the servers' newest sighting."""
    store.clear()
    ws = [f"ws-{i:03d}" for i in range(workstations)]
    srv = [f"srv-{i:02d}" for i in range(servers)]
    ws_stop = START + 1.75 * DAY
    srv_end = ws_stop + hours_on * H
    s = [Sighting(h, ("process", "explorer"), START, ws_stop, 50) for h in ws]
    s += [Sighting(h, ("process", "explorer"), START, srv_end, 50) for h in srv]
    for t in range(6):  # background browsing, old
        s += [Sighting(h, ("domain", f"site{t}.example"), START + t * 3 * H, ws_stop, 5) for h in ws[t * 5:t * 5 + 6]]
    camp = srv_end - 0.5 * H
    for i, h in enumerate(srv):
        s += [Sighting(h, e, camp + 60 * i, camp + 60 * i + 600, 3) for e in CAMPAIGN]
    _write(store, s, ws + srv)
    return srv_end


def _campaign_found(result) -> bool:
    return any(("domain", "bad.example") in [e.ref for e in c.entities] for c in result.clusters)


@pytest.mark.parametrize(("workstations", "servers", "hours_on"), [
    (91, 9, 8.5),  # the night: 9 servers of 100 report overnight
    (91, 9, 3.0),  # an evening: 2.5 h after the workstations stopped
    (91, 10, 60.5),  # a weekend: a tenth of the fleet (10 of 101) reports 60 h on
    (37, 3, 8.5),  # a small fleet: the campaign's 3 hosts are the only ones still reporting
])
def test_a_campaign_on_the_freshest_hosts_is_not_cut(store, workstations, servers, hours_on):
    srv_end = _servers_reporting_on(store, workstations, servers, hours_on)

    result = detect(store, config=CONFIG)

    assert result.stats["window_end"] == srv_end
    assert (result.stats["window_ends_at"], result.stats["hosts_ahead"]) == ("newest event", 0)
    assert _campaign_found(result)


def test_fewer_hosts_than_a_cluster_are_set_aside_a_cluster_is_not(store):
    # two hosts 5 days ahead of a replayed fleet: stray clocks (min_hosts 3), ignored
    _servers_reporting_on(store, 38, 2, 5 * DAY / H)
    stray = detect(store, config=CONFIG).stats
    assert stray["window_end"] == START + 1.75 * DAY
    assert (stray["hosts_ahead"], stray["hosts_ahead_shown"]) == (2, ["srv-00", "srv-01"])
    # three hosts as far ahead are a cluster's worth: the window follows them
    srv_end = _servers_reporting_on(store, 37, 3, 5 * DAY / H)
    assert detect(store, config=CONFIG).stats["window_end"] == srv_end
    # and with clusters of 4 hosts, three may be set aside
    assert detect(store, config=DetectionConfig(evidence_top=0, min_hosts=4)).stats["hosts_ahead"] == 3


def _live_fleet(store) -> float:
    """60 hosts reporting up to their newest sighting ``fleet_now`` (the fleet's true time)."""
    store.clear()
    hosts = [f"ws-{i:03d}" for i in range(60)]
    fleet_now = START + 2 * DAY
    s = [Sighting(h, ("process", "explorer"), START, fleet_now - (i % 7) * 60, 50) for i, h in enumerate(hosts)]
    camp = fleet_now - H
    for i, h in enumerate(hosts[:8]):
        s += [Sighting(h, e, camp + 60 * i, camp + 60 * i + 600, 3) for e in CAMPAIGN]
    _write(store, s, hosts)
    return fleet_now


@pytest.mark.parametrize("behind_h", [3.0, 30.0])
def test_a_server_clock_behind_the_fleet_cuts_nothing(store, behind_h):
    fleet_now = _live_fleet(store)

    end = default_window_end(store, min_hosts=3, window_hours=24.0, wall_clock=fleet_now - behind_h * H)

    assert end is not None
    assert end.end == fleet_now  # the campaign, 1 h before, is in the window
    assert (end.hosts_ahead, end.clock_limit, end.clock_behind) == (0, None, True)
    assert end.stats()["clock_behind"] is True


def test_a_right_server_clock_still_bounds_a_minority_in_the_future(store):
    fleet_now = _live_fleet(store)
    store.upsert_sightings([Sighting(f"ws-{i:03d}", ("domain", "bad.example"), fleet_now + DAY, fleet_now + DAY, 1)
                            for i in range(50, 60)])  # 10 of 60 hosts stamp tomorrow: more than a cluster
    store.flush()

    end = default_window_end(store, min_hosts=3, window_hours=24.0, wall_clock=fleet_now)

    assert end is not None
    assert end.end == fleet_now  # their sightings up to the bound still count, tomorrow's does not
    assert (end.hosts_ahead, end.clock_behind) == (10, False)
    assert end.clock_limit == fleet_now + H


def test_with_the_clock_bound_dropped_a_2099_event_is_still_a_stray(store):
    fleet_now = _live_fleet(store)
    store.upsert_sightings([Sighting("ws-042", ("domain", "bad.example"), 4_070_908_800.0, 4_070_908_800.0, 1)])
    store.flush()

    end = default_window_end(store, min_hosts=3, window_hours=24.0, wall_clock=fleet_now - 30 * H)

    assert end is not None
    assert (end.end, end.clock_behind) == (fleet_now, True)
    assert (end.hosts_ahead, end.hosts_ahead_shown) == (1, ("ws-042",))
