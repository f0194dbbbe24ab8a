"""``GET /v1/detections/{id}`` gives the window a run read, what it held and why it found
nothing (review T9, finding F8; task G5).

The record said when a run finished and how many clusters it found, never the
time range it looked at: on a fleet whose clocks span years "0 clusters" read as
all clear while the run had read two sightings of one host.  On the small fleets
of ``tests.graphsiem.cli.window_fleets`` written into the real store (embedded
and Neo4j), through the real service.
"""

from __future__ import annotations

from datetime import datetime

from graphsiem.model import epoch_to_iso
from tests.api.conftest import Api
from tests.graphsiem.cli.window_fleets import (
    CAPPED_LEAD_H,
    DAY,
    EARLY,
    build_fleet,
    newest_event,
)


def test_an_empty_run_keeps_its_capped_window_its_contents_and_why(api: Api) -> None:
    build_fleet(api.ctx.store, CAPPED_LEAD_H)
    end = newest_event(CAPPED_LEAD_H)

    run = api.detect()

    assert (run["status"], run["cluster_count"]) == ("done", 0)
    assert (run["window_start"], run["window_end"]) == (epoch_to_iso(end - 2 * DAY), epoch_to_iso(end))
    assert run["window_hours"] == 48.0
    assert (run["window_hosts"], run["window_sightings"], run["fleet_hosts"]) == (3, 3, 8)
    assert "capped at one extra window (24 h)" in run["window_note"]
    assert "3 hosts lead the fleet by 10 days (l1 by 10 days, l2 by 10 days, l3 by 10 days)" in run["window_note"]
    assert run["no_cluster_reason"].startswith(
        f"window {epoch_to_iso(end - 2 * DAY)} .. {epoch_to_iso(end)} (48 h ending at l1's newest event")
    assert "0 of them first seen in it" in run["no_cluster_reason"]
    # the list of runs says the same
    listed = api.get("/v1/detections", role="analyst").json()
    assert [r for r in listed if r["id"] == run["id"]] == [run]


def test_a_backtest_before_any_shared_entity_says_as_of_now(api: Api) -> None:
    build_fleet(api.ctx.store, CAPPED_LEAD_H)
    now = EARLY + DAY

    run = api.detect(now=epoch_to_iso(now))

    assert (run["status"], run["cluster_count"]) == ("done", 0)
    assert (run["window_start"], run["window_end"]) == (epoch_to_iso(now - DAY), epoch_to_iso(now))
    assert (run["window_hosts"], run["fleet_hosts"]) == (1, 1)
    assert run["window_note"] is None
    assert run["no_cluster_reason"].startswith(f"as of --now ({epoch_to_iso(now)}), no entity is shared by 2 or "
                                               "more hosts in the store")


def test_a_run_that_finds_clusters_gives_its_window_and_no_reason(fleet_api: Api) -> None:
    run = fleet_api.get("/v1/detections", role="analyst").json()[0]
    assert run["cluster_count"] > 0
    start, end = (datetime.fromisoformat(run[f].replace("Z", "+00:00")) for f in ("window_start", "window_end"))
    assert run["window_hours"] == round((end - start).total_seconds() / 3600.0, 3) >= 24.0
    # counting the window re-reads its sightings (Neo4j: most of a detection's time), so only
    # an empty run, which must say why, pays it (review R18)
    assert (run["window_hosts"], run["window_sightings"], run["fleet_hosts"]) == (None, None, None)
    assert run["no_cluster_reason"] is None
