"""A parent that is a built-in Windows program is judged by what it ran (review R4, finding 3).

"Benign if services.exe is a known installer, updater or management agent"
invited a first-week analyst to tick "benign": services.exe, wmiprvse.exe and
wscript.exe are signed Windows programs that start whatever they are given.
The step now says so and points at what they ran: the script file, the
service, the WMI caller, the child's command line.
"""

from __future__ import annotations

from datetime import UTC, datetime

from analytics.checks import cluster_checks
from analytics.explain import Explanation, FeatureContribution
from analytics.features import SCORED_FEATURES
from analytics.lineage import LineagePair
from graphsiem.model import Entity

T0 = datetime(2026, 11, 2, 14, 37, tzinfo=UTC).timestamp()
HOSTS = ["srv-0002", "srv-0010", "srv-0012", "srv-0019", "srv-0023"]
FILE = Entity("file", "wmi.tmp", r"C:\Windows\Temp\~wmi.tmp")
CMD = Entity("process", "cmd", r"C:\Windows\system32\cmd.exe /b /c start /b /min powershell -nop -enc SQBFAFgA",
             {"image": r"C:\Windows\system32\cmd.exe"})
WSCRIPT = Entity("process", "wscript",
                 r'"C:\Windows\System32\WScript.exe" "C:\Users\dmitri.green29\Downloads\Invoice_Q4_2026.js"',
                 {"image": r"C:\Windows\System32\wscript.exe"})


def _lineage_step(pairs: tuple[LineagePair, ...], members: list[Entity]):
    rows = tuple(FeatureContribution(n, 1.0, 0.0, 0.3 if n == "interpreter_lineage" else 0.0)
                 for n in SCORED_FEATURES)
    explanation = Explanation("summary", rows, "normal", lineage=pairs,
                              new_members=tuple(e.ref for e in members), candidates=40)
    steps = cluster_checks(explanation, pivot=members[0], entities=members, hosts=HOSTS, first_seen=T0, features={})
    return next(s for s in steps if s.feature == "interpreter_lineage")


def _pair(parent: str, child: str) -> LineagePair:
    return LineagePair(parent, child, 5, T0)


def test_services_exe_points_at_the_service_and_the_command_it_ran():
    step = _lineage_step((_pair("services.exe", "cmd.exe"), _pair("cmd.exe", "powershell.exe")), [FILE, CMD])
    assert "services.exe is a built-in Windows program that starts every Windows service" in step.check
    assert "check the service that ran cmd.exe (C:\\Windows\\system32\\cmd.exe /b /c start" in step.check
    assert "7045" in step.check and "4697" in step.check
    assert "services.exe is a known" not in step.benign_if
    assert step.benign_if.startswith("the service is one your management tooling installs")


def test_wmiprvse_points_at_the_caller():
    step = _lineage_step((_pair("wmiprvse.exe", "cmd.exe"),), [FILE, CMD])
    assert "wmiprvse.exe is a built-in Windows program that carries out every WMI request" in step.check
    assert "who made the WMI request" in step.check and "4624" in step.check
    assert "wmiprvse.exe" not in step.benign_if
    # an installer or agent parent keeps the installer question
    other = _lineage_step((_pair("ccmexec.exe", "powershell.exe"),), [FILE, CMD])
    assert "ccmexec.exe is a known installer, updater or management agent" in other.benign_if


def test_wscript_names_the_script_it_ran():
    step = _lineage_step((_pair("explorer.exe", "wscript.exe"), _pair("wscript.exe", "powershell.exe")),
                         [FILE, WSCRIPT])
    # the built-in parent leads, whatever the pairs' order
    assert "wscript.exe is a built-in Windows program that runs script files" in step.check
    assert r"check the script it ran, C:\Users\dmitri.green29\Downloads\Invoice_Q4_2026.js" in step.check
    assert "where the file came from" in step.check
    assert "not a file from a download" in step.benign_if


def test_wscript_without_its_process_says_where_to_find_the_script():
    step = _lineage_step((_pair("wscript.exe", "powershell.exe"),), [FILE, CMD])
    assert "check the script it ran (its command line names the file)" in step.check
    assert "Sysmon event 1 on srv-0002" in step.check


def test_a_long_script_path_keeps_its_file_name():
    long_path = "C:\\Users\\x\\" + "deep\\" * 30 + "Invoice_Q4_2026.js"
    wscript = Entity("process", "w2", f'wscript.exe "{long_path}"', {"image": "wscript.exe"})
    step = _lineage_step((_pair("wscript.exe", "powershell.exe"),), [FILE, wscript])
    assert "…" in step.check and "Invoice_Q4_2026.js:" in step.check
