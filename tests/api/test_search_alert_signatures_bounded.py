"""A signature search reads only the matching ``ALERTED`` edges, at most a bound, and says when it was cut.

The search compared every ``ALERTED`` edge of the store in Python (``iter_relations``): on a busy
sensor's weeks that streamed them all from Neo4j for each query (review, near-copies and costs).
The store now matches the signatures (:meth:`graphsiem.store.base.GraphStore.alerted_by_signature`)
and gives the most alerted :data:`~graphsiem.api.services.alert_activity.SIGNATURE_EDGE_LIMIT`;
beyond, the answer is ``truncated``.  Both stores, through the real app.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphsiem.api.services import alert_activity
from ingest.journal import Journal
from ingest.pipeline import ingest_records
from tests.api.conftest import Api, make_settings, running_api
from tests.graphsiem.store.test_alert_signatures import _alert


def _alert_from(minute: int, src: str) -> dict[str, Any]:
    return {**_alert(minute, "ET SCAN Nmap", 2009582), "src_ip": src}


@pytest.fixture
def scanned_api(store: Any, tmp_path: Path) -> Iterator[Api]:
    store.clear()
    records = [_alert_from(n, f"10.0.0.{n + 1}") for n in range(4)] + [_alert_from(9, "10.0.0.1")]
    with Journal(tmp_path / "journal.sqlite") as journal:
        assert ingest_records(records, store=store, journal=journal, origin="api").total.rejected == 0
    store.flush()
    with running_api(make_settings(tmp_path / "data"), store) as api:
        yield api


def _search(api: Api, q: str) -> dict[str, Any]:
    response = api.get("/v1/entities", role="analyst", params={"q": q, "limit": 50})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_signature_search_streams_no_alerted_edge(scanned_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def streamed(relation_type: str | None = None) -> Any:
        raise AssertionError(f"iter_relations({relation_type!r}) read every edge of the type")

    monkeypatch.setattr(scanned_api.ctx.store, "iter_relations", streamed)
    answer = _search(scanned_api, "et scan nmap")
    keys = [hit["key"] for hit in answer["items"] if hit["matched"] == "signature"]
    assert keys[:2] == ["192.168.1.129", "10.0.0.1"]  # the target of all 5, then the source of 2
    assert set(keys) == {"192.168.1.129", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}
    assert answer["truncated"] is False


def test_a_search_cut_at_the_edge_bound_says_so(scanned_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alert_activity, "SIGNATURE_EDGE_LIMIT", 2)
    answer = _search(scanned_api, "et scan nmap")
    keys = {hit["key"] for hit in answer["items"] if hit["matched"] == "signature"}
    assert keys == {"192.168.1.129", "10.0.0.1", "10.0.0.2"}  # the ends of the 2 most alerted edges
    assert answer["truncated"] is True
