"""``GET /v1/entities`` lists an exact match first (review R4, item 10) and
``GET /v1/store`` names the service's store without credentials (item 12), on
both stores."""

from __future__ import annotations

from graphsiem.model import Entity


def test_the_exact_match_comes_first_and_a_cut_list_says_so(api):
    store = api.ctx.store
    store.upsert_entities([Entity("ip", f"10.32.0.{i}", f"10.32.0.{i}") for i in range(100, 131)])
    store.flush()
    store.upsert_entities([Entity("ip", "10.32.0.1", "10.32.0.1")])
    store.flush()
    answer = api.get("/v1/entities", role="analyst", params={"q": "10.32.0.1", "limit": 5}).json()
    assert [hit["value"] for hit in answer["items"]][0] == "10.32.0.1"
    assert len(answer["items"]) == 5 and answer["truncated"] is True
    whole = api.get("/v1/entities", role="analyst", params={"q": "10.32.0.1", "limit": 100}).json()
    assert whole["items"][0]["value"] == "10.32.0.1" and whole["truncated"] is False
    assert len(whole["items"]) == 32


def test_the_store_route_names_the_store_without_credentials(api, request):
    response = api.get("/v1/store", role="analyst")
    assert response.status_code == 200, response.text
    store = response.json()
    assert "data_dir" not in store and str(api.ctx.settings.data_dir) not in response.text  # no server path
    if api.ctx.store.name == "neo4j":
        assert store["kind"] == "neo4j" and store["database"] == api.ctx.store.database
        assert store["spec"].split("://")[0] in ("bolt", "neo4j") and "@" not in store["spec"]
        server = request.getfixturevalue("neo4j_server")
        assert server.password not in response.text
    else:
        assert store == {"kind": "embedded", "spec": "embedded", "database": None}
    assert api.get("/v1/store", role="ingest").status_code == 403
