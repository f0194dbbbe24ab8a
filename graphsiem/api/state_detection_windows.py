"""The window each detection run read, kept beside its record in the state database.

``GET /v1/detections/{id}`` and the page's empty queue said when a run finished
and how many clusters it found, never which time range it looked at nor why it
found nothing (review T9, finding F8): on a fleet whose clocks span years a run
read two sightings of one host, and "0 clusters" read as all clear.  A run's
window, what it held and the reason it found nothing are stored here as one
JSON document per run (:func:`save_window`), read back with the run
(:func:`windows_of`).  The table is made on first write: a state database of an
older release is read as holding none.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphsiem.api.state import StateStore

WINDOWS_SCHEMA = """
CREATE TABLE IF NOT EXISTS detection_windows (
    detection_id TEXT PRIMARY KEY, summary TEXT NOT NULL
);
"""


def save_window(state: StateStore, detection_id: str, summary: Mapping[str, Any]) -> None:
    """Keep the window summary of run ``detection_id`` (the fields :class:`DetectionOut` adds)."""
    with state._tx() as db:
        db.execute(WINDOWS_SCHEMA)
        db.execute("INSERT OR REPLACE INTO detection_windows (detection_id, summary) VALUES (?, ?)",
                   (detection_id, json.dumps(dict(summary))))


def windows_of(state: StateStore, detection_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The kept window summaries of these runs, by run id (runs without one are left out)."""
    ids = list(dict.fromkeys(detection_ids))
    if not ids:
        return {}
    try:
        rows = state._query("SELECT detection_id, summary FROM detection_windows "
                            "WHERE detection_id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # no run has kept a window yet
            return {}
        raise
    return {row["detection_id"]: json.loads(row["summary"]) for row in rows}


def active_run_carried(state: StateStore) -> list[dict[str, Any]]:
    """The verdicts the newest finished run that fills the queue (not a backtest) carried to a new build.

    The queue's page listed them by reading ``GET /v1/detections`` on every poll (task PAGE3 #2);
    the cluster list now brings them (``ClusterPage.verdicts_carried``), read here once per
    change of the state database (the page cache of :mod:`graphsiem.api.services.clusters`).

    Returns
    -------
    list of dict
        The run's record's ``verdicts_carried``: empty before any run, for a run that carried
        none, or for one that kept no window.
    """
    rows = state._query("SELECT id FROM detections WHERE status = 'done' AND trigger != 'backtest' "
                        "ORDER BY requested_at DESC, id DESC LIMIT 1")
    if not rows:
        return []
    run_id = str(rows[0]["id"])
    window = windows_of(state, [run_id]).get(run_id) or {}
    return list(window.get("verdicts_carried") or [])
