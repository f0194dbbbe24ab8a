"""Which host a lateral movement came from (analytics/lateral_sources.py): remote targets of command
lines, and addresses the IP map does not place naming nobody.  The simulated fleet's lateral movement
named by its source host: ``test_evidence_network_logons.py``.
"""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import networkx as nx
import pytest

from analytics.lateral_sources import (
    lateral_check,
    lateral_sources,
    remote_addresses,
    remote_targets,
)


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


@pytest.mark.parametrize(("command_line", "addresses"), [
    ("wmic /node:10.1.2.3 process call create x", {"10.1.2.3"}),
    ('wmic /node:"10.1.2.3",10.1.2.4,SRV-2 process call create x', {"10.1.2.3", "10.1.2.4"}),
    (r"PsExec64.exe \\10.1.2.3 -u corp\adm -s cmd.exe", {"10.1.2.3"}),
    (r"cmd.exe /c copy C:\t\x.exe \\10.1.2.3\ADMIN$\x.exe", {"10.1.2.3"}),
    ("schtasks /create /s 10.1.2.3 /tn x /tr y", {"10.1.2.3"}),
    ("wmic /node:SRV-0001 process call create x", set()),
    ("ping 10.1.2.3", set()),  # an address no remote-execution option names
    ("wmic /node:10.1.2 process call create x", set()),  # no address
])
def test_remote_addresses(command_line, addresses):
    assert remote_addresses(command_line) == addresses


class _Store:
    """``neighbors`` of the source host: its processes, each with the events that ran it."""

    def __init__(self, processes):
        self.processes = processes

    def neighbors(self, kind, key, **kwargs):
        assert (kind, key) == ("host", "it-7")
        return [SimpleNamespace(relation=SimpleNamespace(first_seen=first, last_seen=last, evidence=ids),
                                entity=SimpleNamespace(key=f"p{n}", value=line, props={}))
                for n, (line, first, last, ids) in enumerate(self.processes)]


def test_a_target_written_as_an_address_is_the_host_the_ip_map_placed_it_on_then():
    """Was: ``wmic /node:10.1.2.3`` named no host (only names were matched), so it-7's commands at srv-1 and
    srv-2 written by address were no evidence of the movement; now the map resolves them at their time."""
    logons = [SimpleNamespace(id=f"l{i}", ts=1000.0 + i, host=h, fields={}) for i, h in enumerate(["srv-1", "srv-2"])]
    runs = [SimpleNamespace(id=i, ts=ts, host="it-7", fields={})
            for i, ts in (("w1", 990.0), ("p1", 995.0), ("u1", 996.0), ("late", 1900.0), ("n1", 997.0))]
    intervals = [("10.9.9.9", 900.0, 1100.0, "it-7"), ("10.1.2.3", 900.0, 1100.0, "srv-1"),
                 ("10.1.2.4", 900.0, 1100.0, "srv-2"),
                 ("10.1.2.5", 900.0, 1100.0, "srv-1"), ("10.1.2.5", 1800.0, 2000.0, "ws-55")]
    store = _Store([
        ('wmic /node:10.1.2.3 process call create "cmd /c x.bat"', 990.0, 990.0, ["w1"]),
        (r"PsExec64.exe \\10.1.2.4 -s cmd.exe", 995.0, 995.0, ["p1"]),
        (r"cmd.exe /c copy x.exe \\10.1.2.4\ADMIN$\x.exe", 996.0, 996.0, ["u1"]),
        # 10.1.2.5 was srv-1's at 990, ws-55's when this ran: no cluster host then
        ("wmic /node:10.1.2.5 process call create y", 1900.0, 1900.0, ["late"]),
        ("ping -n 1 10.1.2.3", 997.0, 997.0, ["n1"]),  # names no remote-execution target
    ])
    graph = _graph_with_logon("10.9.9.9", "srv-1", "l0")
    graph.add_edge("ip:10.9.9.9", "host:srv-2", key="LOGGED_ON", type="LOGGED_ON", evidence=["l1"],
                   first_seen=1001.0, last_seen=1001.0)
    (record,) = lateral_sources(store, graph, [("ip", "10.9.9.9")], ["srv-1", "srv-2"], window=(0.0, 2000.0),
                                journal=_Journal([*logons, *runs], intervals))
    assert record.host == "it-7"
    assert [(p["value"].split()[0], p["targets"], p.get("addresses")) for p in record.processes] == [
        ("wmic", ["srv-1"], {"10.1.2.3": "srv-1"}),
        ("PsExec64.exe", ["srv-2"], {"10.1.2.4": "srv-2"}),
        ("cmd.exe", ["srv-2"], {"10.1.2.4": "srv-2"}),
    ]
    assert record.event_ids == ["w1", "p1", "u1"]  # the cluster's evidence: these commands' events
    check = lateral_check([record]).check
    assert "the IP map placed 10.1.2.3 on srv-1, 10.1.2.4 on srv-2 then" in check


class _SourceInCluster:
    """``neighbors`` of srv-1, the source: no process names a target (the record is about the host)."""

    def neighbors(self, kind, key, **kwargs):
        assert (kind, key) == ("host", "srv-1")
        return []


def test_a_cluster_hosts_address_that_logged_on_to_other_cluster_hosts_names_it_as_their_source():
    """Was: an admin workstation PsExec-ing 196 of 300 hosts (itself among them, so a cluster host) named
    nobody: "a cluster host's own address" (task OLD2 #2).  Only an address that logged on to its own
    host alone names nobody (the parametrized case above)."""
    graph = _graph_with_logon("10.9.9.9", "srv-1", "e1")
    for n, target in ((2, "srv-2"), (3, "srv-3")):
        graph.add_edge("ip:10.9.9.9", f"host:{target}", key="LOGGED_ON", type="LOGGED_ON", evidence=[f"e{n}"],
                       first_seen=1000.0 + n, last_seen=1000.0 + n)
    logons = [SimpleNamespace(id=f"e{n}", ts=1000.0 + (n if n > 1 else 0), host=h, fields={})
              for n, h in ((1, "srv-1"), (2, "srv-2"), (3, "srv-3"))]
    records = lateral_sources(_SourceInCluster(), graph, [("ip", "10.9.9.9")], ["srv-1", "srv-2", "srv-3"],
                              window=(0.0, 2000.0), journal=_Journal(logons, [("10.9.9.9", 900.0, 1100.0, "srv-1")]))
    assert [(r.ip, r.host, r.targets) for r in records] == [("10.9.9.9", "srv-1", ["srv-1", "srv-2", "srv-3"])]
