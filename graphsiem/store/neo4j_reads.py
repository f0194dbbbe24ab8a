"""The Neo4j store's reads: entities, neighbours, subgraphs, prevalence, sightings, search, counts.

Part of the Neo4j store (:mod:`graphsiem.store.neo4j_store`).  Reads of a
bounded size are one auto-commit query each; the ``iter_*`` methods stream.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import networkx as nx
from neo4j import ManagedTransaction
from neo4j.exceptions import DriverError, Neo4jError

from graphsiem.model import Entity, EntityKey, EntityType, Relation, RelationType
from graphsiem.store import neo4j_queries as q
from graphsiem.store.base import (
    CONTAINS,
    DIGEST_PROPS,
    IN_PROP,
    PREFIX,
    SEARCHED_PROP,
    Direction,
    EntityPrevalence,
    HostActivity,
    HostSighting,
    Neighbor,
    SearchHit,
    StoreError,
    is_digest,
)
from graphsiem.store.merge import bfs_nodes, check_neighbor_query, check_type
from graphsiem.store.neo4j_connection import Neo4jConnection
from graphsiem.store.neo4j_rows import entity_from_props, index_key, node_row, relation_signatures
from graphsiem.store.neo4j_search_queries import ALERTED_BY_SIGNATURE
from graphsiem.store.neo4j_tallies import relation_tallies, tally_attrs
from graphsiem.store.search_match import DIGEST_PART_MIN


class Neo4jReads(Neo4jConnection):
    """The reading half of :class:`~graphsiem.store.neo4j_store.Neo4jStore`."""

    def get_entity(self, entity_type: str, key: str) -> Entity | None:
        """The entity ``(entity_type, key)`` or ``None``."""
        records = self._read(q.get_entity(entity_type), key=index_key(key)[0])
        return entity_from_props(records[0]["n"]) if records else None

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
        rel_types, ent_types = check_neighbor_query(
            entity_type, direction, relation_types, entity_types
        )
        records = self._read(
            q.neighbors(entity_type, direction),
            key=index_key(key)[0],
            rel_types=rel_types,
            entity_types=ent_types,
            limit=limit,
        )
        here = (entity_type, key)
        result = []
        for record in records:
            other = entity_from_props(record["m"])
            props = record["r"]
            src, dst = (here, other.ref) if record["is_out"] else (other.ref, here)
            relation = Relation(
                src, record["type"], dst, props["first_seen"], props["last_seen"],
                props["count"], list(props["evidence"]),
                relation_signatures(props), props.get("signatures_dropped", 0), *relation_tallies(props),
            )
            result.append(Neighbor(relation, other))
        return result

    def subgraph(
        self, keys: Iterable[EntityKey], *, radius: int = 1, limit: int = 5000
    ) -> nx.MultiDiGraph:
        """The induced graph on the nodes within ``radius`` hops of ``keys`` (either direction)."""
        seed_uids = [node_row(check_type(t), k)["uid"] for t, k in keys]
        existing = [r["n"]["uid"] for r in self._read(q.NODES_BY_UID, uids=seed_uids)]

        def expand(frontier: list[str]) -> list[str]:
            return [r["uid"] for r in self._read(q.EXPAND, uids=frontier)]

        db_uids = bfs_nodes(existing, radius=radius, limit=limit, expand=expand)
        nodes = {r["n"]["uid"]: entity_from_props(r["n"]) for r in self._read(q.NODES_BY_UID, uids=db_uids)}
        graph = nx.MultiDiGraph()
        for db_uid in db_uids:
            entity = nodes[db_uid]
            graph.add_node(entity.uid, **entity.props, type=entity.type, key=entity.key,
                           value=entity.value)
        for record in self._read(q.INDUCED, uids=db_uids):
            props = record["r"]
            graph.add_edge(
                nodes[record["src"]].uid, nodes[record["dst"]].uid, key=record["type"],
                type=record["type"], count=props["count"], first_seen=props["first_seen"],
                last_seen=props["last_seen"], evidence=list(props["evidence"]),
                **_signature_attrs(props), **tally_attrs(props),
            )
        return graph

    def host_prevalence(self, keys: Iterable[EntityKey] | None = None) -> dict[EntityKey, int]:
        """Distinct hosts per entity (every sighted entity when ``keys`` is None)."""
        if keys is None:
            return {
                (r["type"], r["full_key"] or r["key"]): r["hosts"]
                for r in self._read(q.HOST_PREVALENCE_ALL)
            }
        refs = {node_row(check_type(t), k)["uid"]: (t, k) for t, k in keys}
        records = self._read(q.HOST_PREVALENCE_KEYS, uids=list(refs))
        return {refs[r["uid"]]: r["hosts"] for r in records}

    def sighting_hosts(self, *, until: float | None = None) -> int:
        """Distinct hosts with a sighting of their own (see :meth:`GraphStore.sighting_hosts`)."""
        return int(self._read(q.SIGHTING_HOSTS, until=until)[0]["n"])

    def host_activity(self, host: str) -> HostActivity:
        """The host's sightings aggregated in the database, the host found through its key's
        unique constraint (see :meth:`GraphStore.host_activity`)."""
        records = self._read(q.HOST_ACTIVITY, key=index_key(host)[0])
        row = records[0] if records else None
        if row is None or not row["entities"]:
            return HostActivity()
        return HostActivity(int(row["entities"]), int(row["count"] or 0), row["first_seen"], row["last_seen"])

    def host_newest_sightings(self, *, until: float | None = None) -> dict[str, float]:
        """Each host's newest sighting, as of ``until``, aggregated in the database
        (see :meth:`GraphStore.host_newest_sightings`)."""
        return {r["host_full"] or r["host"]: float(r["newest"])
                for r in self._read(q.HOST_NEWEST_SIGHTINGS, until=until)}

    def host_sighting_spans(self) -> dict[str, tuple[float, float]]:
        """Every host's first and newest sighting, aggregated in the database in one query
        (see :meth:`GraphStore.host_sighting_spans`)."""
        return {r["host_full"] or r["host"]: (float(r["first_seen"]), float(r["last_seen"]))
                for r in self._read(q.HOST_SIGHTING_SPANS)}

    def iter_sightings(
        self, *, entity_types: Sequence[str] | None = None, since: float | None = None,
        until: float | None = None,
    ) -> Iterator[HostSighting]:
        """Every host x entity sighting, optionally of some types, as of ``until``, with last_seen >= since."""
        types = [check_type(t) for t in entity_types] if entity_types else None
        for r in self._stream(q.SIGHTINGS, types=types, since=since, until=until):
            yield HostSighting(
                r["host_full"] or r["host"], (r["type"], r["full_key"] or r["key"]),
                r["first_seen"], r["last_seen"], r["count"],
            )

    def entity_prevalence(
        self, *, entity_types: Sequence[str] | None = None, min_hosts: int = 1,
        until: float | None = None,
    ) -> Iterator[EntityPrevalence]:
        """Per-entity aggregation of sightings (as of ``until``), computed in the database, ordered by (type, key)."""
        types = [check_type(t) for t in entity_types] if entity_types else None
        for r in self._stream(q.ENTITY_PREVALENCE, types=types, min_hosts=min_hosts, until=until):
            yield EntityPrevalence(
                entity=(r["type"], r["full_key"] or r["key"]), value=r["value"], hosts=r["hosts"],
                first_seen=r["first_seen"], last_seen=r["last_seen"], count=r["count"],
                host_first_seen=tuple(sorted(r["firsts"])),
            )

    def hosts_of(self, entity_type: str, key: str) -> list[HostSighting]:
        """The sightings of one entity, one per host, sorted by host."""
        records = self._read(q.hosts_of(entity_type), key=index_key(key)[0])
        return [
            HostSighting(r["host_full"] or r["host"], (entity_type, key), r["first_seen"],
                         r["last_seen"], r["count"])
            for r in records
        ]

    def contact_times(self, entity_type: str, key: str) -> dict[str, tuple[float, ...]]:
        """The kept contact times of a destination per host (see :meth:`GraphStore.contact_times`)."""
        records = self._read(q.contact_times(entity_type), key=index_key(key)[0])
        return {r["host"]: tuple(r["times"]) for r in records}

    def iter_entities(self, entity_type: str | None = None) -> Iterator[Entity]:
        """Every entity, optionally of one type."""
        query = q.entities_of(entity_type) if entity_type is not None else q.ALL_ENTITIES
        for record in self._stream(query):
            yield entity_from_props(record["n"])

    def iter_relations(self, relation_type: str | None = None) -> Iterator[Relation]:
        """Every relation, optionally of one type."""
        for r in self._stream(q.relations_of(relation_type)):
            props = r["r"]
            yield Relation(
                (r["src_type"], r["src_key"]), r["type"], (r["dst_type"], r["dst_key"]),
                props["first_seen"], props["last_seen"], props["count"], list(props["evidence"]),
                relation_signatures(props), props.get("signatures_dropped", 0), *relation_tallies(props),
            )

    def alerted_by_signature(self, needle: str, *, limit: int) -> tuple[list[Relation], int]:
        """See :meth:`~graphsiem.store.base.GraphStore.alerted_by_signature` (matched and cut in the query)."""
        [record] = self._read(ALERTED_BY_SIGNATURE, needle=needle.lower(), limit=int(limit))
        return [
            Relation((r["src_type"], r["src_key"]), "ALERTED", (r["dst_type"], r["dst_key"]),
                     r["r"]["first_seen"], r["r"]["last_seen"], r["r"]["count"], list(r["r"]["evidence"]),
                     relation_signatures(r["r"]), r["r"].get("signatures_dropped", 0), *relation_tallies(r["r"]))
            for r in record["edges"]
        ], int(record["matched"])

    def relations_active(self, relation_type: str, start: float, end: float) -> list[Relation]:
        """The relations of one type with ``last_seen >= start`` and ``first_seen <= end``."""
        return [
            Relation((r["src_type"], r["src_key"]), r["type"], (r["dst_type"], r["dst_key"]),
                     r["r"]["first_seen"], r["r"]["last_seen"], r["r"]["count"], list(r["r"]["evidence"]),
                     relation_signatures(r["r"]), r["r"].get("signatures_dropped", 0), *relation_tallies(r["r"]))
            for r in self._read(q.relations_active(relation_type), start=float(start), end=float(end))
        ]

    def search_entities(
        self, needle: str, *, entity_type: str | None = None, limit: int = 20
    ) -> list[SearchHit]:
        """Entities whose value, key or searched property contains ``needle``, from TEXT indexes.

        See :meth:`~graphsiem.store.base.GraphStore.search_entities`.  One
        query per rank (:func:`~graphsiem.store.neo4j_queries.search_rank`),
        each asking for the ``limit + 1`` hits still wanted, and none once
        that many are found; before them the exact hits
        (:func:`~graphsiem.store.neo4j_queries.search_exact`: whole value,
        key or PE original name), and for a digest-shaped needle the digest
        hits (:meth:`entities_by_digest`).
        Within a rank, hits come in index order.
        """
        if entity_type is not None:
            check_type(entity_type)
        needle = needle.lower()
        short = len(needle) < DIGEST_PART_MIN  # digest-shaped values and keys are no part hits then
        # Exact hits first (base.is_exact): the prefix rank's limit must not
        # fill with longer values and leave the exact one out.
        hits = [SearchHit(entity_from_props(record["n"]), record["matched"], PREFIX)
                for record in self._read(q.search_exact(entity_type), needle=needle, limit=limit + 1,
                                        short=short)]
        listed = {(hit.entity.type, hit.entity.key) for hit in hits}
        if len(hits) <= limit:
            for hit in self.entities_by_digest(needle, entity_type=entity_type, limit=limit):
                if (hit.entity.type, hit.entity.key) not in listed:
                    hits.append(hit)
                    listed.add((hit.entity.type, hit.entity.key))
        exact = len(listed)
        for rank in (PREFIX, CONTAINS, IN_PROP):
            wanted = limit + 1 - len(hits)
            if wanted <= 0:
                break
            # The exact hits may be found again by a rank (a prefix hit is, a
            # digest may be contained in a value): ask for as many more.
            for record in self._read(q.search_rank(rank, entity_type), needle=needle, limit=wanted + exact,
                                     short=short):
                entity = entity_from_props(record["n"])
                if (entity.type, entity.key) in listed:
                    continue
                # the third rank says 'prop' for the type's searched property (else the original name)
                matched = SEARCHED_PROP[entity.type] if record["matched"] == "prop" else record["matched"]
                hits.append(SearchHit(entity, matched, rank))
        return hits[: limit + 1]

    def entities_by_digest(
        self, digest: str, *, entity_type: str | None = None, limit: int = 20
    ) -> list[SearchHit]:
        """Files and processes one of whose digest properties is ``digest``, from property indexes.

        See :meth:`~graphsiem.store.base.GraphStore.entities_by_digest`; one
        query (:func:`~graphsiem.store.neo4j_queries.digest_entities`), hits
        in index order.
        """
        if entity_type is not None:
            check_type(entity_type)
        needle = digest.lower()
        if not is_digest(needle) or (entity_type is not None and entity_type not in DIGEST_PROPS):
            return []
        return [SearchHit(entity_from_props(record["n"]), record["matched"], PREFIX)
                for record in self._read(q.digest_entities(entity_type, len(needle)), digest=needle,
                                         limit=limit + 1)]

    def counts(self) -> dict[str, dict[str, int]]:
        """Entities and relations by type, and the number of sightings (from the count store)."""

        def work(tx: ManagedTransaction) -> dict[str, dict[str, int]]:
            def one(query: str) -> int:
                return int(tx.run(query).single(strict=True)["n"])

            entities = Counter({t.value: one(q.count_label(t.value)) for t in EntityType})
            relations = Counter({t.value: one(q.count_rel_type(t.value)) for t in RelationType})
            return {
                "entities": dict(sorted((+entities).items())),
                "relations": dict(sorted((+relations).items())),
                "sightings": {"total": one(q.count_rel_type(q.SEEN))},
            }

        try:
            with self._driver.session(database=self.database) as session:
                return session.execute_read(work)
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j read failed: {exc}") from exc


def _signature_attrs(props: dict[str, Any]) -> dict[str, Any]:
    """An ``ALERTED`` relationship's signatures as subgraph edge attributes (as the embedded store's)."""
    signatures = relation_signatures(props)
    if signatures is None:
        return {}
    return {"signatures": signatures, "signatures_dropped": props.get("signatures_dropped", 0)}
