"""A pivot takes a lineage pair from its per-host processes only when ``k`` of them ran it (task F27, review T2 #2).

:func:`analytics.linked_processes.credit_to_pivots` lends a candidate pivot what
the one-host processes that reached it did.  Behaviours needed ``k`` =
``min_hosts`` processes, lineage pairs did not: in review T2 an RMM rollout's
encoded PowerShell on 200 hosts was credited with "powershell.exe spawned by
7zupd.exe" (and two more pairs) by a few unrelated processes on 4 of its hosts,
scored 77.8-80.4, above every attack, and its check said "check what 7zupd.exe
is".  A pair now counts as a behaviour does, and the processes a check names for
it (the ``interpreter_lineage`` credit) are those that ran a counted pair.
Each detection test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

from dataclasses import replace

from analytics.checks import cluster_checks
from analytics.config import DetectionConfig
from analytics.credited_processes import LINEAGE_CREDIT
from analytics.detect import detect
from analytics.lineage import LineagePair
from analytics.linked_processes import PivotLinks, credit_to_pivots
from graphsiem.model import Entity, Relation, Sighting
from tests.analytics.small_fleet import cluster_of, write_fleet

H = 3600.0
DAY = 24 * H
START = 1_780_000_000.0  # 2026-05-28
END = START + 2 * DAY
CONFIG = DetectionConfig(evidence_top=0)
RMM_HOSTS = [f"ws-{i:03d}" for i in range(10)]
STRAYS = {"ws-002": "7zupd.exe", "ws-005": "zoomupdater.exe"}
"""Hosts where one other updater's process also ran a PowerShell that reached the RMM domain."""
DOMAIN = ("domain", "rmm-relay.example")


def _rel(src, kind, dst, t):
    return Relation(src, kind, dst, t, t + 60, 1, [f"ev-{src[1]}-{kind}-{dst[1]}"])


def _fleet(store) -> None:
    """40 hosts for two days; on 10 of them, 36 h in, the RMM agent (its own process on each host)
    starts an encoded PowerShell (a per-host token) that reaches rmm-relay.example; on 2 of them one
    other updater's PowerShell (one process each) reached the same domain."""
    store.clear()
    hosts = [f"ws-{i:03d}" for i in range(40)]
    entities = [Entity("host", h, h) for h in hosts]
    entities += [Entity("process", "explorer", "C:\\Windows\\explorer.exe"), Entity(*DOMAIN, DOMAIN[1])]
    sightings = [Sighting(h, ("process", "explorer"), START + 60 * i, END, 50) for i, h in enumerate(hosts)]
    relations = []
    for i, h in enumerate(RMM_HOSTS):
        t = START + 1.5 * DAY + 60 * i
        agent, shell = ("process", f"agent-{i}"), ("process", f"rmm-ps-{i}")
        entities += [
            Entity(*agent, f"\"C:\\Program Files\\Platform\\platform-agent-core.exe\" --session {i:04x}"),
            Entity(*shell, f"powershell.exe -NoProfile -enc JABzAD0A{i:04x}AG4AZQB3AC0AbwBi"),
        ]
        sightings += [Sighting(h, e, t, t + 600, 2) for e in (agent, shell, DOMAIN)]
        relations += [_rel(agent, "SPAWNED", shell, t), _rel(shell, "RESOLVED", DOMAIN, t)]
        if h in STRAYS:
            updater, script = ("process", f"upd-{i}"), ("process", f"upd-ps-{i}")
            entities += [
                Entity(*updater, f"C:\\Program Files\\Vendor\\{STRAYS[h]} /silent /id {i}"),
                Entity(*script, f"powershell.exe -File C:\\ProgramData\\Vendor\\check-{i}.ps1"),
            ]
            sightings += [Sighting(h, e, t + 120, t + 600, 1) for e in (updater, script)]
            relations += [_rel(updater, "SPAWNED", script, t + 120), _rel(script, "RESOLVED", DOMAIN, t + 120)]
    write_fleet(store, entities, sightings, relations)


def _rmm(result):
    return cluster_of(result, DOMAIN)


def test_a_pair_one_process_ran_is_not_the_clusters(store):
    _fleet(store)

    cluster = _rmm(detect(store, config=CONFIG))

    features = {f.name: f.value for f in cluster.explanation.features}
    assert [str(p) for p in cluster.explanation.lineage] == ["powershell.exe spawned by platform-agent-core.exe"]
    assert features["interpreter_lineage"] == 1.0
    text = cluster.explanation.summary + " ".join(c.check for c in cluster.explanation.checks)
    assert "7zupd.exe" not in text and "zoomupdater.exe" not in text
    assert "powershell.exe spawned by platform-agent-core.exe" in cluster.explanation.summary


def test_the_lineage_check_names_the_processes_of_the_counted_pair(store):
    _fleet(store)

    cluster = _rmm(detect(store, config=CONFIG))

    credit = cluster.explanation.credited_for(LINEAGE_CREDIT)
    assert credit is not None
    # the 10 RMM PowerShells, not the 2 strays (which ran pairs of their own, each once)
    assert (credit.processes, credit.hosts, credit.images) == (10, 10, ("powershell.exe",))
    # the step this pair writes when it raises the risk (one candidate cluster here: no contribution)
    rows = tuple(replace(r, contribution=0.2 if r.name == "interpreter_lineage" else 0.0)
                 for r in cluster.explanation.features)
    steps = cluster_checks(replace(cluster.explanation, features=rows), pivot=cluster.pivot,
                           entities=cluster.entities, hosts=cluster.hosts, first_seen=cluster.first_seen,
                           features=cluster.features)
    assert steps[0].feature == "interpreter_lineage"
    assert "check what platform-agent-core.exe is" in steps[0].check
    assert "7zupd.exe" not in steps[0].check


def _pair(parent: str, t: float) -> LineagePair:
    return LineagePair(parent, "powershell.exe", 1, t)


def test_k_processes_give_a_pair_fewer_do_not():
    pivot = DOMAIN
    common = {("process", f"c{i}"): 100.0 + i for i in range(3)}
    stray = {("process", "s0"): 90.0, ("process", "s1"): 95.0}
    lineage = {p: [_pair("agent.exe", t)] for p, t in common.items()}
    lineage |= {("process", "s0"): [_pair("7zupd.exe", 90.0)], ("process", "s1"): [_pair("7zupd.exe", 95.0)]}
    links = PivotLinks({pivot: {**common, **stray}})

    _, pairs, credited = credit_to_pivots(
        links, behaviours={}, lineage=lineage, encoded=frozenset(), images={}, shared_processes=set(),
        novelty_hosts=3,
    )

    assert [str(p) for p in pairs[pivot]] == ["powershell.exe spawned by agent.exe"]
    assert credited[pivot][LINEAGE_CREDIT].processes == 3  # the strays ran a pair that does not count
    _, pairs, credited = credit_to_pivots(
        links, behaviours={}, lineage=lineage, encoded=frozenset(), images={}, shared_processes=set(),
        novelty_hosts=2,
    )
    assert sorted(str(p) for p in pairs[pivot]) == [
        "powershell.exe spawned by 7zupd.exe", "powershell.exe spawned by agent.exe",
    ]
    assert credited[pivot][LINEAGE_CREDIT].processes == 5
