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

Task H1 (review T8): one process carrying two kinds (an encoded PowerShell that reads LSASS
itself, one Word started) completes the signature; a pair on a host before the window makes it
routine there only on two distinct earlier days (a one-time upgrade is no routine), and the
stats count the hosts so dropped; a second signature that is a member of the cluster is named as
a behaviour in the text.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from analytics.behaviour_pivots import (
    ROUTINE_SPAN_DAYS,
    Fact,
    behaviour_kinds,
    behaviour_pivots,
    behaviour_shape,
    is_behaviour,
)
from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.incidence import build_incidence
from graphsiem.model import Entity, Sighting
from graphsiem.store.base import HostSighting
from tests.analytics.behaviour_campaign import (
    ADMIN_HOSTS,
    CAMPAIGN_HOSTS,
    DAY,
    HOSTS,
    KINDS,
    ROUTINE_HOSTS,
    SLOW_HOSTS,
    START,
    TOOL,
    TOOL_HOSTS,
    H,
    build_fleet,
    build_office_stage_fleet,
    build_one_process_fleet,
    build_routine_fleet,
)

CONFIG = DetectionConfig(evidence_top=0, history_days=0)


def _kinds(ref):
    """The two kinds of a behaviour pivot's key (each shape of a pair of kinds is a key of its own, task F4)."""
    return behaviour_kinds(*ref) if is_behaviour(ref) else None


def _behaviour_clusters(result):
    return [c for c in result.clusters if any(is_behaviour(e.ref) for e in c.entities)]


def test_two_facts_within_minutes_on_k_hosts_make_one_behaviour_cluster(store):
    build_fleet(store)

    result = detect(store, config=CONFIG)

    found = _behaviour_clusters(result)
    assert len(found) == 1, [(c.pivot.ref, c.hosts) for c in result.clusters]
    cluster = found[0]
    assert _kinds(cluster.pivot.ref) == KINDS and behaviour_shape(cluster.pivot.ref) is not None
    assert sorted(cluster.hosts) == CAMPAIGN_HOSTS
    features = {f.name: f.value for f in cluster.explanation.features}
    assert features["lsass_access"] == 1.0 and features["encoded_command"] == 1.0
    summary = cluster.explanation.summary
    assert summary.startswith("8 hosts first showed behaviour encoded powershell + lsass access (a behaviour cluster: "
                              "two facts within 30 minutes, or in one process tree, on each host, by new per-host processes; "
                              "e.g. on ws-000: "
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
    assert store.get_entity(*cluster.pivot.ref) is None


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
    assert any(_kinds(pivot) == KINDS for pivot, *_ in found[0])


def _behaviour_hosts(result):
    return [sorted(c.hosts) for c in _behaviour_clusters(result)]


def test_a_daily_benign_pair_pivots_in_its_first_week_only(store):
    """Day 1 has no history (it pivots, as anything new on a store's first day; the store's later
    days are not read as its history); day 2 has one earlier day, an event, no routine, however many
    hosts completed the pair on it (task P1, red-team T12 finding 1: a campaign's first wave is such
    a day; K8 had made it a routine); day 3 has two earlier days, but a campaign repeated on the same
    hosts has those too (task TREE): the pair is their routine once the hosts' history of it spans
    :data:`ROUTINE_SPAN_DAYS` days (day 8, with days 1-7 before it): no pivot, and the stats say why."""
    build_routine_fleet(store, campaign_hosts=[], days=ROUTINE_SPAN_DAYS + 1)

    first = detect(store, config=CONFIG, now=START + DAY)
    second = detect(store, config=CONFIG, now=START + 2 * DAY)
    third = detect(store, config=CONFIG, now=START + 3 * DAY)
    seventh = detect(store, config=CONFIG, now=START + ROUTINE_SPAN_DAYS * DAY)
    eighth = detect(store, config=CONFIG, now=START + (ROUTINE_SPAN_DAYS + 1) * DAY)

    days = (first, second, third, seventh, eighth)
    assert [_behaviour_hosts(r) for r in days] == [[ROUTINE_HOSTS]] * 4 + [[]]
    assert [r.stats["behaviour_signatures_recurring"] for r in days] == [0, 0, 0, 0, 1]
    assert [r.stats["behaviour_hosts_routine"] for r in days] == [0, 0, 0, 0, len(ROUTINE_HOSTS)]
    assert not [c for c in eighth.clusters if set(c.hosts) & set(ROUTINE_HOSTS)]


def test_the_routine_pair_hides_no_campaign_of_the_same_kinds(store):
    """Day 8: the routine hosts repeat their pair and the campaign shows the same two kinds on
    other hosts: the cluster is the campaign's hosts, none of the routine's."""
    build_routine_fleet(store, days=ROUTINE_SPAN_DAYS + 1)

    result = detect(store, config=CONFIG, now=START + (ROUTINE_SPAN_DAYS + 1) * DAY)

    assert _behaviour_hosts(result) == [CAMPAIGN_HOSTS]
    # the routine updater's shape (task F4: each shape its own signature) is left out whole: recurring
    assert result.stats["behaviour_signatures_recurring"] == 1
    assert result.stats["behaviour_hosts_routine"] == len(ROUTINE_HOSTS)  # the hosts dropped, counted
    assert _kinds(_behaviour_clusters(result)[0].pivot.ref) == KINDS


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


def test_one_process_carrying_two_kinds_completes_the_signature(store):
    """Review T8: a per-host encoded PowerShell that itself opens LSASS (one process, two kinds) on
    8 hosts made no cluster when two processes were required; it is the signature at its strongest."""
    build_one_process_fleet(store)

    result = detect(store, config=CONFIG)

    found = _behaviour_clusters(result)
    assert [(_kinds(c.pivot.ref), sorted(c.hosts)) for c in found] == [(KINDS, CAMPAIGN_HOSTS)]
    assert "both shown by powershell.exe" in found[0].explanation.summary


def test_word_starting_an_encoded_powershell_that_reads_lsass_is_one_behaviour_cluster(store):
    """Review T8's classic maldoc: Word starts a per-host encoded PowerShell that opens LSASS (one
    process, three kinds): its three signatures are on the same hosts, one cluster."""
    build_one_process_fleet(store, maldoc=True)

    result = detect(store, config=CONFIG)

    found = _behaviour_clusters(result)
    assert [sorted(c.hosts) for c in found] == [CAMPAIGN_HOSTS]
    assert {_kinds(e.ref) for e in found[0].entities if is_behaviour(e.ref)} == {
        ("encoded_powershell", "lsass_access"), ("encoded_powershell", "office_script_host"),
        ("lsass_access", "office_script_host")}


def test_a_one_time_pair_before_the_window_makes_no_host_routine(store):
    """Review T8: a one-time EDR upgrade (the pair once, on day 0) on the campaign hosts and others
    hid the day-3 campaign on those hosts, silently.  One earlier day is an event, not a routine."""
    build_routine_fleet(store, routine_days=(0,), routine_hosts=CAMPAIGN_HOSTS + ROUTINE_HOSTS)

    result = detect(store, config=CONFIG, now=START + 3 * DAY)

    assert _behaviour_hosts(result) == [CAMPAIGN_HOSTS]
    assert result.stats["behaviour_hosts_routine"] == 0
    assert result.stats["behaviour_signatures_recurring"] == 0


def _pair(host_row: int, at: float, tag: str) -> list[Fact]:
    return [Fact("lsass_access", ("process", f"d-{tag}"), host_row, at),
            Fact("encoded_powershell", ("process", f"e-{tag}"), host_row, at + 120)]


@pytest.mark.parametrize(("earlier_at", "routine"), [
    pytest.param((-8 * DAY,), False, id="once"),
    pytest.param((-8 * DAY, -8 * DAY + 3 * H), False, id="twice-on-one-utc-day"),
    pytest.param((-8 * DAY, -DAY), True, id="on-two-utc-days-a-week-apart"),
    pytest.param((-2 * DAY, -DAY), False, id="on-two-utc-days-in-the-last-week"),
    pytest.param((-7 * DAY, -DAY), True, id="the-first-seven-days-before"),
    pytest.param((-6 * DAY, -5 * DAY, -4 * DAY, -3 * DAY, -2 * DAY, -DAY), False, id="daily-for-six-days"),
])
def test_a_host_is_routine_only_on_two_distinct_earlier_utc_days_a_week_apart(earlier_at, routine):
    """Three hosts complete the pair in the window; ws-0 completed it earlier at ``earlier_at``
    (seconds from the window's midnight): it leaves the signature only on two distinct UTC days, the
    first of them :data:`ROUTINE_SPAN_DAYS` days or more before the window's (task TREE: a campaign
    repeated on the same hosts for days is not their routine)."""
    midnight = 1_780_012_800.0  # 2026-05-29 00:00 UTC
    hosts = [f"ws-{i}" for i in range(3)]
    incidence = build_incidence([HostSighting(h, ("host", h), midnight, midnight, 1) for h in hosts], exclude_types=())
    facts = [f for i in range(3) for f in _pair(i, midnight + 3600 + 60 * i, f"w{i}")]
    earlier = {"ws-0": [f for k, t in enumerate(earlier_at) for f in _pair(-1, midnight + t, f"x{k}")]}

    found = behaviour_pivots(incidence, facts, processes={}, images={}, min_hosts=2, cooccurrence_minutes=30,
                             earlier=earlier)

    rows = [r.rows.tolist() for r in found.columns.items.values()]
    assert rows == ([[1, 2]] if routine else [[0, 1, 2]])
    assert found.routine_hosts == int(routine)


@pytest.mark.parametrize("earlier_hosts", [
    pytest.param(("ws-0",), id="one-host-once"),
    pytest.param(("ws-0", "ws-9"), id="min-hosts-once"),
    pytest.param(("ws-0", "ws-1", "ws-2", "ws-9"), id="every-host-and-more-once"),
])
def test_one_earlier_day_is_no_routine_however_many_hosts_completed_the_pair_that_day(earlier_hosts):
    """Task P1 (red-team T12 finding 1): the hosts ``earlier_hosts`` completed the pair once, on one day
    before the window.  Alone, or with ``min_hosts`` (2) hosts or more that day (K8's "fleet job", but
    also a campaign's first wave), it is an event on each of them: no host leaves the signature."""
    midnight = 1_780_012_800.0  # 2026-05-29 00:00 UTC
    hosts = [f"ws-{i}" for i in range(3)]
    incidence = build_incidence([HostSighting(h, ("host", h), midnight, midnight, 1) for h in hosts], exclude_types=())
    facts = [f for i in range(3) for f in _pair(i, midnight + 3600 + 60 * i, f"w{i}")]
    earlier = {h: _pair(-1, midnight - 2 * DAY + 60 * k, f"x{k}") for k, h in enumerate(earlier_hosts)}

    found = behaviour_pivots(incidence, facts, processes={}, images={}, min_hosts=2, cooccurrence_minutes=30,
                             earlier=earlier)

    assert [r.rows.tolist() for r in found.columns.items.values()] == [[0, 1, 2]]
    assert found.routine_hosts == 0


def test_a_member_behaviour_signature_is_named_as_a_behaviour(store):
    """Review T8: a second signature that is a member (not the pivot) of the cluster was named
    "process lsass access + …" where its processes are credited; it is a behaviour pivot."""
    build_office_stage_fleet(store)

    result = detect(store, config=CONFIG)

    found = _behaviour_clusters(result)
    assert [sorted(c.hosts) for c in found] == [CAMPAIGN_HOSTS]
    cluster = found[0]
    member = ("lsass_access", "office_script_host")
    assert _kinds(cluster.pivot.ref) != member and member in {_kinds(e.ref) for e in cluster.entities}
    summary = cluster.explanation.summary
    assert "LSASS memory accessed shown by upd0000.exe" in summary, summary
    assert "that reached behaviour pivot lsass access + office spawning a script host" in summary, summary
    text = summary + " ".join(c.check for c in cluster.explanation.checks)
    assert "reached process" not in text, text
