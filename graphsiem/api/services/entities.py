"""Entity look-up, neighbourhood expansion and search over a :class:`GraphStore`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import networkx as nx

from graphsiem.api.context import AppContext
from graphsiem.api.errors import NotFound
from graphsiem.api.schemas import (
    EntityHit,
    EntityOut,
    EntitySearchOut,
    HostSeen,
    NeighborsOut,
    SearchField,
)
from graphsiem.api.services.graph_json import graph_to_json
from graphsiem.model import Entity, entity_uid, epoch_to_iso
from graphsiem.store.base import IN_PROP, GraphStore, SearchHit


def _candidate_keys(entity_type: str, value: str) -> list[str]:
    """Keys to try for a value typed by a person: as given, then normalised."""
    candidates = [value, value.strip(), value.strip().lower().rstrip(".")]
    try:
        from ingest import normalize
    except ImportError:  # pragma: no cover - ingest is part of the package
        normalize = None
    if normalize is not None:
        if entity_type == "host" and hasattr(normalize, "normalize_host"):
            candidates.append(normalize.normalize_host(value) or "")
        if entity_type == "ip" and hasattr(normalize, "canonical_ip"):
            candidates.append(normalize.canonical_ip(value, strict=False) or "")
    seen: list[str] = []
    for key in candidates:
        if key and key not in seen:
            seen.append(key)
    return seen


def resolve_entity(store: GraphStore, entity_type: str, value: str) -> Entity:
    """The entity whose key is ``value`` (or its normalised form); 404 otherwise."""
    for key in _candidate_keys(entity_type, value):
        entity = store.get_entity(entity_type, key)
        if entity is not None:
            return entity
    raise NotFound(f"no {entity_type} entity with key or value {value[:200]!r}",
                   field="value")


def entity_detail(ctx: AppContext, *, entity_type: str, value: str,
                  hosts_limit: int = 200) -> EntityOut:
    """Prevalence (distinct hosts, first/last seen, count) and the hosts that saw it."""
    with ctx.store_guard():
        entity = resolve_entity(ctx.store, entity_type, value)
        sightings = ctx.store.hosts_of(entity.type, entity.key)
    if entity.type == "host" and not sightings:
        prevalence = {"hosts": 1, "first_seen": None, "last_seen": None, "count": 0}
    else:
        first = min((s.first_seen for s in sightings), default=None)
        last = max((s.last_seen for s in sightings), default=None)
        prevalence = {"hosts": len(sightings), "first_seen": epoch_to_iso(first),
                      "last_seen": epoch_to_iso(last),
                      "count": sum(s.count for s in sightings)}
    ordered = sorted(sightings, key=lambda s: (s.first_seen, s.host))
    return EntityOut(
        type=entity.type, key=entity.key, value=entity.value,
        props=dict(entity.props), prevalence=prevalence,
        hosts=[HostSeen(host=s.host, first_seen=epoch_to_iso(s.first_seen),
                        last_seen=epoch_to_iso(s.last_seen), count=s.count)
               for s in ordered[:hosts_limit]],
        hosts_truncated=len(ordered) > hosts_limit,
    )


def _add_entity(graph: nx.MultiDiGraph, entity: Entity) -> None:
    graph.add_node(entity.uid, type=entity.type, key=entity.key, value=entity.value,
                   **{k: v for k, v in entity.props.items() if k not in {"type", "key", "value"}})


def neighbors(ctx: AppContext, *, entity_type: str, value: str, depth: int, limit: int,
              types: Sequence[str] | None) -> NeighborsOut:
    """Breadth-first expansion to ``depth`` hops, at most ``limit`` neighbours in total."""
    graph = nx.MultiDiGraph()
    with ctx.store_guard():
        center = resolve_entity(ctx.store, entity_type, value)
        _add_entity(graph, center)
        frontier = [center]
        seen = {center.uid}
        added = 0
        for _ in range(depth):
            next_frontier: list[Entity] = []
            for entity in frontier:
                if added >= limit:
                    break
                # Already-seen neighbours (the way back) also count against the
                # store's limit, so ask for enough to still find ``limit`` new ones.
                for hop in ctx.store.neighbors(entity.type, entity.key,
                                               entity_types=list(types) if types else None,
                                               limit=limit - added + len(seen)):
                    rel = hop.relation
                    if hop.entity.uid not in seen:
                        if added >= limit:
                            break
                        seen.add(hop.entity.uid)
                        _add_entity(graph, hop.entity)
                        next_frontier.append(hop.entity)
                        added += 1
                    graph.add_edge(entity_uid(*rel.src), entity_uid(*rel.dst), key=rel.type,
                                   type=rel.type, count=rel.count, first_seen=rel.first_seen,
                                   last_seen=rel.last_seen, evidence=list(rel.evidence))
            frontier = next_frontier
    return NeighborsOut(center=center.uid, depth=depth, graph=graph_to_json(graph))


SNIPPET_CONTEXT = 60
"""Characters kept on each side of the match in a hit's ``snippet``."""


def _snippet(text: str, lowered: str, at: int, length: int) -> str:
    """The text around ``lowered[at:at + length]``, with ellipses where it was cut.

    A few characters change length when lowered (``"İ"`` becomes two), so an
    index into the lowered text only points into the original when the lengths
    agree; otherwise the excerpt is taken from the lowered text itself.
    """
    source = text if len(text) == len(lowered) else lowered
    start = max(0, at - SNIPPET_CONTEXT)
    end = min(len(source), at + length + SNIPPET_CONTEXT)
    return ("…" if start else "") + source[start:end] + ("…" if end < len(source) else "")


def _hit(found: SearchHit, needle: str) -> EntityHit:
    """The API's hit for a store's; property hits get a snippet around the first match."""
    entity = found.entity
    matched = cast(SearchField, found.matched)
    snippet = None
    if found.rank == IN_PROP:
        text = entity.props[found.matched]
        lowered = text.lower()
        snippet = _snippet(text, lowered, lowered.find(needle), len(needle))
    return EntityHit(type=entity.type, key=entity.key, value=entity.value, matched=matched,
                     snippet=snippet)


def search(ctx: AppContext, *, q: str, entity_type: str | None, limit: int) -> EntitySearchOut:
    """Entities whose value or key, then searched property, contains ``q`` (case-insensitive).

    The store finds them (:meth:`~graphsiem.store.base.GraphStore.search_entities`:
    text indexes on Neo4j, a scan of the in-memory graph on the embedded store).
    Hits rank: value or key starting with ``q``, then value or key containing
    it, then a process's ``decoded_command`` or a script's ``text`` containing
    it (:data:`~graphsiem.store.base.SEARCHED_PROP`).  Each hit names what matched; property hits
    carry a snippet.

    Parameters
    ----------
    ctx : AppContext
        The running app (its store is read under the store guard).
    q : str
        Text to find; compared lower-cased.
    entity_type : str or None
        Only entities of this type.
    limit : int
        Maximum hits returned; ``truncated`` says whether there were more.

    Returns
    -------
    EntitySearchOut
        The hits, best rank first.
    """
    needle = q.lower()
    with ctx.store_guard():
        found = ctx.store.search_entities(needle, entity_type=entity_type, limit=limit)
    hits = [_hit(hit, needle) for hit in found[:limit]]
    return EntitySearchOut(items=hits, truncated=len(found) > limit)
