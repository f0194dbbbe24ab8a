"""Evidence is the cluster's: events on its hosts, in the detection window (review R3, item 4).

The campaign of ``tests.analytics.fleet`` reads LSASS from 8 hosts; here LSASS
is also a member (its host set is mostly the campaign's), and an admin tool on
two other hosts reads it too, as ``procexp64.exe`` does on IT hosts.  Evidence
from the admin tool's relation used to come with the campaign's: a relation
between two non-host nodes carries the events of every host.
"""

from __future__ import annotations

import pytest

from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.model import Entity, Event, Relation, Sighting
from ingest.journal import Journal
from tests.analytics.fleet import CAMPAIGN_HOSTS, DAY, START, populate

LSASS = ("process", "lsass")
ADMIN = ("process", "procexp64")
OUTSIDE = ["ws-030", "ws-031"]
CAMPAIGN_TIME = START + 1.5 * DAY
BEFORE_WINDOW = START + 0.5 * DAY


def _event(event_id: str, host: str | None, ts: float) -> Event:
    return Event(id=event_id, kind="sysmon:process_access", ts=ts, host=host, source="winlogbeat",
                 fields={"process.executable": "procexp64.exe"}, origin="test")


# The admin tool's reads of LSASS: outside hosts in the window, a cluster host
# before the window, and a cluster host in the window (the only one that is the cluster's).
ADMIN_EVENTS = [
    _event("ev-admin-outside", OUTSIDE[0], CAMPAIGN_TIME + 60),
    _event("ev-admin-outside-2", OUTSIDE[1], CAMPAIGN_TIME + 90),
    _event("ev-admin-before", CAMPAIGN_HOSTS[0], BEFORE_WINDOW),
    _event("ev-admin-inside", CAMPAIGN_HOSTS[1], CAMPAIGN_TIME + 120),
]


def _populate(store) -> None:
    populate(store)
    store.upsert_entities([Entity("host", h, h) for h in OUTSIDE] + [Entity(*ADMIN, "procexp64.exe", {})])
    # LSASS is seen on the campaign's 8 hosts and 2 others: 80 % inside, so a member.
    store.upsert_sightings([Sighting(h, LSASS, CAMPAIGN_TIME, CAMPAIGN_TIME + 600, 1)
                            for h in CAMPAIGN_HOSTS + OUTSIDE])
    store.upsert_relations([Relation(ADMIN, "ACCESSED", LSASS, BEFORE_WINDOW, CAMPAIGN_TIME + 120, 4,
                                     [e.id for e in ADMIN_EVENTS])])
    store.flush()


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path / "journal.sqlite") as journal:
        journal.append(ADMIN_EVENTS)
        yield journal


def _campaign(result):
    return next(c for c in result.clusters if c.pivot.ref == ("domain", "bad.example"))


def test_lsass_is_a_member_shared_with_outside_hosts(store):
    _populate(store)
    campaign = _campaign(detect(store))
    assert LSASS in {e.ref for e in campaign.entities}
    assert not set(OUTSIDE) & set(campaign.hosts)


def test_without_a_journal_a_shared_members_relation_brings_no_evidence(store):
    _populate(store)
    ids = {r["event_id"] for r in _campaign(detect(store)).evidence}
    assert not ids & {e.id for e in ADMIN_EVENTS}
    # The campaign's own relations still do (the cradle's LSASS read, the file).
    assert {"ev-lsass", "ev-file"} <= ids


def test_with_a_journal_only_the_clusters_hosts_in_the_window_count(store, journal):
    _populate(store)
    ids = {r["event_id"] for r in _campaign(detect(store, journal=journal)).evidence}
    assert ids & {e.id for e in ADMIN_EVENTS} == {"ev-admin-inside"}
    assert {"ev-lsass", "ev-file"} <= ids


def test_evidence_stays_on_the_cluster_with_a_small_limit(store, journal):
    _populate(store)
    config = DetectionConfig(evidence_per_cluster=2)
    evidence = _campaign(detect(store, config=config, journal=journal)).evidence
    assert len(evidence) == 2
    assert not {r["event_id"] for r in evidence} & {"ev-admin-outside", "ev-admin-outside-2", "ev-admin-before"}
