"""Kernel and file-system drivers installed as services are files: ``host INSTALLED file``.

A driver is loaded by the kernel, nothing runs it: System 7045 (``ServiceType`` "kernel mode
driver"), Security 4697 and MDE ``ServiceInstalled`` (``0x1``/``0x2``, ``1``/``2``), or any
service whose image is a ``.sys``, give the driver's file keyed by its path as Sysmon 11 keys
a file, whatever way the ``ImagePath`` writes it.  Records go through the real pipeline,
journal and embedded store.
"""

from __future__ import annotations

import pytest

from ingest.parsers.windows_persistence import SERVICE_KIND
from ingest.projection_endpoint import INSTALLED_NAMES
from tests.ingest.parsers.test_mde_persistence import row
from tests.ingest.parsers.test_windows_variants import _sysmon, _winlogbeat, ingest_into

HOST = ("host", "ws-0042")
DRIVER = ("file", "c:\\windows\\system32\\drivers\\rtcore64.sys")
DRIVER_PATH = "C:\\Windows\\System32\\drivers\\RTCore64.sys"


@pytest.fixture
def ingest(tmp_path):
    yield from ingest_into(tmp_path)


def _7045(name: str, image_path: str, service_type: str = "kernel mode driver", host: str = "WS-0042",
          record_id: int = 1) -> dict:
    record = _winlogbeat(7045, {"ServiceName": name, "ImagePath": image_path, "ServiceType": service_type,
                                "StartType": "demand start", "AccountName": ""},
                         channel="System", record_id=record_id)
    record["winlog"]["computer_name"] = f"{host}.corp.example.com"
    return record


@pytest.mark.parametrize("image_path", [
    "\\SystemRoot\\System32\\drivers\\RTCore64.sys",
    "System32\\drivers\\RTCore64.sys",
    "system32\\DRIVERS\\rtcore64.sys",
    "\\??\\C:\\Windows\\System32\\drivers\\RTCore64.sys",
    '"\\??\\C:\\Windows\\System32\\drivers\\RTCore64.sys"',
    "%SystemRoot%\\System32\\drivers\\RTCore64.sys",
    "C:\\WINDOWS\\system32\\drivers\\RTCore64.sys",
])
def test_every_way_to_write_a_driver_path_is_the_file_sysmon_11_names(ingest, image_path: str) -> None:
    dropped = _sysmon(11, 2, ProcessGuid="{5770385f-0000-0000-0000-00000000c001}", ProcessId="4400",
                      Image="C:\\Users\\Public\\loader.exe", TargetFilename=DRIVER_PATH)
    got = ingest(_7045("RTCore64", image_path), dropped)
    assert got.events[0].kind == SERVICE_KIND
    assert "process.executable" not in got.events[0].fields
    assert got.edges("INSTALLED") == {(HOST, DRIVER)}
    assert (HOST, DRIVER) not in got.edges("RAN")
    assert got.edges("RUN_AS") == set()
    # the only process is the one that dropped the driver: no made-up command line for the driver
    assert [entity.props.get("name") for entity in got.entities("process").values()] == ["loader.exe"]
    driver = got.entities("file")[DRIVER[1]]
    assert driver.props["service"] == "RTCore64" and driver.props["services"] == ["RTCore64"]
    assert [s.host for s in got.store.hosts_of(*DRIVER)] == ["ws-0042"]


def test_a_sys_image_under_a_user_folder_is_a_driver_whatever_its_type_says(ingest) -> None:
    got = ingest(_7045("gdrv", "\\??\\C:\\Users\\jdoe\\AppData\\Local\\Temp\\gdrv.sys", "user mode service"),
                 _7045("svc", "C:\\Program Files\\Vendor\\svc.exe -k", "user mode service", record_id=2))
    [service] = got.entities("process")  # a user-mode service's .exe stays the process it runs
    assert got.edges("INSTALLED") == {(HOST, ("file", "c:\\users\\jdoe\\appdata\\local\\temp\\gdrv.sys")),
                                      (HOST, ("process", service))}


def test_4697_and_mde_driver_numbers_are_drivers(ingest) -> None:
    security = _winlogbeat(4697, {"SubjectUserName": "adm-jdoe", "SubjectDomainName": "CORP",
                                  "ServiceName": "RTCore64", "ServiceFileName": "\\SystemRoot\\System32\\drivers\\RTCore64.sys",
                                  "ServiceType": "0x1", "ServiceStartType": "3", "ServiceAccount": ""},
                           channel="Security")
    mde = row("ServiceInstalled", {"ServiceName": "RTCore64b", "ServiceType": 2, "ServiceStartType": 3},
              ProcessCommandLine="system32\\drivers\\RTCore64.sys")
    mde["DeviceName"] = "ws-0043.corp.contoso.com"
    got = ingest(security, mde)
    assert {event.fields["service.type"] for event in got.events} == {"kernel mode driver", "file system driver"}
    assert got.edges("INSTALLED") == {(HOST, DRIVER), (("host", "ws-0043"), DRIVER)}
    assert got.entities("file")[DRIVER[1]].props["services"] == ["RTCore64", "RTCore64b"]
    # the installing account is sighted on the host, as for any service
    assert [s.host for s in got.store.hosts_of("user", "corp\\adm-jdoe")] == ["ws-0042"]


def test_the_names_of_a_fleet_wide_driver_are_bounded(ingest) -> None:
    records = [_7045(f"drv{n:03d}", DRIVER_PATH, record_id=n) for n in range(INSTALLED_NAMES + 5)]
    got = ingest(*records)
    props = got.entities("file")[DRIVER[1]].props
    assert len(props["services"]) == INSTALLED_NAMES and props["services_dropped"] == 5
