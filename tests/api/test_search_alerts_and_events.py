"""Search finds IDS alert signatures and Windows events by id or name; an address's alerts are its prevalence.

Review U2 over the real corpus (task SRCH #1, #2): searching "ET SCAN" or "GPL" found nothing
though the graph held 708 ``ALERTED`` edges (the Slips Suricata EVE); the entity page of the
capture's target 192.168.1.129 said hosts 0, count 0 beside 91 of them; a Security 1102 (log
cleared) was found by no search, and ``4662`` listed a process whose key hash held the digits.
Files read in place from ``$GRAPHSIEM_SAMPLES``, uploaded through the API; both graph stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, make_settings, running_api

SLIPS = "stratosphere-slips/test6-malicious.suricata.json"
BITSADMIN = "otrf-security-datasets/cmd_bitsadmin_download_psh_script_2020-10-2302365189.json"
GOLDEN_SAML = "otrf-security-datasets/golden_saml/WindowsEvents.json"
TARGET = "192.168.1.129"


@pytest.fixture
def corpus_api(store: Any, tmp_path: Path, samples_dir: Path) -> Iterator[Api]:
    store.clear()
    with running_api(make_settings(tmp_path / "data", max_upload_bytes=4 * 1024 * 1024), store) as api:
        for name in (SLIPS, BITSADMIN, GOLDEN_SAML):
            path = samples_dir / name
            with path.open("rb") as handle:
                response = api.post("/v1/files", role="ingest", files={"file": (path.name, handle)})
            assert response.status_code == 200, response.text
        api.ctx.ingest.catch_up()
        yield api


def _search(api: Api, q: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/v1/entities", role="analyst", params={"q": q, "limit": 50, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_an_alert_signature_finds_the_addresses_it_alerted(corpus_api: Api) -> None:
    hits = _search(corpus_api, "ET SCAN")
    assert hits and {hit["matched"] for hit in hits} == {"signature"}
    assert {hit["type"] for hit in hits} <= {"ip", "host"}
    assert TARGET in {hit["key"] for hit in hits}
    assert all("et scan" in hit["snippet"].lower() for hit in hits)
    assert _search(corpus_api, "et cins active")  # whatever the case
    assert _search(corpus_api, "ET SCAN", type="domain") == []


def test_an_address_only_a_sensor_saw_counts_its_alerts(corpus_api: Api) -> None:
    answer = corpus_api.get(f"/v1/entities/ip/{TARGET}", role="analyst").json()
    prevalence = answer["prevalence"]
    assert prevalence["hosts"] == 0  # no fleet host's own telemetry saw it
    assert prevalence["alerts"] >= 91 and prevalence["alert_peers"] >= 91
    assert len(prevalence["alert_peer_names"]) == 10 and prevalence["alert_peer_names_truncated"] is True
    assert prevalence["first_seen"] is not None and prevalence["last_seen"] >= prevalence["first_seen"]


def test_a_windows_event_id_or_name_finds_the_hosts_that_logged_it(corpus_api: Api) -> None:
    cleared = _search(corpus_api, "1102")
    assert [(hit["type"], hit["key"], hit["matched"]) for hit in cleared][:1] == [("host", "workstation5", "event")]
    assert cleared[0]["snippet"].endswith(": 3 events")  # its 1102 and two System 104 (another log cleared)
    assert ("workstation5", "event") in {(hit["key"], hit["matched"]) for hit in _search(corpus_api, "log cleared")}
    golden = _search(corpus_api, "4662")
    assert [(hit["type"], hit["key"], hit["matched"]) for hit in golden] == [("host", "dc01", "event")]
    assert golden[0]["snippet"].endswith(": 5 events")
    assert _search(corpus_api, "1102", type="process") == []
