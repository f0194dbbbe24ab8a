"""Service installs and scheduled tasks in the graph: ``host INSTALLED process``, keyed as Sysmon 1 keys the run.

Records go through the real pipeline, journal and embedded store
(:class:`tests.ingest.parsers.test_windows_variants.Ingested`).
"""

from __future__ import annotations

import pytest

from tests.ingest.parsers.test_mde_persistence import row
from tests.ingest.parsers.test_windows_persistence import (
    CMD,
    ENCODED,
    POWERSHELL,
    SERVICE_4697,
    SERVICE_7045,
    SERVICE_LINE,
    STAGER,
    TASK_4698,
    TASK_LINE,
)
from tests.ingest.parsers.test_windows_variants import _process, _sysmon, _winlogbeat, ingest_into

HOST = ("host", "ws-0042")
SYSTEM = ("user", "nt authority\\system")

@pytest.fixture
def ingest(tmp_path):
    yield from ingest_into(tmp_path)



def _service_run(record_id: int = 9) -> dict:
    """Sysmon 1 of the service's start: services.exe runs the expanded ImagePath."""
    return _sysmon(1, record_id, ProcessGuid="{5770385f-0000-0000-0000-00000000a001}", ProcessId="5120",
                   Image="C:\\Windows\\System32\\cmd.exe", CommandLine=SERVICE_LINE, User="NT AUTHORITY\\SYSTEM",
                   ParentProcessGuid="{5770385f-0000-0000-0000-000000000270}", ParentProcessId="624",
                   ParentImage="C:\\Windows\\System32\\services.exe",
                   ParentCommandLine="C:\\Windows\\system32\\services.exe")


def test_a_service_install_and_its_run_are_one_process_installed_and_ran_on_the_host(ingest) -> None:
    got = ingest(_winlogbeat(7045, SERVICE_7045, channel="System"), _service_run())
    service = _process(CMD, SERVICE_LINE)
    assert got.edges("INSTALLED") == {(HOST, service)}
    assert (HOST, service) in got.edges("RAN")
    assert (service, SYSTEM) in got.edges("RUN_AS")
    entity = got.entities("process")[service[1]]
    assert entity.props["service"] == "wvbnmkqa"
    assert entity.props["decoded_command"] == STAGER
    assert [(s.host, s.count) for s in got.store.hosts_of(*service)] == [("ws-0042", 2)]


def test_4697_relates_the_service_account_and_sights_the_installer(ingest) -> None:
    got = ingest(_winlogbeat(4697, SERVICE_4697, channel="Security"))
    psexesvc = _process("C:\\Windows\\PSEXESVC.exe", "C:\\Windows\\PSEXESVC.exe")
    assert got.edges("INSTALLED") == {(HOST, psexesvc)}
    assert got.edges("RUN_AS") == {(psexesvc, SYSTEM)}
    assert [s.host for s in got.store.hosts_of("user", "corp\\adm-jdoe")] == ["ws-0042"]


def test_each_action_of_a_task_is_installed_with_the_task_name(ingest) -> None:
    got = ingest(_winlogbeat(4698, TASK_4698, channel="Security"))
    stager, whoami = _process(POWERSHELL, TASK_LINE), _process(CMD, f"{CMD} /c whoami")
    assert got.edges("INSTALLED") == {(HOST, stager), (HOST, whoami)}
    assert got.edges("RUN_AS") == {(stager, SYSTEM), (whoami, SYSTEM)}
    processes = got.entities("process")
    assert processes[stager[1]].props["task"] == processes[whoami[1]].props["task"] == "\\OneDrive Sync"


def test_the_task_run_seen_by_sysmon_is_the_installed_node(ingest) -> None:
    run = _sysmon(1, 7, ProcessGuid="{5770385f-0000-0000-0000-00000000b001}", ProcessId="6100", Image=POWERSHELL,
                  CommandLine=TASK_LINE, User="NT AUTHORITY\\SYSTEM", ParentImage="C:\\Windows\\System32\\svchost.exe",
                  ParentCommandLine="C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule")
    got = ingest(_winlogbeat(4698, TASK_4698, channel="Security"), run)
    stager = _process(POWERSHELL, TASK_LINE)
    assert (HOST, stager) in got.edges("INSTALLED") and (HOST, stager) in got.edges("RAN")


def test_mde_and_windows_service_installs_of_one_command_are_one_node(ingest) -> None:
    mde = row("ServiceInstalled", {"ServiceName": "wvbnmkqa", "ServiceAccount": "LocalSystem"},
              ProcessCommandLine=SERVICE_7045["ImagePath"])
    mde["DeviceName"] = "ws-0043.corp.contoso.com"
    got = ingest(_winlogbeat(7045, SERVICE_7045, channel="System"), mde)
    service = _process(CMD, SERVICE_LINE)
    assert got.edges("INSTALLED") == {(HOST, service), (("host", "ws-0043"), service)}
    assert sorted(s.host for s in got.store.hosts_of(*service)) == ["ws-0042", "ws-0043"]
    assert ENCODED in got.entities("process")[service[1]].value
