"""``/v1/entities``: prevalence and hosts, neighbours (depth, limit, types), search."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.fleet import CAMPAIGN_DOMAIN, CAMPAIGN_HOSTS, HOSTS


def test_entity_prevalence_first_last_seen_and_hosts(api: Api) -> None:
    api.ingest_fleet()
    entity = api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN}", role="analyst").json()
    assert (entity["type"], entity["key"], entity["value"]) == ("domain", CAMPAIGN_DOMAIN,
                                                                CAMPAIGN_DOMAIN)
    assert entity["prevalence"]["hosts"] == len(CAMPAIGN_HOSTS)
    assert entity["prevalence"]["first_seen"] <= entity["prevalence"]["last_seen"]
    assert sorted(h["host"] for h in entity["hosts"]) == sorted(CAMPAIGN_HOSTS)


def test_entity_lookup_normalises_what_a_person_types(api: Api) -> None:
    api.ingest_fleet()
    assert api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN.upper()}.").status_code == 200
    assert api.get(f"/v1/entities/host/{HOSTS[0].upper()}").status_code == 200


def test_unknown_entity_is_404_and_unknown_type_is_422(api: Api) -> None:
    missing = api.get("/v1/entities/domain/nowhere.example")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "value"
    bad_type = api.get("/v1/entities/planet/mars")
    assert bad_type.status_code == 422
    assert bad_type.json()["error"]["field"] == "path.entity_type"


def test_neighbors_depth_limit_and_types(api: Api) -> None:
    api.ingest_fleet()
    one = api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN}/neighbors", role="analyst").json()
    assert one["center"] == f"domain:{CAMPAIGN_DOMAIN}" and one["depth"] == 1
    ids = {n["id"] for n in one["graph"]["nodes"]}
    assert one["center"] in ids and len(ids) > 1
    assert all(one["center"] in (e["source"], e["target"]) for e in one["graph"]["edges"])
    two = api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN}/neighbors",
                  params={"depth": 2}).json()
    assert {n["id"] for n in two["graph"]["nodes"]} > ids
    limited = api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN}/neighbors",
                      params={"depth": 2, "limit": 2}).json()
    assert len(limited["graph"]["nodes"]) == 3  # the centre and two neighbours
    processes = api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN}/neighbors",
                         params={"types": "process"}).json()
    others = [n for n in processes["graph"]["nodes"] if n["id"] != processes["center"]]
    assert others and all(n["type"] == "process" for n in others)
    too_deep = api.get(f"/v1/entities/domain/{CAMPAIGN_DOMAIN}/neighbors", params={"depth": 9})
    assert too_deep.status_code == 422 and too_deep.json()["error"]["field"] == "query.depth"


def test_search_by_prefix_and_substring_is_bounded(api: Api) -> None:
    api.ingest_fleet()
    prefix = api.get("/v1/entities", params={"q": "cdn-img"}, role="analyst").json()
    # The prefix hit ranks first; the command line that contains it follows.
    assert (prefix["items"][0]["type"], prefix["items"][0]["key"]) == ("domain", CAMPAIGN_DOMAIN)
    assert [h["type"] for h in prefix["items"][1:]] == ["process"]
    inner = api.get("/v1/entities", params={"q": "IMG-DELIVERY", "type": "domain"}).json()
    assert [h["key"] for h in inner["items"]] == [CAMPAIGN_DOMAIN]
    hosts = api.get("/v1/entities", params={"q": "ws-", "limit": 5}).json()
    assert len(hosts["items"]) == 5 and hosts["truncated"] is True
    none = api.get("/v1/entities", params={"q": "zzz-nothing"}).json()
    assert none == {"items": [], "truncated": False}
    assert api.get("/v1/entities", params={"q": ""}).status_code == 422


def test_values_with_slashes_and_markup_round_trip(api: Api) -> None:
    api.ingest_fleet()
    hits = api.get("/v1/entities", params={"q": "onerror", "type": "process"}).json()["items"]
    assert hits, "the campaign command line is searchable"
    key = hits[0]["key"]
    entity = api.get(f"/v1/entities/process/{key}").json()
    assert "<img src=x onerror=alert(1)>" in entity["value"]
