"""A comparable picture of a whole graph store (entities, relations, sightings)."""

from __future__ import annotations

from typing import Any


def snapshot(store: Any) -> dict[str, Any]:
    """Every entity, relation and sighting of ``store`` as plain, order-free data."""
    entities = {(e.type, e.key): (e.value, _plain(e.props)) for e in store.iter_entities()}
    relations = {(r.src, r.type, r.dst): (r.count, r.first_seen, r.last_seen,
                                          tuple(sorted(r.evidence)))
                 for r in store.iter_relations()}
    sightings = {(s.host, s.entity): (s.first_seen, s.last_seen, s.count)
                 for s in store.iter_sightings()}
    return {"entities": entities, "relations": relations, "sightings": sightings,
            "counts": store.counts()}


def _plain(props: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in props.items()))
