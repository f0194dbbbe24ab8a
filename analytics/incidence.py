"""The host x entity incidence matrix: rows are hosts, columns are entities.

Prevalence analytics need "which hosts saw which entity, and when first".  A
store's sightings are exactly that; this module packs them into scipy sparse
matrices so that every later step (host counts, co-occurrence, overlap) is a
sparse operation and never a Python loop over pairs.

Only the sightings active in the detection window are read (``since``), so on
Neo4j the bulk of the history stays in the database; fleet-wide aggregates come
from :meth:`GraphStore.entity_prevalence`, which Neo4j computes in Cypher.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from graphsiem.model import EntityKey
from graphsiem.store.base import HostSighting


@dataclass(slots=True)
class Incidence:
    """A host x entity incidence with per-cell first sighting times.

    Attributes
    ----------
    hosts : list of str
        Row labels (normalised host names), sorted.
    entities : list of EntityKey
        Column labels ``(type, key)``, sorted.
    seen : scipy.sparse.csc_matrix of float32
        1.0 where the host saw the entity (CSC: column slices are cheap).
    first_seen : scipy.sparse.csc_matrix of float64
        Epoch seconds of the host's first sighting of the entity, same pattern
        as ``seen``.
    count : scipy.sparse.csc_matrix of float64
        How many times the host saw the entity.
    last_seen : scipy.sparse.csc_matrix of float64, optional
        Epoch seconds of the host's last sighting of the entity, same pattern as
        ``seen`` (``None`` when built without it): a cluster's "last seen" is
        taken over its own hosts, not over every host that saw a member.
    """

    hosts: list[str]
    entities: list[EntityKey]
    seen: sp.csc_matrix
    first_seen: sp.csc_matrix
    count: sp.csc_matrix
    last_seen: sp.csc_matrix | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.seen.shape

    def column_index(self) -> dict[EntityKey, int]:
        """Map ``(type, key)`` to its column."""
        return {key: i for i, key in enumerate(self.entities)}

    def host_counts(self) -> np.ndarray:
        """Distinct hosts per entity (column sums)."""
        return np.asarray(self.seen.sum(axis=0)).ravel().astype(np.int64)

    def hosts_of(self, column: int) -> np.ndarray:
        """Row indices of the hosts that saw entity ``column``."""
        start, end = self.seen.indptr[column], self.seen.indptr[column + 1]
        return self.seen.indices[start:end]

    def first_seen_of(self, column: int) -> np.ndarray:
        """Per-host first sighting times of entity ``column`` (row order of :meth:`hosts_of`)."""
        start, end = self.first_seen.indptr[column], self.first_seen.indptr[column + 1]
        return self.first_seen.data[start:end]


    def select(self, columns: np.ndarray) -> Incidence:
        """The incidence restricted to ``columns`` (in that order)."""
        columns = np.asarray(columns, dtype=np.int64)
        return Incidence(
            hosts=self.hosts,
            entities=[self.entities[j] for j in columns],
            seen=self.seen[:, columns],
            first_seen=self.first_seen[:, columns],
            count=self.count[:, columns],
            last_seen=None if self.last_seen is None else self.last_seen[:, columns],
        )


def build_incidence(
    sightings: Iterable[HostSighting], *, exclude_types: Sequence[str] = ("host",)
) -> Incidence:
    """Pack sightings into an :class:`Incidence`.

    Parameters
    ----------
    sightings : iterable of HostSighting
        One row per (host, entity); duplicates are merged (min first seen, sum count).
    exclude_types : sequence of str
        Entity types left out of the columns (a host sighting itself is not a
        shared artefact).

    Returns
    -------
    Incidence

    Examples
    --------
    >>> from graphsiem.store.base import HostSighting
    >>> inc = build_incidence([HostSighting("a", ("domain", "x.example"), 10.0, 20.0, 2),
    ...                        HostSighting("b", ("domain", "x.example"), 15.0, 15.0, 1)])
    >>> inc.host_counts().tolist()
    [2]
    """
    excluded = set(exclude_types)
    host_ids: dict[str, int] = {}
    entity_ids: dict[EntityKey, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    firsts: list[float] = []
    counts: list[float] = []
    lasts: list[float] = []
    for s in sightings:
        if s.entity[0] in excluded:
            continue
        rows.append(host_ids.setdefault(s.host, len(host_ids)))
        cols.append(entity_ids.setdefault(s.entity, len(entity_ids)))
        firsts.append(s.first_seen)
        counts.append(s.count)
        lasts.append(s.last_seen)
    # Sorted labels make column order (and so every tie-break) independent of
    # the order a store happens to stream sightings in.
    host_order = sorted(host_ids)
    entity_order = sorted(entity_ids)
    host_rank = np.empty(len(host_ids), dtype=np.int64)
    host_rank[[host_ids[h] for h in host_order]] = np.arange(len(host_order))
    entity_rank = np.empty(len(entity_ids), dtype=np.int64)
    entity_rank[[entity_ids[e] for e in entity_order]] = np.arange(len(entity_order))
    r = host_rank[np.asarray(rows, dtype=np.int64)] if rows else np.zeros(0, np.int64)
    c = entity_rank[np.asarray(cols, dtype=np.int64)] if cols else np.zeros(0, np.int64)
    shape = (len(host_order), len(entity_order))
    return _from_arrays(
        host_order, entity_order, r, c, np.asarray(firsts, float), np.asarray(counts, float), shape,
        np.asarray(lasts, float),
    )


def _from_arrays(
    hosts: list[str],
    entities: list[EntityKey],
    rows: np.ndarray,
    cols: np.ndarray,
    firsts: np.ndarray,
    counts: np.ndarray,
    shape: tuple[int, int],
    lasts: np.ndarray,
) -> Incidence:
    # Merge duplicate cells: sort by cell, keep the minimum first_seen.
    order = np.lexsort((firsts, rows, cols))
    rows, cols, firsts, counts, lasts = rows[order], cols[order], firsts[order], counts[order], lasts[order]
    if len(rows):
        cell = cols * max(shape[0], 1) + rows
        is_first = np.ones(len(cell), dtype=bool)
        is_first[1:] = cell[1:] != cell[:-1]
        starts = np.flatnonzero(is_first)
        counts = np.add.reduceat(counts, starts)
        lasts = np.maximum.reduceat(lasts, starts)
        rows, cols, firsts = rows[starts], cols[starts], firsts[starts]
    ones = np.ones(len(rows), dtype=np.float32)
    seen = sp.csc_matrix((ones, (rows, cols)), shape=shape)
    first_seen = sp.csc_matrix((firsts, (rows, cols)), shape=shape)
    count = sp.csc_matrix((counts, (rows, cols)), shape=shape)
    last_seen = sp.csc_matrix((lasts, (rows, cols)), shape=shape)
    for m in (seen, first_seen, count, last_seen):
        m.sort_indices()
    return Incidence(hosts, entities, seen, first_seen, count, last_seen)
