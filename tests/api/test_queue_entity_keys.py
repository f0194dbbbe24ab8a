"""The queue lists each cluster's member keys beside their values (``entity_keys``).

A file keyed by its digest shows its path as value; without the key a client
(the page's text filter, a SOAR poller) cannot find the cluster by a pasted
SHA-256 unless it is the pivot.
"""

from __future__ import annotations

from tests.api.conftest import Api


def test_every_queue_item_carries_the_keys_of_its_entities_in_order(fleet_api: Api) -> None:
    items = fleet_api.get("/v1/clusters", role="analyst").json()["items"]
    assert items
    for item in items:
        detail = fleet_api.get(f"/v1/clusters/{item['id']}", role="analyst").json()
        members = {(m["type"], m["value"], m["key"]) for m in detail["members"]}
        keys = item["entity_keys"]
        assert len(keys) == len(item["entities"])
        for entity, key in zip(item["entities"], keys, strict=True):
            assert (entity["type"], entity["value"], key["key"]) in members and key["type"] == entity["type"]
        assert {"type": item["pivot"]["type"], "key": item["pivot"]["key"]} in keys
