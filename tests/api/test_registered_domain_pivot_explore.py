"""A registered-domain pivot can be explored (task F32): its entity answers, its subdomains are its
neighbours, the cluster's graph draws them.

The rollup ``('domain', '*.evil-cdn.com (per-host subdomains)')`` is never written to the
graph store; before, ``GET /v1/entities/domain/<its key>`` answered 404 and the cluster's
graph had no node for the pivot nor for any subdomain.  The campaign is
:mod:`tests.api.registered_domain_campaign`'s, written to the store, detected through the
API.  Each test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from analytics.registered_domains import is_rollup, rollup_key
from graphsiem.model import epoch_to_iso
from tests.api.conftest import Api
from tests.api.registered_domain_campaign import (
    CAMPAIGN_HOSTS,
    CONTACTS,
    REGISTERED,
    SUBDOMAINS,
    H,
    build_campaign,
    campaign_first_seen,
)

ROLLUP = rollup_key(REGISTERED)
ROLLUP_UID = f"domain:{ROLLUP[1]}"
SUBDOMAIN_UIDS = {f"domain:{s}" for s in SUBDOMAINS}


def _path(value: str) -> str:
    return f"/v1/entities/domain/{quote(value, safe='')}"


@pytest.fixture
def campaign_api(api: Api) -> Api:
    build_campaign(api.ctx.store)
    run = api.detect()
    assert run["status"] == "done", run
    return api


def test_the_rollup_answers_with_its_subdomains_union_prevalence(campaign_api: Api) -> None:
    response = campaign_api.get(_path(ROLLUP[1]), role="analyst")

    assert response.status_code == 200, response.text
    entity = response.json()
    assert (entity["type"], entity["key"]) == ROLLUP
    assert entity["value"] == f"*.{REGISTERED} (8 subdomains)"
    assert entity["props"] == {"registered_domain": REGISTERED, "subdomains": 8, "subdomains_truncated": False}
    last = campaign_first_seen(len(CAMPAIGN_HOSTS) - 1) + 10 * H
    assert entity["prevalence"] == {"hosts": 8, "first_seen": epoch_to_iso(campaign_first_seen(0)),
                                    "last_seen": epoch_to_iso(last), "count": 8 * CONTACTS}
    assert [h["host"] for h in entity["hosts"]] == CAMPAIGN_HOSTS
    assert all(h["count"] == CONTACTS for h in entity["hosts"])
    # its shown value names it too (the page and the CLI show that one)
    by_value = campaign_api.get(_path(entity["value"]), role="analyst")
    assert by_value.status_code == 200 and by_value.json()["key"] == ROLLUP[1]
    # nothing of it was written
    assert campaign_api.ctx.store.get_entity(*ROLLUP) is None
    assert not any(is_rollup(e.ref) for e in campaign_api.ctx.store.iter_entities("domain"))


def test_the_rollup_neighbours_are_exactly_its_subdomains_bounded_by_the_limit(campaign_api: Api) -> None:
    response = campaign_api.get(_path(ROLLUP[1]) + "/neighbors", role="analyst")

    assert response.status_code == 200, response.text
    out = response.json()
    assert out["center"] == ROLLUP_UID
    graph = out["graph"]
    assert {n["id"] for n in graph["nodes"]} == SUBDOMAIN_UIDS | {ROLLUP_UID}
    assert sorted((e["source"], e["type"], e["target"]) for e in graph["edges"]) == sorted(
        (uid, "SUBDOMAIN_OF", ROLLUP_UID) for uid in SUBDOMAIN_UIDS)
    assert all(e["count"] == CONTACTS for e in graph["edges"])
    assert graph["truncated"] is False

    cut = campaign_api.get(_path(ROLLUP[1]) + "/neighbors", role="analyst", params={"limit": 3}).json()["graph"]
    assert len(cut["nodes"]) == 4 and {n["id"] for n in cut["nodes"]} - {ROLLUP_UID} <= SUBDOMAIN_UIDS
    assert cut["truncated"] is True

    # a second hop is the store's: each subdomain's host, cradle and URL
    deeper = campaign_api.get(_path(ROLLUP[1]) + "/neighbors", role="analyst", params={"depth": 2}).json()["graph"]
    assert {f"host:{h}" for h in CAMPAIGN_HOSTS} <= {n["id"] for n in deeper["nodes"]}


def test_a_rollup_of_a_registered_domain_without_subdomains_is_404_saying_so(campaign_api: Api) -> None:
    response = campaign_api.get(_path(rollup_key("nothing-here.com")[1]), role="analyst")

    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("no subdomain of 'nothing-here.com' is stored")


def test_the_cluster_graph_draws_the_rollup_and_its_subdomains_linked_to_the_hosts(campaign_api: Api) -> None:
    items = campaign_api.get("/v1/clusters", role="analyst").json()["items"]
    cluster = next(c for c in items if c["pivot"] == {"type": ROLLUP[0], "key": ROLLUP[1]})

    graph = campaign_api.get(f"/v1/clusters/{cluster['id']}", role="analyst").json()["subgraph"]

    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes[ROLLUP_UID]["value"] == f"*.{REGISTERED} (8 subdomains)"
    assert SUBDOMAIN_UIDS <= nodes.keys()
    assert not {f"domain:{REGISTERED}", f"domain:{REGISTERED}.example.net"} & nodes.keys()
    edges = {(e["source"], e["type"], e["target"]) for e in graph["edges"]}
    for i, host in enumerate(CAMPAIGN_HOSTS):
        sub = f"domain:{SUBDOMAINS[i]}"
        assert (sub, "SUBDOMAIN_OF", ROLLUP_UID) in edges
        assert (f"host:{host}", "RESOLVED", sub) in edges
        assert (f"process:cradle-{i}", "RESOLVED", sub) in edges
    assert all(e["count"] == CONTACTS for e in graph["edges"] if e["type"] == "SUBDOMAIN_OF")
    assert graph["truncated"] is False
