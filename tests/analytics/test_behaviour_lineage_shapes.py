"""Behaviour pivots (task F4, red-team T8): a campaign that spaces its steps, a benign product sharing a pair.

1. Two facts more than ``cooccurrence_minutes`` apart made no signature, so a campaign whose
   dropper reads LSASS and starts its encoded PowerShell 31 minutes or three hours later was in
   no cluster (T8 v2).  Facts of one process tree (:mod:`analytics.behaviour_lineage`) pair up to
   24 hours apart; unrelated facts (two children of ``services.exe``, or of ``explorer.exe``) still
   need the co-occurrence window.
2. One signature per pair of kinds merged a benign product's per-host pair on many hosts with a
   campaign's on others (T8 fp2: one cluster of 127 hosts).  Each shape of the processes behind a
   pair (:mod:`analytics.behaviour_shapes`) shared by ``min_hosts`` hosts is its own pivot, with a
   key stable per shape; pairs of no shared shape pivot together on the kinds' key alone.

End to end on [embedded] and [neo4j] (the stores the fixtures start); the pairing rules also on
:func:`analytics.behaviour_pivots.behaviour_pivots` directly.
"""

from __future__ import annotations

import pytest

from analytics.behaviour_pivots import (
    Fact,
    behaviour_key,
    behaviour_kinds,
    behaviour_pivots,
    behaviour_shape,
)
from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.incidence import build_incidence
from graphsiem.model import Entity, Sighting
from graphsiem.store.base import HostSighting
from tests.analytics.behaviour_campaign import (
    CAMPAIGN_HOSTS,
    CAMPAIGN_KEY,
    END,
    EXPLORER,
    HOSTS,
    KINDS,
    LSASS,
    SLOW_HOSTS,
    H,
    behaviour_clusters,
    build_fleet,
    build_spaced_fleet,
    campaign_time,
    relation,
)

CONFIG = DetectionConfig(evidence_top=0, history_days=0)
VENDOR = ("process", "vendorsvc")
PRODUCT_HOSTS = HOSTS[4:8] + HOSTS[26:30] + HOSTS[36:40]
"""A benign product's hosts: four of them also run the campaign (``CAMPAIGN_HOSTS`` are ws-000..ws-007)."""


def add_product(store, hosts: list[str], *, tag: str = "p", at: float | None = None) -> None:
    """A benign updater on ``hosts``: the vendor's service (on every host) starts a per-host temporary
    ``C:\\ProgramData\\Vendor\\tmp\\upd-<hex>.exe`` that opens LSASS and a minute later starts an
    encoded PowerShell command with the host's values, near the campaign's time (at ``at``)."""
    start = campaign_time(0) if at is None else at
    entities = [Entity(*VENDOR, '"C:\\Program Files\\Vendor\\vendorsvc.exe" -service',
                       {"image": "C:\\Program Files\\Vendor\\vendorsvc.exe"})]
    sightings = [Sighting(h, VENDOR, start - 12 * H, END, 10) for h in HOSTS]
    relations = []
    for i, h in enumerate(hosts):
        t = start + 90 * i
        path = f"C:\\ProgramData\\Vendor\\tmp\\upd-{tag}{i:04x}e9.exe"
        updater = Entity("process", f"{tag}-upd-{i}", f'"{path}" --check {tag}{i}', {"image": path})
        script = Entity("process", f"{tag}-ps-{i}", f"powershell.exe -NoProfile -enc SQBuAHYAbwBrAGUA{tag}{i:04x}AA==",
                        {"image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"})
        entities += [updater, script]
        sightings += [Sighting(h, updater.ref, t, t + 300, 1), Sighting(h, script.ref, t + 60, t + 120, 1)]
        relations += [relation(VENDOR, "SPAWNED", updater.ref, t), relation(updater.ref, "ACCESSED", LSASS, t + 5),
                      relation(updater.ref, "SPAWNED", script.ref, t + 60)]
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()


def test_a_campaign_spacing_its_steps_in_one_process_tree_is_one_behaviour_cluster(store):
    """T8 v2: on each campaign host the dropper opens LSASS and starts its encoded command three hours
    later (its child).  The unrelated pair three hours apart on the slow hosts stays out."""
    build_spaced_fleet(store, hours=3.0)

    result = detect(store, config=CONFIG)

    found = behaviour_clusters(result)
    assert [(behaviour_kinds(*c.pivot.ref), sorted(c.hosts)) for c in found] == [(KINDS, CAMPAIGN_HOSTS)]
    assert not set(found[0].hosts) & set(SLOW_HOSTS)
    assert "(one process tree, 3 h 00 min apart)" in found[0].explanation.summary, found[0].explanation.summary


def test_a_spaced_campaign_is_one_cluster_with_the_window_at_31_minutes(store):
    """The repro's exact gap: 31 minutes, just beyond the 30-minute co-occurrence."""
    build_spaced_fleet(store, hours=31 / 60)

    result = detect(store, config=CONFIG)

    assert [sorted(c.hosts) for c in behaviour_clusters(result)] == [CAMPAIGN_HOSTS]


def _incidence(n: int):
    return build_incidence([HostSighting(f"ws-{i}", ("host", f"ws-{i}"), 0.0, 0.0, 1) for i in range(n)],
                           exclude_types=())


def _spaced(n: int, apart: float) -> list[Fact]:
    return [f for i in range(n) for f in (Fact("lsass_access", ("process", f"drop{i}"), i, 1000.0 + 60 * i),
                                          Fact("encoded_powershell", ("process", f"ps{i}"), i, 1000.0 + 60 * i + apart))]


@pytest.mark.parametrize(("parent_of_both", "parent_hosts", "apart", "pairs"), [
    pytest.param(None, 1, 2 * H, True, id="child-of-the-lsass-reader-2h"),
    pytest.param(None, 1, 25 * H, False, id="child-of-the-lsass-reader-25h"),
    pytest.param("dropper", 1, 2 * H, True, id="siblings-under-a-per-host-dropper"),
    pytest.param("services", 40, 2 * H, False, id="siblings-under-services-exe"),
    pytest.param("unrelated", 1, 2 * H, False, id="no-shared-tree"),
])
def test_facts_hours_apart_pair_only_in_one_process_tree_within_a_day(parent_of_both, parent_hosts, apart, pairs):
    n = 3
    parents = {}
    fleet_hosts = {}
    for i in range(n):
        drop, ps = ("process", f"drop{i}"), ("process", f"ps{i}")
        if parent_of_both is None:
            parents[ps] = {drop}
        elif parent_of_both == "unrelated":
            parents[ps], parents[drop] = {("process", f"x{i}")}, {("process", f"y{i}")}
        else:
            common = ("process", parent_of_both if parent_hosts > 1 else f"{parent_of_both}{i}")
            parents[ps] = parents[drop] = {common}
            fleet_hosts[common] = parent_hosts

    found = behaviour_pivots(_incidence(n), _spaced(n, apart), processes={}, images={}, min_hosts=3,
                             cooccurrence_minutes=30, parents=parents, fleet_hosts=fleet_hosts)

    assert bool(found) is pairs
    if pairs:
        (column,) = found.columns.items.values()
        assert column.rows.tolist() == [0, 1, 2]
        assert column.first.tolist() == [1000.0 + 60 * i + apart for i in range(n)]  # completed at the later fact


def test_a_benign_product_and_a_campaign_of_the_same_kinds_are_two_clusters(store):
    """T8 fp2: a product's per-host pair on 12 hosts (4 of them campaign hosts, at the campaign's
    time) and the campaign's on 8: each its own cluster, of its own hosts, under its own key."""
    build_fleet(store)
    add_product(store, PRODUCT_HOSTS)

    result = detect(store, config=CONFIG)

    found = {sorted(c.hosts)[0]: c for c in behaviour_clusters(result)}
    assert sorted(sorted(c.hosts) for c in found.values()) == sorted([CAMPAIGN_HOSTS, sorted(PRODUCT_HOSTS)]), [
        (c.pivot.ref, c.hosts) for c in result.clusters]
    campaign, product = found["ws-000"], found[sorted(PRODUCT_HOSTS)[0]]
    assert campaign.pivot.ref == CAMPAIGN_KEY
    assert behaviour_kinds(*product.pivot.ref) == KINDS and product.pivot.ref != CAMPAIGN_KEY
    assert "c:\\programdata\\vendor\\tmp\\*.exe under c:\\program files\\vendor\\vendorsvc.exe" in product.pivot.value
    assert "c:\\users\\public\\*.exe under c:\\windows\\explorer.exe" in campaign.pivot.value


def test_a_product_keeps_its_key_on_other_hosts_and_names(store):
    """The key is the shape's, not the run's: the product on other hosts with other per-host names
    (another day's run) pivots under the same key, which triage and episodes rely on."""
    keys = []
    for hosts, tag in ((PRODUCT_HOSTS, "p"), (HOSTS[20:36], "q")):
        build_fleet(store, campaign_hosts=[])
        add_product(store, hosts, tag=tag)
        found = behaviour_clusters(detect(store, config=CONFIG))
        assert [sorted(c.hosts) for c in found] == [sorted(hosts)]
        keys.append(found[0].pivot.ref)

    assert keys[0] == keys[1] and behaviour_shape(keys[0]) is not None


def test_a_campaign_of_no_shared_shape_pivots_on_its_kinds(store):
    """A campaign that varies its dropper's folder and parent (four shapes of two hosts each,
    ``min_hosts`` 3; each folder and parent on four hosts, so none is generalised away) shares no
    shape: its hosts still pivot together, on the kinds' key alone, and apart from a product's
    pair on eight other hosts (one cluster of both before)."""
    build_fleet(store, campaign_hosts=[])
    launcher = ("process", "launcher")
    entities = [Entity(*launcher, "C:\\Windows\\System32\\launch.exe", {"image": "C:\\Windows\\System32\\launch.exe"})]
    sightings = [Sighting(h, launcher, campaign_time(0) - H, END, 5) for h in HOSTS]
    relations = []
    for i, h in enumerate(CAMPAIGN_HOSTS):
        t = campaign_time(i)
        folder = ("C:\\Users\\Public", "C:\\ProgramData")[i % 2]
        parent = (EXPLORER, launcher)[i // 2 % 2]
        path = f"{folder}\\upd{i:04x}.exe"
        dropper = Entity("process", f"v-drop-{i}", f'"{path}" /q v{i:04x}', {"image": path})
        script = Entity("process", f"v-ps-{i}", f"powershell.exe -nop -w hidden -enc SQBFAFgAv{i:04x}AIAAoAE4A",
                        {"image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"})
        entities += [dropper, script]
        sightings += [Sighting(h, dropper.ref, t - 30, t + 600, 1), Sighting(h, script.ref, t + 120, t + 180, 1)]
        relations += [relation(parent, "SPAWNED", dropper.ref, t - 30), relation(dropper.ref, "ACCESSED", LSASS, t),
                      relation(dropper.ref, "SPAWNED", script.ref, t + 120)]
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()
    product_hosts = HOSTS[26:30] + HOSTS[36:40]
    add_product(store, product_hosts)

    result = detect(store, config=CONFIG)

    found = sorted((sorted(c.hosts), c.pivot.ref) for c in behaviour_clusters(result))
    assert [hosts for hosts, _ in found] == [CAMPAIGN_HOSTS, product_hosts], [
        (c.pivot.ref, c.hosts) for c in result.clusters]
    assert found[0][1] == behaviour_key(KINDS)
    assert behaviour_shape(found[1][1]) is not None
