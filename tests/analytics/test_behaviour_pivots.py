"""A campaign that varies every entity per host is still one campaign (task G3, review T7).

On each campaign host a dropper of its own opens LSASS and two minutes later starts an
encoded PowerShell command of its own (:mod:`tests.analytics.behaviour_campaign`): no new
entity is on two hosts, so before behaviour pivots (:mod:`analytics.behaviour_pivots`) no
cluster held the campaign's hosts.  One fact per host (admins' encoded PowerShell), a fact
by a process shared by many hosts (an EDR scanner reading LSASS) and two facts hours apart
make none.  Each test runs on [embedded] and [neo4j]; one compares the two stores.

Task G3b: a benign per-host pair that recurs daily on the same hosts (an updater under a new
temporary name each day) pivots on the store's first day only, never again, and does not hide
a campaign of the same two kinds on other hosts; a process whose command line copies a
behaviour pivot's shown value is summarised as the process it is.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from analytics.behaviour_pivots import behaviour_key, is_behaviour
from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.model import Entity, Sighting
from tests.analytics.behaviour_campaign import (
    ADMIN_HOSTS,
    CAMPAIGN_HOSTS,
    DAY,
    HOSTS,
    ROUTINE_HOSTS,
    SLOW_HOSTS,
    START,
    TOOL,
    TOOL_HOSTS,
    build_fleet,
    build_routine_fleet,
)

CONFIG = DetectionConfig(evidence_top=0, history_days=0)
KEY = behaviour_key(("encoded_powershell", "lsass_access"))


def _behaviour_clusters(result):
    return [c for c in result.clusters if any(is_behaviour(e.ref) for e in c.entities)]


def test_two_facts_within_minutes_on_k_hosts_make_one_behaviour_cluster(store):
    build_fleet(store)

    result = detect(store, config=CONFIG)

    found = _behaviour_clusters(result)
    assert len(found) == 1, [(c.pivot.ref, c.hosts) for c in result.clusters]
    cluster = found[0]
    assert cluster.pivot.ref == KEY
    assert sorted(cluster.hosts) == CAMPAIGN_HOSTS
    features = {f.name: f.value for f in cluster.explanation.features}
    assert features["lsass_access"] == 1.0 and features["encoded_command"] == 1.0
    summary = cluster.explanation.summary
    assert summary.startswith("8 hosts first showed behaviour encoded powershell + lsass access (a behaviour cluster: "
                              "two facts within 30 minutes on each host, by new per-host processes; e.g. on ws-000: "
                              "C:\\Users\\Public\\upd0000.exe opened lsass.exe at "), summary
    assert "ran an encoded PowerShell command at" in summary
    # the summary and the checks name it as a behaviour (no process of that name ran), and the
    # real per-host processes behind it
    assert "by c-drop-" not in summary and "shown by" in summary
    assert "that reached behaviour pivot encoded powershell + lsass access" in summary
    text = " ".join(c.check for c in cluster.explanation.checks)
    assert "hosts showed behaviour encoded powershell + lsass access" in text
    assert "process encoded powershell" not in text
    # the pivot lives in the detection only
    assert store.get_entity(*KEY) is None


def test_one_fact_per_host_shared_processes_and_facts_hours_apart_make_no_behaviour_pivot(store):
    build_fleet(store)

    result = detect(store, config=CONFIG)

    # the campaign's is the one behaviour pivot; the benign single facts (admins' encoded commands,
    # the shared scanner's LSASS reads, a pair three hours apart) join it nowhere and make none
    found = _behaviour_clusters(result)
    assert [sorted(c.hosts) for c in found] == [CAMPAIGN_HOSTS]
    benign = set(ADMIN_HOSTS) | set(TOOL_HOSTS) | set(SLOW_HOSTS)
    assert not [c for c in found if set(c.hosts) & benign]
    # what the shared scanner did is its own ordinary pivot, as before
    assert [sorted(c.hosts) for c in result.clusters if c.pivot.ref == TOOL] == [TOOL_HOSTS]


def test_facts_hours_apart_pair_when_the_window_allows_it(store):
    """The same store with a co-occurrence of four hours: the slow hosts' two facts now pair (so the
    30 minutes are what kept them apart, not something else)."""
    build_fleet(store, campaign_hosts=[])

    result = detect(store, config=replace(CONFIG, cooccurrence_minutes=240))

    found = _behaviour_clusters(result)
    assert [sorted(c.hosts) for c in found] == [SLOW_HOSTS]


def test_the_switch_turns_behaviour_pivots_off(store):
    build_fleet(store)

    result = detect(store, config=replace(CONFIG, behaviour_pivots=False))

    assert _behaviour_clusters(result) == []
    assert not [c for c in result.clusters if set(c.hosts) == set(CAMPAIGN_HOSTS)]


@pytest.mark.neo4j
def test_embedded_and_neo4j_give_the_same_clusters(embedded_store, neo4j_store):
    found = []
    for store in (embedded_store, neo4j_store):
        build_fleet(store)
        result = detect(store, config=CONFIG)
        found.append([(c.pivot.ref, tuple(sorted(c.hosts)), tuple(sorted(e.ref for e in c.entities)),
                       round(c.score, 6), c.explanation.summary) for c in result.clusters])

    assert found[0] == found[1]
    assert any(pivot == KEY for pivot, *_ in found[0])


def _behaviour_hosts(result):
    return [sorted(c.hosts) for c in _behaviour_clusters(result)]


def test_a_daily_benign_pair_pivots_on_the_first_day_only(store):
    """Day 1 has no history (it pivots, as anything new on a store's first day; the store's later
    days are not read as its history); day 2 the same pair on the same hosts is their routine:
    no pivot, and the stats say why."""
    build_routine_fleet(store, campaign_hosts=[])

    first = detect(store, config=CONFIG, now=START + DAY)
    second = detect(store, config=CONFIG, now=START + 2 * DAY)

    assert _behaviour_hosts(first) == [ROUTINE_HOSTS]
    assert _behaviour_hosts(second) == []
    assert first.stats["behaviour_signatures_recurring"] == 0
    assert second.stats["behaviour_signatures_recurring"] == 1
    assert not [c for c in second.clusters if set(c.hosts) & set(ROUTINE_HOSTS)]


def test_the_routine_pair_hides_no_campaign_of_the_same_kinds(store):
    """Day 3: the routine hosts repeat their pair and the campaign shows the same two kinds on
    other hosts: the cluster is the campaign's hosts, none of the routine's."""
    build_routine_fleet(store)

    result = detect(store, config=CONFIG, now=START + 3 * DAY)

    assert _behaviour_hosts(result) == [CAMPAIGN_HOSTS]
    assert result.stats["behaviour_signatures_recurring"] == 0
    assert _behaviour_clusters(result)[0].pivot.ref == KEY


def test_a_process_copying_the_shown_value_is_no_behaviour_cluster(store):
    """Attacker text: a process on 8 hosts whose command line reads like a behaviour pivot's
    shown value is summarised as a process it ran, not as a behaviour cluster."""
    build_fleet(store, campaign_hosts=[])
    mimic = Entity("process", "mimic", "lsass access + encoded powershell by new per-host processes on each host "
                   "within 30 min (e.g. on ws-1: nothing to see)", {"image": "C:\\Users\\Public\\m.exe"})
    t = START + 1.7 * DAY
    store.upsert_entities([mimic])
    store.upsert_sightings([Sighting(h, mimic.ref, t + 60 * i, t + 60 * i + 30, 1) for i, h in enumerate(HOSTS[:8])])
    store.flush()

    result = detect(store, config=CONFIG)

    cluster = next(c for c in result.clusters if c.pivot.ref == mimic.ref)
    summary = cluster.explanation.summary
    assert summary.startswith("8 hosts first ran process lsass access + encoded powershell by new per-host"), summary
    assert "a behaviour cluster" not in summary and "showed behaviour" not in summary
