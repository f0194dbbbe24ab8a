"""Cypher of the Neo4j store's reads: entities, neighbours, subgraphs, sightings, prevalence, counts.

Every value travels as a parameter; labels and relationship types come from
:func:`~graphsiem.store.neo4j_query_basics.label_of` and
:func:`~graphsiem.store.neo4j_query_basics.rel_type_of`.  Moved from
:mod:`graphsiem.store.neo4j_queries`, which re-exports every name.
"""

from __future__ import annotations

from functools import cache

from graphsiem.store.neo4j_query_basics import (
    ALL_REL_TYPES,
    SEEN,
    entity_props,
    label_of,
    rel_type_of,
)


@cache
def get_entity(entity_type: str) -> str:
    """One node by key."""
    return f"MATCH (n:{label_of(entity_type)} {{key: $key}}) RETURN {entity_props('n')} AS n"


_NEIGHBOR_PATTERNS = {
    "out": f"(n)-[r:{ALL_REL_TYPES}]->(m)",
    "in": f"(n)<-[r:{ALL_REL_TYPES}]-(m)",
    "both": f"(n)-[r:{ALL_REL_TYPES}]-(m)",
}


@cache
def neighbors(entity_type: str, direction: str) -> str:
    """Relations of one node with the node at the other end, most-evidenced first."""
    pattern = _NEIGHBOR_PATTERNS[direction]
    return f"""
MATCH (n:{label_of(entity_type)} {{key: $key}})
MATCH {pattern}
WHERE ($rel_types IS NULL OR type(r) IN $rel_types)
  AND ($entity_types IS NULL OR m.type IN $entity_types)
WITH DISTINCT r, m, startNode(r) = n AS is_out
RETURN type(r) AS type, properties(r) AS r, {entity_props("m")} AS m, is_out
ORDER BY r.count DESC, type, m.uid, is_out
LIMIT $limit
"""


EXPAND = f"""
UNWIND $uids AS uid
MATCH (n:Entity {{uid: uid}})-[:{ALL_REL_TYPES}]-(m)
RETURN DISTINCT m.uid AS uid
"""

INDUCED = f"""
UNWIND $uids AS uid
MATCH (a:Entity {{uid: uid}})-[r:{ALL_REL_TYPES}]->(b)
WHERE b.uid IN $uids
RETURN a.uid AS src, b.uid AS dst, type(r) AS type, properties(r) AS r
"""

NODES_BY_UID = f"""
UNWIND $uids AS uid
MATCH (n:Entity {{uid: uid}})
RETURN {entity_props("n")} AS n
"""

HOST_PREVALENCE_ALL = f"""
MATCH (:Host)-[:{SEEN}]->(n:Entity)
RETURN n.type AS type, n.key AS key, n.full_key AS full_key, count(*) AS hosts
"""

SIGHTING_HOSTS = f"""
MATCH (h:Host)
WHERE EXISTS {{ MATCH (h)-[s:{SEEN}]->() WHERE $until IS NULL OR s.first_seen <= $until }}
RETURN count(h) AS n
"""

HOST_ACTIVITY = f"""
MATCH (h:Host {{key: $key}})-[s:{SEEN}]->()
RETURN count(s) AS entities, sum(s.count) AS count, min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen
"""
"""One host's own sightings aggregated (``GraphStore.host_activity``)."""

HOST_NEWEST_SIGHTINGS = f"""
MATCH (h:Host)-[s:{SEEN}]->()
WHERE $until IS NULL OR s.first_seen <= $until
WITH h, max(CASE WHEN $until IS NULL OR s.last_seen <= $until THEN s.last_seen ELSE $until END) AS newest
RETURN h.key AS host, h.full_key AS host_full, newest
"""
"""Each host's newest sighting as of ``$until`` (``graphsiem.store.base.sighting_as_of``'s cut)."""

HOST_SIGHTING_SPANS = f"""
MATCH (h:Host)-[s:{SEEN}]->()
WITH h, min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen
RETURN h.key AS host, h.full_key AS host_full, first_seen, last_seen
"""
"""Every host's first and newest sighting, one aggregate for the fleet (``GraphStore.host_sighting_spans``)."""

HOST_PREVALENCE_KEYS = f"""
UNWIND $uids AS uid
OPTIONAL MATCH (:Host)-[s:{SEEN}]->(:Entity {{uid: uid}})
RETURN uid, count(s) AS hosts
"""

_AS_OF = """
WITH {keep}, s, s.last_seen <= coalesce($until, s.last_seen) AS ended
WITH {keep}, s,
     CASE WHEN ended THEN s.last_seen ELSE $until END AS seen_last,
     CASE WHEN ended THEN s.count
          ELSE toInteger(floor(s.count * (toFloat($until - s.first_seen) / (s.last_seen - s.first_seen)) + 0.5))
     END AS cut_count
WITH {keep}, s, seen_last, CASE WHEN cut_count < 1 THEN 1 ELSE cut_count END AS seen_count
"""
"""A sighting as of ``$until`` (``graphsiem.store.base.sighting_as_of``, the same arithmetic):
one that goes on past it ends there, with its count cut in proportion.  ``{keep}`` names the
other variables carried through."""

SIGHTINGS = f"""
MATCH (h:Host)-[s:{SEEN}]->(n:Entity)
WHERE ($types IS NULL OR n.type IN $types) AND ($until IS NULL OR s.first_seen <= $until)
{_AS_OF.format(keep="h, n")}
WITH h, n, s, seen_last, seen_count WHERE $since IS NULL OR seen_last >= $since
RETURN h.key AS host, h.full_key AS host_full, n.type AS type, n.key AS key,
       n.full_key AS full_key, s.first_seen AS first_seen, seen_last AS last_seen,
       seen_count AS count
"""

ENTITY_PREVALENCE = f"""
MATCH (:Host)-[s:{SEEN}]->(n:Entity)
WHERE ($types IS NULL OR n.type IN $types) AND ($until IS NULL OR s.first_seen <= $until)
{_AS_OF.format(keep="n")}
WITH n, count(s) AS hosts, min(s.first_seen) AS first_seen, max(seen_last) AS last_seen,
     sum(seen_count) AS count, collect(s.first_seen) AS firsts
WHERE hosts >= $min_hosts
RETURN n.type AS type, n.key AS key, n.full_key AS full_key, n.value AS value, hosts,
       first_seen, last_seen, count, firsts
ORDER BY type, coalesce(full_key, key)
"""


@cache
def hosts_of(entity_type: str) -> str:
    """The sightings of one entity."""
    return f"""
MATCH (h:Host)-[s:{SEEN}]->(n:{label_of(entity_type)} {{key: $key}})
RETURN h.key AS host, h.full_key AS host_full, s.first_seen AS first_seen,
       s.last_seen AS last_seen, s.count AS count
ORDER BY coalesce(host_full, host)
"""


@cache
def contact_times(entity_type: str) -> str:
    """The kept contact times of one destination, per host that has any."""
    return f"""
MATCH (h:Host)-[s:{SEEN}]->(n:{label_of(entity_type)} {{key: $key}})
WHERE s.times IS NOT NULL
RETURN coalesce(h.full_key, h.key) AS host, s.times AS times
ORDER BY host
"""


ALL_ENTITIES = f"MATCH (n:Entity) RETURN {entity_props('n')} AS n"


@cache
def entities_of(entity_type: str) -> str:
    """Every node of one label."""
    return f"MATCH (n:{label_of(entity_type)}) RETURN {entity_props('n')} AS n"


@cache
def relations_of(relation_type: str | None) -> str:
    """Every relation, of one type or of all entity relation types."""
    rel = rel_type_of(relation_type) if relation_type else ALL_REL_TYPES
    return f"""
MATCH (a:Entity)-[r:{rel}]->(b:Entity)
RETURN a.type AS src_type, coalesce(a.full_key, a.key) AS src_key, type(r) AS type,
       b.type AS dst_type, coalesce(b.full_key, b.key) AS dst_key, properties(r) AS r
"""


@cache
def relations_active(relation_type: str) -> str:
    """The relations of one type active in a window (``$start``, ``$end``: epoch seconds)."""
    return f"""
MATCH (a:Entity)-[r:{rel_type_of(relation_type)}]->(b:Entity)
WHERE r.last_seen >= $start AND r.first_seen <= $end
RETURN a.type AS src_type, coalesce(a.full_key, a.key) AS src_key, type(r) AS type,
       b.type AS dst_type, coalesce(b.full_key, b.key) AS dst_key, properties(r) AS r
"""


@cache
def count_label(entity_type: str) -> str:
    """Node count of one label (answered from the count store)."""
    return f"MATCH (n:{label_of(entity_type)}) RETURN count(n) AS n"


@cache
def count_rel_type(relation_type: str) -> str:
    """Relationship count of one type (answered from the count store)."""
    rel = SEEN if relation_type == SEEN else rel_type_of(relation_type)
    return f"MATCH ()-[r:{rel}]->() RETURN count(r) AS n"
