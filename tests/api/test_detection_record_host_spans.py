"""An empty run's record lists each host's data span, to pick a backtest's ``now`` (task K4, item 2).

Only ``graphsiem detect`` printed the hosts' first and newest sightings under an empty
run; the service's record (``GET /v1/detections/{id}``, the page's empty queue) said
why it found nothing but not where the data was.  Now the record holds them too, the
newest-ending first and at most ``RECORD_SPAN_HOSTS`` (the list of runs repeats every
record), with the total.  On the real service over the real store (embedded and Neo4j).
"""

from __future__ import annotations

from graphsiem.api.services.detections import RECORD_SPAN_HOSTS
from graphsiem.model import Sighting, epoch_to_iso
from tests.api.conftest import Api
from tests.graphsiem.cli.window_fleets import (
    CAPPED_LEAD_H,
    EARLY,
    START,
    H,
    build_fleet,
    newest_event,
)


def _span(host: str, first: float, last: float) -> dict[str, str]:
    return {"host": host, "first_seen": epoch_to_iso(first), "last_seen": epoch_to_iso(last)}


def test_an_empty_run_lists_every_host_data_span_newest_first(api: Api) -> None:
    build_fleet(api.ctx.store, CAPPED_LEAD_H)
    end = newest_event(CAPPED_LEAD_H)
    fleet_end = START + 48 * H

    run = api.detect()

    assert run["cluster_count"] == 0
    assert run["host_spans_total"] == 8
    assert run["host_spans"] == [
        _span("l1", START, end), _span("l2", START, end - 0.5 * H), _span("l3", START, end - H),
        _span("f0", EARLY, fleet_end), _span("f1", START, fleet_end - 60), _span("f2", START, fleet_end - 120),
        _span("f3", START, fleet_end - 180), _span("f4", START, fleet_end - 240)]
    listed = api.get("/v1/detections", role="analyst").json()
    assert [r for r in listed if r["id"] == run["id"]] == [run]


def test_a_large_fleet_lists_the_newest_ending_hosts_and_counts_them_all(api: Api) -> None:
    store = api.ctx.store
    store.clear()
    hosts = RECORD_SPAN_HOSTS + 12
    # one entity per host: nothing shared, so nothing to cluster
    store.upsert_sightings([Sighting(f"ws-{i:03d}", ("process", f"tool-{i}"), START, START + i * H, 1)
                            for i in range(hosts)])
    store.flush()

    run = api.detect()

    assert run["cluster_count"] == 0 and run["host_spans_total"] == hosts
    assert [span["host"] for span in run["host_spans"]] == [f"ws-{i:03d}" for i in range(hosts - 1, 11, -1)]


def test_a_run_that_finds_clusters_lists_no_spans(fleet_api: Api) -> None:
    run = fleet_api.get("/v1/detections", role="analyst").json()[0]

    assert run["cluster_count"] > 0
    assert (run["host_spans"], run["host_spans_total"]) == (None, None)
