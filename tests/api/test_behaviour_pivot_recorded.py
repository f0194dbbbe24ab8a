"""The behaviour pivot the API serves is the one the detection made (task G3c).

A behaviour pivot lives in one detection.  The API rebuilt it at read time over all of the
store's time and without the recurrence rule (a host that completed the pair before the
window is routine, left out), so on a fleet with a daily benign pair its entity page listed
the routine hosts too while the cluster the analyst clicked from had the campaign's only;
and telemetry ingested after the detection changed the page but not the cluster.  The
cluster now records its pivot's hosts, first sightings and processes, and the API serves
that record until a detection stores the cluster again.

The fleet is :func:`tests.analytics.behaviour_campaign.build_routine_fleet`: 12 hosts run a
per-host updater pair every day for three days, the campaign runs on 8 other hosts on day 3.
Each test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from graphsiem.model import epoch_to_iso
from tests.analytics.behaviour_campaign import (
    CAMPAIGN_HOSTS,
    CAMPAIGN_KEY,
    HOSTS,
    ROUTINE_HOSTS,
    add_campaign_host,
    build_routine_fleet,
    routine_campaign_time,
)
from tests.api.conftest import Api

KEY = CAMPAIGN_KEY  # the campaign's shape of the pair (task F4)
LATE_HOST = HOSTS[30]  # neither a campaign nor a routine host
PATH = f"/v1/entities/process/{quote(KEY[1], safe='')}"


@pytest.fixture
def routine_api(api: Api) -> Api:
    build_routine_fleet(api.ctx.store)
    run = api.detect()
    assert run["status"] == "done", run
    return api


def _behaviour_cluster(api: Api) -> dict[str, Any]:
    items = api.get("/v1/clusters", role="analyst").json()["items"]
    found = [c for c in items if c["pivot"] == {"type": KEY[0], "key": KEY[1]}]
    assert len(found) == 1, [c["pivot"] for c in items]
    return api.get(f"/v1/clusters/{found[0]['id']}", role="analyst").json()


def _entity(api: Api) -> dict[str, Any]:
    response = api.get(PATH, role="analyst")
    assert response.status_code == 200, response.text
    return response.json()


def test_the_pivot_entity_has_the_clusters_hosts_not_the_routines(routine_api: Api) -> None:
    cluster = _behaviour_cluster(routine_api)
    assert cluster["hosts"] == CAMPAIGN_HOSTS  # the detection left the daily updater's hosts out

    entity = _entity(routine_api)

    assert sorted(h["host"] for h in entity["hosts"]) == cluster["hosts"]
    assert not set(ROUTINE_HOSTS) & {h["host"] for h in entity["hosts"]}
    # per host, the detection's first sighting: when the pair completed there (the encoded command started)
    assert {h["host"]: h["first_seen"] for h in entity["hosts"]} == {
        host: epoch_to_iso(routine_campaign_time(i) + 120) for i, host in enumerate(CAMPAIGN_HOSTS)}
    assert entity["prevalence"]["hosts"] == len(CAMPAIGN_HOSTS)
    assert entity["props"]["cluster_id"] == cluster["id"]
    # its processes are the campaign's, not the updater's
    neighbours = routine_api.get(PATH + "/neighbors", role="analyst").json()["graph"]["nodes"]
    assert {n["id"] for n in neighbours} == {f"process:{KEY[1]}"} | {
        f"process:c-{kind}-{i}" for kind in ("drop", "enc") for i in range(len(CAMPAIGN_HOSTS))}


def test_telemetry_ingested_after_the_detection_changes_nothing_until_the_next(routine_api: Api) -> None:
    """A host showing the pair in the detection's window, ingested after it: the cluster does not have
    it, so neither has its pivot's page; the next detection adds it to both."""
    before = _behaviour_cluster(routine_api)

    add_campaign_host(routine_api.ctx.store, len(CAMPAIGN_HOSTS), LATE_HOST)
    entity = _entity(routine_api)

    assert sorted(h["host"] for h in entity["hosts"]) == before["hosts"] == CAMPAIGN_HOSTS
    assert entity["props"]["processes"] == 2 * len(CAMPAIGN_HOSTS)

    assert routine_api.detect()["status"] == "done"
    after = _behaviour_cluster(routine_api)
    entity = _entity(routine_api)

    assert after["hosts"] == sorted([*CAMPAIGN_HOSTS, LATE_HOST])
    assert sorted(h["host"] for h in entity["hosts"]) == after["hosts"]
    assert entity["props"]["processes"] == 2 * len(after["hosts"])
