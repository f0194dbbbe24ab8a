"""A WMI script consumer fanned out over 40 of 200 hosts says it is a WMI subscription (red team T12, finding 3).

The fleet of :mod:`tests.analytics.test_persistence_wmi_task_fanout` (200 hosts, a GPO task re-registered
daily for two weeks, 40 hosts given a new task), but its 40 WMI hosts get an ``ActiveScriptEventConsumer``
(VBScript running the implant through ``WScript.Shell``) in place of the command-line consumer.  Before,
the script led a cluster whose summary and steps said nothing of WMI, and its value was the MOF-quoted text
(``C:\\\\Users\\\\Public``): an installed script now leads as an installed command does, with the same
words and the same check step.  Through the real path: Winlogbeat records -> ingest_paths -> journal ->
embedded store -> detect.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from graphsiem.model import stable_hash
from tests.analytics.test_persistence_fanout import _cluster_of, _record, detected_fleet
from tests.analytics.test_persistence_wmi_task_fanout import (
    DAYS,
    START,
    SYSMON,
    TASK,
    WMI_HOSTS,
    _fleet,
    _mof,
)

PAYLOAD = "C:\\Users\\Public\\Libraries\\svcw.exe"
SCRIPT = f'Set s = CreateObject("WScript.Shell")\r\ns.Run "{PAYLOAD} /silent", 0'
SCRIPT_REF = ("script", stable_hash(" ".join(SCRIPT.split())))


def _script_fleet() -> list[dict]:
    records = [r for r in _fleet() if r["winlog"]["event_id"] != "20"]  # the command-line consumers out
    consumer = {"EventType": "WmiConsumerEvent", "Operation": "Created", "User": "CORP\\adm-x",
                "Name": _mof("SCM Event Log Consumer2"), "Type": "Script", "Destination": _mof(SCRIPT)}
    attack = START + timedelta(days=DAYS - 1, hours=9)
    for index, host in enumerate(WMI_HOSTS):  # 40 hosts in 9 minutes
        records.append(_record(host, attack + timedelta(seconds=13 * index), SYSMON, 20, consumer, len(records)))
    return records


@pytest.fixture(scope="module")
def detected(tmp_path_factory):
    yield from detected_fleet(tmp_path_factory.mktemp("wmi-script-fleet"), _script_fleet())


def test_the_script_consumer_cluster_says_it_is_a_wmi_subscription_with_its_step(detected) -> None:
    cluster = _cluster_of(detected[1], SCRIPT_REF)
    assert (sorted(cluster.hosts), cluster.pivot.ref) == (WMI_HOSTS, SCRIPT_REF)
    # the script as the script host runs it, not in Sysmon's MOF quoting
    assert PAYLOAD in cluster.pivot.value and "\\\\" not in cluster.pivot.value
    words = [cluster.explanation.summary, *(c.check for c in cluster.explanation.checks)]
    assert any("40 hosts first installed or ran script" in w and "it is installed as a WMI subscription" in w
               for w in words[:1])
    assert any("was installed as a WMI subscription (WMI consumer SCM Event Log Consumer2) on 40 hosts" in w
               and "Sysmon event 20" in w and "the paths and programs the script runs" in w for w in words[1:])


def test_the_script_and_the_task_lead_the_ranking(detected) -> None:
    _, result = detected
    ranked = [cluster.pivot.ref for cluster in sorted(result.clusters, key=lambda c: -c.score)]
    assert set(ranked[:2]) == {TASK, SCRIPT_REF}
