"""An odd driver installed on many hosts within minutes is a fan-out cluster; a fleet-wide vendor driver is not.

Bring-your-own-vulnerable-driver: an attacker installs a signed but vulnerable driver
(RTCore64.sys) as a kernel service on every host it reaches, to kill the EDR from the kernel.
Through the real path: Winlogbeat records (System 7045, Sysmon 1) -> ingest_paths -> journal ->
embedded store -> detect.  40 hosts install a vendor's driver update every day for three weeks
(``\\SystemRoot\\System32\\drivers\\vendorflt.sys``, as a fleet's driver updater re-registers it)
and run a few ordinary processes; on the last day 12 of them install ``RTCore64.sys`` from a
temporary folder within four minutes, each under a random service name.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from graphsiem.model import stable_hash
from tests.analytics.test_persistence_fanout import (
    HOSTS,
    ORDINARY,
    START,
    _cluster_of,
    _record,
    detected_fleet,
)

ODD_HOSTS = HOSTS[3:15]
DAYS = 21
ODD_PATH = "\\??\\C:\\Windows\\Temp\\RTCore64.sys"
ODD = ("file", "c:\\windows\\temp\\rtcore64.sys")
ODD_HASHES = "SHA256=01AA278B07B58DC46C84BD0B1B5C8E9EE4E62EA0BF7A695862444AF32E87F1FD"
VENDOR_PATH = "\\SystemRoot\\System32\\drivers\\vendorflt.sys"
VENDOR = ("file", "c:\\windows\\system32\\drivers\\vendorflt.sys")


def _driver(name: str, image_path: str) -> dict[str, Any]:
    return {"ServiceName": name, "ImagePath": image_path, "ServiceType": "kernel mode driver",
            "StartType": "demand start", "AccountName": ""}


def _fleet() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for day in range(DAYS):
        for index, host in enumerate(HOSTS):
            morning = START + timedelta(days=day, minutes=index * 3)
            records.append(_record(host, morning, "System", 7045, _driver("vendorflt", VENDOR_PATH), len(records)))
            for offset, (image, line) in enumerate(ORDINARY):
                records.append(_record(host, morning + timedelta(minutes=10 + offset), "Microsoft-Windows-Sysmon/Operational",
                                       1, {"Image": image, "CommandLine": line, "ProcessId": str(1000 + offset),
                                           "User": "CORP\\user"}, len(records)))
    attack = START + timedelta(days=DAYS - 1, hours=6)
    for index, host in enumerate(ODD_HOSTS):
        records.append(_record(host, attack + timedelta(seconds=20 * index), "System", 7045,
                               _driver(f"x{stable_hash(host, length=7)}", ODD_PATH), len(records)))
        # the kernel loads it (Sysmon 6): a second file node, keyed by hash, on the same hosts at the same time
        records.append(_record(host, attack + timedelta(seconds=20 * index + 1), "Microsoft-Windows-Sysmon/Operational",
                               6, {"ImageLoaded": "C:\\Windows\\Temp\\RTCore64.sys", "Hashes": ODD_HASHES,
                                   "Signed": "true", "Signature": "Micro-Star Int'l Co. Ltd.",
                                   "SignatureStatus": "Valid"}, len(records)))
    return records


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory):
    yield from detected_fleet(tmp_path_factory.mktemp("driver-fleet"), _fleet())


def test_the_odd_driver_installed_on_twelve_hosts_is_the_top_cluster_of_those_hosts(detected) -> None:
    _, result = detected
    cluster = _cluster_of(result, ODD)
    assert cluster is not None and cluster.pivot.ref == ODD and sorted(cluster.hosts) == ODD_HOSTS
    assert cluster.score == max(c.score for c in result.clusters)
    summary = cluster.explanation.summary
    assert summary.startswith("12 hosts first installed or got file C:\\Windows\\Temp\\RTCore64.sys within 4 minutes (6 of them within 2 minutes)")
    assert "it is installed as a driver" in summary
    assert len(cluster.pivot.props["services"]) == 12  # each host's random service name, on the pivot


def test_the_fleet_wide_vendor_driver_forms_no_cluster(detected) -> None:
    store, result = detected
    assert len(store.hosts_of(*VENDOR)) == len(HOSTS)  # installed everywhere, every day: it is in the graph
    assert all(VENDOR not in {entity.ref for entity in cluster.entities} for cluster in result.clusters)
