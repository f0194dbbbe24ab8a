"""Rows the Neo4j store sends and reads: indexed keys, search copies, relationship columns.

Part of the Neo4j store (:mod:`graphsiem.store.neo4j_store`), with no driver
in it: how an entity key becomes the indexed ``key`` (and ``full_key``), how
the lower-cased search copies of a node are made, and the column parameters
of the relationship writes of :mod:`.neo4j_queries`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from graphsiem.contact_times import KEEP_EACH_END, TIMED_TYPES
from graphsiem.model import (
    EVIDENCE_CAP,
    SIGNATURE_CAP,
    TALLY_CAP,
    Entity,
    EntityKey,
    Relation,
    Sighting,
    entity_uid,
    stable_hash,
)
from graphsiem.store import neo4j_queries as q
from graphsiem.store.base import (
    ORIGINAL_NAME_PROP,
    ORIGINAL_NAME_TYPES,
    SEARCHED_PROP,
    original_name_copy,
)
from graphsiem.store.merge import RESERVED_PROPS
from graphsiem.store.neo4j_tallies import merge_tally

MAX_INDEXED_KEY_BYTES = 4000
HASHED_PREFIX = "~h:"

MAX_TEXT_INDEX_BYTES = 32766
"""Longest string (UTF-8 bytes) a TEXT index takes: measured on Neo4j 5.26, one
byte more fails the writing transaction ("Property value is too large to
index"); the documentation says "around 32 kb"."""

_SHORT_TEXT_CHARS = MAX_TEXT_INDEX_BYTES // 4
"""A string of at most this many characters fits a TEXT index whatever it holds."""

MAX_SEARCH_CHARS_PER_TX = 2_000_000
"""Characters of search copies an entity write sends in one transaction, at most
about (one entity more may pass it).  The TEXT indexes' transaction state takes
~10 bytes per character (measured: 25M characters of script copies passed
256 MiB), so this stays near 20 MiB."""


def index_key(key: str) -> tuple[str, str | None]:
    """``(indexed key, full key or None)`` for a verbatim entity key.

    Examples
    --------
    >>> index_key("ws-0001")
    ('ws-0001', None)
    >>> index_key("x" * 5000)[0].startswith(HASHED_PREFIX)
    True
    """
    if key.startswith(HASHED_PREFIX) or len(key.encode("utf-8", "surrogatepass")) > MAX_INDEXED_KEY_BYTES:
        return HASHED_PREFIX + stable_hash(key, length=64), key
    return key, None


def node_row(entity_type: str, key: str) -> dict[str, Any]:
    indexed, full = index_key(key)
    return {"key": indexed, "uid": entity_uid(entity_type, indexed), "full_key": full}


NOT_PROPS = RESERVED_PROPS
"""Node properties that are no entity props."""


def entity_from_props(props: dict[str, Any]) -> Entity:
    key = props.get("full_key") or props["key"]
    extra = {k: v for k, v in props.items() if k not in NOT_PROPS}
    return Entity(props["type"], key, props["value"], extra)


def search_copy(name: str, text: str | None) -> dict[str, str | None]:
    """The search copy ``name`` of ``text`` (lower-cased), and its long twin nulled, or the other way round.

    Examples
    --------
    >>> search_copy("_search_value", "WS-01")
    {'_search_value': 'ws-01', '_search_value_long': None}
    >>> search_copy("_search_value", None)
    {'_search_value': None, '_search_value_long': None}
    """
    if text is None:
        return {name: None, name + q.LONG: None}
    lowered = text.lower()
    if len(lowered) <= _SHORT_TEXT_CHARS or len(
        lowered.encode("utf-8", "surrogatepass")
    ) <= MAX_TEXT_INDEX_BYTES:
        return {name: lowered, name + q.LONG: None}
    return {name: None, name + q.LONG: lowered}


def key_copy(row: dict[str, Any]) -> None:
    """Give a node row ``sv`` / ``svl``: the value copy of a node created with value = key."""
    copy = search_copy(q.SEARCH_VALUE, row["full_key"] or row["key"])
    row["sv"], row["svl"] = copy[q.SEARCH_VALUE], copy[q.SEARCH_VALUE + q.LONG]


def search_copies(entity: Entity) -> dict[str, str | None]:
    """The search copies an entity upsert changes (nulls remove stale ones).

    Value and key when the entity has a value (the key copy only when it
    differs from the value copy); the searched property's copy, and a file's
    or process's PE original name's copy, when the props have them (none
    when not a string: only strings are searched).
    """
    copies: dict[str, str | None] = {}
    if entity.value:
        value, key = search_copy(q.SEARCH_VALUE, entity.value), search_copy(q.SEARCH_KEY, entity.key)
        if list(value.values()) == list(key.values()):
            key = search_copy(q.SEARCH_KEY, None)
        copies.update(value)
        copies.update(key)
    name = SEARCHED_PROP.get(entity.type)
    if name is not None and name in entity.props:
        text = entity.props[name]
        copies.update(search_copy(q.SEARCH_TEXT, text if isinstance(text, str) else None))
    copies.update(original_copy(entity))
    return copies


def original_copy(entity: Entity) -> dict[str, str | None]:
    """The PE original name's search copy (:data:`~.neo4j_queries.SEARCH_ORIGINAL`) an upsert changes, if any.

    Only a renamed binary has one (:func:`~graphsiem.store.base.original_name_copy`); an
    upsert with the name and the binary's own name removes it.

    Examples
    --------
    >>> original_copy(Entity("process", "k", "svcupd.exe", {"original_file_name": "PowerShell.EXE", "name": "svcupd.exe"}))
    {'_search_original': 'powershell.exe', '_search_original_long': None}
    >>> original_copy(Entity("process", "k", "powershell", {"original_file_name": "PowerShell.EXE", "name": "powershell.exe"}))
    {'_search_original': None, '_search_original_long': None}
    >>> original_copy(Entity("process", "k", "calc.exe")), original_copy(Entity("domain", "d", "d", {"original_file_name": "x"}))
    ({}, {})
    """
    if entity.type not in ORIGINAL_NAME_TYPES or ORIGINAL_NAME_PROP not in entity.props:
        return {}
    name = entity.props[ORIGINAL_NAME_PROP]
    renamed = original_name_copy(entity.type, entity.props) is not None
    return search_copy(q.SEARCH_ORIGINAL, name if renamed and isinstance(name, str) else None)


def is_overflow(copies: dict[str, Any]) -> bool:
    return any(copies.get(name + q.LONG) is not None for name in q.COPIES)



@dataclasses.dataclass(frozen=True, slots=True)
class Statement:
    """One relationship write of a linked batch (see ``Neo4jStore._write_linked``)."""

    query: str
    params: dict[str, Any]
    rows: int
    """Rows the statement must write; fewer means an endpoint was not found."""
    ends: tuple[list[EntityKey], list[EntityKey]] | None = None
    """Each row's endpoints, when the query takes their element ids as ``$a`` / ``$b``."""


def relation_statements(relations: Sequence[Relation]) -> list[Statement]:
    """Relation writes as columns per ``(src type, relation type, dst type)``."""
    groups: dict[tuple[str, str, str], list[Relation]] = defaultdict(list)
    for rel in relations:
        groups[(rel.src[0], rel.type, rel.dst[0])].append(rel)
    statements = [
        Statement(q.upsert_relations(*group), relation_columns(rels), len(rels),
                   ([r.src for r in rels], [r.dst for r in rels]))
        for group, rels in groups.items()
    ]
    return statements + signature_statements(relations) + tally_statements(relations)


def signature_statements(relations: Sequence[Relation]) -> list[Statement]:
    """The IDS signatures of ``relations`` (``ALERTED`` edges; none for most batches), written after
    the relations themselves (:func:`~graphsiem.store.neo4j_queries.merge_signatures`)."""
    groups: dict[tuple[str, str, str], list[Relation]] = defaultdict(list)
    for rel in relations:
        if rel.signatures or rel.signatures_dropped:
            groups[(rel.src[0], rel.type, rel.dst[0])].append(rel)
    return [
        Statement(q.merge_signatures(*group), {
            "src": [_indexed(r.src[1]) for r in rels], "dst": [_indexed(r.dst[1]) for r in rels],
            "names": [list(r.signatures or {}) for r in rels],
            "counts": [list((r.signatures or {}).values()) for r in rels],
            "dropped": [r.signatures_dropped for r in rels], "cap": SIGNATURE_CAP,
        }, len(rels), ([r.src for r in rels], [r.dst for r in rels]))
        for group, rels in groups.items()
    ]


def tally_statements(relations: Sequence[Relation]) -> list[Statement]:
    """The tallies of ``relations`` (``VALIDATED_AT`` edges; none for most batches), one statement per
    relation group and tally, written after the relations themselves
    (:func:`~graphsiem.store.neo4j_tallies.merge_tally`)."""
    groups: dict[tuple[str, str, str, str], list[Relation]] = defaultdict(list)
    for rel in relations:
        if rel.tallies or rel.tallies_dropped:
            for name in {*(rel.tallies or {}), *(rel.tallies_dropped or {})}:
                groups[(rel.src[0], rel.type, rel.dst[0], name)].append(rel)
    statements = []
    for (src_type, rel_type, dst_type, name), rels in groups.items():
        counts = [(r.tallies or {}).get(name) or {} for r in rels]
        statements.append(Statement(merge_tally(src_type, rel_type, dst_type, name), {
            "src": [_indexed(r.src[1]) for r in rels], "dst": [_indexed(r.dst[1]) for r in rels],
            "names": [list(tally) for tally in counts], "counts": [list(tally.values()) for tally in counts],
            "dropped": [(r.tallies_dropped or {}).get(name, 0) for r in rels], "cap": TALLY_CAP,
        }, len(rels), ([r.src for r in rels], [r.dst for r in rels])))
    return statements


def relation_signatures(props: dict[str, Any]) -> dict[str, int] | None:
    """A stored relationship's signatures as :class:`~graphsiem.model.Relation` holds them (None: none)."""
    names = props.get("signatures")
    if names is None:
        return None
    return dict(zip(names, props.get("signature_counts") or [0] * len(names), strict=False))


def sighting_statements(sightings: Sequence[Sighting]) -> list[Statement]:
    """Sighting writes as columns per entity type."""
    by_type: dict[str, list[Sighting]] = defaultdict(list)
    for s in sightings:
        by_type[s.entity[0]].append(s)
    return [
        Statement(q.upsert_sightings(entity_type), sighting_columns(typed), len(typed),
                   ([("host", s.host) for s in typed], [s.entity for s in typed]))
        for entity_type, typed in by_type.items()
    ]


def has_unencodable(value: Any) -> bool:
    """True when a string anywhere in ``value`` cannot be encoded as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(has_unencodable(k) or has_unencodable(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_unencodable(v) for v in value)
    if dataclasses.is_dataclass(value):
        return any(has_unencodable(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


_SHORT_KEY_CHARS = MAX_INDEXED_KEY_BYTES // 4
"""A key of at most this many characters fits the index whatever it holds
(UTF-8 takes at most 4 bytes per character)."""


def _indexed(key: str) -> str:
    """``index_key(key)[0]``, without encoding the usual short key to measure it."""
    if len(key) <= _SHORT_KEY_CHARS and not key.startswith(HASHED_PREFIX):
        return key
    return index_key(key)[0]


def relation_columns(relations: Sequence[Relation]) -> dict[str, Any]:
    """The parameters of :func:`~graphsiem.store.neo4j_queries.upsert_relations`."""
    return {
        "src": [_indexed(r.src[1]) for r in relations],
        "dst": [_indexed(r.dst[1]) for r in relations],
        "count": [r.count for r in relations],
        "first_seen": [r.first_seen for r in relations],
        "last_seen": [r.last_seen for r in relations],
        "evidence": [r.evidence for r in relations],
        "cap": EVIDENCE_CAP,
    }


def sighting_columns(sightings: Sequence[Sighting]) -> dict[str, Any]:
    """The parameters of :func:`~graphsiem.store.neo4j_queries.upsert_sightings` (sightings of one entity type)."""
    return {
        "host": [_indexed(s.host) for s in sightings],
        "key": [_indexed(s.entity[1]) for s in sightings],
        "first_seen": [s.first_seen for s in sightings],
        "last_seen": [s.last_seen for s in sightings],
        "count": [s.count for s in sightings],
        **({"times": [list(s.times) for s in sightings], "keep": KEEP_EACH_END}
           if sightings and sightings[0].entity[0] in TIMED_TYPES else {}),  # one entity type per statement
    }
