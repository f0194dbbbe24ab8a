"""The store contract for reads as of an instant (``until``): each test runs on [embedded] and [neo4j].

A backtest at ``until`` must read what a store holding only the data up to
``until`` would hold (review R3, item 1): sightings that began later are left
out, the others are cut at ``until`` (:func:`graphsiem.store.base.sighting_as_of`),
and both stores compute the same numbers.
"""

from __future__ import annotations

from graphsiem.model import Sighting
from graphsiem.store.base import sighting_as_of

DOMAIN = ("domain", "cdn-img-delivery.example")
PS = ("process", "p-powershell")


def _sightings(store):
    store.upsert_sightings([
        Sighting("ws-a", DOMAIN, 100.0, 200.0, 11),  # goes on past 150: cut there, 6 of 11 contacts
        Sighting("ws-b", DOMAIN, 50.0, 60.0, 1),  # over before 150: as is
        Sighting("ws-c", DOMAIN, 300.0, 300.0, 4),  # after 150: unknown then
        Sighting("ws-d", PS, 160.0, 170.0, 2),  # ws-d's only sighting, after 150: not in the fleet yet
        Sighting("ws-a", PS, 149.0, 1149.0, 3),  # 0.1 % of its span before 150: at least one contact
    ])
    store.flush()


def test_sighting_as_of_is_the_reference():
    assert sighting_as_of(100.0, 200.0, 11, 150.0) == (150.0, 6)
    assert sighting_as_of(50.0, 60.0, 1, 150.0) == (60.0, 1)
    assert sighting_as_of(300.0, 300.0, 4, 150.0) is None
    assert sighting_as_of(149.0, 1149.0, 3, 150.0) == (150.0, 1)
    assert sighting_as_of(150.0, 150.0, 2, 150.0) == (150.0, 2)  # the bound is inclusive


def test_iter_sightings_until_leaves_out_later_sightings_and_cuts_the_rest(store):
    _sightings(store)

    rows = {(s.host, s.entity): (s.first_seen, s.last_seen, s.count) for s in store.iter_sightings(until=150.0)}

    assert rows == {
        ("ws-a", DOMAIN): (100.0, 150.0, 6),
        ("ws-b", DOMAIN): (50.0, 60.0, 1),
        ("ws-a", PS): (149.0, 150.0, 1),
    }
    # since applies to the cut last sighting: ws-b's ended at 60
    assert {s.host for s in store.iter_sightings(since=100.0, until=150.0, entity_types=["domain"])} == {"ws-a"}
    # without until nothing changes
    assert len(list(store.iter_sightings())) == 5


def test_entity_prevalence_until_is_what_was_known_then(store):
    _sightings(store)

    rows = {p.entity: p for p in store.entity_prevalence(until=150.0)}

    domain = rows[DOMAIN]
    assert (domain.hosts, domain.first_seen, domain.last_seen, domain.count) == (2, 50.0, 150.0, 7)
    assert domain.host_first_seen == (50.0, 100.0)
    assert (rows[PS].hosts, rows[PS].first_seen, rows[PS].count) == (1, 149.0, 1)
    assert [p.entity for p in store.entity_prevalence(until=150.0, min_hosts=2)] == [DOMAIN]
    assert list(store.entity_prevalence(until=10.0)) == []
    assert {p.entity: p.hosts for p in store.entity_prevalence()} == {DOMAIN: 3, PS: 2}


def test_sighting_hosts_until_counts_the_fleet_known_then(store):
    _sightings(store)

    assert store.sighting_hosts(until=150.0) == 2  # ws-a, ws-b
    assert store.sighting_hosts(until=300.0) == 4
    assert store.sighting_hosts(until=0.0) == 0
    assert store.sighting_hosts() == 4
