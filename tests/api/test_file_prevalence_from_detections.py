"""A file known only from antivirus detections is dated and counted by them (review R20 #2).

Since projection 7 a detection is no sighting of its file (a quarantined download must not count
as the fleet running it), so three Defender 1117s of ``C:\\Users\\Public\\upd.exe`` on ws-01..03 gave
the file's page "hosts 0, first seen —", and a host whose only event was a detection the same.
The ``DETECTED`` edges now date both, ``detected_on`` counts the hosts that detected the file and
``detected_files`` the files a host detected; ``hosts`` and ``count`` stay sightings.  Real Defender
records through the ingest pipeline, on both stores.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ingest.journal import Journal
from ingest.pipeline import ingest_records
from tests.api.conftest import Api

UPD = "C:\\Users\\Public\\upd.exe"
AT = 1_700_000_000.0


def _iso(at: float) -> str:
    return datetime.datetime.fromtimestamp(at, datetime.UTC).isoformat().replace("+00:00", "Z")


def _defender_1117(host: str, at: float, record_id: int) -> dict[str, Any]:
    return {"@timestamp": _iso(at), "agent": {"type": "winlogbeat", "version": "8.11.0"},
            "winlog": {"computer_name": host, "event_id": "1117", "record_id": record_id,
                       "channel": "Microsoft-Windows-Windows Defender/Operational",
                       "event_data": {"Threat Name": "Trojan:Win32/Wacatac.B!ml",
                                      "Path": f"file:_{UPD};process:_pid:4120,ProcessStart:1",
                                      "Action Name": "Quarantine", "Source Name": "Real-Time Protection",
                                      "Error Description": "The operation completed successfully."}},
            "message": "Microsoft Defender Antivirus has detected malware or other potentially unwanted software."}


def _ingest_detections(api: Api, tmp_path: Path) -> None:
    records = [_defender_1117(host, AT + 60 * i, 100 + i) for i, host in enumerate(["ws-01", "ws-02", "ws-03"])]
    with Journal(tmp_path / "data" / "journal.sqlite") as journal:  # the API's data directory
        ingest_records(records, store=api.ctx.store, journal=journal, origin="api")
    api.ctx.store.flush()


def _file_key(api: Api) -> str:
    keys = [entity.key for entity in api.ctx.store.iter_entities("file")]
    assert len(keys) == 1, keys
    return keys[0]


def test_a_file_only_detected_is_dated_and_counted_by_its_detections(api: Api, tmp_path: Path) -> None:
    _ingest_detections(api, tmp_path)
    entity = api.get(f"/v1/entities/file/{quote(_file_key(api), safe='')}", role="analyst").json()
    prevalence = entity["prevalence"]
    assert prevalence["detected_on"] == 3
    assert prevalence["first_seen"] == "2023-11-14T22:13:20.000Z"
    assert prevalence["last_seen"] == "2023-11-14T22:15:20.000Z"
    # a detection is still no sighting: the hosts that saw (ran, wrote) the file are none
    assert prevalence["hosts"] == 0 and prevalence["count"] == 0 and entity["hosts"] == []


def test_a_host_whose_only_event_is_a_detection_is_one_host_dated_by_it(api: Api, tmp_path: Path) -> None:
    _ingest_detections(api, tmp_path)
    prevalence = api.get("/v1/entities/host/ws-02", role="analyst").json()["prevalence"]
    assert prevalence["hosts"] == 1 and prevalence["detected_files"] == 1
    assert prevalence["first_seen"] == prevalence["last_seen"] == "2023-11-14T22:14:20.000Z"



def test_the_hosts_that_detected_a_file_are_named_with_their_count(api: Api, tmp_path: Path) -> None:
    # twelve hosts: the answer names the first ten by name and says more exist (task PAGE3 #1:
    # the page asked /neighbors again to name them)
    hosts = [f"ws-{i:02d}" for i in range(12, 0, -1)]
    records = [_defender_1117(host, AT + 60 * i, 200 + i) for i, host in enumerate(hosts)]
    with Journal(tmp_path / "data" / "journal.sqlite") as journal:
        ingest_records(records, store=api.ctx.store, journal=journal, origin="api")
    api.ctx.store.flush()
    prevalence = api.get(f"/v1/entities/file/{quote(_file_key(api), safe='')}", role="analyst").json()["prevalence"]
    assert prevalence["detected_on"] == 12
    assert prevalence["detected_on_hosts"] == sorted(hosts)[:10]
    assert prevalence["detected_on_hosts_truncated"] is True


def test_a_file_detected_on_few_hosts_names_them_all(api: Api, tmp_path: Path) -> None:
    _ingest_detections(api, tmp_path)
    prevalence = api.get(f"/v1/entities/file/{quote(_file_key(api), safe='')}", role="analyst").json()["prevalence"]
    assert prevalence["detected_on_hosts"] == ["ws-01", "ws-02", "ws-03"]
    assert prevalence["detected_on_hosts_truncated"] is False
    # a host's own detections are counted, not named: its files are on its page
    host = api.get("/v1/entities/host/ws-02", role="analyst").json()["prevalence"]
    assert "detected_on_hosts" not in host and "logon_target_names" not in host
