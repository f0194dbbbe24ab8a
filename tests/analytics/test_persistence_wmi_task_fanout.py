"""One new persistence command fanned out over 40 of 200 hosts is a cluster; a GPO's daily task is not.

Through the real path: Winlogbeat records (Security 4698, Sysmon 20 and 1) -> ingest_paths ->
journal -> embedded store -> detect.  200 hosts get the same inventory task from a GPO every
morning for two weeks (a Group Policy scheduled-task preference re-registers it: a 4698 a day on
every host) and run a few ordinary processes.  On the last day 40 hosts get the same new scheduled
task within 10 minutes, and 40 others the same WMI subscription (a ``CommandLineEventConsumer``)
within 10 minutes: persistence pushed by an attacker with a foothold on a management server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from graphsiem.model import stable_hash
from ingest.normalize import normalize_command_line
from tests.analytics.test_persistence_fanout import _cluster_of, _record, detected_fleet

HOSTS = [f"ws-{i:04d}" for i in range(200)]
TASK_HOSTS = HOSTS[10:50]
WMI_HOSTS = HOSTS[120:160]
START = datetime(2024, 3, 1, 7, 0, tzinfo=UTC)
DAYS = 14
SECURITY, SYSMON = "Security", "Microsoft-Windows-Sysmon/Operational"
POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"

INVENTORY_ARGS = "-NoProfile -ExecutionPolicy Bypass -File \\\\corp.example.com\\NETLOGON\\inventory.ps1"
INVENTORY = ("process", stable_hash(POWERSHELL.lower(), normalize_command_line(f"powershell.exe {INVENTORY_ARGS}")))
TASK_EXE = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\msupd.exe"
TASK_ARGS = "-s 443 -k upd"
TASK = ("process", stable_hash(TASK_EXE.lower(), normalize_command_line(f"{TASK_EXE} {TASK_ARGS}")))
WMI_COMMAND = "C:\\Users\\Public\\Libraries\\svcw.exe /silent"
WMI = ("process", stable_hash("c:\\users\\public\\libraries\\svcw.exe", normalize_command_line(WMI_COMMAND)))
ORDINARY = [("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs"),
            ("C:\\Program Files\\Mozilla Firefox\\firefox.exe", '"C:\\Program Files\\Mozilla Firefox\\firefox.exe"')]


def _task(name: str, command: str, arguments: str, author: str) -> dict[str, Any]:
    content = ('<?xml version="1.0" encoding="UTF-16"?><Task version="1.3" '
               'xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">'
               f"<RegistrationInfo><Author>{author}</Author><URI>{name}</URI></RegistrationInfo>"
               "<Triggers><CalendarTrigger><StartBoundary>2024-03-01T08:00:00</StartBoundary>"
               "<ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay></CalendarTrigger></Triggers>"
               "<Principals><Principal id='Author'><UserId>S-1-5-18</UserId></Principal></Principals>"
               f"<Actions Context='Author'><Exec><Command>{command}</Command><Arguments>{arguments}</Arguments>"
               "</Exec></Actions></Task>")
    return {"SubjectUserSid": "S-1-5-18", "SubjectUserName": "WS$", "SubjectDomainName": "CORP",
            "SubjectLogonId": "0x3e7", "TaskName": name, "TaskContent": content}


def _mof(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fleet() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    inventory = _task("\\Corp\\Inventory", "powershell.exe", INVENTORY_ARGS.replace("\\", "\\"), "CORP\\gpo-admin")
    for day in range(DAYS):
        for index, host in enumerate(HOSTS):
            # a GPO refresh re-registers the task on each host as it boots, over the morning
            morning = START + timedelta(days=day, seconds=index * 47)
            records.append(_record(host, morning, SECURITY, 4698, inventory, len(records)))
            for offset, (image, line) in enumerate(ORDINARY):
                records.append(_record(host, morning + timedelta(minutes=10 + offset), SYSMON, 1,
                                       {"Image": image, "CommandLine": line, "ProcessId": str(1000 + offset),
                                        "User": "CORP\\user"}, len(records)))
    attack = START + timedelta(days=DAYS - 1, hours=7)
    implant = _task("\\Microsoft\\Windows\\Maintenance\\MsUpd", TASK_EXE, TASK_ARGS, "CORP\\adm-x")
    for index, host in enumerate(TASK_HOSTS):  # 40 hosts in 9 minutes
        records.append(_record(host, attack + timedelta(seconds=14 * index), SECURITY, 4698, implant, len(records)))
    consumer = {"EventType": "WmiConsumerEvent", "Operation": "Created", "User": "CORP\\adm-x",
                "Name": _mof("SCM Event Log Consumer2"), "Type": "Command Line", "Destination": _mof(WMI_COMMAND)}
    for index, host in enumerate(WMI_HOSTS):
        records.append(_record(host, attack + timedelta(hours=2, seconds=13 * index), SYSMON, 20, consumer,
                               len(records)))
    return records


@pytest.fixture(scope="module")
def detected(tmp_path_factory):
    yield from detected_fleet(tmp_path_factory.mktemp("wmi-task-fleet"), _fleet())


def test_the_wmi_subscription_on_forty_hosts_is_a_cluster_with_its_step(detected) -> None:
    _, result = detected
    cluster = _cluster_of(result, WMI)
    assert cluster is not None and sorted(cluster.hosts) == WMI_HOSTS
    assert cluster.pivot.ref == WMI
    summary = cluster.explanation.summary
    assert "40 hosts first installed or ran process" in summary and "it is installed as a WMI subscription" in summary
    step = next(c.check for c in cluster.explanation.checks if "was installed as" in c.check)
    assert "was installed as a WMI subscription (WMI consumer SCM Event Log Consumer2) on 40 hosts" in step
    assert "Sysmon event 20" in step


def test_the_new_task_on_forty_hosts_is_a_cluster_with_its_step(detected) -> None:
    _, result = detected
    cluster = _cluster_of(result, TASK)
    assert cluster is not None and sorted(cluster.hosts) == TASK_HOSTS
    assert "it is installed as a scheduled task" in cluster.explanation.summary
    step = next(c.check for c in cluster.explanation.checks if "was installed as" in c.check)
    assert "scheduled task (task \\Microsoft\\Windows\\Maintenance\\MsUpd) on 40 hosts" in step


def test_the_gpo_task_on_every_host_every_day_is_quiet_and_below_both(detected) -> None:
    store, result = detected
    # in the graph, installed everywhere, with how it was installed
    assert len(store.hosts_of(*INVENTORY)) == len(HOSTS)
    assert store.get_entity(*INVENTORY).props["mechanisms"] == ["scheduled_task"]
    assert all(INVENTORY not in {entity.ref for entity in cluster.entities} for cluster in result.clusters)
    ranked = [cluster.pivot.ref for cluster in sorted(result.clusters, key=lambda c: -c.score)]
    assert set(ranked[:2]) == {TASK, WMI}


def test_the_subscriptions_are_host_installed_relations_with_their_evidence(detected) -> None:
    store, _ = detected
    installed = {r.src: r for r in store.iter_relations("INSTALLED") if r.dst == WMI}
    assert sorted(host for _, host in installed) == WMI_HOSTS
    assert all(relation.count == 1 and len(relation.evidence) == 1 for relation in installed.values())
    props = store.get_entity(*WMI).props
    assert (props["wmi_consumers"], props["mechanisms"]) == (["SCM Event Log Consumer2"], ["wmi_subscription"])
