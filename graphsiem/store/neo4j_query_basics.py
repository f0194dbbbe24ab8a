"""The parts every Neo4j query module splices in: node labels, relationship types, the write prefix.

Labels and types come only from the fixed :class:`~graphsiem.model.EntityType` /
:class:`~graphsiem.model.RelationType` enums (:func:`label_of` and
:func:`rel_type_of` refuse anything else), never from data.  Moved from
:mod:`graphsiem.store.neo4j_queries`, which re-exports every name.
"""

from __future__ import annotations

from graphsiem.model import EntityType, RelationType
from graphsiem.store.merge import SEARCH_COPIES

SEEN = "SEEN"
"""Relationship type of sightings: ``(:Host)-[:SEEN]->(:Entity)``."""

WRITE_PREFIX = "CYPHER replan=skip"
"""Prefix of the batched writes.  Their plans are unique-index seeks whatever
the statistics say, but a growing or just-cleared graph makes Neo4j think the
cached plans are stale and replan every statement (measured: ~0.4 server
CPU-seconds per 1,000-row batch); ``replan=skip`` keeps the cached plan."""

ALL_REL_TYPES = "|".join(t.value for t in RelationType)
"""Pattern for "any entity relation" that leaves ``SEEN`` out."""


def label_of(entity_type: str) -> str:
    """The node label of an entity type, only ever from :class:`EntityType`."""
    return EntityType(entity_type).label


def rel_type_of(relation_type: str) -> str:
    """A relationship type, only ever from :class:`RelationType`."""
    return RelationType(relation_type).value


def entity_props(var: str) -> str:
    """A node's properties as reads return them: without the search copies.

    A script's copy is as long as its text; reads never need the copies, so
    they are nulled here instead of being sent (and dropped by the client).
    """
    return f"{var} {{.*, " + ", ".join(f"{copy}: null" for copy in SEARCH_COPIES) + "}"
