"""Cypher of the entity search on Neo4j: the search copies, their indexes, the ranked and exact reads, the backfill.

The client writes lower-cased copies of what a search compares
(:data:`SEARCH_VALUE` and the others, under TEXT indexes); :func:`search_exact`
and :func:`search_rank` read them as :func:`graphsiem.store.search_match.match_rank`
defines a hit, :func:`digest_entities` finds files and processes by digest, and
the ``SEARCH_BACKFILL_*`` statements give copies to a graph written before they
existed.  Every value travels as a parameter; labels and property names come
from fixed tables.  Moved from :mod:`graphsiem.store.neo4j_queries`, which
re-exports every name.
"""

from __future__ import annotations

from functools import cache

from graphsiem.store.merge import SEARCH_COPIES
from graphsiem.store.neo4j_query_basics import entity_props, label_of
from graphsiem.store.search_match import (
    CONTAINS,
    DIGEST_HEX_LENGTHS,
    DIGEST_LENGTHS,
    DIGEST_PROPS,
    IN_PROP,
    ORIGINAL_NAME_PROP,
    PREFIX,
)

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


_VALUE = f"coalesce(n.{SEARCH_VALUE}, n.{SEARCH_VALUE}{LONG}, '')"
_KEY = f"coalesce(n.{SEARCH_KEY}, n.{SEARCH_KEY}{LONG}, '')"
_TEXT = f"coalesce(n.{SEARCH_TEXT}, n.{SEARCH_TEXT}{LONG}, '')"
DIGEST_SHAPE = "|".join(f"[0-9a-f]{{{length}}}" for length in sorted(DIGEST_LENGTHS))
"""A digest-shaped copy (:func:`~graphsiem.store.search_match.is_digest`), as a Cypher regular expression."""


def _part(copy: str) -> str:
    """``copy`` may match in part (:func:`~graphsiem.store.search_match.part_searchable`): ``$short`` is
    true for a needle shorter than :data:`~graphsiem.store.search_match.DIGEST_PART_MIN`.  A ``CASE``,
    not an ``OR``: the planner splits a disjunction into label scans of its own."""
    return f"CASE WHEN $short THEN NOT {copy} =~ '{DIGEST_SHAPE}' ELSE true END"


def _searchable(copy: str) -> str:
    """``copy``, or ``''`` when it may not match in part (:func:`_part`)."""
    return f"CASE WHEN {_part(copy)} THEN {copy} ELSE '' END"


_VALUE_PART, _KEY_PART = _searchable(_VALUE), _searchable(_KEY)
_NOT_IN_VALUE = f"NOT ({_VALUE_PART} CONTAINS $needle OR {_KEY_PART} CONTAINS $needle)"
# (indexed copies, operator, index hint, rows of a better rank to leave out, what matched)
_RANKS = {
    PREFIX: ((SEARCH_VALUE, SEARCH_KEY), "STARTS WITH", "TEXT INDEX SEEK", "true",
             f"CASE WHEN {_VALUE_PART} STARTS WITH $needle THEN 'value' ELSE 'key' END"),
    CONTAINS: ((SEARCH_VALUE, SEARCH_KEY), "CONTAINS", "TEXT INDEX",
               f"NOT ({_VALUE_PART} STARTS WITH $needle OR {_KEY_PART} STARTS WITH $needle)",
               f"CASE WHEN {_VALUE_PART} CONTAINS $needle THEN 'value' ELSE 'key' END"),
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
    ``$short`` (a needle shorter than :data:`~graphsiem.store.search_match.DIGEST_PART_MIN`)
    leaves out value and key copies that are digests (:func:`_part`).
    Returns ``n`` (the node's properties, search copies nulled: a script's
    text is not sent twice) and ``matched`` (on the third rank ``'prop'`` for
    the searched property, else ``'original_file_name'``).  A node whose whole
    original name is the needle is found here too: it is an exact hit
    (:func:`search_exact`), which the caller lists first.
    """
    copies, operator, hint, exclude, matched = _RANKS[rank]
    only = f" AND n:{label_of(entity_type)}" if entity_type is not None else ""
    # a value or key copy that is a digest is matched in part only by a long enough needle
    parts = {copy: f" AND ({_part('n.' + copy)})" if rank != IN_PROP else "" for copy in copies}
    branches = [
        f"MATCH (n:Entity) USING {hint} n:Entity({copy})\n"
        f"WHERE n.{copy} {operator} $needle{parts[copy]} AND {exclude}{only}\nRETURN n LIMIT $limit"
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


ALERTED_BY_SIGNATURE = """
MATCH (a:Entity)-[r:ALERTED]->(b:Entity)
WHERE any(text IN coalesce(r.signatures, []) WHERE toLower(text) CONTAINS $needle)
WITH a, r, b, reduce(best = 0, i IN range(0, size(r.signatures) - 1) |
     CASE WHEN toLower(r.signatures[i]) CONTAINS $needle AND coalesce(r.signature_counts[i], 0) > best
          THEN r.signature_counts[i] ELSE best END) AS alerts
ORDER BY alerts DESC, a.type, coalesce(a.full_key, a.key), b.type, coalesce(b.full_key, b.key)
WITH count(*) AS matched,
     collect({src_type: a.type, src_key: coalesce(a.full_key, a.key), dst_type: b.type,
              dst_key: coalesce(b.full_key, b.key), r: properties(r)})[..$limit] AS edges
RETURN matched, edges
"""
"""The ``ALERTED`` edges one of whose signatures contains ``$needle`` (lower case), the ``$limit`` most
alerted under a matching signature (the rule of :func:`graphsiem.store.search_match.signature_containing`),
and how many match: only those rows leave the server.  The needle is a parameter, never text of the query."""
