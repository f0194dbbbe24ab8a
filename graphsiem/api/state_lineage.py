"""The state database's side of a case continued under a new cluster id.

:meth:`graphsiem.api.state.StateStore.save_clusters` calls these inside its
transaction when :func:`graphsiem.api.cluster_lineage.match_predecessors`
finds that a new cluster continues a stored one (its pivot changed).
"""

from __future__ import annotations

import json
import sqlite3


def stored_previous_ids(db: sqlite3.Connection, cluster_id: str) -> list[str]:
    """The ``previous_ids`` stored with ``cluster_id`` (empty for a cluster never stored)."""
    rows = db.execute("SELECT data FROM clusters WHERE id = ?", (cluster_id,)).fetchall()
    if not rows:
        return []
    return [str(i) for i in json.loads(rows[0]["data"]).get("previous_ids") or []]


def continue_case(db: sqlite3.Connection, old_id: str, new_id: str, *, detection_id: str,
                  now: float) -> None:
    """Record ``new_id`` as the continuation of ``old_id`` and carry its triage over."""
    db.execute("INSERT OR REPLACE INTO cluster_successors VALUES (?, ?, ?, ?)",
               (old_id, new_id, detection_id, now))
    old = db.execute("SELECT * FROM triage WHERE cluster_id = ?", (old_id,)).fetchall()
    if not old:
        return
    own = db.execute("SELECT updated_at FROM triage WHERE cluster_id = ?",
                     (new_id,)).fetchall()
    # The new id's own triage wins when it is newer (the pivot flipped back
    # to an id triaged long ago carries the recent decision, not the old one).
    if own and (own[0]["updated_at"] or 0.0) >= (old[0]["updated_at"] or 0.0):
        return
    db.execute("INSERT OR REPLACE INTO triage VALUES (?, ?, ?, ?, ?, ?)",
               (new_id, old[0]["status"], old[0]["verdict"], old[0]["assignee"],
                old[0]["updated_at"], old[0]["updated_by"]))
    db.execute(
        "INSERT INTO audit (cluster_id, at, actor, field, old, new) "
        "VALUES (?, ?, ?, 'carried_from', ?, ?)",
        (new_id, now, f"detection {detection_id}", old_id, new_id),
    )
