"""The ``GraphStore`` protocol: what every graph backend offers.

Two implementations pass one contract suite (``tests/graphsiem/store/test_contract.py``):
:class:`graphsiem.store.embedded.EmbeddedStore` (networkx, persisted in a data
directory) and :class:`graphsiem.store.neo4j_store.Neo4jStore` (official driver).

This module holds the protocol, the records it returns and the as-of rule
(:func:`sighting_as_of`); how a search matches an entity (the searched
properties, the ranks, :func:`match_rank`, :func:`scan_search`, :class:`SearchHit`)
moved to :mod:`graphsiem.store.search_match`, and every name is still importable
from here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import networkx as nx

from graphsiem.model import Entity, EntityKey, Relation, Sighting
from graphsiem.store.search_match import (
    CONTAINS,
    DIGEST_HEX_LENGTHS,
    DIGEST_LENGTHS,
    DIGEST_PROPS,
    IN_PROP,
    ORIGINAL_NAME_PROP,
    ORIGINAL_NAME_TYPES,
    PREFIX,
    SEARCHED_PROP,
    SearchHit,
    digest_match,
    is_digest,
    is_exact,
    match_rank,
    original_name_copy,
    original_name_match,
    scan_search,
)

__all__ = [
    "CONTAINS", "DIGEST_HEX_LENGTHS", "DIGEST_LENGTHS", "DIGEST_PROPS", "IN_PROP", "ORIGINAL_NAME_PROP",
    "ORIGINAL_NAME_TYPES", "PREFIX", "SEARCHED_PROP", "Direction", "EntityPrevalence", "GraphStore",
    "HostActivity", "HostSighting", "Neighbor", "SearchHit", "StoreError", "digest_match", "is_digest",
    "is_exact", "match_rank", "original_name_copy", "original_name_match", "scan_search", "sighting_as_of",
]

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

    def contact_times(self, entity_type: str, key: str) -> dict[str, tuple[float, ...]]:
        """The kept contact times of a destination per host: ``{host: times}``, hosts without any left out.

        Times ascending, at most ``2 * KEEP_EACH_END`` per host, as
        :func:`graphsiem.contact_times.merge_times` keeps them; empty for an entity that
        is no destination (:data:`graphsiem.contact_times.TIMED_TYPES`) or unknown.
        """

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

    def alerted_by_signature(self, needle: str, *, limit: int) -> tuple[list[Relation], int]:
        """The ``ALERTED`` edges one of whose IDS signatures contains ``needle`` (lower case), and how many match.

        At most ``limit`` edges, the most alerted under a matching signature first (then by their
        ends' types and keys); the count is of every matching edge, so a caller knows it read only
        part.  The match is made where the edges are (Neo4j: in the query), so a search does not
        stream every ``ALERTED`` edge to compare it (:func:`graphsiem.api.services.alert_activity.signature_hits`).
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
