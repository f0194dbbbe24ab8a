"""WMI subscriptions in the graph: a command-line consumer is ``host INSTALLED process``, keyed as its run.

Records go through the real pipeline, journal and embedded store
(:class:`tests.ingest.parsers.test_windows_variants.Ingested`); the join state's names are
checked on a projector restored from a saved state, as a later ingest call restores it.
"""

from __future__ import annotations

import orjson
import pytest

from graphsiem.model import Event
from ingest.parsers.windows_persistence import put_service
from ingest.projection import Projector
from tests.ingest.parsers.test_windows_persistence import STAGER, TASK_4698
from tests.ingest.parsers.test_windows_variants import _process, _sysmon, _winlogbeat, ingest_into
from tests.ingest.parsers.test_windows_wmi import COMMAND, CONSUMER, POWERSHELL, UPDATER, _mof

HOST = ("host", "ws-0042")
UPDATER_EXE = "C:\\ProgramData\\Updater\\upd.exe"


@pytest.fixture
def ingest(tmp_path):
    yield from ingest_into(tmp_path)


def _consumer_run(record_id: int = 9) -> dict:
    """Sysmon 1 of the consumer firing: the WMI provider host starts the command as LocalSystem."""
    return _sysmon(1, record_id, ProcessGuid="{5770385f-0000-0000-0000-00000000c001}", ProcessId="7120",
                   Image=UPDATER_EXE, CommandLine=UPDATER, User="NT AUTHORITY\\SYSTEM",
                   ParentProcessGuid="{5770385f-0000-0000-0000-000000000380}", ParentProcessId="2240",
                   ParentImage="C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
                   ParentCommandLine="C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding")


def test_a_consumer_and_its_run_are_one_process_installed_and_ran_on_the_host(ingest) -> None:
    got = ingest(_sysmon(20, 1, **CONSUMER), _consumer_run())
    updater = _process(UPDATER_EXE, UPDATER)
    assert got.edges("INSTALLED") == {(HOST, updater)}
    assert (HOST, updater) in got.edges("RAN")
    props = got.entities("process")[updater[1]].props
    assert (props["wmi_consumer"], props["wmi_consumers"], props["mechanisms"]) == (
        "Updater", ["Updater"], ["wmi_subscription"])
    assert [(s.host, s.count) for s in got.store.hosts_of(*updater)] == [("ws-0042", 2)]
    # the creator is sighted, not made the account the command runs as (LocalSystem runs it)
    assert [s.host for s in got.store.hosts_of("user", "corp\\adm-jdoe")] == ["ws-0042"]
    assert (updater, ("user", "corp\\adm-jdoe")) not in got.edges("RUN_AS")


def test_a_powershell_consumer_is_the_node_of_its_run_and_its_script_is_sighted_when_it_runs(ingest) -> None:
    consumer = _sysmon(20, 1, **{**CONSUMER, "Destination": _mof(COMMAND)})
    got = ingest(consumer)
    stager = _process(POWERSHELL, COMMAND)
    assert got.edges("INSTALLED") == {(HOST, stager)}
    [hit] = got.store.search_entities("downloadstring('http://evil.example", entity_type="script")
    # not run yet: a script sighted now would lead a fan-out cluster in the installed command's place
    assert got.store.hosts_of("script", hit.entity.key) == []
    block = _winlogbeat(4104, {"MessageNumber": "1", "MessageTotal": "1", "ScriptBlockText": STAGER,
                               "ScriptBlockId": "{4bd2e3a1-0000-4e6b-9c5c-1f2a3b4c5d6e}"},
                        channel="Microsoft-Windows-PowerShell/Operational", record_id=2)
    ran = ingest(consumer, block)
    assert [s.host for s in ran.store.hosts_of("script", hit.entity.key)] == ["ws-0042"]


def test_a_script_consumer_installs_its_script(ingest) -> None:
    script = 'Set s = CreateObject("WScript.Shell")\ns.Run "C:\\Users\\Public\\a.exe"'
    got = ingest(_sysmon(20, 1, **{**CONSUMER, "Type": "Script", "Destination": _mof(script)}))
    [(host, installed)] = got.edges("INSTALLED")
    assert host == HOST and installed[0] == "script"
    props = got.entities("script")[installed[1]].props
    assert (props["wmi_consumer"], props["mechanisms"]) == ("Updater", ["wmi_subscription"])
    assert not got.entities("process")


def test_a_deleted_consumer_installs_nothing(ingest) -> None:
    got = ingest(_sysmon(20, 1, **{**CONSUMER, "Operation": "Deleted"}))
    assert got.edges("INSTALLED") == set()
    assert not got.entities("process")


def test_a_task_and_a_service_say_how_they_were_installed(ingest) -> None:
    got = ingest(_winlogbeat(4698, TASK_4698, channel="Security", record_id=1),
                 _winlogbeat(7045, {"ServiceName": "UpdSvc", "ImagePath": UPDATER, "ServiceType": "user mode service"},
                             channel="System", record_id=2),
                 _sysmon(20, 3, **CONSUMER))
    processes = got.entities("process")
    updater = processes[_process(UPDATER_EXE, UPDATER)[1]].props
    assert updater["mechanisms"] == ["service", "wmi_subscription"]
    assert (updater["service"], updater["wmi_consumer"]) == ("UpdSvc", "Updater")
    task_actions = [e.props for e in processes.values() if e.props.get("task")]
    assert task_actions and all(props["mechanisms"] == ["scheduled_task"] for props in task_actions)


def _consumer_event(event_id: str, host: str, name: str) -> Event:
    fields = {"wmi.consumer.name": _mof(name), "wmi.consumer.type": "Command Line",
              "wmi.consumer.destination": _mof(UPDATER), "event.action": "Created",
              "process.executable": UPDATER_EXE, "process.command_line": UPDATER}
    return Event(event_id, "sysmon:wmi_consumer", 10.0, host, "winlogbeat", fields)


def test_consumer_names_survive_a_saved_join_state_and_one_saved_before_them() -> None:
    first = Projector()
    first.project([_consumer_event("e1", "ws-1", "Updater")])
    later = Projector()
    assert later.restore_join_state(first.join_state())
    [entity] = [e for e in later.project([_consumer_event("e2", "ws-2", "Refresher")]).entities
                if e.type == "process"]
    assert entity.props["wmi_consumers"] == ["Refresher", "Updater"]
    # a state saved before consumers were kept: four items per command, still read
    service: dict = {}
    put_service(service, name="UpdSvc", image_path=UPDATER)
    older = Projector()
    older.project([Event("s1", "windows:service_installed", 9.0, "ws-3", "winlogbeat", service)])
    state = orjson.loads(older.join_state())
    state["_installed_names"] = [[ref, names[:4]] for ref, names in state["_installed_names"]]
    restored = Projector()
    assert restored.restore_join_state(orjson.dumps(state))
    [entity] = [e for e in restored.project([_consumer_event("e3", "ws-3", "Updater")]).entities
                if e.type == "process"]
    assert (entity.props["services"], entity.props["wmi_consumers"], entity.props["mechanisms"]) == (
        ["UpdSvc"], ["Updater"], ["service", "wmi_subscription"])
