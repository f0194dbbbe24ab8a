"""The newer host-finding rules' reads (analytics.host_finding_reads): a psexec_psh service stager is a hit
whether Sysmon saw services.exe start it or the System log saw it installed, a journal's rows reach every
rule, and each rule's finding has its next step (analytics.host_finding_words.checks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.host_finding_reads import host_more_hits, read_more_hits
from analytics.host_finding_rules import RULES
from analytics.host_finding_words import checks
from analytics.host_findings import Hit, HostFinding, hits_of_events
from graphsiem.model import Event
from ingest.journal import Journal

STAGER = ("powershell.exe -nop -w hidden -noni -c \"$s=New-Object IO.MemoryStream(,[Convert]::FromBase64String("
          "'H4sIAIuvyFwCA7VW'));IEX (New-Object IO.StreamReader(New-Object IO.Compression.GzipStream($s,"
          "[IO.Compression.CompressionMode]::Decompress))).ReadToEnd()\"")
CMD = r"C:\Windows\System32\cmd.exe"


def created(parent: str, command: str = f"cmd.exe /b /c start /b /min {STAGER}") -> tuple:
    return ("e-1", "sysmon:process_create", 5.0, {"process.executable": CMD, "process.command_line": command,
                                                  "process.parent.executable": parent, "process.guid": "g"})


def test_services_starting_a_gzip_stager_is_a_service_stager_hit():
    hits = [h for h in hits_of_events("iewin7", [created(r"C:\Windows\System32\services.exe")])
            if h.rule == "service_stager"]
    assert len(hits) == 1 and "GzipStream" in hits[0].detail


def test_the_same_command_from_another_parent_or_without_gzip_is_no_service_stager():
    assert all(h.rule != "service_stager" for h in hits_of_events("ws-1", [created(r"C:\Windows\explorer.exe")]))
    plain = created(r"C:\Windows\System32\services.exe", "cmd.exe /c powershell -File C:\\it\\x.ps1")
    assert all(h.rule != "service_stager" for h in hits_of_events("ws-1", [plain]))


def test_a_service_installed_with_a_gzip_stager_is_a_hit_naming_the_service():
    install = ("e-7045", "windows:service_installed", 5.0,
               {"event.code": "7045", "service.name": "hello", "process.executable": CMD,
                "process.command_line": f"{CMD} /b /c start /b /min {STAGER}"})
    hits = host_more_hits("iewin7", [install])
    assert [(h.rule, h.event_id) for h in hits] == [("service_stager", "e-7045")] and "'hello'" in hits[0].detail
    benign = (install[0], install[1], install[2], {**install[3], "process.command_line": r"C:\Program Files\V\svc.exe"})
    assert host_more_hits("iewin7", [benign]) == []


def test_a_journals_rows_reach_the_rules(tmp_path: Path):
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        events = [
            Event(id="ev-1", kind="windows:service_installed", ts=100.0, host="iewin7", source="test",
                  fields={"event.code": "7045", "service.name": "hello", "process.executable": CMD,
                          "process.command_line": f"{CMD} /b /c {STAGER}"}),
            Event(id="ev-2", kind="windows:service_installed", ts=101.0, host="iewin7", source="test",
                  fields={"event.code": "7045", "service.name": "spooler",
                          "process.command_line": r"C:\Windows\System32\spoolsv.exe"}),
        ]
        journal.append(events)
        hits = read_more_hits(journal.connection, 0.0, 1000.0)
        assert [(h.host, h.rule) for h in hits] == [("iewin7", "service_stager")]
        assert read_more_hits(journal.connection, 200.0, 1000.0) == []  # outside the window
    finally:
        journal.close()


@pytest.mark.parametrize("rule", ["adfs_key_read", "service_stager", "cmd_stager", "obfuscated_cradle", "network_stager"])
def test_every_new_rule_has_its_next_step(rule: str):
    finding = HostFinding("ws-1", [Hit("ws-1", rule, 1.0, "e", "", "", "s", "d")])
    (check,) = checks(finding)
    assert check.check and check.benign_if and RULES[rule].attack


def test_one_act_in_sysmon_and_4688_is_one_cmd_stager_hit():
    command = "powershell -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA"
    events = [(f"e-{kind}", kind, 5.0 + n * 0.5,
               {"process.executable": r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                "process.command_line": command, "process.parent.executable": CMD, "process.parent.pid": 70})
              for n, kind in enumerate(("sysmon:process_create", "winsec:process_create"))]
    events.insert(0, ("e-cmd", "sysmon:process_create", 4.0,
                      {"process.executable": CMD, "process.command_line": "cmd /c x", "process.pid": 70,
                       "process.parent.executable": r"C:\Windows\System32\wscript.exe"}))
    assert [(h.rule, h.event_id) for h in host_more_hits("ws-1", events)] == [("cmd_stager", "e-sysmon:process_create")]
