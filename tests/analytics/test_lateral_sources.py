"""Which host a lateral movement came from (analytics/lateral_sources.py): remote targets of command
lines, and addresses the IP map does not place naming nobody.  The simulated fleet's lateral movement
named by its source host: ``test_evidence_network_logons.py``.
"""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import networkx as nx
import pytest

from analytics.lateral_sources import lateral_sources, remote_targets


@pytest.mark.parametrize(("command_line", "targets"), [
    ('wmic /node:SRV-0001 process call create "cmd"', {"srv-0001"}),
    ('wmic /node:"srv-1.corp.example",SRV-2 process call create "x"', {"srv-1", "srv-2"}),
    (r"PsExec64.exe \\FILE01 -s cmd.exe", {"file01"}),
    (r"sc.exe \\db-02 create x binPath= c:\x.exe", {"db-02"}),
    ("winrs -r:web7 ipconfig", {"web7"}),
    ("powershell Invoke-Command -ComputerName app1,app2 -ScriptBlock {hostname}", {"app1", "app2"}),
    ("schtasks /create /s srv-9 /tn x /tr y", {"srv-9"}),
    ("wmic /node:10.1.2.3 process call create x", set()),  # an address: the map's word, not the command's
    (r"cmd.exe /c copy C:\a \\?\C:\b", set()),  # a device path, no host
    ("cmd.exe /c dir C:\\Windows", set()),
])
def test_remote_targets(command_line, targets):
    assert remote_targets(command_line) == targets


def _graph_with_logon(ip: str, target: str, event_id: str) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    graph.add_edge(f"ip:{ip}", f"host:{target}", key="LOGGED_ON", type="LOGGED_ON", evidence=[event_id],
                   first_seen=1000.0, last_seen=1000.0)
    return graph


class _Journal:
    """``get(ids)`` and an IP map table, as :class:`ingest.journal.Journal` offers them."""

    def __init__(self, events, intervals):
        self._events = {e.id: e for e in events}
        self.connection = sqlite3.connect(":memory:")
        self.connection.execute("CREATE TABLE ip_hosts (ip TEXT, start REAL, end REAL, host TEXT, source TEXT)")
        self.connection.executemany("INSERT INTO ip_hosts VALUES (?, ?, ?, ?, 'endpoint')", intervals)

    def get(self, ids):
        return [self._events[i] for i in ids if i in self._events]


class _NoStore:
    def neighbors(self, *args, **kwargs):
        raise AssertionError("no source host named, nothing to read")


@pytest.mark.parametrize(("intervals", "why"), [
    ([], "the map never held the address"),
    ([("10.9.9.9", 0.0, 500.0, "it-7")], "the map held it before the log-on only"),
    ([("10.9.9.9", 900.0, 1100.0, "it-7"), ("10.9.9.9", 950.0, 1050.0, "it-8")], "two hosts held it then"),
    ([("10.9.9.9", 900.0, 1100.0, "srv-1")], "the cluster host's own address"),
])
def test_an_address_the_map_does_not_place_names_nobody(intervals, why):
    logon = SimpleNamespace(id="e1", ts=1000.0, host="srv-1", fields={})
    records = lateral_sources(_NoStore(), _graph_with_logon("10.9.9.9", "srv-1", "e1"), [("ip", "10.9.9.9")],
                              ["srv-1"], window=(0.0, 2000.0), journal=_Journal([logon], intervals))
    assert [(r.ip, r.host, r.targets) for r in records] == [("10.9.9.9", None, ["srv-1"])], why
