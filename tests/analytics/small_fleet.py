"""Helpers of the hand-built fleets of task F27's tests: write one to a store, find a cluster, add other candidates."""

from __future__ import annotations

from collections.abc import Sequence

from graphsiem.model import Entity, Relation, Sighting


def write_fleet(store, entities: list[Entity], sightings: list[Sighting], relations: list[Relation]) -> None:
    """Write a fleet to ``store`` and flush it (the store is expected cleared)."""
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()


def cluster_of(result, pivot: tuple[str, str]):
    """The cluster of ``result`` grown from ``pivot`` (fails naming the pivots found)."""
    found = [c for c in result.clusters if c.pivot.ref == pivot]
    assert found, [c.pivot.value for c in result.clusters]
    return found[0]


def browsed_sites(hosts: Sequence[str], start: float, *, sites: int = 12) -> tuple[list[Entity], list[Sighting], list[Relation]]:
    """Ordinary new sites, each browsed a few times by 4 of ``hosts`` from ``start`` on: the other
    candidate clusters a scored one stands out from."""
    entities, sightings, relations = [], [], []
    for site in range(sites):
        name = ("domain", f"site{site}.example")
        entities.append(Entity(*name, name[1]))
        for k, h in enumerate(hosts[site : site + 4]):
            t = start + 3600 * (k * 3 + site % 4)
            sightings.append(Sighting(h, name, t, t + 1800, 4))
            relations.append(Relation(("host", h), "RESOLVED", name, t, t + 1800, 4, [f"ev-{site}-{h}"]))
    return entities, sightings, relations
