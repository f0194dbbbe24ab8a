"""A behaviour pivot can be explored (task G3): its entity answers, its processes are its neighbours,
the cluster's graph draws them.

The pivot ``('process', 'behaviour (encoded powershell + lsass access by new per-host processes)')``
lives in the detection only; without this, ``GET /v1/entities/process/<its key>`` answered 404 and
the cluster's graph had no node for it.  The campaign is
:mod:`tests.analytics.behaviour_campaign`'s, written to the store, detected through the API.
Each test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from analytics.behaviour_pivots import behaviour_key
from graphsiem.model import epoch_to_iso
from tests.analytics.behaviour_campaign import (
    CAMPAIGN_HOSTS,
    CAMPAIGN_KEY,
    build_fleet,
    campaign_time,
)
from tests.api.conftest import Api

KEY = CAMPAIGN_KEY  # the campaign's shape of the pair (task F4)
UID = f"process:{KEY[1]}"
PROCESS_UIDS = {f"process:c-{kind}-{i}" for kind in ("drop", "enc") for i in range(len(CAMPAIGN_HOSTS))}


def _path(value: str) -> str:
    return f"/v1/entities/process/{quote(value, safe='')}"


@pytest.fixture
def campaign_api(api: Api) -> Api:
    build_fleet(api.ctx.store)
    run = api.detect()
    assert run["status"] == "done", run
    return api


def test_the_behaviour_pivot_answers_with_its_processes_hosts(campaign_api: Api) -> None:
    response = campaign_api.get(_path(KEY[1]), role="analyst")

    assert response.status_code == 200, response.text
    entity = response.json()
    assert (entity["type"], entity["key"]) == KEY
    assert entity["value"].startswith("encoded powershell + lsass access by new per-host processes on each host "
                                      f"within 30 min, shape {KEY[1][-13:-1]} (e.g. on ws-000: C:\\Users\\Public\\upd0000.exe opened lsass.exe")
    cluster = next(c for c in campaign_api.get("/v1/clusters", role="analyst").json()["items"]
                   if c["pivot"] == {"type": KEY[0], "key": KEY[1]})
    assert entity["props"] == {"behaviour": ["encoded_powershell", "lsass_access"], "processes": 16,
                               "processes_truncated": False, "cluster_id": cluster["id"],
                               "detection_id": cluster["detection_id"], "hosts_total": 8, "hosts_not_recorded": 0}
    assert [h["host"] for h in entity["hosts"]] == CAMPAIGN_HOSTS
    assert entity["prevalence"]["hosts"] == 8
    # the detection's first sighting on a host: when the pair completed there (its encoded command started)
    assert entity["prevalence"]["first_seen"] == epoch_to_iso(campaign_time(0) + 120)
    # its shown value names it too
    by_value = campaign_api.get(_path(entity["value"]), role="analyst")
    assert by_value.status_code == 200 and by_value.json()["key"] == KEY[1]
    assert campaign_api.ctx.store.get_entity(*KEY) is None


def test_the_behaviour_pivot_neighbours_are_its_processes(campaign_api: Api) -> None:
    response = campaign_api.get(_path(KEY[1]) + "/neighbors", role="analyst")

    assert response.status_code == 200, response.text
    graph = response.json()["graph"]
    assert {n["id"] for n in graph["nodes"]} == PROCESS_UIDS | {UID}
    assert {(e["source"], e["type"], e["target"]) for e in graph["edges"]} == {
        (uid, "SHOWED", UID) for uid in PROCESS_UIDS}


def test_a_behaviour_no_hosts_show_is_404_saying_so(campaign_api: Api) -> None:
    response = campaign_api.get(_path(behaviour_key(("lsass_access", "remote_thread"))[1]), role="analyst")

    assert response.status_code == 404
    assert "show the behaviour" in response.json()["error"]["message"]


def test_the_cluster_graph_draws_the_behaviour_pivot_and_its_processes(campaign_api: Api) -> None:
    items = campaign_api.get("/v1/clusters", role="analyst").json()["items"]
    cluster = next(c for c in items if c["pivot"] == {"type": KEY[0], "key": KEY[1]})

    graph = campaign_api.get(f"/v1/clusters/{cluster['id']}", role="analyst").json()["subgraph"]

    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes[UID]["value"].startswith("encoded powershell + lsass access by new per-host processes")
    assert PROCESS_UIDS <= nodes.keys()
    edges = {(e["source"], e["type"], e["target"]) for e in graph["edges"]}
    for i in range(len(CAMPAIGN_HOSTS)):
        assert (f"process:c-drop-{i}", "SHOWED", UID) in edges
        assert (f"process:c-drop-{i}", "ACCESSED", "process:lsass") in edges
        assert (f"process:c-drop-{i}", "SPAWNED", f"process:c-enc-{i}") in edges


def test_the_pivot_is_rebuilt_once_per_detection_not_per_request(campaign_api: Api) -> None:
    """Task G3b: the rebuild reads every process, the relations and thousands of sightings, so the
    API keeps it until the state next changes (a detection).  Seen from outside: once read, the
    pivot answers from what was rebuilt even after the store is emptied, until a detection runs."""
    first = campaign_api.get(_path(KEY[1]), role="analyst")
    assert first.status_code == 200, first.text

    campaign_api.ctx.store.clear()  # every process, relation and sighting gone from the store
    again = campaign_api.get(_path(KEY[1]), role="analyst")
    neighbours = campaign_api.get(_path(KEY[1]) + "/neighbors", role="analyst")

    assert again.status_code == 200, again.text
    assert again.json()["props"] == first.json()["props"] and again.json()["value"] == first.json()["value"]
    assert neighbours.status_code == 200
    assert UID in {n["id"] for n in neighbours.json()["graph"]["nodes"]}
    # a new detection changes the state: the pivot is read again.  The cluster grown from it is still
    # stored (no longer active) and its record answers (task G3c), its processes gone with the store
    assert campaign_api.detect()["status"] == "done"
    after = campaign_api.get(_path(KEY[1]), role="analyst")
    assert after.status_code == 200, after.text
    assert [h["host"] for h in after.json()["hosts"]] == CAMPAIGN_HOSTS
    neighbours = campaign_api.get(_path(KEY[1]) + "/neighbors", role="analyst").json()["graph"]
    assert {n["id"] for n in neighbours["nodes"]} == {UID}
