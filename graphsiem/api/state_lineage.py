"""The state database's side of a case continued under a new cluster id.

:meth:`graphsiem.api.state.StateStore.save_clusters` calls :func:`continue_case`
inside its transaction when :func:`graphsiem.api.cluster_lineage.match_predecessors`
finds that a new cluster continues a stored one (its pivot changed);
:meth:`~graphsiem.api.state.StateStore.update_triage` and
:meth:`~graphsiem.api.state.StateStore.delete_suppression` use
:func:`case_ids` and :func:`live_id` to act on the whole case.

What is carried (review RV1, items 1 and 2): when the new cluster's members
all belong to the old one, the whole triage.  When it adds any entity the old
case did not have, only what cannot hide it: the assignee and an escalation
(status ``investigating``, verdict ``malicious``).  A ``closed`` status or a
``benign`` verdict is never carried onto entities nobody looked at: the new
cluster opens, and the audit says what was not carried and why.  A carry is
the system's act: ``updated_by`` names it, ``updated_at`` is its time.
"""

from __future__ import annotations

import json
import sqlite3

from graphsiem.api.cluster_lineage import StoredCluster
from graphsiem.api.records import Status, Verdict

CARRIED_BY = "graphsiem (carried from {old_id})"
"""``updated_by`` of a carried triage: the system wrote it, from ``old_id``."""

_ESCALATED_STATUSES = {Status.INVESTIGATING.value}
_ESCALATED_VERDICTS = {Verdict.MALICIOUS.value}
_LISTED_NEW_ENTITIES = 5
"""How many of the new entities the ``not_carried`` audit entry names."""


def stored_previous_ids(db: sqlite3.Connection, cluster_id: str) -> list[str]:
    """The ``previous_ids`` stored with ``cluster_id`` (empty for a cluster never stored)."""
    rows = db.execute("SELECT data FROM clusters WHERE id = ?", (cluster_id,)).fetchall()
    if not rows:
        return []
    return [str(i) for i in json.loads(rows[0]["data"]).get("previous_ids") or []]


def live_id(db: sqlite3.Connection, cluster_id: str) -> str:
    """The id that continues ``cluster_id``'s case today (itself when not superseded)."""
    seen = {cluster_id}
    while True:
        rows = db.execute("SELECT new_id FROM cluster_successors WHERE old_id = ?",
                          (cluster_id,)).fetchall()
        if not rows or rows[0]["new_id"] in seen:
            return cluster_id
        cluster_id = str(rows[0]["new_id"])
        seen.add(cluster_id)


def case_ids(db: sqlite3.Connection, cluster_id: str) -> list[str]:
    """Every id of ``cluster_id``'s case: the live one first, then its ``previous_ids``."""
    live = live_id(db, cluster_id)
    ids = [live]
    for i in [*stored_previous_ids(db, live), cluster_id]:
        if i not in ids:
            ids.append(i)
    return ids


def case_pivots(db: sqlite3.Connection, ids: list[str]) -> list[tuple[str, str]]:
    """The stored pivots ``(type, key)`` of the clusters ``ids``."""
    marks = ", ".join("?" for _ in ids)
    rows = db.execute(
        f"SELECT pivot_type, pivot_key FROM clusters WHERE id IN ({marks}) "  # noqa: S608
        "AND pivot_type != ''", ids).fetchall()
    return [(str(r["pivot_type"]), str(r["pivot_key"])) for r in rows]


def _safe_part(status: str, verdict: str | None) -> tuple[str, str | None]:
    """Of a triage, what may be carried onto entities it never covered."""
    return (status if status in _ESCALATED_STATUSES else Status.OPEN.value,
            verdict if verdict in _ESCALATED_VERDICTS else None)


def continue_case(db: sqlite3.Connection, old: StoredCluster, new: StoredCluster, *,
                  detection_id: str, now: float) -> None:
    """Record ``new`` as the continuation of ``old`` and carry what is safe of its triage.

    Parameters
    ----------
    db : sqlite3.Connection
        The state database, inside the caller's transaction.
    old, new : StoredCluster
        The predecessor and the cluster that continues it.
    detection_id : str
        The detection storing ``new`` (named in the audit).
    now : float
        The carry's time: ``updated_at`` of the carried triage.
    """
    db.execute("INSERT OR REPLACE INTO cluster_successors VALUES (?, ?, ?, ?)",
               (old.id, new.id, detection_id, now))
    rows = db.execute("SELECT * FROM triage WHERE cluster_id = ?", (old.id,)).fetchall()
    if not rows:
        return
    triage = rows[0]
    own = db.execute("SELECT updated_at FROM triage WHERE cluster_id = ?",
                     (new.id,)).fetchall()
    # The new id's own triage wins when it is newer (the pivot flipped back
    # to an id triaged long ago carries the recent decision, not the old one).
    if own and (own[0]["updated_at"] or 0.0) >= (triage["updated_at"] or 0.0):
        return
    status, verdict = str(triage["status"]), triage["verdict"]
    actor = f"detection {detection_id}"
    new_entities = sorted(new.members - old.members)
    dropped: list[str] = []
    if new_entities:
        safe_status, safe_verdict = _safe_part(status, verdict)
        dropped = [f"{name} {value}" for name, value, kept in (
            ("status", status, safe_status), ("verdict", verdict, safe_verdict))
            if value != kept]
        status, verdict = safe_status, safe_verdict
    db.execute("INSERT OR REPLACE INTO triage VALUES (?, ?, ?, ?, ?, ?)",
               (new.id, status, verdict, triage["assignee"], now,
                CARRIED_BY.format(old_id=old.id)))
    db.execute(
        "INSERT INTO audit (cluster_id, at, actor, field, old, new) "
        "VALUES (?, ?, ?, 'carried_from', ?, ?)",
        (new.id, now, actor, old.id, new.id),
    )
    if dropped:
        named = ", ".join(f"{t}:{k[:200]}" for t, k in new_entities[:_LISTED_NEW_ENTITIES])
        more = len(new_entities) - _LISTED_NEW_ENTITIES
        db.execute(
            "INSERT INTO audit (cluster_id, at, actor, field, old, new) "
            "VALUES (?, ?, ?, 'not_carried', ?, ?)",
            (new.id, now, actor, ", ".join(dropped),
             f"new entities {len(new_entities)}: {named}"
             + (f" and {more} more" if more > 0 else "")),
        )
