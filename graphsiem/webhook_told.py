"""What the webhook's receiver was told about each cluster (``webhook_told`` in ``state.sqlite``).

The webhook used to compare a detection's clusters with the previous run's
active ones only.  A cluster absent from that run (left out by an activated
backtest, by a benign verdict since lifted, or gone for a day) then had no
earlier copy and was announced again as ``cluster.new``, under a new delivery
id (review T11, F1).  The receiver's view is what it was sent, so the next
decision on an id, or on a case that continues it under another id
(``previous_ids``), compares with the copy last sent (:func:`last_told`).

Told means delivered: a row is written when the receiver answered 2xx
(:meth:`graphsiem.webhook_outbox.Outbox.delivered`, in the transaction that
deletes the alert), and an alert still pending in the outbox counts as what the
receiver will be told.  An alert given up (dead) or evicted from a full outbox
is recorded in ``webhook_owed`` instead: its change was never told, so the next
run where it still holds decides it again (task OPS.2: it used to count as
sent, and the change was never re-sent).

The table is bounded by time (task OPS.1): each run stamps ``seen_at`` on the
ids it produced, and rows not seen for ``retention_s`` (the setting
``webhook_told_retention_s``, 30 days by default, longer than any window's
look-back) are pruned at the end of the run (:func:`prune`), and their ids
recorded in ``webhook_forgotten``.  A pruned id that comes back is compared
with the last copy the cluster store kept of it, marked inactive, so it is
``cluster.returned`` when it has grown and quiet when it has not
(:func:`graphsiem.webhook_decisions.decide`), never ``cluster.new``.  An inactive id with
no told row that was never pruned was never told (inactive when the webhook
was turned on, task OPS2 #3): it is ``cluster.new`` when it comes back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from graphsiem.api.cluster_lineage import member_keys

DEFAULT_RETENTION_S = 30 * 86400.0
"""How long a told copy outlives its cluster's last detection (``webhook_told_retention_s``)."""

TOLD_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS webhook_told (cluster_id TEXT PRIMARY KEY, detection_id TEXT NOT NULL, "
    "event TEXT NOT NULL, delivery_id TEXT NOT NULL, at REAL NOT NULL, copy TEXT NOT NULL, seen_at REAL)",
    # a cluster whose last alert was dead or evicted: its change is owed to the receiver
    "CREATE TABLE IF NOT EXISTS webhook_owed (cluster_id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL, "
    "at REAL NOT NULL)",
)

FORGOTTEN_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS webhook_forgotten (cluster_id TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID"
)
"""Ids whose told row :func:`prune` deleted: the receiver was told of them once (see :func:`forgotten`)."""


def create_told_tables(conn: sqlite3.Connection) -> None:
    """Create the tables, adding ``seen_at`` to a ``webhook_told`` written before it existed.

    ``webhook_forgotten`` made on a state whose webhook ran before it existed
    (its told rows may have been pruned already, unrecorded) starts with the
    inactive clusters that have no told row: of those, the receiver may have
    been told, so they stay compared with their stored copy as before.
    """
    had_told = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'webhook_told'").fetchone() is not None
    had_forgotten = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'webhook_forgotten'").fetchone() is not None
    for statement in (*TOLD_SCHEMA, FORGOTTEN_SCHEMA):
        conn.execute(statement)
    has_clusters = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'clusters'").fetchone() is not None
    if had_told and not had_forgotten and has_clusters:
        conn.execute("INSERT OR IGNORE INTO webhook_forgotten (cluster_id, at) SELECT id, 0 FROM clusters "
                     "WHERE is_active = 0 AND id NOT IN (SELECT cluster_id FROM webhook_told)")
    columns = {r[1] for r in conn.execute("PRAGMA table_info(webhook_told)")}
    if "seen_at" not in columns:
        conn.execute("ALTER TABLE webhook_told ADD COLUMN seen_at REAL")


def told_copy(cluster: Mapping[str, Any]) -> dict[str, Any]:
    """What :func:`graphsiem.webhook_decisions.classify` compares of ``cluster``: score, hosts, entities, members."""
    return {
        "score": cluster.get("score"), "hosts": [str(h) for h in cluster.get("hosts") or []],
        "entities": list(cluster.get("entities") or []),
        "members": [{"type": t, "key": k} for t, k in sorted(member_keys(cluster))],
    }


def _case_ids(clusters: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """``{cluster id: [its id, *previous_ids]}``."""
    return {str(c.get("id", "")): [str(c.get("id", "")), *map(str, c.get("previous_ids") or [])]
            for c in clusters}


def _pending_copies(conn: sqlite3.Connection, ids: str) -> dict[str, tuple[str, str, float, dict[str, Any]]]:
    """The newest pending alert of each id in ``ids`` (a JSON list): what the receiver will be told."""
    has_outbox = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'webhook_outbox'").fetchone()
    if has_outbox is None:
        return {}
    newest: dict[str, tuple[str, str, float, dict[str, Any]]] = {}
    for cluster_id, detection_id, delivery, created_at, body in conn.execute(
            "SELECT cluster_id, detection_id, delivery_id, created_at, body FROM webhook_outbox "
            "WHERE state = 'pending' AND cluster_id IN (SELECT value FROM json_each(?)) ORDER BY seq",
            (ids,)):
        newest[cluster_id] = (detection_id, delivery, created_at,
                              told_copy(json.loads(body).get("cluster") or {}))
    return newest


def last_told(conn: sqlite3.Connection, clusters: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The copy last told (or pending) of each cluster's id, else of the newest told id of its case.

    Returns ``{cluster id: copy}``, each copy :func:`told_copy`'s dict plus the
    ``delivery_id`` and ``detection_id`` that announced it; a cluster never
    announced (nor its case) is absent.  A pending alert's copy wins over the
    delivered one: it is newer and the receiver will get it (at least once).
    """
    wanted = _case_ids(clusters)
    ids = json.dumps(sorted({i for case in wanted.values() for i in case}))
    if ids == "[]":
        return {}
    # One parameter however many ids (json_each), no statement built from values.
    by_id: dict[str, tuple[str, str, float, dict[str, Any]]] = {
        r[0]: (r[1], r[2], r[3], json.loads(r[4])) for r in conn.execute(
            "SELECT cluster_id, detection_id, delivery_id, at, copy FROM webhook_told "
            "WHERE cluster_id IN (SELECT value FROM json_each(?))", (ids,))}
    by_id.update(_pending_copies(conn, ids))
    found: dict[str, dict[str, Any]] = {}
    for cluster_id, case in wanted.items():
        # its own id first; else the case's id announced last
        own = by_id.get(cluster_id)
        row = own if own is not None else max((by_id[i] for i in case if i in by_id),
                                               key=lambda r: r[2], default=None)
        if row is not None:
            found[cluster_id] = {**row[3], "detection_id": row[0], "delivery_id": row[1]}
    return found


def owed(conn: sqlite3.Connection, clusters: Iterable[Mapping[str, Any]]) -> set[str]:
    """Ids among ``clusters`` whose last alert (of the id or of its case) was dead or evicted."""
    wanted = _case_ids(clusters)
    ids = json.dumps(sorted({i for case in wanted.values() for i in case}))
    rows = {r[0] for r in conn.execute(
        "SELECT cluster_id FROM webhook_owed WHERE cluster_id IN (SELECT value FROM json_each(?))", (ids,))}
    return {cluster_id for cluster_id, case in wanted.items() if rows.intersection(case)}


def forgotten(conn: sqlite3.Connection, clusters: Iterable[Mapping[str, Any]]) -> set[str]:
    """Ids among ``clusters`` whose told row (of the id or of its case) :func:`prune` deleted.

    Such an id was told once: absent for ``told_retention_s``, it comes back
    compared with the copy the store kept (:func:`graphsiem.webhook_decisions.never_told`).
    An inactive id with no told row and not forgotten was never told (it was
    inactive when the webhook was turned on): it is new to the receiver.
    """
    wanted = _case_ids(clusters)
    ids = json.dumps(sorted({i for case in wanted.values() for i in case}))
    rows = {r[0] for r in conn.execute(
        "SELECT cluster_id FROM webhook_forgotten WHERE cluster_id IN (SELECT value FROM json_each(?))", (ids,))}
    return {cluster_id for cluster_id, case in wanted.items() if rows.intersection(case)}


def settled(conn: sqlite3.Connection, clusters: Iterable[Mapping[str, Any]]) -> set[str]:
    """Ids among ``clusters`` an analyst has settled: triage closed, or verdict benign.

    The id's own triage row decides when it has one (a case continued under it
    has its triage carried there), else any id of its case.  A cluster settled
    before the receiver heard of it is not announced as new
    (:meth:`graphsiem.webhook.WebhookNotifier.alerts`).
    """
    has_triage = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'triage'").fetchone()
    if has_triage is None:  # an outbox of its own (no service state): nothing triaged
        return set()
    wanted = _case_ids(clusters)
    ids = json.dumps(sorted({i for case in wanted.values() for i in case}))
    closed = {r[0]: bool(r[1]) for r in conn.execute(
        "SELECT cluster_id, status = 'closed' OR COALESCE(verdict, '') = 'benign' FROM triage "
        "WHERE cluster_id IN (SELECT value FROM json_each(?))", (ids,))}
    return {cluster_id for cluster_id, case in wanted.items()
            if (closed[cluster_id] if cluster_id in closed else any(closed.get(i) for i in case))}


def record_delivered(conn: sqlite3.Connection, cluster: Mapping[str, Any], *, event: str,
                     delivery_id: str, detection_id: str, now: float) -> None:
    """The receiver answered 2xx to the alert on ``cluster``: it is what it was last told."""
    cluster_id = str(cluster.get("id", ""))
    conn.execute(
        "INSERT OR REPLACE INTO webhook_told (cluster_id, detection_id, event, delivery_id, at, copy, seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (cluster_id, detection_id, event, delivery_id, now, json.dumps(told_copy(cluster)), now))
    conn.execute("DELETE FROM webhook_owed WHERE cluster_id = ?", (cluster_id,))


def record_undelivered(conn: sqlite3.Connection, alerts: Iterable[tuple[str, str]], *, now: float) -> None:
    """``(cluster id, delivery id)`` of alerts given up or evicted: their change is owed."""
    conn.executemany("INSERT OR REPLACE INTO webhook_owed (cluster_id, delivery_id, at) VALUES (?, ?, ?)",
                     [(c, d, now) for c, d in alerts])


def mark_seen(conn: sqlite3.Connection, clusters: Iterable[Mapping[str, Any]], *, now: float) -> None:
    """Stamp ``seen_at`` on the told rows of a run's clusters and of the cases they continue."""
    ids = json.dumps(sorted({i for case in _case_ids(clusters).values() for i in case}))
    conn.execute("UPDATE webhook_told SET seen_at = ? WHERE cluster_id IN (SELECT value FROM json_each(?))",
                 (now, ids))
    conn.execute("UPDATE webhook_owed SET at = ? WHERE cluster_id IN (SELECT value FROM json_each(?))",
                 (now, ids))


def prune(conn: sqlite3.Connection, *, now: float, retention_s: float) -> int:
    """Delete the rows of ids no run produced for ``retention_s`` seconds; returns how many.

    Examples
    --------
    >>> conn = sqlite3.connect(":memory:"); create_told_tables(conn)
    >>> record_delivered(conn, {"id": "old"}, event="cluster.new", delivery_id="d1", detection_id="r1", now=0.0)
    >>> record_delivered(conn, {"id": "recent"}, event="cluster.new", delivery_id="d2", detection_id="r2", now=90.0)
    >>> prune(conn, now=100.0, retention_s=50.0), [r[0] for r in conn.execute("SELECT cluster_id FROM webhook_told")]
    (1, ['recent'])
    """
    cutoff = now - retention_s
    conn.execute("INSERT OR REPLACE INTO webhook_forgotten (cluster_id, at) SELECT cluster_id, ? FROM webhook_told "
                 "WHERE COALESCE(seen_at, at) < ?", (now, cutoff))
    told = conn.execute("DELETE FROM webhook_told WHERE COALESCE(seen_at, at) < ?", (cutoff,)).rowcount
    owed_rows = conn.execute("DELETE FROM webhook_owed WHERE at < ?", (cutoff,)).rowcount
    return int(told) + int(owed_rows)
