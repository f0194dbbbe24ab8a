"""A fan-out cluster carries its processes' host-finding hits only for the build it holds (HOSTF2,
analytics.host_finding_carry): a trojanised build at a judged updater's path, run with its command line,
read LSASS and hid under the cluster's verdict.  Through the detection's step (host_finding_clusters)
over a journal of our own making, beside a cluster whose process node holds the judged build's SHA-256."""

from __future__ import annotations

import sqlite3

import orjson

from analytics.config import DetectionConfig
from analytics.explain import Explanation
from analytics.host_finding_carry import split_carried
from analytics.host_finding_words import host_finding_clusters
from analytics.host_findings import Hit
from analytics.result import Cluster
from graphsiem.model import Entity

UPDATER = r"C:\Program Files\Vendor\Update\vupdate.exe"
COMMAND = f'"{UPDATER}" /ua /installsource scheduler'
GOOD, BAD = "aa" * 32, "bb" * 32
HOSTS = [f"ws-{i}" for i in range(1, 5)]
LSASS = r"C:\Windows\system32\lsass.exe"


class _Journal:
    def __init__(self) -> None:
        self.connection = sqlite3.connect(":memory:")
        self.connection.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT, kind TEXT, ts REAL, "
                                "host TEXT, fields BLOB)")

    def add(self, host: str, event_id: str, kind: str, ts: float, fields: dict) -> None:
        self.connection.execute("INSERT INTO events (id, kind, ts, host, fields) VALUES (?, ?, ?, ?, ?)",
                                (event_id, kind, ts, host, orjson.dumps(fields)))

    def get(self, ids):
        return []


def _run(journal: _Journal, digest: str | None, host: str, n: int) -> None:
    """The updater's creation (of build ``digest``; None: a 4688, no hashes) and its read of LSASS."""
    created = {"process.executable": UPDATER, "process.command_line": COMMAND, "process.guid": f"g{n}"}
    if digest is not None:
        created["process.hash.sha256"] = digest.upper()  # Sysmon writes it upper case
    journal.add(host, f"c{n}", "sysmon:process_create", 100.0 + n, created)
    journal.add(host, f"a{n}", "sysmon:process_access", 101.0 + n,
                {"process.executable": UPDATER, "process.guid": f"g{n}", "target.process.executable": LSASS,
                 "target.granted_access": "0x1410"})


def _cluster(sha256: str | None) -> Cluster:
    props = {"image": UPDATER, "command_line": COMMAND, **({"sha256": sha256} if sha256 else {})}
    member = Entity("process", "k", COMMAND, props)
    return Cluster(id="c", pivot=member, score=30.0, hosts=HOSTS, entities=[member], first_seen=0.0, last_seen=1.0,
                   features={}, explanation=Explanation("an updater", ()), evidence=[])


def _findings(journal: _Journal, node_sha256: str | None = GOOD) -> tuple[list[Cluster], dict]:
    return host_finding_clusters(journal, DetectionConfig(), (0.0, 10_000.0), [_cluster(node_sha256)])


def test_the_clusters_own_build_is_carried_on_every_host():
    journal = _Journal()
    for n, host in enumerate(HOSTS):
        _run(journal, GOOD, host, n)
    found, stats = _findings(journal)
    assert found == [] and stats["host_finding_carried"] == 4


def test_another_build_at_the_judged_path_with_its_command_line_is_a_finding():
    journal = _Journal()
    for n, host in enumerate(HOSTS[:3]):
        _run(journal, GOOD, host, n)
    _run(journal, BAD, "ws-4", 9)  # the trojanised updater on one of the cluster's hosts
    found, stats = _findings(journal)
    assert [(c.hosts, c.score, c.host_finding["risk_rule"]) for c in found] == [(["ws-4"], 90.0, "lsass_read")]
    assert stats["host_finding_carried"] == 3


def test_an_lsass_read_of_unknown_build_is_not_carried_when_the_judged_build_is_known():
    journal = _Journal()
    _run(journal, GOOD, "ws-1", 1)
    _run(journal, GOOD, "ws-3", 3)  # the judged build on most of the hosts that ran it (2 of 3)
    _run(journal, None, "ws-2", 2)  # the opener's creation says no digest
    found, _ = _findings(journal)
    assert [c.hosts for c in found] == [["ws-2"]]
    # a cluster whose member holds no digest carries by name, as before
    assert _findings(journal, node_sha256=None)[0] == []


def test_a_command_hit_of_unknown_build_is_the_clusters_and_a_stragglers_build_counts():
    stager = "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA"
    image = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
    held = {"ws-1": {(image.lower(), stager.lower())}}
    builds = {(image.lower(), stager.lower()): frozenset({GOOD})}

    def hit(host: str, digest: str) -> Hit:
        return Hit(host, "script_stager", 1.0, f"e-{host}-{digest[:2]}", image, stager, f"{image.lower()}|{stager.lower()}",
                   "enc", digest=digest)

    kept, carried = split_carried([hit("ws-1", GOOD), hit("ws-1", ""), hit("ws-9", GOOD), hit("ws-9", ""),
                                   hit("ws-9", BAD), hit("ws-1", BAD)], held, builds)
    assert [(h.host, h.digest) for h in carried] == [("ws-1", GOOD), ("ws-1", ""), ("ws-9", GOOD), ("ws-9", "")]
    assert [(h.host, h.digest) for h in kept] == [("ws-9", BAD), ("ws-1", BAD)]
