"""A verdict on one behaviour cluster covers its hosts, not every later episode of the pair (red-team T8, finding 1).

A behaviour pivot's key is one per pair of behaviour kinds, so its cluster id was too: a
benign verdict on day 2's EDR upgrade suppressed day 3's campaign of the same two kinds on
other machines, and a merely closed case was carried onto it (same id: missing from
``?status=open``).  Episode 1 here is :func:`tests.analytics.behaviour_campaign.build_fleet`'s
campaign on ``FIRST_HOSTS``; episode 2 is the same fleet rebuilt with the campaign on
``OTHER_HOSTS`` (disjoint) or on ``FIRST_HOSTS`` again.  Each test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tests.analytics.behaviour_campaign import CAMPAIGN_HOSTS, CAMPAIGN_KEY, HOSTS, build_fleet
from tests.api.conftest import Api

KEY = CAMPAIGN_KEY  # the campaign's shape of the pair (task F4)
FIRST_HOSTS = CAMPAIGN_HOSTS
OTHER_HOSTS = HOSTS[26:30] + HOSTS[36:40]  # in no other group of the fleet
assert not set(FIRST_HOSTS) & set(OTHER_HOSTS)


def _episode(api: Api, hosts: list[str]) -> dict[str, Any] | None:
    """Rebuild the fleet with the campaign on ``hosts``, detect, and return the behaviour cluster shown (or None)."""
    build_fleet(api.ctx.store, campaign_hosts=hosts)
    run = api.detect()
    assert run["status"] == "done", run
    items = api.get("/v1/clusters", role="analyst", params={"limit": 100}).json()["items"]
    found = [c for c in items if c["pivot"]["key"] == KEY[1] and c["hosts"] == sorted(hosts)]
    assert len(found) <= 1, found
    return found[0] if found else None


def _open_ids(api: Api) -> set[str]:
    items = api.get("/v1/clusters", role="analyst", params={"status": "open", "limit": 100}).json()["items"]
    return {c["id"] for c in items}


def _triage(api: Api, cluster_id: str, body: dict[str, Any]) -> None:
    response = api.patch(f"/v1/clusters/{cluster_id}", role="analyst", json=body)
    assert response.status_code == 200, response.text


def test_a_benign_verdict_does_not_suppress_the_pair_on_other_hosts(api: Api) -> None:
    first = _episode(api, FIRST_HOSTS)
    assert first is not None
    _triage(api, first["id"], {"verdict": "benign", "status": "closed", "note": "EDR upgrade"})

    second = _episode(api, OTHER_HOSTS)

    assert second is not None, "the campaign on other machines was suppressed by the upgrade's verdict"
    assert second["id"] != first["id"]
    assert second["triage"]["status"] == "open" and second["triage"]["verdict"] is None
    assert second["id"] in _open_ids(api)
    # the upgrade's case is untouched
    assert api.get(f"/v1/clusters/{first['id']}", role="analyst").json()["triage"]["verdict"] == "benign"


def test_a_benign_verdict_still_suppresses_the_pair_on_the_same_hosts(api: Api) -> None:
    first = _episode(api, FIRST_HOSTS)
    assert first is not None
    _triage(api, first["id"], {"verdict": "benign"})

    assert _episode(api, FIRST_HOSTS) is None
    suppressions = api.get("/v1/suppressions", role="analyst").json()
    assert [s["cluster_id"] for s in suppressions] == [first["id"]]


def test_a_closed_case_is_not_carried_to_the_pair_on_other_hosts(api: Api) -> None:
    first = _episode(api, FIRST_HOSTS)
    assert first is not None
    _triage(api, first["id"], {"status": "closed", "note": "EDR upgrade"})

    second = _episode(api, OTHER_HOSTS)

    assert second is not None
    assert second["id"] != first["id"]
    assert second["triage"]["status"] == "open"
    assert second["id"] in _open_ids(api)
    audit = api.get(f"/v1/clusters/{second['id']}/audit", role="analyst").json()
    assert audit == [] or all(e["field"] != "carried_from" for e in audit)
    # the pivot's entity page is the live episode's, not the closed one's
    entity = api.get(f"/v1/entities/process/{quote(KEY[1], safe='')}", role="analyst").json()
    assert entity["props"]["cluster_id"] == second["id"]
    assert sorted(h["host"] for h in entity["hosts"]) == sorted(OTHER_HOSTS)


def test_a_closed_case_stays_closed_on_the_same_hosts(api: Api) -> None:
    first = _episode(api, FIRST_HOSTS)
    assert first is not None
    _triage(api, first["id"], {"status": "closed"})

    again = _episode(api, FIRST_HOSTS)

    assert again is not None and again["id"] == first["id"]
    assert again["triage"]["status"] == "closed"
    assert again["id"] not in _open_ids(api)


def test_a_closed_case_is_not_carried_to_an_episode_that_spread_to_unjudged_hosts(api: Api) -> None:
    first = _episode(api, FIRST_HOSTS)
    assert first is not None
    _triage(api, first["id"], {"status": "closed"})

    # the 8 closed hosts and 4 nobody looked at: a third of the episode was never judged
    grown = _episode(api, FIRST_HOSTS + OTHER_HOSTS[:4])

    assert grown is not None
    assert grown["id"] != first["id"]
    assert grown["triage"]["status"] == "open"
    assert grown["id"] in _open_ids(api)
