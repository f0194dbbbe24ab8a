"""Kernel and file-system drivers installed as services are files: ``host INSTALLED file``.

A driver is loaded by the kernel, nothing runs it: System 7045 (``ServiceType`` "kernel mode
driver"), Security 4697 and MDE ``ServiceInstalled`` (``0x1``/``0x2``, ``1``/``2``), or a
service of no type whose image is a ``.sys``, give the driver's file keyed by its path as
Sysmon 11 keys a file, whatever way the ``ImagePath`` writes it.  A type the event gives wins:
a user-mode service is the process it runs whatever its image's extension.  Records go
through the real pipeline, journal and embedded store.
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


@pytest.mark.parametrize("service_type", ["user mode service", "own process", "share process"])
def test_a_user_mode_service_whose_command_line_ends_in_sys_is_the_process_it_runs(ingest, service_type) -> None:
    # cmd.exe runs the payload; the trailing "x.sys" is a comment meant to pass the service off as a driver
    line = "C:\\Windows\\System32\\cmd.exe /c C:\\Users\\Public\\p.exe & rem x.sys"
    record = _7045("Updater", line, service_type)
    record["winlog"]["event_data"]["AccountName"] = "LocalSystem"
    got = ingest(record)
    assert got.events[0].fields["process.executable"] == "C:\\Windows\\System32\\cmd.exe"
    assert "file.path" not in got.events[0].fields
    assert got.entities("file") == {}
    [(_, process)] = [edge for edge in got.edges("INSTALLED") if edge[0] == HOST]
    assert process[0] == "process"
    assert got.entities("process")[process[1]].props["name"] == "cmd.exe"
    assert got.edges("RUN_AS") == {(process, ("user", "nt authority\\system"))}


def test_a_user_mode_service_whose_image_is_a_sys_runs_that_file_as_a_program(ingest) -> None:
    # the Service Control Manager starts a user-mode service's image as a process, whatever its extension
    got = ingest(_7045("Upd2", "C:\\Users\\Public\\svc.sys", "user mode service"),
                 _7045("svc", "C:\\Program Files\\Vendor\\svc.exe -k", "user mode service", record_id=2))
    assert got.entities("file") == {}
    names = {entity.props["name"] for entity in got.entities("process").values()}
    assert names == {"svc.sys", "svc.exe"}
    assert {dst[0] for src, dst in got.edges("INSTALLED")} == {"process"}


@pytest.mark.parametrize(("image_path", "driver"), [
    ("\\??\\C:\\Users\\jdoe\\AppData\\Local\\Temp\\gdrv.sys", "c:\\users\\jdoe\\appdata\\local\\temp\\gdrv.sys"),
    ('"C:\\Program Files\\Vendor\\drv.sys"', "c:\\program files\\vendor\\drv.sys"),
    ("C:\\Program Files\\Vendor\\drv.sys", "c:\\program files\\vendor\\drv.sys"),
])
def test_a_service_of_no_type_is_a_driver_when_its_image_is_a_sys(ingest, image_path: str, driver: str) -> None:
    got = ingest(_7045("gdrv", image_path, ""))
    assert got.edges("INSTALLED") == {(HOST, ("file", driver))}
    assert got.entities("process") == {}


def test_a_service_of_no_type_whose_command_line_only_ends_in_sys_is_a_process(ingest) -> None:
    got = ingest(_7045("Updater", "C:\\Windows\\System32\\cmd.exe /c C:\\Users\\Public\\p.exe & rem x.sys", ""))
    assert got.entities("file") == {}
    [process] = got.entities("process").values()
    assert process.props["name"] == "cmd.exe"
    assert got.edges("INSTALLED") == {(HOST, ("process", process.key))}


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
