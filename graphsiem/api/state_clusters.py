"""The stored clusters and the queue, in the service state (``state.sqlite``'s ``clusters`` table).

Moved out of :mod:`graphsiem.api.state`: the cluster methods of
:class:`~graphsiem.api.state.StateStore` (:class:`ClusterRowsMixin`): saving a
detection's clusters as the active set (continuing a case under a new id,
:mod:`graphsiem.api.state_lineage`), reading one, and the analysts' queue with
its keyset paging.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from graphsiem.api.behaviour_episodes import with_episode_id
from graphsiem.api.cluster_lineage import lineage, match_predecessors, stored_cluster
from graphsiem.api.queue_order import DEFAULT_SORT, QueueSort
from graphsiem.api.queue_search import TEXT_MATCH, search_fold, write_search_text
from graphsiem.api.records import ClusterRow, Status, Triage, Verdict
from graphsiem.api.state_lineage import continue_case, stored_previous_ids
from graphsiem.api.state_triage import (
    CLUSTER_TIMES_COLUMNS,
    CLUSTER_TIMES_JOIN,
    UPDATED_AT_SQL,
    record_detection,
)

_TOTALS_KEPT = 64
"""Counts :meth:`ClusterRowsMixin.count_clusters` keeps for one state version (one per filter set)."""


class _Database(Protocol):
    def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def change_token(self) -> tuple[int, int]: ...

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]: ...


class ClusterRowsMixin:
    """The cluster and queue methods of :class:`graphsiem.api.state.StateStore`."""

    def save_clusters(
        self: _Database, detection_id: str, clusters: list[dict[str, Any]], *,
        within: Callable[[sqlite3.Connection, list[tuple[dict[str, Any], dict[str, Any] | None]]],
                         object] | None = None,
    ) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """Store a detection's clusters as the active set.

        Each item of ``clusters`` is the contract dict plus ``pivot``
        ``{"type", "key"}``.  Returns ``(new, previous)`` pairs so the caller can
        tell new and grown clusters apart: ``previous`` is the latest detection's
        copy, else the last stored copy with ``"active": False`` (the id came
        back after a detection that did not produce it), else ``None`` (new).

        A new cluster that is the same case as a stored one under another id
        (:func:`~graphsiem.api.cluster_lineage.match_predecessors`: the pivot
        changed) continues it: the stored dict gains ``previous_ids``, the old
        id stays readable and is recorded as superseded, and the old triage is
        carried over unless the new id's own is newer
        (:func:`~graphsiem.api.state_lineage.continue_case`: all of it when the
        new cluster adds no entity, else only the assignee and an escalation;
        never "closed" or "benign" onto new entities), audited.  ``previous``
        is then the predecessor when the latest detection had produced it.

        ``within(db, pairs)``, when given, runs in the same transaction before it
        commits (the webhook writes its alerts there: graphsiem.webhook_outbox).
        """
        now = time.time()
        pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
        with self._tx() as db:
            # A behaviour cluster on other machines than its pivot's stored one is another episode,
            # under an id of its own (graphsiem.api.behaviour_episodes): no triage of the other applies.
            clusters = [with_episode_id(db, c) for c in clusters]
            previous = {
                r["id"]: json.loads(r["data"])
                for r in db.execute("SELECT id, data FROM clusters WHERE is_active = 1")
            }
            # detected_at / changed_at and the queue's detection, before the rows are rewritten
            record_detection(db, detection_id, clusters, previous, now=now)
            candidates = [stored_cluster(i, d, was_active=True) for i, d in previous.items()]
            candidates += [
                stored_cluster(r["id"], json.loads(r["data"]), was_active=False)
                for r in db.execute(
                    "SELECT id, data FROM clusters WHERE is_active = 0 "
                    "AND id IN (SELECT cluster_id FROM triage)")
            ]
            # The last stored copy of an id the previous run did not produce (an activated backtest
            # left it out, a verdict since lifted): what the webhook compares with, marked inactive.
            stored_before = {
                r["id"]: {**json.loads(r["data"]), "active": False}
                for r in db.execute(
                    "SELECT id, data FROM clusters WHERE is_active = 0 AND id IN "
                    "(SELECT value FROM json_each(?))",
                    (json.dumps([c["id"] for c in clusters] + [s.id for s in candidates if not s.was_active]),))
            }
            fresh = [stored_cluster(c["id"], c, was_active=True) for c in clusters]
            predecessors = match_predecessors(fresh, candidates)
            db.execute("UPDATE clusters SET is_active = 0 WHERE is_active = 1")
            fresh_by_id = {c.id: c for c in fresh}
            for cluster in clusters:
                predecessor = predecessors.get(cluster["id"])
                cluster = {**cluster, "previous_ids": lineage(
                    stored_previous_ids(db, cluster["id"]), predecessor, cluster["id"])}
                # Produced again: whatever superseded it no longer does.
                db.execute("DELETE FROM cluster_successors WHERE old_id = ?", (cluster["id"],))
                if predecessor is not None:
                    continue_case(db, predecessor, fresh_by_id[cluster["id"]],
                                  detection_id=detection_id, now=now)
                pivot = cluster.get("pivot") or {}
                db.execute(
                    "INSERT OR REPLACE INTO clusters (id, score, host_count, entity_count, "
                    "pivot_type, pivot_key, first_seen, last_seen, detection_id, is_active, data) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                    (
                        cluster["id"], float(cluster["score"]), len(cluster.get("hosts", [])),
                        len(cluster.get("entities", [])), str(pivot.get("type", "")),
                        str(pivot.get("key", "")), cluster.get("first_seen_ts"),
                        cluster.get("last_seen_ts"), detection_id, json.dumps(cluster),
                    ),
                )
                write_search_text(db, cluster["id"], cluster)  # what q= matches (graphsiem.api.queue_search)
                before = previous.get(cluster["id"]) or stored_before.get(cluster["id"])
                if before is None and predecessor is not None:
                    before = previous.get(predecessor.id) or stored_before.get(predecessor.id)
                pairs.append((cluster, before))
            if within is not None:
                within(db, pairs)
        return pairs

    def get_cluster(self: _Database, cluster_id: str) -> ClusterRow | None:
        rows = self._query(_CLUSTER_SELECT + " WHERE c.id = ?", (cluster_id,))
        return _cluster(rows[0]) if rows else None

    def pivot_cluster(self: _Database, pivot_type: str, pivot_key: str) -> ClusterRow | None:
        """The stored cluster grown from this pivot: the active one, else the last stored.

        One id per pivot except for behaviour pivots, whose episodes on other machines
        are stored under ids of their own (:mod:`graphsiem.api.behaviour_episodes`).
        """
        rows = self._query(
            _CLUSTER_SELECT + " WHERE c.pivot_type = ? AND c.pivot_key = ? ORDER BY c.is_active DESC, "
            "COALESCE(d.finished_at, d.started_at, d.requested_at) DESC, c.rowid DESC LIMIT 1",
            (pivot_type, pivot_key))
        return _cluster(rows[0]) if rows else None

    def list_clusters(
        self: _Database,
        *,
        min_score: float | None = None,
        status: Status | None = None,
        verdict: Verdict | None = None,
        since: float | None = None,
        updated_since: float | None = None,
        after: tuple[float, int, str] | None = None,
        after_value: Any = None,
        limit: int = 50,
        include_inactive: bool = False,
        text: str | None = None,
        sort: QueueSort = DEFAULT_SORT,
    ) -> list[ClusterRow]:
        """The queue: clusters by score (desc), then fewer hosts first, then id.

        The order is the CLI's (ties rarest first, ``analytics.detect``);
        ``after`` is the keyset cursor ``(score, host_count, id)`` of the last
        row of the previous page.  ``sort`` puts a column before that order
        (:mod:`graphsiem.api.queue_order`); ``after_value`` is then the last
        row's value of it, which each row carries as ``data["queue_sort_value"]``.

        Which clusters: with ``include_inactive`` every stored one.  Otherwise
        the latest detection's (active) clusters, plus the inactive ones an
        analyst is still working on, so that a case never drops out of the
        queue because a later detection did not produce it: triaged (status not
        open, or a verdict, or an assignee), not resolved (not closed, verdict
        not benign) and not continued under another id (``cluster_successors``).
        With a ``status`` or ``verdict`` filter the resolved ones are included
        too (``?status=closed`` finds a closed case whatever the detections did).

        ``since`` keeps clusters last seen (event time) at or after it;
        ``updated_since`` those a detection or a triage write changed at or
        after it (``updated_at``, :mod:`graphsiem.api.state_triage`).
        ``text`` keeps those whose summary, a host, an entity's value or key or
        the pivot's key contains it, case- and compatibility-folded
        (:func:`graphsiem.api.queue_search.search_fold`).
        """
        where, params = _queue_filters(min_score=min_score, status=status, verdict=verdict, since=since,
                                       updated_since=updated_since, include_inactive=include_inactive,
                                       text=text)
        if after is not None:
            fragment, values = sort.after(after_value, *after)
            where.append(fragment)
            params.extend(values)
        # The WHERE clauses and the sort's expression are fixed fragments chosen above; values are parameters.
        sql = _CLUSTER_COLUMNS + f", {sort.expression} AS x_sort" + _CLUSTER_FROM
        sql += (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {sort.order_by()} LIMIT ?"
        params.append(limit)
        return [_cluster(r) for r in self._query(sql, params)]

    def count_clusters(self: _Database, **filters: Any) -> int:
        """How many clusters :meth:`list_clusters` lists with these filters, over all its pages.

        The page says it (``total``): it reads at most 1,000 and must say when there are more.
        Counting is a scan of the queue (150 ms for 20,000 clusters, as much again with ``q``),
        and the page reads its 1,000 as 10 pages of one listing: the count is kept per
        state version (:meth:`~graphsiem.api.state.StateStore.change_token`, which any write,
        this process's or another's, moves) and filters, so a listing is counted once.
        """
        key = (self.change_token(), tuple(sorted(filters.items())))
        cache: dict[Any, int] = self.__dict__.setdefault("_queue_totals", {})
        if key in cache:
            return cache[key]
        where, params = _queue_filters(**filters)
        sql = "SELECT COUNT(*)" + _CLUSTER_FROM + (" WHERE " + " AND ".join(where) if where else "")
        total = int(self._query(sql, params)[0][0])
        if len(cache) >= _TOTALS_KEPT or any(k[0] != key[0] for k in cache):
            cache.clear()  # an older version's counts are never asked again
        cache[key] = total
        return total


def _queue_filters(*, min_score: float | None = None, status: Status | None = None,
                   verdict: Verdict | None = None, since: float | None = None,
                   updated_since: float | None = None, include_inactive: bool = False,
                   text: str | None = None) -> tuple[list[str], list[Any]]:
    """The queue's WHERE fragments (fixed text) and their parameter values."""
    where: list[str] = []
    params: list[Any] = []
    if not include_inactive:
        kept = [_TRIAGED, _NOT_SUPERSEDED]
        if status is None and verdict is None:
            kept.append(_UNRESOLVED)
        where.append("(c.is_active = 1 OR (" + " AND ".join(kept) + "))")
    if min_score is not None:
        where.append("c.score >= ?")
        params.append(min_score)
    if status is not None:
        where.append("COALESCE(t.status, 'open') = ?")
        params.append(Status(status).value)
    if verdict is not None:
        where.append("t.verdict = ?")
        params.append(Verdict(verdict).value)
    if since is not None:
        where.append("c.last_seen >= ?")
        params.append(since)
    if updated_since is not None:
        where.append(UPDATED_AT_SQL + " >= ?")
        params.append(updated_since)
    if text and (folded := search_fold(text)):
        where.append(TEXT_MATCH)
        params.append(folded)
    return where, params


# Fixed fragments only (graphsiem.api.state_triage's columns and joins); values are parameters.
_CLUSTER_COLUMNS = (
    "SELECT c.*, t.status AS t_status, t.verdict AS t_verdict, t.assignee AS t_assignee, "
    "t.updated_at AS t_updated_at, t.updated_by AS t_updated_by, s.new_id AS superseded_by"
    + CLUSTER_TIMES_COLUMNS  # detected_at, updated_at, triage version (graphsiem.api.state_triage)
)
_CLUSTER_FROM = (" FROM clusters c LEFT JOIN triage t ON t.cluster_id = c.id "
                 "LEFT JOIN cluster_successors s ON s.old_id = c.id" + CLUSTER_TIMES_JOIN)
_CLUSTER_SELECT = _CLUSTER_COLUMNS + _CLUSTER_FROM
# Fixed fragments of the queue's WHERE clause (no values in them).
_TRIAGED = "(t.status != 'open' OR t.verdict IS NOT NULL OR t.assignee IS NOT NULL)"
_UNRESOLVED = "(t.status != 'closed' AND COALESCE(t.verdict, '') != 'benign')"
_NOT_SUPERSEDED = "s.new_id IS NULL"
def _cluster(row: sqlite3.Row) -> ClusterRow:
    triage = Triage(
        cluster_id=row["id"], status=Status(row["t_status"] or "open"),
        verdict=Verdict(row["t_verdict"]) if row["t_verdict"] else None,
        assignee=row["t_assignee"], updated_at=row["t_updated_at"],
        updated_by=row["t_updated_by"], version=int(row["t_version"]),
    )
    return ClusterRow(
        id=row["id"], score=row["score"], host_count=row["host_count"],
        entity_count=row["entity_count"], pivot_type=row["pivot_type"],
        pivot_key=row["pivot_key"], first_seen=row["first_seen"], last_seen=row["last_seen"],
        detection_id=row["detection_id"], is_active=bool(row["is_active"]),
        # The id that continues this case, if any: read with the row, kept with its data.
        # So are when it was first detected and last changed (detection or triage; epoch seconds).
        data={**json.loads(row["data"]), "superseded_by": row["superseded_by"],
              "detected_at_ts": row["x_detected_at"], "updated_at_ts": row["x_updated_at"] or None,
              "changed_by_detection": row["x_changed_by"],
              # the queue's sort column as SQL compared it: a cursor's key (graphsiem.api.queue_order)
              **({"queue_sort_value": row["x_sort"]} if "x_sort" in row.keys() else {})},
        triage=triage,
    )
