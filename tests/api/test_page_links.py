"""Clusters in the API and webhook alerts link to the analysts' page when its address is known.

Neither the API nor the webhook linked a cluster to the page, so a ticket or
chat message made from an alert could not take the analyst to it (review
T3).  With ``public_url`` set, list items, the detail and each alert carry
``url``, the page's deep link; without it ``url`` is null, never a guess.
A real app over both stores, a real loopback receiver.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from graphsiem.settings import Settings
from tests.api.conftest import make_settings, running_api
from tests.api.test_webhook import SECRET, Receiver

BASE = "https://siem.corp.example/graphsiem"


def _wait_for(predicate: Any, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def test_items_detail_and_alerts_carry_the_pages_link(store: Any, tmp_path: Path) -> None:
    store.clear()
    receiver = Receiver([])
    try:
        settings = make_settings(tmp_path / "data", public_url=BASE + "/", webhook_url=receiver.url,
                                 webhook_secret=SECRET, webhook_min_score=0)
        with running_api(settings, store) as api:
            api.ingest_fleet()
            assert api.detect()["status"] == "done"
            items = api.get("/v1/clusters", role="analyst").json()["items"]
            assert items
            for item in items:
                assert item["url"] == f"{BASE}/#/clusters/{item['id']}"
            detail = api.get(f"/v1/clusters/{items[0]['id']}", role="analyst").json()
            assert detail["url"] == items[0]["url"]
            assert _wait_for(lambda: len(receiver.requests) >= 1)
            alert = json.loads(receiver.requests[0]["body"])
            assert alert["cluster"]["url"] == f"{BASE}/#/clusters/{alert['cluster']['id']}"
    finally:
        receiver.close()


def test_without_a_public_address_the_link_is_null(store: Any, tmp_path: Path) -> None:
    store.clear()
    with running_api(make_settings(tmp_path / "data"), store) as api:
        api.ingest_fleet()
        assert api.detect()["status"] == "done"
        items = api.get("/v1/clusters", role="analyst").json()["items"]
        assert items and all(item["url"] is None for item in items)


@pytest.mark.parametrize("value", ["siem.corp.example", "ftp://siem.corp.example",
                                   "https://user:pw@siem.corp.example", "https://siem.corp.example/?a=1",
                                   "https://siem.corp.example/#/x"])
def test_a_public_url_that_cannot_be_a_links_base_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValidationError, match="public_url"):
        Settings(data_dir=tmp_path, public_url=value)
