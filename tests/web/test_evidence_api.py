"""``GET /v1/evidence``: journaled events by id, analyst role, bounded."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from graphsiem.api import create_app
from graphsiem.settings import Settings
from graphsiem.store.embedded import EmbeddedStore
from tests.web.support import analyst_key, process_creation

EVENT = process_creation("ws-0001", 1, "2026-11-20T09:00:00.000Z", "whoami.exe /all")


@pytest.fixture
def client(tmp_path):
    store = EmbeddedStore(tmp_path / "graph")
    keys = {role: analyst_key(tmp_path, role=role) for role in ("analyst", "ingest")}
    with TestClient(create_app(Settings(data_dir=tmp_path), store)) as test_client:
        test_client.keys = keys
        yield test_client
    store.close()


def auth(client, role="analyst"):
    return {"Authorization": f"Bearer {client.keys[role]}"}


def test_events_come_back_by_id_and_unknown_ids_are_named(client):
    report = client.post("/v1/events", json=[EVENT], headers=auth(client, "ingest")).json()
    assert report["accepted"] == 1
    # Projection into the graph runs behind the journal: wait for it (bounded).
    deadline = time.monotonic() + 120  # the projector waits up to project_max_lag_s; a loaded CI machine, longer
    while not (items := client.get("/v1/entities", params={"q": "whoami.exe /all"},
                                   headers=auth(client)).json()["items"]):
        assert time.monotonic() < deadline, "the process creation was not projected in 120 s"
        time.sleep(0.1)
    hit = items[0]
    graph = client.get(f"/v1/entities/{hit['type']}/{hit['key']}/neighbors", headers=auth(client)).json()["graph"]
    assert graph["edges"], (items, graph)
    event_id = graph["edges"][0]["evidence"][0]

    answer = client.get("/v1/evidence", params={"ids": [event_id, "nope"]}, headers=auth(client))
    assert answer.status_code == 200
    body = answer.json()
    assert [e["id"] for e in body["items"]] == [event_id]
    assert body["items"][0]["fields"]["process.command_line"] == "whoami.exe /all"
    assert body["items"][0]["raw"]["winlog"]["event_data"]["CommandLine"] == "whoami.exe /all"
    assert body["missing"] == ["nope"]


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("ingest", 403), ("analyst", 200)])
def test_only_analysts_read_evidence(client, role, status):
    headers = auth(client, role) if role else {}
    assert client.get("/v1/evidence", params={"ids": ["x"]}, headers=headers).status_code == status


@pytest.mark.parametrize("ids", [[], [f"e{i}" for i in range(201)]])
def test_the_number_of_ids_is_bounded(client, ids):
    assert client.get("/v1/evidence", params={"ids": ids}, headers=auth(client)).status_code == 422
