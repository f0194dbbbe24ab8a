"""A kernel driver new in the window from outside the Windows driver directory is a behaviour (task F8).

Windows keeps drivers in ``System32\\drivers`` (and the DriverStore): only an administrator
or the system writes there.  Bring-your-own-vulnerable-driver drops the driver where the
attacker can write (Temp, a profile) and loads it from there.  Through the real path
(Winlogbeat records -> ingest -> embedded store -> detect), on the driver fleet of
``test_driver_fanout`` (a vendor's driver re-registered daily for three weeks; on the last
day RTCore64.sys from ``C:\\Windows\\Temp`` on 12 hosts, each under a random service name)
plus, on the last day, a graphics driver rolled out to 14 hosts into ``System32\\drivers``
by ``pnputil`` (new, legitimate) and a driver only the kernel's load names (Sysmon 6, no
service install) from ``C:\\Users\\Public`` on 6 hosts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from analytics.driver_paths import outside_driver_directory
from tests.analytics.test_driver_fanout import ODD, ODD_HASHES, ODD_HOSTS, _driver
from tests.analytics.test_driver_fanout import _fleet as _driver_fleet
from tests.analytics.test_persistence_fanout import (
    DAYS,
    HOSTS,
    START,
    _cluster_of,
    _record,
    detected_fleet,
)

SYSMON = "Microsoft-Windows-Sysmon/Operational"
RING_HOSTS = HOSTS[20:34]
RING = ("file", "c:\\windows\\system32\\drivers\\igdkmdn64.sys")
RING_HASHES = "SHA256=5E0E3F1F4B0B3E6A1B9A8C7D6E5F40312233445566778899AABBCCDDEEFF0011"
LOADED_ONLY_HOSTS = HOSTS[34:40]
LOADED_ONLY = ("file", "9f2c1d7e5b3a4c6d8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f")
ODD_DIGEST = ODD_HASHES.removeprefix("SHA256=").lower()
FEATURE = "driver_outside_drivers_dir"


@pytest.mark.parametrize(("path", "outside"), [
    ("C:\\Windows\\Temp\\RTCore64.sys", True),
    ("\\??\\C:\\Users\\bob\\AppData\\Local\\Temp\\gdrv.sys", True),
    ("c:\\programdata\\x\\drv.sys", True),
    ("\\Device\\HarddiskVolume3\\Users\\Public\\gdrv.sys", True),
    ("C:\\Windows\\System32\\drivers\\..\\..\\Temp\\evil.sys", True),  # no climbing out of the directory
    ("C:\\Windows\\System32\\drivers.bak\\evil.sys", True),
    ("C:\\Windows\\System32\\drivers\\igdkmdn64.sys", False),
    ("C:\\WINDOWS\\system32\\DRIVERS\\igdkmdn64.sys", False),  # Windows compares paths case-insensitively
    ("D:\\Windows\\System32\\drivers\\x.sys", False),
    ("\\SystemRoot\\System32\\drivers\\corpdlpflt.sys", False),
    ("%SystemRoot%\\System32\\drivers\\x.sys", False),
    ("System32\\drivers\\dhfilter.sys", False),
    ("\\??\\C:\\Windows\\System32\\drivers\\x.sys", False),
    ("\\Device\\HarddiskVolume2\\Windows\\System32\\drivers\\x.sys", False),
    ("C:\\Windows\\System32\\DriverStore\\FileRepository\\iigd_dch.inf_amd64_1\\igdkmd64.sys", False),
    ("rtcore64.sys", False),  # a bare name says nothing about where the file was
])
def test_paths_outside_the_driver_directory_in_the_forms_sources_write_them(path, outside):
    assert outside_driver_directory(path) is outside


def _load(host: str, when: Any, path: str, hashes: str, n: int) -> dict[str, Any]:
    return _record(host, when, SYSMON, 6, {"ImageLoaded": path, "Hashes": hashes, "Signed": "true",
                                           "Signature": "Vendor", "SignatureStatus": "Valid"}, n)


def _fleet() -> list[dict[str, Any]]:
    records = _driver_fleet()
    last_day = START + timedelta(days=DAYS - 1)
    ring = last_day + timedelta(hours=4)
    for index, host in enumerate(RING_HOSTS):  # a graphics driver, rolled out into System32\drivers by pnputil
        when = ring + timedelta(minutes=3 * index)
        records.append(_record(host, when, SYSMON, 1, {
            "Image": "C:\\Windows\\System32\\pnputil.exe", "ProcessId": "4242", "User": "NT AUTHORITY\\SYSTEM",
            "CommandLine": "pnputil.exe /add-driver C:\\ProgramData\\CorpIT\\igfx\\iigd_dch.inf /install"}, len(records)))
        records.append(_record(host, when + timedelta(seconds=5), "System", 7045,
                               _driver("igfxn", "\\SystemRoot\\System32\\drivers\\igdkmdn64.sys"), len(records)))
        records.append(_load(host, when + timedelta(seconds=6), "C:\\Windows\\System32\\drivers\\igdkmdn64.sys",
                             RING_HASHES, len(records)))
    loaded = last_day + timedelta(hours=9)
    for index, host in enumerate(LOADED_ONLY_HOSTS):  # loaded by the kernel, no service install logged
        records.append(_load(host, loaded + timedelta(seconds=30 * index), "C:\\Users\\Public\\gdrv.sys",
                             "SHA256=" + LOADED_ONLY[1].upper(), len(records)))
    for team in range(6):  # ordinary new software, a team at a time over the working day
        for index, host in enumerate(HOSTS[team * 3: team * 3 + 4]):
            image = f"C:\\Program Files\\TeamApp{team}\\teamapp{team}.exe"
            records.append(_record(host, last_day + timedelta(hours=1 + team, minutes=50 * index), SYSMON, 1,
                                   {"Image": image, "CommandLine": f'"{image}" --start', "ProcessId": str(5000 + team),
                                    "User": "CORP\\user"}, len(records)))
    return records


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory):
    yield from detected_fleet(tmp_path_factory.mktemp("driver-directory-fleet"), _fleet())


def _feature(cluster, name):
    return next(f for f in cluster.explanation.features if f.name == name)


def test_the_vulnerable_driver_from_temp_takes_the_driver_column_and_its_step_comes_first(detected) -> None:
    _, result = detected
    cluster = _cluster_of(result, ODD)
    assert cluster.features[FEATURE] == 1.0 and _feature(cluster, FEATURE).contribution > 0
    assert "kernel driver loaded from outside the Windows driver directory" in cluster.explanation.summary
    first = cluster.explanation.checks[0]
    assert first.feature == FEATURE  # a behaviour, before "look for a deployment job"
    assert "Kernel driver C:\\Windows\\Temp\\RTCore64.sys was installed or loaded from outside" in first.check
    assert ODD_DIGEST in first.check
    # each host registered it under its own random name: said, with the count, not one name as if it were all
    assert "under 12 different service names on 12 hosts" in first.check
    assert "a different name on every host is how attack tools register a service" in first.check
    # the path is two members (installed by path, loaded by digest): the step says why
    assert "two members: the file installed, by its path, and the file the kernel loaded, by its SHA-256" in first.check
    # the install step would repeat the same driver: left out
    assert not any("was installed as a driver" in c.check for c in cluster.explanation.checks)


def test_a_new_driver_rolled_out_into_system32_drivers_does_not_take_the_column(detected) -> None:
    _, result = detected
    cluster = _cluster_of(result, RING)
    assert cluster is not None and sorted(cluster.hosts) == RING_HOSTS
    assert cluster.features[FEATURE] == 0.0
    assert all(c.feature != FEATURE for c in cluster.explanation.checks)
    install = next(c for c in cluster.explanation.checks if "was installed as a driver" in c.check)
    assert f"(service igfxn) on {len(RING_HOSTS)} hosts" in install.check


def test_a_driver_the_kernel_loaded_from_a_profile_takes_the_column_without_a_service_install(detected) -> None:
    _, result = detected
    cluster = _cluster_of(result, LOADED_ONLY)
    assert cluster is not None and sorted(cluster.hosts) == LOADED_ONLY_HOSTS
    assert cluster.features[FEATURE] == 1.0
    step = next(c for c in cluster.explanation.checks if c.feature == FEATURE)
    assert "C:\\Users\\Public\\gdrv.sys" in step.check and LOADED_ONLY[1] in step.check


def test_files_on_the_hosts_are_no_network_evidence(detected) -> None:
    """pnputil and the driver files: all seen on the hosts, no traffic: one kind of evidence, not two."""
    _, result = detected
    for ref in (RING, ODD, LOADED_ONLY):
        cluster = _cluster_of(result, ref)
        assert cluster.features["source_kinds"] == 1.0, ref
        assert not any(c.feature == "source_kinds" for c in cluster.explanation.checks)
        assert not any("on the wire" in c.check for c in cluster.explanation.checks)


def test_the_vulnerable_driver_still_leads_the_fleet(detected) -> None:
    _, result = detected
    assert result.clusters[0].pivot.ref == ODD and sorted(result.clusters[0].hosts) == ODD_HOSTS
