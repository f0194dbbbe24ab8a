"""The store contract for a destination's kept contact times (task BEACON): runs on [embedded] and [neo4j].

Both stores merge a sighting's times as :func:`graphsiem.contact_times.merge_times`
does, whatever the order and cut of the batches, keep none for an entity that
is no destination, and the embedded store keeps them across a reload.
"""

from __future__ import annotations

import pytest

from graphsiem.contact_times import merge_times
from graphsiem.model import Projection, Sighting
from graphsiem.store.embedded import EmbeddedStore

DOMAIN = ("domain", "c2.example")
PS = ("process", "p-powershell")
TIMES = [1000.0 + 60.0 * n + (n * 7 % 11) for n in range(100)]


def sighting(host, entity, times):
    return Sighting(host, entity, min(times), max(times), len(times), merge_times(times))


@pytest.mark.parametrize("cut", [1, 7, 50, 100], ids=lambda c: f"batches of {c}")
def test_merged_batches_keep_the_times_of_the_whole_whatever_the_cut(store, cut):
    batches = [TIMES[start:start + cut] for start in range(0, len(TIMES), cut)]
    for times in reversed(batches):  # newest first: out of order
        store.upsert_sightings([sighting("ws-a", DOMAIN, times)])
    store.upsert_sightings([sighting("ws-a", DOMAIN, TIMES[10:30])])  # a replay of events held already
    store.flush()

    assert store.contact_times(*DOMAIN) == {"ws-a": merge_times(TIMES)}
    assert store.hosts_of(*DOMAIN)[0].count == len(TIMES) + 20  # counts add as before


def test_times_are_kept_per_host_and_only_for_destinations(store):
    store.upsert_sightings([
        sighting("ws-a", DOMAIN, TIMES[:5]), sighting("ws-b", DOMAIN, TIMES[5:8]),
        Sighting("ws-a", PS, 1.0, 2.0, 2),
    ])
    store.flush()

    assert store.contact_times(*DOMAIN) == {"ws-a": tuple(TIMES[:5]), "ws-b": tuple(TIMES[5:8])}
    assert store.contact_times(*PS) == {}
    assert store.contact_times("domain", "never.example") == {}


def test_a_projected_batch_keeps_its_times(store):
    store.apply_batch(Projection(sightings=[sighting("ws-a", DOMAIN, TIMES[:40])]), seq=1, journal="journal-a")
    store.apply_batch(Projection(sightings=[sighting("ws-a", DOMAIN, TIMES[40:])]), seq=2, journal="journal-a")
    store.flush()

    assert store.contact_times(*DOMAIN) == {"ws-a": merge_times(TIMES)}


def test_the_embedded_store_keeps_the_times_across_a_reload(tmp_path):
    first = EmbeddedStore(tmp_path / "graph")
    first.upsert_sightings([sighting("ws-a", DOMAIN, TIMES)])
    first.close()

    reopened = EmbeddedStore(tmp_path / "graph")
    try:
        assert reopened.contact_times(*DOMAIN) == {"ws-a": merge_times(TIMES)}
    finally:
        reopened.close()
