"""An old cradle that reached a switched payload only through its known URL lends what it did next (task SWITCH).

Red team T16 ``switch_poison.yaml`` + ``switch.yaml``: the campaign's exact ``powershell -enc`` cradle fetched
a harmless image from ``img-banner-cdn.example`` on most workstations the day before; in the window the same
URL served a credential dumper (another SHA-256) to the campaign's hosts and the cradle read LSASS at once.
Unlike ``test_switched_payload_credit.py`` the cradle writes no file: only its host downloaded the new file,
and the cradle reached the file's source, whose link is old and whose fetchers are routine scripts, so
:mod:`analytics.known_source_downloads` dropped it and the file's cluster said only "8 hosts first got file
b.png".  Now an old process still fetching the source within minutes of a host's download is a switch link,
lending only what it first showed in the window.  Each test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

from analytics.config import DetectionConfig
from graphsiem.model import Entity, Relation, Sighting
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
SOURCE = ("domain", "img-banner-cdn.example")
URL = ("url", "http://img-banner-cdn.example/img/b.png")
HARMLESS, SWITCHED = ("file", "aa" * 32), ("file", "5e" * 32)
POISONED = HOSTS[:32]
FETCHED_AT = START + 0.4 * DAY  # the harmless image, the day before the window
SWITCHED_AT = START + 1.5 * DAY  # the credential dumper, in the window


CRADLE_LINE = "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA"
POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
UPDATER = '"C:\\Program Files\\Vendor\\updater.exe" /poll'


def _write_switch(store, *, cradle_active_after_s: float = 30.0, reads_lsass: bool = True,
                  lsass_reads: int = len(CAMPAIGN_HOSTS), cradles: int = 1, polls_every_s: float | None = None,
                  command_line: str = CRADLE_LINE, image: str = POWERSHELL) -> None:
    """The fleet of :func:`build_fleet` without its campaign, and the switch: on :data:`POISONED` hosts the cradle
    fetched the harmless image; on each campaign host ``i`` it fetches the switched file at ``SWITCHED_AT + 60 i``
    and is last active there ``cradle_active_after_s`` later (its LSASS read, when ``reads_lsass``: an edge of
    ``lsass_reads`` events).  ``cradles`` old processes of their own command lines do it all alike; with
    ``polls_every_s`` each polls the source that often on every host, all day (an updater)."""
    build_fleet(store, campaign_hosts=[])
    keys = [CRADLE] + [("process", f"cradle-{n}") for n in range(1, cradles)]
    entities = [Entity(*key, command_line + (f" -n {n}" if n else ""), {"image": image}) for n, key in enumerate(keys)]
    entities += [Entity(*SOURCE, SOURCE[1]), Entity(*URL, URL[1]),
                 Entity(*HARMLESS, "b.png", {"name": "b.png"}), Entity(*SWITCHED, "b.png", {"name": "b.png"})]
    sightings, relations = [], []
    for i, h in enumerate(POISONED):
        t = FETCHED_AT + 60 * i
        sightings += [Sighting(h, e, t, t, 1) for e in (*keys, SOURCE, URL, HARMLESS)]
        relations += [relation(("host", h), "DOWNLOADED", HARMLESS, t)]
    for i, h in enumerate(CAMPAIGN_HOSTS):
        t = SWITCHED_AT + 60 * i
        sightings += [Sighting(h, key, FETCHED_AT + 60 * i, t + cradle_active_after_s, 2) for key in keys]
        sightings += [Sighting(h, SOURCE, FETCHED_AT + 60 * i, t, 2), Sighting(h, URL, FETCHED_AT + 60 * i, t, 2),
                      Sighting(h, SWITCHED, t, t, 1)]
        relations += [relation(("host", h), "DOWNLOADED", SWITCHED, t)]
    last_fetch = SWITCHED_AT + 60 * (len(CAMPAIGN_HOSTS) - 1)
    span = last_fetch - FETCHED_AT
    fetches = 40 if polls_every_s is None else int(len(POISONED) * span / polls_every_s)
    # one edge for the whole fleet: first made the day before, last used in the window
    relations += [Relation(key, "RESOLVED", SOURCE, FETCHED_AT - 1, last_fetch - 1, fetches, [f"ev-{key[1]}-dns"])
                  for key in keys]
    relations += [relation(HARMLESS, "SERVED_BY", URL, FETCHED_AT), relation(HARMLESS, "SERVED_BY", SOURCE, FETCHED_AT),
                  relation(SWITCHED, "SERVED_BY", URL, SWITCHED_AT), relation(SWITCHED, "SERVED_BY", SOURCE, SWITCHED_AT),
                  relation(URL, "ON", SOURCE, FETCHED_AT)]
    if reads_lsass:
        relations += [per_host_reads(key, LSASS, SWITCHED_AT + cradle_active_after_s, CAMPAIGN_HOSTS[:lsass_reads])
                      for key in keys]
    add_to_store(store, entities, sightings, relations)


def _switched_cluster(store):
    return cluster_of(store, SWITCHED, CONFIG)


def test_an_old_cradle_fetching_the_switched_file_from_its_known_url_lends_it_its_lsass_read(store):
    _write_switch(store)
    cluster = _switched_cluster(store)
    assert sorted(cluster.hosts) == CAMPAIGN_HOSTS
    assert cluster.features["lsass_access"] == 1.0
    assert cluster.features["encoded_command"] == 0.0  # the cradle ran -enc the day before: nothing new
    assert cluster.features["download_from_new_domain"] == 0.0  # an old script's routine source: no download
    (lent,) = [c for c in cluster.explanation.credited if c.behaviour == "lsass_access"]
    assert (lent.images, lent.hosts, lent.source) == (("powershell.exe",), len(CAMPAIGN_HOSTS), SOURCE)
    assert lent.reached == f"domain {SOURCE[1]}, fetching file b.png"
    summary = cluster.explanation.summary
    assert f"reached domain {SOURCE[1]}, fetching file b.png, run before the window (no new cluster member)" in summary
    assert "each on one host" not in summary  # one process the fleet ran on many hosts


def test_an_old_process_of_the_source_active_hours_after_the_download_or_reading_nothing_lends_nothing(store):
    for active_after_s, reads_lsass in ((3 * 3600.0, True), (30.0, False)):
        _write_switch(store, cradle_active_after_s=active_after_s, reads_lsass=reads_lsass)
        cluster = _switched_cluster(store)
        assert cluster.features["lsass_access"] == 0.0
        assert not [c for c in cluster.explanation.credited if c.source == SOURCE]


# -- review R24: a host's read counts once, and an updater polling the source is no switch link ----------------


def _lent_lsass(cluster):
    return [c for c in cluster.explanation.credited if c.behaviour == "lsass_access"]


def test_one_read_on_one_host_is_not_lent_as_a_read_on_every_host_the_cradle_ran_on(store):
    _write_switch(store, lsass_reads=1)
    cluster = _switched_cluster(store)
    assert cluster.features["lsass_access"] == 0.0  # one host's read: fewer than min_hosts hosts
    assert not _lent_lsass(cluster)


def test_a_host_reached_by_two_old_cradles_counts_once(store):
    _write_switch(store, cradles=2)
    cluster = _switched_cluster(store)
    assert cluster.features["lsass_access"] == 1.0
    (lent,) = _lent_lsass(cluster)
    assert (lent.processes, lent.hosts) == (2, len(CAMPAIGN_HOSTS))  # not 2 x 8 hosts


def test_an_updater_polling_the_source_all_day_is_no_switch_link_for_its_new_file(store):
    # a vendor's updater on every host polls its CDN every 5 s; the CDN's new build reaches 8 hosts and the
    # updater (its agent) reads LSASS there: being active near each download says nothing of who fetched it
    _write_switch(store, polls_every_s=5.0, command_line=UPDATER, image="C:\\Program Files\\Vendor\\updater.exe")
    cluster = _switched_cluster(store)
    assert cluster.features["lsass_access"] == 0.0
    assert not [c for c in cluster.explanation.credited if c.source == SOURCE]


def test_a_cradle_fetching_once_an_hour_is_still_a_switch_link(store):
    _write_switch(store, polls_every_s=3600.0)
    assert _switched_cluster(store).features["lsass_access"] == 1.0
