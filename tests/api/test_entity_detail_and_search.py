"""Entity detail and search tell the truth (review R1, items 7, 8 and 14).

A host's detail carries its own figures (not a placeholder), a neighbourhood
cut at ``limit`` says so, and a search for a host's full name finds the host
that ``GET /v1/entities/host/<full name>`` resolves.  Both stores.
"""

from __future__ import annotations

from graphsiem.model import epoch_to_iso
from tests.api.conftest import Api
from tests.api.fleet import HOSTS

HOST = HOSTS[4]  # ws-0004
FQDN = f"{HOST.upper()}.corp.example"


def test_host_detail_gives_the_hosts_own_sightings(api: Api) -> None:
    api.ingest_fleet()
    own = [s for s in api.ctx.store.iter_sightings() if s.host == HOST]
    assert own  # the fleet's hosts have telemetry of their own
    for name in (HOST, FQDN):
        detail = api.get(f"/v1/entities/host/{name}", role="analyst").json()
        assert detail["key"] == HOST
        assert detail["prevalence"] == {
            "hosts": 1, "entities": len(own), "count": sum(s.count for s in own),
            "first_seen": epoch_to_iso(min(s.first_seen for s in own)),
            "last_seen": epoch_to_iso(max(s.last_seen for s in own)),
        }


def test_neighbors_cut_at_the_limit_say_truncated(api: Api) -> None:
    api.ingest_fleet()
    url = f"/v1/entities/host/{HOST}/neighbors"
    for depth in (1, 2):
        whole = api.get(url, params={"depth": depth, "limit": 500}).json()["graph"]
        around = len(whole["nodes"]) - 1
        assert around >= 3 and whole["truncated"] is False
        exact = api.get(url, params={"depth": depth, "limit": around}).json()["graph"]
        assert len(exact["nodes"]) - 1 == around and exact["truncated"] is False
        for cut in (around - 1, 1):
            part = api.get(url, params={"depth": depth, "limit": cut}).json()["graph"]
            assert len(part["nodes"]) - 1 == cut and part["truncated"] is True, (depth, cut)


def test_search_for_a_hosts_full_name_finds_the_host(api: Api) -> None:
    api.ingest_fleet()
    for params in ({"q": FQDN}, {"q": FQDN, "type": "host"}, {"q": f"CORP\\{HOST.upper()}"}):
        hits = api.get("/v1/entities", role="analyst", params=params).json()["items"]
        assert (hits[0]["type"], hits[0]["key"]) == ("host", HOST), params
        assert [h["key"] for h in hits].count(HOST) == 1
    assert api.get("/v1/entities", params={"q": FQDN, "type": "domain"}).json()["items"] == []
    # A plain prefix is searched as before: every ws-000x host, no special first hit.
    prefix = api.get("/v1/entities", params={"q": "ws-000", "type": "host", "limit": 50}).json()
    assert sorted(h["key"] for h in prefix["items"]) == sorted(HOSTS[:10])
