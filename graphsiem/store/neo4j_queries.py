"""Cypher text for :mod:`graphsiem.store.neo4j_store`.

Every value travels as a parameter.  The only things spliced into query text
are node labels and relationship types, and those come from the fixed
:class:`~graphsiem.model.EntityType` / :class:`~graphsiem.model.RelationType`
enums (``label_of`` and ``rel_type_of`` refuse anything else), never from data.

This module holds the schema constraints and the writes (nodes, relations,
sightings, counts by name, emptying); the other queries are in modules of one
job each, and every name is still importable from here:

- :mod:`graphsiem.store.neo4j_query_basics`: labels, relationship types, ``SEEN``,
  the write prefix, :func:`entity_props`;
- :mod:`graphsiem.store.neo4j_search_queries`: the search copies, their indexes,
  the ranked, exact and digest searches, the search mark and backfill;
- :mod:`graphsiem.store.neo4j_read_queries`: entities, neighbours, subgraphs,
  sightings, prevalence and counts;
- :mod:`graphsiem.store.neo4j_projection_mark_queries`: the projection mark.
"""

from __future__ import annotations

from functools import cache

from graphsiem.contact_times import TIMED_TYPES
from graphsiem.model import EntityType
from graphsiem.store.earliest_build import BUILD_SEEN
from graphsiem.store.neo4j_projection_mark_queries import (
    PROJECTION_MARK_ADVANCE,
    PROJECTION_MARK_CLAIM,
    PROJECTION_MARK_LOCK,
    PROJECTION_MARK_READ,
)
from graphsiem.store.neo4j_query_basics import (
    ALL_REL_TYPES,
    SEEN,
    WRITE_PREFIX,
    entity_props,
    label_of,
    rel_type_of,
)
from graphsiem.store.neo4j_read_queries import (
    ALL_ENTITIES,
    ENTITY_PREVALENCE,
    EXPAND,
    HOST_ACTIVITY,
    HOST_NEWEST_SIGHTINGS,
    HOST_PREVALENCE_ALL,
    HOST_PREVALENCE_KEYS,
    HOST_SIGHTING_SPANS,
    INDUCED,
    NODES_BY_UID,
    SIGHTING_HOSTS,
    SIGHTINGS,
    contact_times,
    count_label,
    count_rel_type,
    entities_of,
    get_entity,
    hosts_of,
    neighbors,
    relations_active,
    relations_of,
)
from graphsiem.store.neo4j_search_queries import (
    COPIES,
    LONG,
    SEARCH_BACKFILL_ORIGINAL_WRITE,
    SEARCH_BACKFILL_READ,
    SEARCH_BACKFILL_WRITE,
    SEARCH_KEY,
    SEARCH_MARK_READ,
    SEARCH_MARK_SET,
    SEARCH_ORIGINAL,
    SEARCH_OVERFLOW,
    SEARCH_TEXT,
    SEARCH_VALUE,
    SEARCH_VERSION,
    digest_entities,
    digest_index_statements,
    search_exact,
    search_index_statements,
    search_rank,
)

__all__ = [
    "ALL_ENTITIES", "ALL_REL_TYPES", "CLEAR_NODES", "CLEAR_RELATIONSHIPS", "COPIES", "ENTITY_PREVALENCE",
    "EXPAND", "HOST_ACTIVITY", "HOST_NEWEST_SIGHTINGS", "HOST_PREVALENCE_ALL", "HOST_PREVALENCE_KEYS",
    "HOST_SIGHTING_SPANS", "INDUCED", "LONG", "NODES_BY_UID", "NODE_IDS", "PROJECTION_MARK_ADVANCE",
    "PROJECTION_MARK_CLAIM", "PROJECTION_MARK_LOCK", "PROJECTION_MARK_READ", "SEARCH_BACKFILL_ORIGINAL_WRITE",
    "SEARCH_BACKFILL_READ", "SEARCH_BACKFILL_WRITE", "SEARCH_KEY", "SEARCH_MARK_READ", "SEARCH_MARK_SET",
    "SEARCH_ORIGINAL", "SEARCH_OVERFLOW", "SEARCH_TEXT", "SEARCH_VALUE", "SEARCH_VERSION", "SEEN", "SIGHTINGS",
    "SIGHTING_HOSTS", "WRITE_PREFIX", "constraint_statements", "contact_times", "count_label", "count_rel_type", "create_nodes",
    "digest_entities", "digest_index_statements", "entities_of", "entity_props", "ensure_nodes", "find_nodes",
    "get_entity", "hosts_of", "label_of", "mark_search_overflow", "merge_counts", "merge_signatures",
    "naive_upsert_relation", "neighbors", "relations_active", "relations_of", "rel_type_of", "search_exact",
    "search_index_statements", "search_rank", "upsert_entities", "upsert_relations", "upsert_sightings",
]


def constraint_statements() -> list[str]:
    """Uniqueness constraints: ``key`` per entity label, ``uid`` over all entities."""
    statements = [
        "CREATE CONSTRAINT entity_uid IF NOT EXISTS FOR (n:Entity) REQUIRE n.uid IS UNIQUE",
        # one projection mark node (see PROJECTION_MARK_*): MERGE must not race to two
        "CREATE CONSTRAINT graphsiem_meta_name IF NOT EXISTS FOR (m:GraphsiemMeta) REQUIRE m.name IS UNIQUE",
    ]
    for entity_type in EntityType:
        statements.append(
            f"CREATE CONSTRAINT {entity_type.value}_key IF NOT EXISTS "
            f"FOR (n:{entity_type.label}) REQUIRE n.key IS UNIQUE"
        )
    return statements


def _merge_nodes(entity_type: str) -> str:
    return f"""{WRITE_PREFIX}
UNWIND $rows AS row
MERGE (n:{label_of(entity_type)} {{key: row.key}})
ON CREATE SET n:Entity, n.uid = row.uid, n.type = $type,
              n.value = coalesce(row.full_key, row.key), n.full_key = row.full_key,
              n.{SEARCH_VALUE} = row.sv, n.{SEARCH_VALUE}{LONG} = row.svl
"""


NODE_IDS = "RETURN collect(n.key) AS keys, collect(elementId(n)) AS ids\n"
"""What node writes return: the store remembers each node's element id, so that
relation writes find their endpoints without an index seek.  Two lists in one
record, because the driver builds a Python object per record (measured: client
CPU for 5,000 relations into an empty graph, 150 ms with a record per node,
55 ms with the lists)."""


@cache
def ensure_nodes(entity_type: str) -> str:
    """Create missing nodes ``{key, uid, full_key, sv, svl}`` of one type (value = key); returns ``keys, ids``.

    ``sv`` / ``svl`` are the search copy of the value (the lower-cased key),
    one of them null (setting a property to null leaves it unset).
    """
    return _merge_nodes(entity_type) + NODE_IDS


@cache
def find_nodes(entity_type: str) -> str:
    """The nodes of one type among ``$keys`` that exist; returns ``keys, ids``.

    A read-only statement, so its index seeks take no locks (in an updating
    query they would be locking seeks, see :func:`upsert_relations`).
    """
    return f"""{WRITE_PREFIX}
UNWIND $keys AS key
MATCH (n:{label_of(entity_type)} {{key: key}})
""" + NODE_IDS


@cache
def create_nodes(entity_type: str) -> str:
    """Create nodes ``{key, uid, full_key, sv, svl}`` of one type (value = key); returns ``keys, ids``.

    ``sv`` / ``svl`` are the search copy of the value (the lower-cased key),
    one of them null (a null property is not created).

    For nodes :func:`find_nodes` did not find in the same transaction.  If
    another transaction creates one of them in between, the key uniqueness
    constraint fails this statement (after that transaction commits) and the
    store redoes its transaction with :func:`ensure_nodes`.  Cheaper than
    ``MERGE`` for a new node, which seeks the key twice (the second time
    locking) before creating it.
    """
    return f"""{WRITE_PREFIX}
UNWIND $rows AS row
CREATE (n:{label_of(entity_type)}:Entity {{key: row.key, uid: row.uid, type: $type,
        value: coalesce(row.full_key, row.key), full_key: row.full_key,
        {SEARCH_VALUE}: row.sv, {SEARCH_VALUE}{LONG}: row.svl}})
""" + NODE_IDS


EARLIEST_BUILD = f"""SET n += CASE WHEN row.build IS NULL THEN {{}}
  WHEN row.build.{BUILD_SEEN} IS NULL THEN CASE WHEN n.{BUILD_SEEN} IS NULL THEN row.build ELSE {{}} END
  WHEN n.{BUILD_SEEN} IS NULL OR row.build.{BUILD_SEEN} < n.{BUILD_SEEN} THEN row.build
  ELSE {{}} END
"""
"""An entity row's build (``row.build``: its digests, original file name and stamp, or null) merged as
:func:`graphsiem.store.earliest_build.merge_props` does: one map, so that the build and its stamp are
read before either is written; a stamped build's map holds null for what its creation did not say, which
``+=`` removes, so the node keeps one creation's build whole."""


@cache
def upsert_entities(entity_type: str) -> str:
    """Merge entity rows ``{key, uid, full_key, value, props, sv, svl, search}`` of one type; returns ``keys, ids``.

    ``search`` holds the search copies the row changes (a null removes one):
    value and key copies when the row has a value, the text copy when its
    props have the searched property; ``sv`` / ``svl`` the value copy of a
    node created without a value (its key), null otherwise.
    """
    return _merge_nodes(entity_type) + """SET n += row.props
SET n.value = CASE WHEN row.value <> '' THEN row.value ELSE n.value END
SET n += row.search
""" + EARLIEST_BUILD + NODE_IDS


@cache
def mark_search_overflow(entity_type: str) -> str:
    """Label the nodes of one type among ``$keys`` as holding a search copy too long to index."""
    return f"""{WRITE_PREFIX}
UNWIND $keys AS key
MATCH (n:{label_of(entity_type)} {{key: key}})
SET n:{SEARCH_OVERFLOW}
"""


def _rows_by_element_id(src_type: str, dst_type: str) -> str:
    """The head of a column write: row ``i``'s endpoints ``a`` and ``b`` by element id and key
    (:func:`upsert_relations` says why by element id)."""
    src_label, dst_label = label_of(src_type), label_of(dst_type)
    return f"""{WRITE_PREFIX}
UNWIND range(0, size($src) - 1) AS i
MATCH (a:{src_label}) WHERE elementId(a) = $a[i] AND toString(a.key) = $src[i]
MATCH (b:{dst_label}) WHERE elementId(b) = $b[i] AND toString(b.key) = $dst[i]"""


def _keep_ends(joined: str) -> str:
    """Cypher for the evidence list ``joined`` past ``$cap``: its first ``$cap / 2`` ids and its most recent ones.

    As :func:`graphsiem.evidence_keep.keep_ends` (integer division: ``EVIDENCE_HEAD`` is ``EVIDENCE_CAP // 2``).
    One expression binding the joined list once (``head`` of a one-item comprehension): a second SET item
    on the same property reads the value from before the clause, not the first item's.
    """
    return (f"head([kept IN [{joined}] | CASE WHEN size(kept) <= $cap THEN kept "
            "ELSE kept[0..$cap / 2] + kept[size(kept) - ($cap - $cap / 2)..] END])")


@cache
def upsert_relations(src_type: str, relation_type: str, dst_type: str) -> str:
    """Merge relations given as columns ``$a, $src, $b, $dst, $count, $first_seen, $last_seen, $evidence``.

    Row ``i`` is the node with element id ``$a[i]`` and key ``$src[i]`` to the
    one with ``$b[i]`` and ``$dst[i]``, with its count, times and evidence
    list.  Endpoints exist already (``ensure_nodes`` ran first in the same
    transaction, or the store knows them); ``written`` tells the store whether
    every row found its endpoints.  The count grows by the incoming count minus
    the incoming evidence ids the edge already holds; evidence is appended, and
    past ``$cap`` the first ``$cap / 2`` ids and the most recent ones are kept
    (:mod:`graphsiem.evidence_keep`).  Why it is written this way (measured, see
    ``benchmarks/bench_store.py``):

    * endpoints are found by element id, not by key: in an updating query the
      planner turns a unique-index seek into a *locking* seek that opens a
      fresh index reader per row (a fifth of the server's time on new edges).
      The key is still compared (``toString`` keeps the planner from turning
      that comparison back into an index seek), so an id that another client's
      delete freed for reuse by a different node matches no row, ``written``
      comes up short and the store replays with fresh ids.  Together with
      columns instead of one map per row: 22k -> 28k new relations per server
      CPU-second;
    * the SET items run in order, so ``count`` is computed from the evidence
      list before it is extended, and reading and writing in one SET keeps the
      planner from materialising every row (no ``Eager``).
    """
    return f"""{_rows_by_element_id(src_type, dst_type)}
MERGE (a)-[r:{rel_type_of(relation_type)}]->(b)
ON CREATE SET r.count = $count[i], r.first_seen = $first_seen[i], r.last_seen = $last_seen[i],
              r.evidence = $evidence[i]
ON MATCH SET
    r.count = r.count + CASE
        WHEN $count[i] - size([e IN $evidence[i] WHERE e IN r.evidence]) > 0
        THEN $count[i] - size([e IN $evidence[i] WHERE e IN r.evidence]) ELSE 0 END,
    r.evidence = {_keep_ends("r.evidence + [e IN $evidence[i] WHERE NOT e IN r.evidence]")},
    r.first_seen = CASE WHEN $first_seen[i] < r.first_seen THEN $first_seen[i]
                        ELSE r.first_seen END,
    r.last_seen = CASE WHEN $last_seen[i] > r.last_seen THEN $last_seen[i]
                       ELSE r.last_seen END
RETURN count(*) AS written
"""


@cache
def merge_signatures(src_type: str, relation_type: str, dst_type: str) -> str:
    """Add IDS signatures to relations written just before, given as columns ``$a, $src, $b, $dst,
    $names, $counts, $dropped``.

    The relationship keeps them as ``signatures`` (texts) and ``signature_counts`` (alerts of each,
    same order), at most ``$cap``, the most alerted, and ``signatures_dropped`` (alerts not counted under
    a kept signature): the rule of :func:`graphsiem.model.add_signatures` (:func:`merge_counts`).
    """
    return merge_counts(src_type, relation_type, dst_type, ("signatures", "signature_counts", "signatures_dropped"))


def merge_counts(src_type: str, relation_type: str, dst_type: str, props: tuple[str, str, str]) -> str:
    """Add counts by name to relations written just before, given as columns ``$a, $src, $b, $dst, $names,
    $counts, $dropped``: the relationship's ``props`` (names, their counts in the same order, and the
    count of observations not counted under a kept name) keep at most ``$cap`` names, the most counted,
    by the rule of :func:`graphsiem.model.add_counts` (the same steps, so both stores keep the same
    names), in a ``reduce`` over each row's names.  ``props`` are the code's own names (an ``ALERTED``
    edge's signatures, :mod:`graphsiem.store.neo4j_tallies`' tallies), never input; names and counts are
    parameters.  Endpoints are found by element id as :func:`upsert_relations` finds them.
    """
    names, counts, dropped = props
    # When the record is full, ``least`` (the smallest of the kept counts and the new name's) is taken off
    # every kept name and off the new one: the one-element list binds it for the three uses.
    return f"""{_rows_by_element_id(src_type, dst_type)}
MATCH (a)-[r:{rel_type_of(relation_type)}]->(b)
WITH r, i, reduce(
    m = {{names: coalesce(r.{names}, []), counts: coalesce(r.{counts}, []),
          dropped: coalesce(r.{dropped}, 0) + $dropped[i]}},
    j IN range(0, size($names[i]) - 1) |
    CASE
        WHEN $names[i][j] IN m.names THEN {{names: m.names, dropped: m.dropped,
            counts: [k IN range(0, size(m.names) - 1) |
                     CASE WHEN m.names[k] = $names[i][j] THEN m.counts[k] + $counts[i][j] ELSE m.counts[k] END]}}
        WHEN size(m.names) < $cap THEN {{names: m.names + $names[i][j], counts: m.counts + $counts[i][j],
                                         dropped: m.dropped}}
        ELSE [least IN [reduce(low = $counts[i][j], c IN m.counts | CASE WHEN c < low THEN c ELSE low END)] |
              {{names: [k IN range(0, size(m.names) - 1) WHERE m.counts[k] > least | m.names[k]]
                       + CASE WHEN $counts[i][j] > least THEN [$names[i][j]] ELSE [] END,
                counts: [k IN range(0, size(m.names) - 1) WHERE m.counts[k] > least | m.counts[k] - least]
                        + CASE WHEN $counts[i][j] > least THEN [$counts[i][j] - least] ELSE [] END,
                dropped: m.dropped + least * (size(m.names) + 1)}}][0]
    END) AS m
SET r.{names} = m.names, r.{counts} = m.counts, r.{dropped} = m.dropped
RETURN count(*) AS written
"""


def naive_upsert_relation(src_type: str, relation_type: str, dst_type: str) -> str:
    """One relation per statement, endpoints merged inline (the benchmark's baseline)."""
    return f"""{WRITE_PREFIX}
MERGE (a:{label_of(src_type)} {{key: $src}})
ON CREATE SET a:Entity, a.uid = $src_uid, a.type = $src_type, a.value = $src
MERGE (b:{label_of(dst_type)} {{key: $dst}})
ON CREATE SET b:Entity, b.uid = $dst_uid, b.type = $dst_type, b.value = $dst
MERGE (a)-[r:{rel_type_of(relation_type)}]->(b)
ON CREATE SET r.count = 0, r.evidence = [], r.first_seen = $first_seen, r.last_seen = $last_seen
WITH r, [e IN $evidence WHERE NOT e IN r.evidence] AS fresh
SET r.count = r.count + $count - (size($evidence) - size(fresh)),
    r.first_seen = CASE WHEN $first_seen < r.first_seen THEN $first_seen ELSE r.first_seen END,
    r.last_seen = CASE WHEN $last_seen > r.last_seen THEN $last_seen ELSE r.last_seen END,
    r.evidence = {_keep_ends("r.evidence + fresh")}
"""


@cache
def upsert_sightings(entity_type: str) -> str:
    """Merge sightings given as columns ``$a, $host, $b, $key, $first_seen, $last_seen, $count``
    (and, for a destination, ``$times`` and ``$keep``: its kept contact times, :func:`_merge_times`).

    Row ``i`` is host ``$host[i]`` (element id ``$a[i]``) seeing the entity
    ``$key[i]`` (element id ``$b[i]``).  Endpoints are found by element id with
    their keys compared, for the reasons given in :func:`upsert_relations`;
    returns ``written``.
    """
    return f"""{WRITE_PREFIX}
UNWIND range(0, size($host) - 1) AS i
MATCH (h:Host) WHERE elementId(h) = $a[i] AND toString(h.key) = $host[i]
MATCH (n:{label_of(entity_type)}) WHERE elementId(n) = $b[i] AND toString(n.key) = $key[i]
MERGE (h)-[s:{SEEN}]->(n)
ON CREATE SET s.first_seen = $first_seen[i], s.last_seen = $last_seen[i], s.count = $count[i]
ON MATCH SET s.first_seen = CASE WHEN $first_seen[i] < s.first_seen THEN $first_seen[i]
                                 ELSE s.first_seen END,
             s.last_seen = CASE WHEN $last_seen[i] > s.last_seen THEN $last_seen[i]
                                ELSE s.last_seen END,
             s.count = s.count + $count[i]{_merge_times() if entity_type in TIMED_TYPES else ""}
RETURN count(*) AS written
"""


def _merge_times() -> str:
    """The kept contact times of a destination's sighting merged with the row's ``$times[i]``.

    :func:`graphsiem.contact_times.merge_times` in Cypher: the distinct times of
    both, ascending, the ``$keep`` earliest and latest when there are more.
    """
    return """
WITH s, i
CALL (s, i) {
  UNWIND coalesce(s.times, []) + $times[i] AS t
  WITH DISTINCT t ORDER BY t
  RETURN collect(t) AS kept
}
SET s.times = CASE WHEN size(kept) = 0 THEN null
                   WHEN size(kept) <= 2 * $keep THEN kept
                   ELSE kept[0..$keep] + kept[size(kept) - $keep..] END"""


CLEAR_RELATIONSHIPS = """
MATCH (:Entity)-[r]->()
WITH r LIMIT $batch
DELETE r
RETURN count(*) AS deleted
"""
"""Relationships go first, in bounded batches: a ``DETACH DELETE`` of a busy
node drags all its relationships into one transaction and can pass
``dbms.memory.transaction.total.max``."""

CLEAR_NODES = """
MATCH (n:Entity)
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted
"""
