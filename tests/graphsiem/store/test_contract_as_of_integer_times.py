"""Reads as of an instant agree on both stores when the times are integers (review RV2, item 7).

A sighting that goes on past ``until`` keeps the share of its contacts that a
steady rate puts before ``until`` (:func:`graphsiem.store.base.sighting_as_of`).
Neo4j keeps integers as integers, and its Cypher computed that share with
integer division: ``(150 - 100) / (200 - 100)`` is 0 there, so 5 contacts
became 1 (the floor of one) where the embedded store read 3.  Each test runs
on [embedded] and [neo4j].
"""

from __future__ import annotations

from graphsiem.model import Sighting
from graphsiem.store.base import sighting_as_of

DOMAIN = ("domain", "cdn-img-delivery.example")


def _integer_sightings(store) -> None:
    store.upsert_sightings([
        Sighting("ws-a", DOMAIN, 100, 200, 5),  # half its span before 150: 3 of 5 contacts (2.5 rounded up)
        Sighting("ws-b", DOMAIN, 120, 220, 9),  # 30 % before 150: 3 of 9
    ])
    store.flush()


def test_the_reference_reads_integer_times_as_numbers():
    assert sighting_as_of(100, 200, 5, 150) == (150, 3)
    assert sighting_as_of(120, 220, 9, 150) == (150, 3)


def test_iter_sightings_until_prorates_integer_times(store):
    _integer_sightings(store)

    rows = {s.host: (s.last_seen, s.count) for s in store.iter_sightings(until=150)}

    assert rows == {"ws-a": (150, 3), "ws-b": (150, 3)}


def test_entity_prevalence_until_prorates_integer_times(store):
    _integer_sightings(store)

    (prevalence,) = store.entity_prevalence(until=150)

    assert (prevalence.entity, prevalence.hosts, prevalence.count) == (DOMAIN, 2, 6)
