"""Raw volume reads (Sysmon 9) and cleared logs as host findings (task COVER).

A process reading a volume directly copies files Windows holds locked (NTDS.dit, the SAM hive:
Invoke-NinjaCopy); Windows' own readers (the kernel's ``System``, System32's service host, shadow copy,
backup and disk tools, Defender's engine) do it all day and are no finding.  One account clearing one log
on many servers (a scheduled rotation) is one finding naming the account, not one per server, and merges
with no other act.  Events of our own making, and the corpus's OTRF samples (their 16 Sysmon 9 are the
kernel's and svchost's: no finding).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from analytics.host_finding_groups import group_findings
from analytics.host_findings import hits_of_events, journal_hosts, read_hits
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.samples import samples_path

NINJA = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
NINJA_LINE = "powershell.exe -ep bypass -c Invoke-NinjaCopy -Path C:\\Windows\\NTDS\\ntds.dit -LocalDestination C:\\t\\n"


def raw_read(image: str, *, guid: str = "g9", event_id: str = "e-raw", device: str = r"\Device\HarddiskVolume2",
             ts: float = 100.0) -> tuple:
    return (event_id, "sysmon:raw_access_read", ts,
            {"process.executable": image, "process.guid": guid, "file.path": device})


def rules_of(*events: tuple) -> list[str]:
    return [h.rule for h in hits_of_events("dc01", list(events))]


def test_a_script_reading_the_volume_is_a_finding_naming_the_reader_and_its_build() -> None:
    create = ("e-c", "sysmon:process_create", 50.0, {
        "process.executable": NINJA, "process.command_line": NINJA_LINE, "process.guid": "g9",
        "process.hash.sha256": "AB" * 32})
    [hit] = hits_of_events("dc01", [create, raw_read(NINJA)])
    assert (hit.rule, hit.event_id, hit.command_line, hit.digest) == ("raw_disk_read", "e-raw", NINJA_LINE, "ab" * 32)
    assert r"powershell.exe read \Device\HarddiskVolume2 directly" in hit.detail
    assert hit.subject.endswith("|sha256:" + "ab" * 32)


@pytest.mark.parametrize("reader", [
    "System", r"C:\Windows\System32\svchost.exe", r"C:\Windows\system32\VSSVC.exe", r"C:\Windows\System32\wbengine.exe",
    r"C:\Windows\SysWOW64\defrag.exe", r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2\MsMpEng.exe",
    r"C:\Program Files\Windows Defender\MsMpEng.exe"])
def test_windows_own_readers_of_volumes_are_no_finding(reader: str) -> None:
    assert rules_of(raw_read(reader)) == []


@pytest.mark.parametrize("reader", [
    r"C:\Users\Public\svchost.exe", r"C:\Windows\Temp\vssvc.exe", r"C:\Users\bob\MsMpEng.exe",
    r"C:\Tools\RawCopy64.exe", r"C:\Windows\System32\System"])
def test_the_same_names_elsewhere_and_other_tools_are_findings(reader: str) -> None:
    assert rules_of(raw_read(reader)) == ["raw_disk_read"]


def cleared(host: str, account: str, ts: float, *, channel: str = "Security", event_id: str = "") -> tuple:
    fields = {"winlog.cleared_channel": channel, "event.code": "1102"}
    if account:
        fields["user.name"] = account
    return (event_id or f"clear-{host}-{ts}", "windows:log_cleared", ts, fields)


def lsass(host: str) -> tuple:
    return (f"lsass-{host}", "sysmon:process_access", 7300.0, {
        "process.executable": r"C:\Users\Public\m.exe", "process.guid": "gm",
        "target.process.executable": r"C:\Windows\system32\lsass.exe", "target.granted_access": "0x1010"})


def test_one_account_rotating_a_log_on_many_servers_is_one_finding() -> None:
    servers = [f"srv-{n:02d}" for n in range(40)]
    hits = [h for n, host in enumerate(servers)
            for h in hits_of_events(host, [cleared(host, "CORP\\svc-logrotate", 7200.0 + n)])]
    # an intruder reads LSASS on two of them and clears the System log of one with its own account
    hits += hits_of_events("srv-03", [lsass("srv-03"), cleared("srv-03", "corp\\eve", 7400.0, channel="System")])
    hits += hits_of_events("srv-07", [lsass("srv-07")])
    findings = group_findings(hits)
    rotation = [f for f in findings if f.rules == ["log_cleared"] and len(f.hosts) == 40]
    assert len(rotation) == 1 and len(rotation[0].hits) == 40
    assert {h.account for h in rotation[0].hits} == {"corp\\svc-logrotate"}
    # the intruder's LSASS reads are their own act (two hosts), no line of the rotation's finding
    [intrusion] = [f for f in findings if "lsass_read" in f.rules and len(f.hosts) == 2]
    assert intrusion.hosts == ["srv-03", "srv-07"]
    # its own clearing (one host, another account) stays that host's finding
    [own] = [f for f in findings if f.hosts == ["srv-03"]]
    assert own.rules == ["log_cleared"] and own.hits[0].account == "corp\\eve"
    assert len(findings) == 3


def test_a_clearing_naming_no_account_stays_its_hosts() -> None:
    hits = [h for host in ("srv-01", "srv-02") for h in hits_of_events(host, [cleared(host, "", 7200.0)])]
    assert sorted(f.hosts for f in group_findings(hits)) == [["srv-01"], ["srv-02"]]


OTRF = ("empire_launcher_vbs_2020-09-04160940.json", "empire_enable_rdp_2019-05-18203650.json",
        "cmd_bitsadmin_download_psh_script_2020-10-2302365189.json")


def test_the_corpus_raw_reads_are_windows_own(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([samples_path() / "otrf-security-datasets" / name for name in OTRF], store=None,
                     journal=journal, progress=False)
    connection = sqlite3.connect(tmp_path / "journal.sqlite")
    [(count,)] = connection.execute("SELECT COUNT(*) FROM events WHERE kind = 'sysmon:raw_access_read'").fetchall()
    assert count == 16  # System and svchost.exe on the three samples' workstations
    hits = read_hits(connection, journal_hosts(connection), 0.0, 4e9)
    assert not [h for h in hits if h.rule == "raw_disk_read"]
