"""How a search matches an entity: the reference definition every store agrees with.

The searched properties (:data:`SEARCHED_PROP`, :data:`DIGEST_PROPS`,
:data:`ORIGINAL_NAME_PROP`), the ranks (:data:`PREFIX`, :data:`CONTAINS`,
:data:`IN_PROP`), one entity's match (:func:`match_rank`, :func:`is_exact`,
:func:`digest_match`, :func:`original_name_match`), a search by reading every
entity (:func:`scan_search`) and its hits (:class:`SearchHit`).  Moved from
:mod:`graphsiem.store.base`, which re-exports every name; the stores'
``search_entities`` (:meth:`graphsiem.store.base.GraphStore.search_entities`)
are measured against :func:`match_rank`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphsiem.model import Entity

SEARCHED_PROP: dict[str, str] = {
    "process": "decoded_command",
    "script": "text",
}
"""The property searched after value and key, per entity type (names set by ``ingest.projection``).

Both hold text an attacker wrote that the value does not show: a process's value
is its command line, where an ``-EncodedCommand`` payload is base64, and a
script's value is only the first 200 characters of its text.
"""

DIGEST_PROPS: dict[str, tuple[str, ...]] = {
    "file": ("sha256", "sha1", "md5", "imphash"),
    "process": ("sha256", "sha1", "md5", "imphash"),
}
"""The digest properties a search compares whole, per entity type (names set by ``ingest.projection``).

A file is keyed by its strongest digest, so its MD5 or SHA-1 is no key, and a
process is keyed by its command line: a hunter pasting the MD5 a threat report
gives would find neither.  The values are lower-case hex (``ingest.normalize``'s
``normalize_digest``, one rule for every parser), so an equality with the
lower-cased needle is a case-insensitive match.  Only equality: a digest is an
identifier, and part of one matches nothing meaningful.
"""

ORIGINAL_NAME_PROP = "original_file_name"
"""The PE ``OriginalFileName`` a process or loaded file carries (``ingest.projection_entities``), searched as a name.

A copy of ``powershell.exe`` renamed ``C:\\Users\\Public\\svcupd.exe`` holds "powershell" in
neither its value (command line or path) nor its key, but its version resource still says
``PowerShell.EXE`` (MITRE ATT&CK T1036.003).  So a search compares it too: the whole needle is
an exact hit, part of it a property hit (:func:`match_rank`), and ``matched`` names it.  Only
for a binary whose name on disk is not its original name (:func:`original_name_copy`): a
genuine ``powershell.exe`` is found by its value as before, and thousands of them never crowd
the renamed copy out of the exact hits (nor fill the Neo4j index).  Compared lower-cased, as
written (``PowerShell.EXE.MUI`` is no exact hit for ``powershell.exe``, only a property hit)."""

ORIGINAL_NAME_TYPES = frozenset({"file", "process"})
"""Entity types whose :data:`ORIGINAL_NAME_PROP` a search compares."""

DIGEST_HEX_LENGTHS: dict[str, int] = {"sha256": 64, "sha1": 40, "md5": 32, "imphash": 32}
"""Hex length of each digest property (an imphash is an MD5): a needle is compared with those of its length."""

DIGEST_LENGTHS = frozenset(DIGEST_HEX_LENGTHS.values())
"""Hex lengths of the digests in :data:`DIGEST_PROPS` (MD5 and imphash, SHA-1, SHA-256)."""

_HEX = frozenset("0123456789abcdef")


def is_digest(needle: str) -> bool:
    """Whether a lower-cased ``needle`` has a digest's shape: hex of an MD5, SHA-1 or SHA-256 length.

    Only such a needle is compared with the :data:`DIGEST_PROPS` (stores skip
    the comparison, or its Neo4j query, for any other search).

    >>> is_digest("b4ab50110a295107ad882bdb2863ece8"), is_digest("explorer.exe"), is_digest("b4ab5011")
    (True, False, False)
    """
    return len(needle) in DIGEST_LENGTHS and _HEX.issuperset(needle)


def digest_match(needle: str, entity_type: str, props: Mapping[str, Any]) -> str | None:
    """The name of the digest property of an entity that is the whole (lower-cased) ``needle``, or ``None``.

    The reference definition of a digest hit (:data:`DIGEST_PROPS`), in the
    order the properties are listed there (SHA-256 first).

    >>> digest_match("b4ab50110a295107ad882bdb2863ece8", "file", {"md5": "b4ab50110a295107ad882bdb2863ece8"})
    'md5'
    >>> digest_match("b4ab50110a295107ad882bdb2863ece8", "domain", {"md5": "b4ab50110a295107ad882bdb2863ece8"})
    """
    for name in DIGEST_PROPS.get(entity_type, ()):
        if props.get(name) == needle:
            return name
    return None


DIGEST_PART_MIN = 8
"""Characters a needle needs to match part of a digest-shaped value or key (:func:`part_searchable`)."""


def part_searchable(needle: str, text: str) -> bool:
    """Whether part of a lower-cased value or key ``text`` may match ``needle``: not when it is a digest and the needle short.

    A process's or script's key is a 32-digit hash, a file's its SHA-256: any short
    number is in some of them, and searching an event id (``4662``) listed processes whose
    key happened to hold those digits (review U2).  So a digest-shaped text
    (:func:`is_digest`) is matched in part only by a needle of :data:`DIGEST_PART_MIN`
    characters or more (a hunter's truncated hash); whole, it always is (:func:`is_exact`).

    >>> part_searchable("4662", "0c4662ab" * 4), part_searchable("0c4662ab", "0c4662ab" * 4)
    (False, True)
    >>> part_searchable("4662", "event 4662")
    True
    """
    return len(needle) >= DIGEST_PART_MIN or not is_digest(text)


PREFIX, CONTAINS, IN_PROP = 0, 1, 2
"""Search ranks, best first: value or key starts with the needle (or the PE original name is
it: :data:`ORIGINAL_NAME_PROP`); value or key contains it; the type's :data:`SEARCHED_PROP`,
then its PE original name, contains it."""


def original_name_copy(entity_type: str, props: Mapping[str, Any]) -> str | None:
    """The lower-cased :data:`ORIGINAL_NAME_PROP` a search compares, or ``None``.

    ``None`` without one (or not a string), for another type, and when it is the
    binary's name on disk (its ``name``, else the last part of its ``image`` or
    ``path``): only a renamed binary is found by what it was built as.

    >>> original_name_copy("process", {"original_file_name": "PowerShell.EXE", "name": "svcupd.exe"})
    'powershell.exe'
    >>> original_name_copy("process", {"original_file_name": "PowerShell.EXE", "image": "C:\\\\x\\\\powershell.exe"})
    >>> original_name_copy("domain", {"original_file_name": "x.exe"})
    """
    if entity_type not in ORIGINAL_NAME_TYPES:
        return None
    name = props.get(ORIGINAL_NAME_PROP)
    if not isinstance(name, str):
        return None
    lowered = name.lower()
    for prop in ("name", "image", "path"):
        on_disk = props.get(prop)
        if isinstance(on_disk, str) and on_disk:
            return None if on_disk.replace("/", "\\").rsplit("\\", 1)[-1].lower() == lowered else lowered
    return lowered


def original_name_match(needle: str, entity_type: str, key: str, value: str, props: Mapping[str, Any]) -> bool:
    """Whether a lower-cased ``needle`` is a renamed binary's whole PE original name (and not its whole value or key).

    The exact hit by original name (:data:`ORIGINAL_NAME_PROP`, :func:`original_name_copy`).

    >>> original_name_match("powershell.exe", "process", "k1", "svcupd.exe -nop",
    ...                     {"original_file_name": "PowerShell.EXE", "name": "svcupd.exe"})
    True
    >>> original_name_match("powershell.exe", "process", "k2", "powershell -nop",
    ...                     {"original_file_name": "PowerShell.EXE", "name": "powershell.exe"})
    False
    """
    return original_name_copy(entity_type, props) == needle and not is_exact(needle, key, value)


@dataclass(slots=True, frozen=True)
class SearchHit:
    """One entity found by :meth:`~graphsiem.store.base.GraphStore.search_entities`.

    ``matched`` is ``"value"``, ``"key"``, the name of the searched property, of
    the digest property that is the needle (:data:`DIGEST_PROPS`) or
    ``"original_file_name"`` (:data:`ORIGINAL_NAME_PROP`); ``rank`` is
    :data:`PREFIX`, :data:`CONTAINS` or :data:`IN_PROP` (a digest hit and a
    whole original name are exact hits: :data:`PREFIX`).
    """

    entity: Entity
    matched: str
    rank: int


def match_rank(needle: str, entity_type: str, key: str, value: str,
               props: Mapping[str, Any]) -> tuple[int, str] | None:
    """``(rank, matched)`` of one entity for a lower-cased ``needle``, or ``None``.

    The reference definition of the search that every store must agree with:
    comparisons on ``str.lower()`` copies; a value hit wins over a key hit of
    the same rank; a renamed binary's whole PE original name is an exact hit
    whatever else holds the needle, part of it a hit after the searched
    property (:data:`ORIGINAL_NAME_PROP`); a digest-shaped value or key is no
    prefix or part hit for a needle shorter than :data:`DIGEST_PART_MIN`
    (:func:`part_searchable`).

    Examples
    --------
    >>> match_rank("cdn", "domain", "img.cdn.example", "img.cdn.example", {})
    (1, 'value')
    >>> match_rank("quokka", "process", "ab12", "powershell -enc ...", {"decoded_command": "IEX Quokka"})
    (2, 'decoded_command')
    >>> match_rank("powershell", "process", "ab13", "svcupd.exe -nop", {"original_file_name": "PowerShell.EXE"})
    (2, 'original_file_name')
    """
    lowered_value, lowered_key = value.lower(), key.lower()
    original = original_name_copy(entity_type, props)
    if original == needle and needle not in (lowered_value, lowered_key):
        return PREFIX, ORIGINAL_NAME_PROP
    # a digest-shaped value or key is searched in part only by a long enough needle (part_searchable)
    in_value = lowered_value if part_searchable(needle, lowered_value) else ""
    in_key = lowered_key if part_searchable(needle, lowered_key) else ""
    if in_value.startswith(needle):
        return PREFIX, "value"
    if in_key.startswith(needle):
        return PREFIX, "key"
    if needle in in_value:
        return CONTAINS, "value"
    if needle in in_key:
        return CONTAINS, "key"
    name = SEARCHED_PROP.get(entity_type)
    if name is not None:
        text = props.get(name)
        if isinstance(text, str) and needle in text.lower():
            return IN_PROP, name
    if original is not None and needle in original:
        return IN_PROP, ORIGINAL_NAME_PROP
    return None


def is_exact(needle: str, key: str, value: str) -> bool:
    """Whether a lower-cased ``needle`` is an entity's whole value or key (case-insensitive).

    Exact hits lead the prefix rank and are never cut for other prefix hits:
    searching ``10.32.0.1`` must show the address itself first, not after
    ``10.32.0.10`` … ``10.32.0.19`` (review R4, item 10).

    Examples
    --------
    >>> is_exact("10.32.0.1", "10.32.0.1", "10.32.0.1"), is_exact("10.32.0.1", "10.32.0.10", "10.32.0.10")
    (True, False)
    """
    return value.lower() == needle or key.lower() == needle


def _exact_hit(needle: str, digest: bool, entity: Entity) -> SearchHit | None:
    """The exact hit ``entity`` is for ``needle`` (whole value or key, else a digest property or PE original name)."""
    if is_exact(needle, entity.key, entity.value):
        _, matched = match_rank(needle, entity.type, entity.key, entity.value, entity.props) or (PREFIX, "key")
        return SearchHit(entity, matched, PREFIX)
    prop = digest_match(needle, entity.type, entity.props) if digest else None
    if prop is None and original_name_match(needle, entity.type, entity.key, entity.value, entity.props):
        prop = ORIGINAL_NAME_PROP
    return None if prop is None else SearchHit(entity, prop, PREFIX)


def scan_search(entities: Iterable[Entity], needle: str, limit: int) -> list[SearchHit]:
    """:meth:`~graphsiem.store.base.GraphStore.search_entities` by reading ``entities`` one by one.

    Each rank keeps at most ``limit + 1`` hits in the order read, exact hits
    (:func:`is_exact`, digest hits: :func:`digest_match`, and whole PE original
    names: :func:`original_name_match`) first within the prefix rank.  Once prefix hits alone exceed ``limit`` only exact hits are
    still looked for (a comparison per entity, no other rank is needed then).
    Returns at most ``limit + 1`` hits, best rank first.
    """
    needle = needle.lower()
    digest = is_digest(needle)
    exact: list[SearchHit] = []
    ranks: tuple[list[SearchHit], list[SearchHit], list[SearchHit]] = ([], [], [])
    prefix_full = False
    for entity in entities:
        if prefix_full:
            # Enough prefix hits: an exact hit would still go first.
            if len(exact) <= limit:
                hit = _exact_hit(needle, digest, entity)
                if hit is not None:
                    exact.append(hit)
            continue
        found = match_rank(needle, entity.type, entity.key, entity.value, entity.props)
        if found is not None and found[0] == PREFIX and (
                found[1] == ORIGINAL_NAME_PROP or is_exact(needle, entity.key, entity.value)):
            if len(exact) <= limit:
                exact.append(SearchHit(entity, found[1], PREFIX))
            continue
        if digest:
            # A digest property that is the needle is an exact hit, whatever else contains it.
            prop = digest_match(needle, entity.type, entity.props)
            if prop is not None:
                if len(exact) <= limit:
                    exact.append(SearchHit(entity, prop, PREFIX))
                continue
        if found is None:
            continue
        rank, matched = found
        kept = ranks[rank]
        if len(kept) <= limit:
            kept.append(SearchHit(entity, matched, rank))
        if rank == PREFIX and len(kept) > limit:
            prefix_full = True
    return [*exact, *ranks[PREFIX], *ranks[CONTAINS], *ranks[IN_PROP]][: limit + 1]


def signature_containing(signatures: Mapping[str, int] | None, needle: str) -> tuple[str, int] | None:
    """The most alerted of an ``ALERTED`` edge's signatures that contains the lower-case ``needle``, with its alerts.

    The reference rule of :meth:`graphsiem.store.base.GraphStore.alerted_by_signature` (an edge
    matches when this is not ``None``, and ranks by its alerts); ``None`` when no signature does.

    Examples
    --------
    >>> signature_containing({"ET SCAN Nmap": 3, "ET SCAN Masscan": 5, "ET CINS": 9}, "et scan")
    ('ET SCAN Masscan', 5)
    >>> signature_containing({"ET CINS": 9}, "scan") is None
    True
    """
    best: tuple[str, int] | None = None
    for text, alerts in (signatures or {}).items():
        if needle in text.lower() and (best is None or alerts > best[1]):
            best = (text, alerts)
    return best
