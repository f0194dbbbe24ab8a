"""The service's detections take the fleet's declared networks from its settings (red-team T8, finding 6).

``GRAPHSIEM_INTERNAL_NETWORKS`` (:attr:`graphsiem.settings.Settings.internal_networks`):
a download from the organisation's own public range is a deployment server's, not
one "from a new external address".  The graph: per-host cradles on 8 of 40 hosts
fetching payloads from 130.59.1.20 (:func:`tests.analytics.test_raw_address_cradles._fleet`).
Each test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphsiem.internal_networks import INTERNAL_NETWORKS_ENV
from tests.analytics.test_raw_address_cradles import _fleet
from tests.api.conftest import make_settings, running_api

ADDRESS = "130.59.1.20"


@pytest.mark.parametrize(("declared", "download"), [((), 1.0), (("130.59.0.0/16",), 0.0)],
                         ids=["undeclared", "declared"])
def test_the_services_detection_takes_the_settings_networks(store: Any, tmp_path: Path, monkeypatch,
                                                            declared: tuple[str, ...], download: float) -> None:
    monkeypatch.delenv(INTERNAL_NETWORKS_ENV, raising=False)  # the settings alone say it
    _fleet(store, ADDRESS)
    with running_api(make_settings(tmp_path / "data", internal_networks=declared), store) as api:
        assert api.detect()["status"] == "done"
        items = api.get("/v1/clusters", role="analyst", params={"limit": 50}).json()["items"]
        found = [api.get(f"/v1/clusters/{c['id']}", role="analyst").json() for c in items
                 if {"type": "ip", "key": ADDRESS} in c["entity_keys"]]
    assert found, [sorted(c) for c in items[:1]]
    assert all(c["features"]["download_from_new_domain"] == download for c in found)


def test_the_services_ingest_reads_the_settings_networks_too(store: Any, tmp_path: Path, monkeypatch) -> None:
    """Review R18: ingest through the service read only the environment, so a ``Settings``
    built with networks ingested as if none were declared while its detections used them."""
    from ingest.normalize_ip import is_internal

    monkeypatch.delenv(INTERNAL_NETWORKS_ENV, raising=False)
    with running_api(make_settings(tmp_path / "declared", internal_networks=("130.59.0.0/16",)), store):
        assert is_internal(ADDRESS)
    with running_api(make_settings(tmp_path / "plain"), store):
        assert not is_internal(ADDRESS)  # the next service's settings, not the last one's
