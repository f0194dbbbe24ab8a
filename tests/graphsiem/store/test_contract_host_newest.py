"""The store contract for each host's newest sighting (task I9): runs on [embedded] and [neo4j].

Analytics compare hosts' clocks with it (:mod:`analytics.window_end`), so both
stores must give the same hosts and instants, as of ``until`` cut as
:func:`graphsiem.store.base.sighting_as_of` cuts a sighting.
"""

from __future__ import annotations

from graphsiem.model import Entity, Sighting

DOMAIN = ("domain", "cdn-img-delivery.example")
PS = ("process", "p-powershell")


def _sightings(store):
    store.upsert_sightings([
        Sighting("ws-a", DOMAIN, 100.0, 200.0, 11),
        Sighting("ws-a", PS, 120.0, 130.0, 2),
        Sighting("ws-b", DOMAIN, 50.0, 60.0, 1),
        Sighting("ws-c", DOMAIN, 300.0, 4_102_444_800.0, 4),  # a clock in 2100
        Sighting("ws-d", PS, 160.0, 170.0, 2),
    ])
    # a host only named by another machine's event: a host node without sightings of its own
    store.upsert_entities([Entity("host", "named-only", "named-only")])
    store.flush()


def test_each_host_newest_sighting(store):
    _sightings(store)

    assert store.host_newest_sightings() == {
        "ws-a": 200.0, "ws-b": 60.0, "ws-c": 4_102_444_800.0, "ws-d": 170.0}


def test_host_newest_sightings_until_leaves_out_later_sightings_and_cuts_the_rest(store):
    _sightings(store)

    assert store.host_newest_sightings(until=150.0) == {"ws-a": 150.0, "ws-b": 60.0}
    assert store.host_newest_sightings(until=400.0) == {
        "ws-a": 200.0, "ws-b": 60.0, "ws-c": 400.0, "ws-d": 170.0}
    assert store.host_newest_sightings(until=10.0) == {}


def test_an_empty_store_has_no_hosts(store):
    store.clear()

    assert store.host_newest_sightings() == {}
