"""A behaviour pivot's record stays a bounded row, and the API says how many hosts it left out (task F4, item 3).

The cluster grown from a behaviour pivot records its hosts (:data:`analytics.behaviour_words.PIVOT_RECORD`,
~80 bytes a host in the stored row): a signature on 10,000 hosts made a row of ~800 KB.  The record keeps
at most :data:`analytics.behaviour_words.MAX_RECORDED_HOSTS` hosts (where the pair completed first) and
counts them all; the API's entity answer says how many more there are (``hosts_not_recorded``) instead of
silently showing fewer.  The end-to-end test runs the real detection and API with the cap lowered to 5
(the campaign fleet has 8 hosts), on [embedded] and [neo4j].
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

import analytics.behaviour_words as behaviour_words
from analytics.behaviour_words import MAX_RECORDED_HOSTS, pivot_record
from graphsiem.model import epoch_to_iso
from tests.analytics.behaviour_campaign import (
    CAMPAIGN_HOSTS,
    CAMPAIGN_KEY,
    build_fleet,
    campaign_time,
)
from tests.api.conftest import Api


def test_a_ten_thousand_host_record_keeps_the_earliest_hosts_and_counts_all() -> None:
    cells = [(f"ws-{i:05d}", 1_000.0 + (i * 7919) % 10_000, 20_000.0, 2) for i in range(10_000)]

    record = pivot_record(cells, [("process", "p")])

    assert len(record["hosts"]) == MAX_RECORDED_HOSTS
    assert record["hosts_total"] == 10_000 and record["hosts_cut"] is True
    kept = sorted(h["first_seen"] for h in record["hosts"])
    assert kept == sorted(f for _, f, _, _ in cells)[:MAX_RECORDED_HOSTS]  # where the pair completed first
    assert len(json.dumps(record)) < 60_000  # ~80 bytes a host, bounded


def test_a_small_record_is_whole() -> None:
    record = pivot_record([("ws-1", 1.0, 2.0, 2), ("ws-0", 0.5, 2.0, 3)], [])

    assert [h["host"] for h in record["hosts"]] == ["ws-1", "ws-0"]
    assert record["hosts_total"] == 2 and record["hosts_cut"] is False


@pytest.fixture
def capped_api(api: Api, monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.setattr(behaviour_words, "MAX_RECORDED_HOSTS", 5)
    build_fleet(api.ctx.store)
    run = api.detect()
    assert run["status"] == "done", run
    return api


def test_the_entity_says_how_many_hosts_the_record_left_out(capped_api: Api) -> None:
    response = capped_api.get(f"/v1/entities/process/{quote(CAMPAIGN_KEY[1], safe='')}", role="analyst")

    assert response.status_code == 200, response.text
    entity = response.json()
    assert entity["props"]["hosts_total"] == len(CAMPAIGN_HOSTS)
    assert entity["props"]["hosts_not_recorded"] == len(CAMPAIGN_HOSTS) - 5
    # the five where the pair completed first (the campaign reached ws-000 first)
    assert [h["host"] for h in entity["hosts"]] == CAMPAIGN_HOSTS[:5]
    assert entity["hosts"][0]["first_seen"] == epoch_to_iso(campaign_time(0) + 120)
    # the page's "fleet hosts" is the prevalence: every host that showed it, the list marked cut
    assert entity["prevalence"]["hosts"] == len(CAMPAIGN_HOSTS)
    assert entity["hosts_truncated"] is True
    # the cluster itself still has every host
    cluster = next(c for c in capped_api.get("/v1/clusters", role="analyst").json()["items"]
                   if c["pivot"] == {"type": CAMPAIGN_KEY[0], "key": CAMPAIGN_KEY[1]})
    assert cluster["hosts"] == CAMPAIGN_HOSTS
