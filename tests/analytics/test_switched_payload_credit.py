"""An old cradle whose server switched its payload lends the new file's cluster what it did next (task T16B #2).

Red team T16 ``switch_poison.yaml`` + ``switch.yaml``: the campaign's exact ``powershell -enc`` cradle fetched a
harmless image on most workstations the day before; in the window, on 8 hosts, the same URL served a
credential dumper (another SHA-256) and the same process read LSASS at once.  The new file clustered,
but the process is old (on 32 hosts before the window): it is no member and no credit, so the cluster
said only "8 hosts first got file b.png".  Now an old process that reached the pivot lends it the
behaviours it first showed in the window within minutes of reaching it; its old encoded command does not.
"""

from __future__ import annotations

from analytics.config import DetectionConfig
from graphsiem.model import Entity, Sighting
from tests.analytics.behaviour_campaign import (
    CAMPAIGN_HOSTS,
    DAY,
    HOSTS,
    LSASS,
    START,
    add_to_store,
    build_fleet,
    cluster_of,
    per_host_reads,
    relation,
)

CONFIG = DetectionConfig(evidence_top=0, history_days=0)
CRADLE = ("process", "cradle")
HARMLESS, SWITCHED = ("file", "aa" * 32), ("file", "5e" * 32)
POISONED = HOSTS[:32]


def _write_switch(store, *, reads_lsass_at: float | None) -> None:
    build_fleet(store, campaign_hosts=[])
    t0, t1 = START + 0.4 * DAY, START + 1.5 * DAY
    entities = [Entity(*CRADLE, "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA",
                       {"image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"}),
                Entity(*HARMLESS, "C:\\Users\\u\\AppData\\Local\\Temp\\b.png", {"name": "b.png"}),
                Entity(*SWITCHED, "C:\\Users\\u\\AppData\\Local\\Temp\\b.png", {"name": "b.png"})]
    sightings = [Sighting(h, CRADLE, t0 + 60 * i, t1 + 60 * i if h in CAMPAIGN_HOSTS else t0 + 60 * i, 1)
                 for i, h in enumerate(POISONED)]
    sightings += [Sighting(h, HARMLESS, t0 + 60 * i, t0 + 60 * i, 1) for i, h in enumerate(POISONED)]
    sightings += [Sighting(h, SWITCHED, t1 + 60 * i, t1 + 60 * i, 1) for i, h in enumerate(CAMPAIGN_HOSTS)]
    relations = [relation(CRADLE, "WROTE", HARMLESS, t0), relation(CRADLE, "WROTE", SWITCHED, t1)]
    if reads_lsass_at is not None:
        relations.append(per_host_reads(CRADLE, LSASS, reads_lsass_at, CAMPAIGN_HOSTS))
    add_to_store(store, entities, sightings, relations)


def _switched_cluster(store):
    return cluster_of(store, SWITCHED, CONFIG)


def test_an_old_cradle_reading_lsass_right_after_fetching_the_switched_payload_lends_it_lsass_access(store):
    _write_switch(store, reads_lsass_at=START + 1.5 * DAY + 30)
    cluster = _switched_cluster(store)
    assert sorted(cluster.hosts) == CAMPAIGN_HOSTS
    assert cluster.features["lsass_access"] == 1.0
    assert cluster.features["encoded_command"] == 0.0  # the cradle ran -enc the day before: nothing new
    (lent,) = [c for c in cluster.explanation.credited if c.behaviour == "lsass_access"]
    assert (lent.images, lent.hosts) == (("powershell.exe",), len(CAMPAIGN_HOSTS))


def test_an_old_process_that_read_lsass_before_the_window_or_hours_later_lends_nothing(store):
    for at in (START + 0.5 * DAY, START + 1.5 * DAY + 3 * 3600):
        _write_switch(store, reads_lsass_at=at)
        assert _switched_cluster(store).features["lsass_access"] == 0.0
