"""What the webhook's receiver was last told about each cluster (``webhook_told`` in ``state.sqlite``).

The webhook used to compare a detection's clusters with the previous run's
active ones only.  A cluster absent from that run (left out by an activated
backtest, by a benign verdict since lifted, or gone for a day) then had no
earlier copy and was announced again as ``cluster.new``, under a new delivery
id (review T11, F1).  The receiver's view is what it was sent, so each alert
staged records the copy it announced here, in the transaction that writes the
alert (:meth:`graphsiem.webhook.WebhookNotifier.stage`); the next decision on
that id, or on a case that continues it under another id (``previous_ids``),
compares with that copy.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graphsiem.api.cluster_lineage import member_keys

TOLD_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS webhook_told (cluster_id TEXT PRIMARY KEY, detection_id TEXT NOT NULL, "
    "event TEXT NOT NULL, delivery_id TEXT NOT NULL, at REAL NOT NULL, copy TEXT NOT NULL)"
)


def told_copy(cluster: Mapping[str, Any]) -> dict[str, Any]:
    """What :func:`graphsiem.webhook.classify` compares of ``cluster``: score, hosts, entities, members."""
    return {
        "score": cluster.get("score"), "hosts": [str(h) for h in cluster.get("hosts") or []],
        "entities": list(cluster.get("entities") or []),
        "members": [{"type": t, "key": k} for t, k in sorted(member_keys(cluster))],
    }


def last_told(conn: sqlite3.Connection, clusters: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The copy last announced of each cluster's id, else of the newest announced id of its case.

    Returns ``{cluster id: copy}``, each copy :func:`told_copy`'s dict plus the
    ``delivery_id`` and ``detection_id`` that announced it; a cluster never
    announced (nor its case) is absent.
    """
    wanted = {str(c.get("id", "")): [str(c.get("id", "")), *map(str, c.get("previous_ids") or [])]
              for c in clusters}
    ids = sorted({i for case in wanted.values() for i in case})
    if not ids:
        return {}
    # One parameter however many ids (json_each), no statement built from values.
    rows = conn.execute(
        "SELECT cluster_id, detection_id, delivery_id, at, copy FROM webhook_told "
        "WHERE cluster_id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)).fetchall()
    by_id = {r[0]: r for r in rows}
    found: dict[str, dict[str, Any]] = {}
    for cluster_id, case in wanted.items():
        # its own id first; else the case's id announced last
        own = by_id.get(cluster_id)
        row = own if own is not None else max((by_id[i] for i in case if i in by_id),
                                               key=lambda r: r[3], default=None)
        if row is not None:
            found[cluster_id] = {**json.loads(row[4]), "detection_id": row[1], "delivery_id": row[2]}
    return found


def record_told(conn: sqlite3.Connection, announced: Sequence[tuple[Mapping[str, Any], str, str]], *,
                detection_id: str, now: float) -> None:
    """Remember ``(cluster, event, delivery_id)`` as what the receiver was last told of each id."""
    conn.executemany(
        "INSERT OR REPLACE INTO webhook_told (cluster_id, detection_id, event, delivery_id, at, copy) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(str(c.get("id", "")), detection_id, event, delivery_id, now, json.dumps(told_copy(c)))
         for c, event, delivery_id in announced])
