"""``GET /v1/clusters?q=`` and the page's ``total``: the queue searched on the server.

The page reads at most 1,000 clusters; its text box filtered only those, so on a
3,000-host fleet (2,393 clusters) a host or digest typed there missed the rest
(review U3).  ``q`` matches what the box matches, over the whole queue, and every
page says how many clusters its filters list.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import Api
from tests.api.fleet import CAMPAIGN_DOMAIN, CAMPAIGN_HOSTS


def _box_matches(cluster: dict, text: str) -> bool:
    """The page's own text filter (queue.js ``visible()``) on a listed cluster."""
    text = text.lower()
    values = [cluster["summary"], *cluster["hosts"], *(e["value"] for e in cluster["entities"]),
              *(k["key"] for k in cluster["entity_keys"]), (cluster["pivot"] or {}).get("key", "")]
    return any(text in str(value).lower() for value in values)


def _walk(api: Api, **params) -> tuple[list[str], set[int]]:
    ids, totals, cursor = [], set(), None
    while True:
        page = api.get("/v1/clusters", params={**params, "limit": 1} | ({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        body = page.json()
        ids.extend(c["id"] for c in body["items"])
        totals.add(body["total"])
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, totals


def test_q_lists_the_clusters_the_text_box_would_over_all_pages(fleet_api: Api) -> None:
    everything = fleet_api.get("/v1/clusters").json()["items"]
    campaign = next(c for c in everything if CAMPAIGN_DOMAIN in [e["value"] for e in c["entities"]])
    digest_part = next(k["key"] for k in campaign["entity_keys"] if k["key"] not in campaign["hosts"])[-12:]
    queries = [CAMPAIGN_HOSTS[3].upper(), "CDN-IMG-delivery", digest_part, "no-such-text-anywhere"]
    for text in queries:
        expected = [c["id"] for c in everything if _box_matches(c, text)]
        ids, totals = _walk(fleet_api, q=text)
        assert ids == expected, text
        assert totals == {len(expected)}, text
    assert campaign["id"] in _walk(fleet_api, q=CAMPAIGN_HOSTS[3])[0]
    assert _walk(fleet_api, q="no-such-text-anywhere")[0] == []


def test_total_counts_every_page_of_the_filters(fleet_api: Api) -> None:
    everything = fleet_api.get("/v1/clusters").json()["items"]
    ids, totals = _walk(fleet_api)
    assert totals == {len(everything)} and len(ids) == len(everything) >= 2
    top = max(c["score"] for c in everything)
    high = fleet_api.get("/v1/clusters", params={"min_score": top, "limit": 1}).json()
    assert high["total"] == sum(c["score"] >= top for c in everything)


@pytest.mark.parametrize("text", ["' OR 1=1 --", "%", "_", "\")) OR ((\""])
def test_q_is_a_value_never_sql(fleet_api: Api, text: str) -> None:
    everything = fleet_api.get("/v1/clusters").json()["items"]
    body = fleet_api.get("/v1/clusters", params={"q": text}).json()
    assert [c["id"] for c in body["items"]] == [c["id"] for c in everything if _box_matches(c, text)]
    assert body["total"] == len(body["items"])
