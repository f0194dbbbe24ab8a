"""The ``GraphStore`` protocol: what every graph backend offers.

Two implementations pass one contract suite (``tests/graphsiem/store/test_contract.py``):
:class:`graphsiem.store.embedded.EmbeddedStore` (networkx, persisted in a data
directory) and :class:`graphsiem.store.neo4j_store.Neo4jStore` (official driver).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import networkx as nx

from graphsiem.model import Entity, EntityKey, Relation, Sighting

Direction = Literal["out", "in", "both"]


@dataclass(slots=True, frozen=True)
class Neighbor:
    """One neighbour of an entity: the relation that reaches it and the entity."""

    relation: Relation
    entity: Entity


@dataclass(slots=True, frozen=True)
class HostSighting:
    """One row of the host x entity incidence, as read back from a store."""

    host: str
    entity: EntityKey
    first_seen: float
    last_seen: float
    count: int


@dataclass(slots=True, frozen=True)
class HostActivity:
    """Aggregate of one host's own sightings (:meth:`GraphStore.host_activity`).

    Attributes
    ----------
    entities : int
        Distinct entities the host was seen with (its sightings).
    count : int
        Contacts over those sightings (the sum of their counts).
    first_seen, last_seen : float or None
        Epoch seconds of its earliest and latest sighting; ``None`` without any.
    """

    entities: int = 0
    count: int = 0
    first_seen: float | None = None
    last_seen: float | None = None


@dataclass(slots=True, frozen=True)
class EntityPrevalence:
    """Fleet-wide prevalence of one entity, aggregated over its sightings.

    ``first_seen`` is the earliest sighting on any host; ``host_first_seen`` are
    the per-host first sightings (sorted), so analytics can measure how
    synchronised the hosts' first contacts were without reading every sighting.
    """

    entity: EntityKey
    value: str
    hosts: int
    first_seen: float
    last_seen: float
    count: int
    host_first_seen: tuple[float, ...] = ()


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
    """One entity found by :meth:`GraphStore.search_entities`.

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
    property (:data:`ORIGINAL_NAME_PROP`).

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
    if lowered_value.startswith(needle):
        return PREFIX, "value"
    if lowered_key.startswith(needle):
        return PREFIX, "key"
    if needle in lowered_value:
        return CONTAINS, "value"
    if needle in lowered_key:
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
    """:meth:`GraphStore.search_entities` by reading ``entities`` one by one.

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


def sighting_as_of(first_seen: float, last_seen: float, count: int, until: float) -> tuple[float, int] | None:
    """``(last_seen, count)`` of one sighting as known at ``until``, or ``None`` if it began later.

    The reference definition every store's ``until`` must agree with.  A store
    keeps one aggregate per host and entity (first, last, count), not every
    contact, so a sighting that goes on past ``until`` is cut there: its
    ``last_seen`` becomes ``until`` and its count the share of its contacts
    that a steady rate puts before ``until`` (at least one, rounded half up:
    ``floor(x + 0.5)``, which Cypher computes alike).
    Backtests therefore see exact hosts and first sightings, and estimated
    counts and last sightings for what continued past ``until``.

    Examples
    --------
    >>> sighting_as_of(100.0, 200.0, 11, until=150.0)
    (150.0, 6)
    >>> sighting_as_of(100.0, 120.0, 3, until=150.0)
    (120.0, 3)
    >>> sighting_as_of(160.0, 200.0, 3, until=150.0) is None
    True
    """
    if first_seen > until:
        return None
    if last_seen <= until:
        return last_seen, count
    share = (until - first_seen) / (last_seen - first_seen)
    return until, max(1, math.floor(count * share + 0.5))


class StoreError(RuntimeError):
    """A store could not complete an operation (unreachable, bad data...)."""


@runtime_checkable
class GraphStore(Protocol):
    """A persistent entity graph.

    All writes are batched upserts and idempotent per evidence id (see
    :data:`graphsiem.model.EVIDENCE_CAP`).  Entity values are data: any string
    (quotes, backticks, newlines, unicode, Cypher fragments) round-trips verbatim.
    """

    name: str

    # -- writes -------------------------------------------------------------
    def upsert_entities(self, entities: Sequence[Entity]) -> None:
        """Create entities or merge ``props`` into existing ones (value kept if set)."""

    def upsert_relations(self, relations: Sequence[Relation]) -> None:
        """Create or merge aggregated relations; endpoints are created if missing."""

    def upsert_sightings(self, sightings: Sequence[Sighting]) -> None:
        """Create or merge host x entity sightings (min first, max last, sum count)."""

    def flush(self) -> None:
        """Make all writes so far durable."""

    def close(self) -> None:
        """Flush and release resources."""

    def clear(self) -> None:
        """Delete everything (tests, replay)."""

    # -- reads --------------------------------------------------------------
    def ping(self) -> bool:
        """True when the backend is reachable."""

    def get_entity(self, entity_type: str, key: str) -> Entity | None:
        """The entity with identity ``(entity_type, key)``, or ``None``."""

    def neighbors(
        self,
        entity_type: str,
        key: str,
        *,
        direction: Direction = "both",
        relation_types: Sequence[str] | None = None,
        entity_types: Sequence[str] | None = None,
        limit: int = 100,
    ) -> list[Neighbor]:
        """Entities one hop away, most-evidenced relations first, at most ``limit``."""

    def subgraph(
        self, keys: Iterable[EntityKey], *, radius: int = 1, limit: int = 5000
    ) -> nx.MultiDiGraph:
        """The graph around ``keys`` within ``radius`` hops.

        Nodes are ``entity_uid(type, key)`` with attributes ``type``, ``key``,
        ``value`` and the entity props; edges are keyed by relation type with
        attributes ``type``, ``count``, ``first_seen``, ``last_seen``, ``evidence``.
        """

    def host_prevalence(self, keys: Iterable[EntityKey] | None = None) -> dict[EntityKey, int]:
        """Distinct hosts that saw each entity (all entities when ``keys`` is None)."""

    def sighting_hosts(self, *, until: float | None = None) -> int:
        """Distinct hosts with a sighting of their own: the fleet the telemetry came from.

        With ``until``, only sightings that began by then count (the fleet as
        known at that instant, :func:`sighting_as_of`).

        Fewer than the ``host`` entities when some hosts are only named by another
        machine's events (a logon's client-written ``WorkstationName``): those are
        not fleet members, and counting them would shrink every fleet fraction.  A
        DHCP lease's name does count: the sensor's traffic of that address is the
        host's own telemetry, so a client taking many leases under random names
        (DHCP starvation) still grows the fleet.
        """

    def host_activity(self, host: str) -> HostActivity:
        """The sightings of ``host`` (its normalised key) aggregated: what the entity detail of a
        host shows, the host being the subject of its sightings, rarely their object.

        Zero counts and ``None`` times for a host with no sightings of its own
        (one only named by another machine's events).
        """

    def host_newest_sightings(self, *, until: float | None = None) -> dict[str, float]:
        """Each host's newest sighting: ``{host: last_seen}`` over the host's own sightings.

        The hosts are those :meth:`sighting_hosts` counts.  With ``until``, read
        as of that instant (:func:`sighting_as_of`): sightings that began later
        are left out, the others end at ``until`` at the latest.  Analytics read
        it to tell the fleet's clock from one host's (a host stamping events
        days ahead must not move the detection window,
        :mod:`analytics.window_end`).
        """

    def host_sighting_spans(self) -> dict[str, tuple[float, float]]:
        """Every host's span of data: ``{host: (first_seen, last_seen)}`` over its own sightings.

        The hosts are those :meth:`sighting_hosts` counts; the times are the earliest
        first and the newest last sighting in the whole store (what :meth:`host_activity`
        gives one host).  One read for the fleet: an empty detection lists every
        host's span (:func:`graphsiem.detection_window_reads.host_spans`), and one
        query per host cost a 10 000-host fleet on Neo4j 10 000 round trips.
        """

    def iter_sightings(
        self, *, entity_types: Sequence[str] | None = None, since: float | None = None,
        until: float | None = None,
    ) -> Iterator[HostSighting]:
        """Stream the host x entity incidence.

        ``since`` keeps the sightings with ``last_seen >= since``; ``until``
        reads them as of that instant (:func:`sighting_as_of`: sightings that
        began later are left out, the others cut at ``until``), and ``since``
        then applies to the cut ``last_seen``.
        """

    def entity_prevalence(
        self, *, entity_types: Sequence[str] | None = None, min_hosts: int = 1,
        until: float | None = None,
    ) -> Iterator[EntityPrevalence]:
        """Per-entity aggregation of sightings (on Neo4j computed by Cypher aggregation).

        With ``until``, aggregated over the sightings as of that instant
        (:func:`sighting_as_of`), so hosts, first and last sightings and counts
        are what was known then.
        """

    def hosts_of(self, entity_type: str, key: str) -> list[HostSighting]:
        """The sightings of one entity, one per host."""

    def iter_entities(self, entity_type: str | None = None) -> Iterator[Entity]:
        """Stream entities, optionally of one type."""

    def iter_relations(self, relation_type: str | None = None) -> Iterator[Relation]:
        """Stream relations, optionally of one type."""

    def relations_active(self, relation_type: str, start: float, end: float) -> list[Relation]:
        """The relations of one type active in ``[start, end]``: ``last_seen >= start`` and
        ``first_seen <= end`` (a relation is aggregated over all time: it may hold events outside too).

        For the credential findings (:mod:`analytics.credential_attempts`): the ``VALIDATED_AT`` edges
        of a detection window, without streaming every edge of the type.
        """

    def search_entities(
        self, needle: str, *, entity_type: str | None = None, limit: int = 20
    ) -> list[SearchHit]:
        """Entities whose value, key or searched property contains ``needle`` (case-insensitive).

        Ranked as :func:`match_rank` defines: value or key starting with
        ``needle``, then containing it, then the type's :data:`SEARCHED_PROP`
        containing it.  Returns at most ``limit + 1`` hits, best rank first (more
        than ``limit`` means there were more); within the prefix rank, entities
        whose whole value or key is ``needle`` (:func:`is_exact`) come first and
        are never left out for other hits; otherwise the order within a rank is
        the store's.  ``needle`` is lower-cased with ``str.lower``.  A needle
        with a digest's shape (:func:`is_digest`) also finds, as exact hits,
        the files and processes one of whose :data:`DIGEST_PROPS` it is
        (``matched`` names the property).  Renamed files and processes are
        also found by their PE original name (:data:`ORIGINAL_NAME_PROP`): as
        exact hits when it is the whole name, else in the last rank.
        """

    def entities_by_digest(
        self, digest: str, *, entity_type: str | None = None, limit: int = 20
    ) -> list[SearchHit]:
        """Files and processes one of whose :data:`DIGEST_PROPS` is ``digest`` (case-insensitive).

        At most ``limit + 1`` hits (more than ``limit`` means there were more),
        ``matched`` the property (:func:`digest_match`), rank :data:`PREFIX`;
        none when ``digest`` has no digest's shape (:func:`is_digest`).  Only
        the properties: an entity keyed by the digest is what
        :meth:`get_entity` finds.
        """

    def counts(self) -> dict[str, dict[str, int]]:
        """``{"entities": {type: n}, "relations": {type: n}, "sightings": {"total": n}}``."""
