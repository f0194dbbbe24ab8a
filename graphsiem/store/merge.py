"""Upsert semantics shared by every store: validation, batch coalescing, merging.

Both stores follow these rules so that the contract suite sees one behaviour:

* a relation's ``count`` grows by the incoming count minus the incoming evidence
  ids already recorded on the edge (so the same evidence twice counts once);
  evidence ids are appended; past :data:`~graphsiem.model.EVIDENCE_CAP` the
  first half of the cap and the most recent ids are kept (:mod:`graphsiem.evidence_keep`); ``first_seen`` only moves earlier and ``last_seen`` only later;
* a sighting merges by min/max/sum;
* an entity upsert merges ``props`` into the stored ones and replaces ``value``
  only with a non-empty value; a process's build (its digests and PE original name) is its earliest
  creation's, whole (:mod:`graphsiem.store.earliest_build`), not the last merged.  Nodes created as relation endpoints start with
  ``value = key``.

The Neo4j store expresses the same rules in Cypher (see ``neo4j_queries.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from graphsiem.contact_times import merge_times
from graphsiem.evidence_keep import append_kept, keep_ends
from graphsiem.model import (
    EVIDENCE_CAP,
    Entity,
    EntityKey,
    EntityType,
    Relation,
    RelationType,
    Sighting,
    add_signatures,
    add_tallies,
)
from graphsiem.store.earliest_build import merge_props

ENTITY_TYPES = frozenset(t.value for t in EntityType)
RELATION_TYPES = frozenset(t.value for t in RelationType)
SEARCH_COPIES = tuple(f"_search_{part}{long}" for part in ("value", "key", "text", "original")
                      for long in ("", "_long"))
"""Properties the Neo4j store writes itself for entity search (``neo4j_queries``: the lower-cased
value, key, searched property and PE original name, each also as a ``_long`` unindexed copy);
never an entity prop."""
RESERVED_PROPS = frozenset({"uid", "key", "type", "value", "full_key", *SEARCH_COPIES})
_SCALARS = (str, int, float, bool)
_PLAIN_SCALARS = frozenset(_SCALARS)


def check_type(entity_type: str, what: str = "entity") -> str:
    """Return ``entity_type`` or raise ``ValueError`` if it is not an :class:`EntityType`."""
    if entity_type not in ENTITY_TYPES:
        raise ValueError(f"{what}: unknown entity type {entity_type!r}")
    return entity_type


def check_relation_type(relation_type: str, what: str = "relation") -> str:
    """Return ``relation_type`` or raise ``ValueError`` if it is not a :class:`RelationType`."""
    if relation_type not in RELATION_TYPES:
        raise ValueError(f"{what}: unknown relation type {relation_type!r}")
    return relation_type


def check_neighbor_query(
    entity_type: str,
    direction: str,
    relation_types: Sequence[str] | None,
    entity_types: Sequence[str] | None,
) -> tuple[list[str] | None, list[str] | None]:
    """Validate a ``neighbors`` call (shared by both stores).

    Returns the relation-type and entity-type filters (``None`` = no filter),
    each checked against its enum; raises ``ValueError`` naming what is wrong.
    """
    check_type(entity_type)
    if direction not in ("out", "in", "both"):
        raise ValueError(f"direction must be 'out', 'in' or 'both', not {direction!r}")
    rel_filter = [check_relation_type(t) for t in relation_types] if relation_types else None
    ent_filter = [check_type(t) for t in entity_types] if entity_types else None
    return rel_filter, ent_filter


def clean_props(entity: Entity) -> dict[str, Any]:
    """The entity's props ready to store: ``None`` dropped, everything else checked.

    Returns a new dict (the caller's entity is never changed).

    Raises
    ------
    ValueError
        Naming the entity and the property, when a property name is reserved or
        a value is not a scalar or a homogeneous list of scalars (what Neo4j
        can store; the embedded store holds itself to the same rule).
    """
    props = entity.props
    if _are_plain_props(props):
        return dict(props)
    return _clean_props(entity)


def _are_plain_props(props: dict[str, Any]) -> bool:
    """True when every prop is a plain scalar under an allowed name: nothing to drop or convert.

    The check every upserted entity goes through on ingest; the general rules
    in :func:`_clean_props` cost about four times as much per property (the
    error context they prepare).
    """
    for name, value in props.items():
        if type(value) not in _PLAIN_SCALARS or type(name) is not str or name in RESERVED_PROPS:
            return False
    return True


def _clean_props(entity: Entity) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in entity.props.items():
        if value is None:
            continue
        if not isinstance(name, str) or name in RESERVED_PROPS:
            raise ValueError(f"{_where(entity, name)}: reserved or non-string property name")
        if isinstance(value, (list, tuple)):
            kinds = {type(item) for item in value}
            if not all(isinstance(item, _SCALARS) for item in value) or len(kinds) > 1:
                raise ValueError(f"{_where(entity, name)}: lists must hold scalars of one type")
            value = list(value)
        elif not isinstance(value, _SCALARS):
            raise ValueError(f"{_where(entity, name)}: unsupported value type {type(value).__name__}")
        cleaned[name] = value
    return cleaned


def _where(entity: Entity, name: object) -> str:
    return f"entity {entity.type}:{entity.key!r} property {name!r}"


def check_entity(entity: Entity) -> None:
    """Raise ``ValueError`` naming the entity when its type or key is unusable."""
    check_type(entity.type, f"entity {entity.type}:{entity.key!r}")
    if not isinstance(entity.key, str) or not entity.key:
        raise ValueError(f"entity of type {entity.type}: key must be a non-empty string")
    if not isinstance(entity.value, str):
        raise ValueError(f"entity {entity.type}:{entity.key!r}: value must be a string")


def is_plausible_entity(entity: Entity) -> bool:
    """The cheap per-row test of the hot paths; :func:`check_entity` says what is wrong."""
    return (
        entity.type in ENTITY_TYPES
        and type(entity.key) is str
        and bool(entity.key)
        and type(entity.value) is str
    )


def check_relation(relation: Relation) -> None:
    """Raise ``ValueError`` naming the relation when its types or keys are unusable."""
    what = f"relation {relation.src} -[{relation.type}]-> {relation.dst}"
    check_relation_type(relation.type, what)
    for entity_type, key in (relation.src, relation.dst):
        check_type(entity_type, what)
        if not isinstance(key, str) or not key:
            raise ValueError(f"{what}: endpoint keys must be non-empty strings")


def is_plausible_relation(relation: Relation) -> bool:
    """The cheap per-row test of the hot paths; :func:`check_relation` says what is wrong."""
    return (
        relation.type in RELATION_TYPES
        and relation.src[0] in ENTITY_TYPES
        and relation.dst[0] in ENTITY_TYPES
        and bool(relation.src[1])
        and bool(relation.dst[1])
    )


def merge_evidence(stored: list[str], incoming: Collection[str], count: int) -> int:
    """Append unseen ``incoming`` ids to ``stored`` (both ends kept past the cap); return the count to add.

    Each incoming id already in ``stored`` is one observation already counted,
    so it is subtracted from ``count``.  Past the cap, ``stored`` keeps its
    first ids and the most recent ones (:func:`graphsiem.evidence_keep.keep_ends`).

    Examples
    --------
    >>> kept = ["e1"]
    >>> merge_evidence(kept, ["e1", "e2"], 2), kept
    (1, ['e1', 'e2'])
    """
    if len(incoming) == 1:
        # one id: most merges of an ingest batch (an edge seen once more), without a loop
        (event_id,) = incoming
        if event_id in stored:
            count -= 1
        else:
            append_kept(stored, event_id)
        return count if count > 0 else 0
    # Hot edges arrive in every batch with many ids against a full list: a list
    # scan per id was 64 x 64 string compares (measured: 42 us a merge against
    # 2 us with the set; below 8 ids the scan is as fast).
    known: Collection[str] = set(stored) if len(stored) > 8 else stored
    # an id twice in ``incoming`` is one observation counted twice, as one already stored
    fresh = list(dict.fromkeys(event_id for event_id in incoming if event_id not in known))
    duplicates = len(incoming) - len(fresh)
    stored.extend(fresh)
    keep_ends(stored)
    return max(count - duplicates, 0)


def coalesce_entities(entities: Sequence[Entity]) -> list[Entity]:
    """One entity per identity, in first-seen order, merged with the rules above.

    The caller's objects are never modified: each merged entity is a new
    :class:`Entity` with cleaned props (see :func:`clean_props`).
    """
    merged: dict[EntityKey, Entity] = {}
    for entity, props in zip(entities, check_entities(entities), strict=True):
        seen = merged.get((entity.type, entity.key))
        if seen is None:
            merged[(entity.type, entity.key)] = Entity(entity.type, entity.key, entity.value, props)
        else:
            merge_props(seen.props, props)
            if entity.value:
                seen.value = entity.value
    return list(merged.values())


def check_entities(entities: Sequence[Entity]) -> list[dict[str, Any]]:
    """Every entity checked (raising ``ValueError`` like :func:`coalesce_entities`); their cleaned props.

    For a store that applies a batch row by row instead of coalescing it
    first: merging the rows one after the other into the stored entities
    gives what merging the coalesced batch gives (props update in order, the
    last non-empty value wins), and checking them all first leaves the store
    unchanged when one is bad.
    """
    cleaned = []
    for entity in entities:
        if not is_plausible_entity(entity):
            check_entity(entity)
        cleaned.append(clean_props(entity))
    return cleaned


def _is_merged_already(relation: Relation) -> bool:
    """True when merging ``relation`` into an empty edge would leave it unchanged."""
    evidence = relation.evidence
    return (
        relation.count >= 0
        and len(evidence) <= EVIDENCE_CAP
        and len(set(evidence)) == len(evidence)
    )


def coalesce_relations(relations: Sequence[Relation]) -> list[Relation]:
    """One relation per ``(src, type, dst)``, merged with :func:`merge_evidence`.

    The caller's objects are never modified.  A relation that occurs once and
    needs no normalising (distinct evidence within the cap, count >= 0) is
    returned as it is; only repeated or irregular ones are copied and merged.
    Ingest batches are almost all of the first kind, and copying each one cost
    more than the rest of the Neo4j store's per-row client work (measured:
    5.2 µs of 12 µs per row on 100,000 relations).
    """
    merged: dict[tuple[EntityKey, str, EntityKey], Relation] = {}
    copies: set[tuple[EntityKey, str, EntityKey]] = set()
    for relation in relations:
        if not is_plausible_relation(relation):
            check_relation(relation)
        key = (relation.src, relation.type, relation.dst)
        seen = merged.get(key)
        if seen is None:
            if _is_merged_already(relation):
                merged[key] = relation
                continue
            seen = merged[key] = Relation(
                relation.src, relation.type, relation.dst, relation.first_seen,
                relation.last_seen, 0, [],
            )
            copies.add(key)
        else:
            if key not in copies:  # still the caller's object: copy before changing it
                seen = merged[key] = Relation(
                    seen.src, seen.type, seen.dst, seen.first_seen, seen.last_seen,
                    seen.count, list(seen.evidence),
                    dict(seen.signatures) if seen.signatures else None, seen.signatures_dropped,
                    copy_tallies(seen.tallies), dict(seen.tallies_dropped) if seen.tallies_dropped else None,
                )
                copies.add(key)
            seen.first_seen = min(seen.first_seen, relation.first_seen)
            seen.last_seen = max(seen.last_seen, relation.last_seen)
        seen.count += merge_evidence(seen.evidence, relation.evidence, relation.count)
        if relation.signatures or relation.signatures_dropped:
            merge_signatures_into(seen, relation)
        if relation.tallies or relation.tallies_dropped:
            merge_tallies_into(seen, relation)
    return list(merged.values())


def copy_tallies(tallies: dict[str, dict[str, int]] | None) -> dict[str, dict[str, int]] | None:
    """A copy of an edge's tallies (each tally's dict too: merges change them), None for none."""
    return {name: dict(counts) for name, counts in tallies.items()} if tallies else None


def merge_tallies_into(stored: Relation, incoming: Relation) -> None:
    """Add ``incoming``'s tallies and dropped observations to ``stored`` (the store's or a copy: it is
    changed), at most :data:`~graphsiem.model.TALLY_CAP` labels a tally (:func:`~graphsiem.model.add_tallies`)."""
    if stored.tallies is None:
        stored.tallies = {}
    dropped = stored.tallies_dropped if stored.tallies_dropped is not None else {}
    add_tallies(stored.tallies, dropped, incoming.tallies, incoming.tallies_dropped)
    stored.tallies_dropped = dropped or None


def merge_signatures_into(stored: Relation, incoming: Relation) -> None:
    """Add ``incoming``'s IDS signatures and dropped alerts to ``stored`` (``stored`` is the store's or a
    copy: it is changed), at most :data:`~graphsiem.model.SIGNATURE_CAP` signatures kept."""
    if stored.signatures is None:
        stored.signatures = {}
    stored.signatures_dropped += incoming.signatures_dropped + add_signatures(
        stored.signatures, incoming.signatures or {})


def check_sighting(sighting: Sighting) -> None:
    """Raise ``ValueError`` naming the sighting when its entity type, host or key is unusable."""
    check_type(sighting.entity[0], f"sighting of {sighting.entity} on {sighting.host!r}")
    if not sighting.host or not sighting.entity[1]:
        raise ValueError(f"sighting of {sighting.entity} on {sighting.host!r}: empty host or key")


def is_plausible_sighting(sighting: Sighting) -> bool:
    """The cheap per-row test of the hot paths; :func:`check_sighting` says what is wrong.

    (Formatting the error context of :func:`check_sighting` for every row was
    most of the embedded store's cost per sighting.)
    """
    return sighting.entity[0] in ENTITY_TYPES and bool(sighting.host) and bool(sighting.entity[1])


def coalesce_sightings(sightings: Sequence[Sighting]) -> list[Sighting]:
    """One sighting per ``(host, entity)``: min first seen, max last seen, summed count, merged contact times.

    The caller's objects are never modified: a sighting that occurs once is
    returned as it is, repeated ones are merged into a copy (as
    :func:`coalesce_relations` does).
    """
    merged: dict[tuple[str, EntityKey], Sighting] = {}
    copies: set[tuple[str, EntityKey]] = set()
    for sighting in sightings:
        if not is_plausible_sighting(sighting):
            check_sighting(sighting)
        key = (sighting.host, sighting.entity)
        seen = merged.get(key)
        if seen is None:
            merged[key] = sighting
            continue
        if key not in copies:  # still the caller's object: copy before changing it
            seen = merged[key] = Sighting(seen.host, seen.entity, seen.first_seen, seen.last_seen, seen.count,
                                          seen.times)
            copies.add(key)
        seen.first_seen = min(seen.first_seen, sighting.first_seen)
        seen.last_seen = max(seen.last_seen, sighting.last_seen)
        seen.count += sighting.count
        if sighting.times:
            seen.times = merge_times(seen.times, sighting.times)
    return list(merged.values())


def bfs_nodes(
    seeds: Iterable[str],
    *,
    radius: int,
    limit: int,
    expand: Callable[[list[str]], Iterable[str]],
) -> list[str]:
    """Node ids within ``radius`` hops of ``seeds``, at most ``limit``, layer by layer.

    ``expand(frontier)`` returns the neighbours (either direction) of the
    frontier's nodes.  When a layer would pass ``limit`` it is cut in sorted
    order, so every store returns the same nodes.
    """
    found: dict[str, None] = {}
    frontier = sorted(set(seeds))[:limit]
    found.update(dict.fromkeys(frontier))
    for _ in range(radius):
        if not frontier or len(found) >= limit:
            break
        layer = sorted(set(expand(frontier)) - found.keys())
        layer = layer[: limit - len(found)]
        found.update(dict.fromkeys(layer))
        frontier = layer
    return list(found)
