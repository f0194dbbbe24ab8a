"""Cypher text for :mod:`graphsiem.store.neo4j_store`.

Every value travels as a parameter.  The only things spliced into query text
are node labels and relationship types, and those come from the fixed
:class:`~graphsiem.model.EntityType` / :class:`~graphsiem.model.RelationType`
enums (``label_of`` and ``rel_type_of`` refuse anything else), never from data.
"""

from __future__ import annotations

from functools import cache

from graphsiem.model import EntityType, RelationType
from graphsiem.store.base import (
    CONTAINS,
    DIGEST_HEX_LENGTHS,
    DIGEST_PROPS,
    IN_PROP,
    ORIGINAL_NAME_PROP,
    PREFIX,
)
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


SEARCH_VALUE, SEARCH_KEY, SEARCH_TEXT = "_search_value", "_search_key", "_search_text"
"""Lower-cased copies (``str.lower``, computed by the client) of an entity's
value, key and searched property (:data:`~graphsiem.store.base.SEARCHED_PROP`),
each under a TEXT index for ``STARTS WITH`` / ``CONTAINS``.  The key copy is
absent when it equals the value copy (most types' key is their value), which
keeps a second index entry off most nodes."""

SEARCH_ORIGINAL = "_search_original"
"""Lower-cased copy of a file's or process's PE original name
(:data:`~graphsiem.store.base.ORIGINAL_NAME_PROP`), under a TEXT index like the others:
an equality finds a renamed binary by the name it was built as, ``CONTAINS`` a part of it."""

COPIES = (SEARCH_VALUE, SEARCH_KEY, SEARCH_TEXT, SEARCH_ORIGINAL)
"""Every indexed search copy."""

LONG = "_long"
"""Suffix of the same copies when they are too long for a TEXT index (see
``MAX_TEXT_INDEX_BYTES`` in the store): kept unindexed on nodes that carry the
:data:`SEARCH_OVERFLOW` label, which a search scans."""

SEARCH_OVERFLOW = "SearchOverflow"
"""Label of nodes that have (or once had) a copy too long to index."""

# SEARCH_COPIES (from merge, where they are reserved names): every property a search copy can
# take, these four and their LONG forms; never an entity prop on reads.
assert {name + suffix for name in COPIES for suffix in ("", LONG)} == set(SEARCH_COPIES)



def entity_props(var: str) -> str:
    """A node's properties as reads return them: without the search copies.

    A script's copy is as long as its text; reads never need the copies, so
    they are nulled here instead of being sent (and dropped by the client).
    """
    return f"{var} {{.*, " + ", ".join(f"{copy}: null" for copy in SEARCH_COPIES) + "}"


SEARCH_VERSION = 2
"""Version of the search copies; the ``GraphsiemMeta {name: 'search'}`` node
holds the version a database's nodes were all given (see ``SEARCH_BACKFILL``).
2: the PE original name's copy (:data:`SEARCH_ORIGINAL`) beside the others."""


def search_index_statements() -> list[str]:
    """TEXT indexes (trigram, ``text-2.0``) on the indexed search copies of every entity."""
    return [f"CREATE TEXT INDEX entity{name} IF NOT EXISTS FOR (n:Entity) ON (n.{name})"
            for name in COPIES]


def digest_index_statements() -> list[str]:
    """RANGE indexes on the digest properties of files and processes (:data:`~graphsiem.store.base.DIGEST_PROPS`).

    A digest search is an equality on a property the entity write sets (its
    values are lower-case hex already), so a plain property index serves it;
    only nodes that have the property are in the index.
    """
    return [f"CREATE INDEX {entity_type}_digest_{prop} IF NOT EXISTS "
            f"FOR (n:{label_of(entity_type)}) ON (n.{prop})"
            for entity_type, props in DIGEST_PROPS.items() for prop in props]


@cache
def digest_entities(entity_type: str | None, length: int) -> str:
    """Up to ``$limit`` distinct files and processes whose digest property of ``length`` hex digits is ``$digest``.

    One index seek per (type, property) of that length
    (:func:`digest_index_statements`); ``matched`` names the first property,
    in :data:`~graphsiem.store.base.DIGEST_PROPS` order, that holds the digest.
    Only labels and property names from those fixed tables are spliced in.
    """
    types = [entity_type] if entity_type is not None else list(DIGEST_PROPS)
    pairs = [(t, prop) for t in types for prop in DIGEST_PROPS.get(t, ())
             if DIGEST_HEX_LENGTHS[prop] == length]
    if not pairs:
        return "UNWIND [] AS n RETURN n, '' AS matched"
    branches = [
        f"MATCH (n:{label_of(t)}) USING INDEX n:{label_of(t)}({prop})\n"
        f"WHERE n.{prop} = $digest\nRETURN n LIMIT $limit"
        for t, prop in pairs
    ]
    props = list(dict.fromkeys(prop for _, prop in pairs))
    matched = "CASE " + " ".join(f"WHEN n.{prop} = $digest THEN '{prop}'" for prop in props) + " END"
    unions = "\nUNION ALL\n".join(branches)
    return f"""CALL () {{
{unions}
}}
WITH DISTINCT n LIMIT $limit
RETURN {entity_props("n")} AS n, {matched} AS matched
"""


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
""" + NODE_IDS


@cache
def mark_search_overflow(entity_type: str) -> str:
    """Label the nodes of one type among ``$keys`` as holding a search copy too long to index."""
    return f"""{WRITE_PREFIX}
UNWIND $keys AS key
MATCH (n:{label_of(entity_type)} {{key: key}})
SET n:{SEARCH_OVERFLOW}
"""


_VALUE = f"coalesce(n.{SEARCH_VALUE}, n.{SEARCH_VALUE}{LONG}, '')"
_KEY = f"coalesce(n.{SEARCH_KEY}, n.{SEARCH_KEY}{LONG}, '')"
_TEXT = f"coalesce(n.{SEARCH_TEXT}, n.{SEARCH_TEXT}{LONG}, '')"
_NOT_IN_VALUE = f"NOT ({_VALUE} CONTAINS $needle OR {_KEY} CONTAINS $needle)"
# (indexed copies, operator, index hint, rows of a better rank to leave out, what matched)
_RANKS = {
    PREFIX: ((SEARCH_VALUE, SEARCH_KEY), "STARTS WITH", "TEXT INDEX SEEK", "true",
             f"CASE WHEN {_VALUE} STARTS WITH $needle THEN 'value' ELSE 'key' END"),
    CONTAINS: ((SEARCH_VALUE, SEARCH_KEY), "CONTAINS", "TEXT INDEX",
               f"NOT ({_VALUE} STARTS WITH $needle OR {_KEY} STARTS WITH $needle)",
               f"CASE WHEN {_VALUE} CONTAINS $needle THEN 'value' ELSE 'key' END"),
    IN_PROP: ((SEARCH_TEXT, SEARCH_ORIGINAL), "CONTAINS", "TEXT INDEX", _NOT_IN_VALUE,
              f"CASE WHEN {_TEXT} CONTAINS $needle THEN 'prop' ELSE '{ORIGINAL_NAME_PROP}' END"),
}


@cache
def search_rank(rank: int, entity_type: str | None) -> str:
    """Up to ``$limit`` distinct nodes of one search rank for the lower-cased ``$needle``.

    One branch per indexed copy, each reading its TEXT index for the needle,
    and one over the :data:`SEARCH_OVERFLOW` nodes' unindexed copies.  The
    hints keep the planner from scanning a type's label instead when a type
    filter makes it look small.  A prefix branch's hint asks for a *seek*:
    with ``USING TEXT INDEX`` alone, an index whose statistics were sampled
    while it was empty (a new or just-cleared database) made the planner
    read every entry of the index and filter them (``NodeIndexScan``)
    instead of seeking the prefix.  ``CONTAINS`` has no seek to ask for
    (``SEEK`` fails the query); its hinted plan is the index's
    ``NodeIndexContainsScan``.  A
    branch leaves out nodes of a better rank, so the ranks never overlap;
    ``matched`` is computed from the node, not from the branch that found it.
    Returns ``n`` (the node's properties, search copies nulled: a script's
    text is not sent twice) and ``matched`` (on the third rank ``'prop'`` for
    the searched property, else ``'original_file_name'``).  A node whose whole
    original name is the needle is found here too: it is an exact hit
    (:func:`search_exact`), which the caller lists first.
    """
    copies, operator, hint, exclude, matched = _RANKS[rank]
    only = f" AND n:{label_of(entity_type)}" if entity_type is not None else ""
    branches = [
        f"MATCH (n:Entity) USING {hint} n:Entity({copy})\n"
        f"WHERE n.{copy} {operator} $needle AND {exclude}{only}\nRETURN n LIMIT $limit"
        for copy in copies
    ]
    overflow = " OR ".join(f"n.{copy}{LONG} {operator} $needle" for copy in copies)
    branches.append(f"MATCH (n:{SEARCH_OVERFLOW}) USING SCAN n:{SEARCH_OVERFLOW}\n"
                    f"WHERE ({overflow}) AND {exclude}{only}\nRETURN n LIMIT $limit")
    unions = "\nUNION ALL\n".join(branches)
    return f"""CALL () {{
{unions}
}}
WITH DISTINCT n LIMIT $limit
RETURN {entity_props("n")} AS n, {matched} AS matched
"""


@cache
def search_exact(entity_type: str | None) -> str:
    """Up to ``$limit`` distinct nodes whose whole value or key copy is the lower-cased ``$needle``.

    The exact hits a search puts first (:func:`~graphsiem.store.base.is_exact`):
    read before :func:`search_rank`'s prefix rank, whose ``$limit`` could
    otherwise fill with longer values in index order and leave the exact one
    out.  An equality seek on the same TEXT indexes, and the overflow nodes'
    unindexed copies.  Also the nodes whose PE original name copy is the needle
    (only a renamed binary has one: :func:`~graphsiem.store.base.original_name_copy`).
    ``matched`` as the prefix rank computes it for a whole value or key, else
    ``'original_file_name'``.
    """
    only = f" AND n:{label_of(entity_type)}" if entity_type is not None else ""
    branches = [
        f"MATCH (n:Entity) USING TEXT INDEX n:Entity({copy})\n"
        f"WHERE n.{copy} = $needle{only}\nRETURN n LIMIT $limit"
        for copy in (SEARCH_VALUE, SEARCH_KEY, SEARCH_ORIGINAL)
    ]
    branches.append(f"MATCH (n:{SEARCH_OVERFLOW}) USING SCAN n:{SEARCH_OVERFLOW}\n"
                    f"WHERE (n.{SEARCH_VALUE}{LONG} = $needle OR n.{SEARCH_KEY}{LONG} = $needle\n"
                    f"       OR n.{SEARCH_ORIGINAL}{LONG} = $needle){only}\n"
                    "RETURN n LIMIT $limit")
    unions = "\nUNION ALL\n".join(branches)
    matched = (f"CASE WHEN {_VALUE} = $needle OR {_KEY} = $needle THEN {_RANKS[PREFIX][4]} "
               f"ELSE '{ORIGINAL_NAME_PROP}' END")
    return f"""CALL () {{
{unions}
}}
WITH DISTINCT n LIMIT $limit
RETURN {entity_props("n")} AS n, {matched} AS matched
"""


SEARCH_MARK_READ = "MATCH (m:GraphsiemMeta {name: 'search'}) RETURN m.version AS version"

SEARCH_MARK_SET = "MERGE (m:GraphsiemMeta {name: 'search'}) SET m.version = $version"

SEARCH_BACKFILL_READ = f"""
MATCH (n:Entity) WHERE n.uid > $after
WITH n ORDER BY n.uid LIMIT $batch
RETURN n.uid AS uid, n.type AS type, coalesce(n.full_key, n.key) AS key, n.value AS value,
       n.{SEARCH_VALUE} IS NOT NULL OR n.{SEARCH_VALUE}{LONG} IS NOT NULL AS done,
       n.{ORIGINAL_NAME_PROP} IS NULL OR n.{SEARCH_ORIGINAL} IS NOT NULL
           OR n.{SEARCH_ORIGINAL}{LONG} IS NOT NULL AS named,
       properties(n) AS props
"""
"""One batch of nodes in ``uid`` order (the uid constraint's index gives the
order) for the copies of a graph written before search copies existed
(``done``: it has them; ``named``: no PE original name lacks its copy, which
graphs of search version 1 never have)."""

SEARCH_BACKFILL_WRITE = f"""
UNWIND $rows AS row
MATCH (n:Entity {{uid: row.uid}})
WHERE n.{SEARCH_VALUE} IS NULL AND n.{SEARCH_VALUE}{LONG} IS NULL
SET n += row.search
FOREACH (_ IN CASE WHEN row.overflow THEN [1] ELSE [] END | SET n:{SEARCH_OVERFLOW})
"""
"""Write the copies of nodes that still have none (a writer of this version
may have given them fresh copies since the batch was read)."""

SEARCH_BACKFILL_ORIGINAL_WRITE = f"""
UNWIND $rows AS row
MATCH (n:Entity {{uid: row.uid}})
WHERE n.{SEARCH_ORIGINAL} IS NULL AND n.{SEARCH_ORIGINAL}{LONG} IS NULL
SET n += row.search
FOREACH (_ IN CASE WHEN row.overflow THEN [1] ELSE [] END | SET n:{SEARCH_OVERFLOW})
"""
"""Write the PE original name's copy (:data:`SEARCH_ORIGINAL`) of nodes that have the
other copies (written by search version 1) and still lack it."""


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
    """Merge sightings given as columns ``$a, $host, $b, $key, $first_seen, $last_seen, $count``.

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
             s.count = s.count + $count[i]
RETURN count(*) AS written
"""


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


CLEAR_RELATIONSHIPS = """
MATCH (:Entity)-[r]->()
WITH r LIMIT $batch
DELETE r
RETURN count(*) AS deleted
"""
"""Relationships go first, in bounded batches: a ``DETACH DELETE`` of a busy
node drags all its relationships into one transaction and can pass
``dbms.memory.transaction.total.max``."""

PROJECTION_MARK_ADVANCE = """
MERGE (m:GraphsiemMeta {name: 'projection'})
ON CREATE SET m.seq = 0, m.journal = $journal
SET m._lock = true
REMOVE m._lock
WITH m, m.seq AS before, m.journal AS holder
SET m.seq = CASE WHEN holder = $journal AND $seq > before THEN $seq ELSE before END
RETURN before, holder, coalesce(m.clearing, false) AS clearing
"""
"""Move the projection mark of journal ``$journal`` up to ``$seq``; returns the
mark before and the journal that holds it (``holder``).  Run first in a batch's
transaction, it also takes the mark node's write lock, so concurrent
projectors apply their batches one after the other.  The lock is taken (by the
``SET`` of a throw-away property, Neo4j's documented idiom) *before* the mark is
read, whatever lock the ``MERGE`` took: two writers that both read the old mark
would both write their batch (review S2, item 1).

A mark another journal holds is left as it is: the caller refuses the batch
(its transaction is rolled back).  Only a database without a mark (the first
projection into it) gets one here; a database moves to another journal by
:data:`PROJECTION_MARK_CLAIM` alone, so a writer whose database was taken
over cannot take it back with its next batch."""

PROJECTION_MARK_LOCK = """
OPTIONAL MATCH (m:GraphsiemMeta {name: 'projection'})
SET m._lock = true
REMOVE m._lock
RETURN coalesce(m.seq, 0) AS before, m.journal AS holder, coalesce(m.clearing, false) AS clearing
"""
"""The projection mark and the journal holding it (``holder`` null when there is no mark yet),
read under the mark node's write lock (taken by the ``SET``, Neo4j's documented
way to lock a node) and left as it is: run first in a batch's entity transaction,
it orders that write with every writer's mark advance (:data:`PROJECTION_MARK_ADVANCE`)
and with a take-over (:data:`PROJECTION_MARK_CLAIM`)."""

PROJECTION_MARK_CLAIM = """
MERGE (m:GraphsiemMeta {name: 'projection'})
SET m._lock = true
REMOVE m._lock
WITH m, m.journal AS previous
SET m.seq = 0, m.journal = $journal, m.clearing = true
WITH previous
OPTIONAL MATCH (o:GraphsiemMeta {name: 'owner'})
DELETE o
RETURN previous
"""
"""Give the database to journal ``$journal`` before it is emptied (``graphsiem rebuild``,
``--take-over``): its projection mark, under the mark's lock, set to 0 and to that
journal; the owner node (:mod:`graphsiem.store.neo4j_owner`) deleted in the same
transaction, so the next binding claims the database for ``$journal`` with a new
graph id.  The mark is flagged ``clearing`` until the emptying is done
(:mod:`graphsiem.store.neo4j_clearing`).  From its commit on, every other journal's batch is refused where it
is written (the mark is not theirs); a batch of theirs committed before it is
deleted by the emptying that follows.  Returns the journal that held the mark
(null: none)."""

PROJECTION_MARK_READ = """
MATCH (m:GraphsiemMeta {name: 'projection'}) WHERE m.journal = $journal RETURN m.seq AS seq
"""

CLEAR_NODES = """
MATCH (n:Entity)
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted
"""
