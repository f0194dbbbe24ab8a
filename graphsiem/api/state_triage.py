"""Triage versions, idempotent triage requests and when clusters were detected and changed (``state.sqlite``).

Tables next to :mod:`graphsiem.api.state`'s (made with them, ``CREATE ... IF NOT
EXISTS``: a data directory from before opens as it is, nothing is altered):

``triage_versions``
    An integer per cluster, raised by one on every write of its ``triage`` row,
    whoever writes it (a PATCH, a lifted suppression, a triage carried to a
    continued case, another process).  Triggers keep it, so no writer can
    forget to; a cluster never triaged is at version 0.  Writers write the row
    only when status, verdict or assignee change: the same values sent again
    (a SOAR re-sync) or a note alone (audit, not triage state) leave the
    version where it is.  The API serves it as
    the cluster's ETag and refuses a PATCH whose ``If-Match`` names another
    (412): two integrations cannot silently overwrite each other's verdict.

``triage_requests``
    The answer to each PATCH sent with an ``Idempotency-Key``, per cluster,
    caller and key, for :data:`IDEMPOTENCY_TTL_S`: a retry after a timeout
    gets the first answer back and writes no second audit entry.

``cluster_changes``
    When a detection first stored each cluster (``detected_at``) and when one
    last changed what the API shows of it (``changed_at``: score, hosts,
    members, times, confidence, produced or dropped), with the fingerprint that
    tells.  A cluster stored before this table existed has no row: readers fall
    back on the time of the detection that stored it, and the next detection
    takes that time as ``changed_at`` unless what it stores differs.

``cluster_changed_by``
    The detection that last changed each cluster (with ``changed_at``): the
    ``detection_id`` the API shows, so a detection that changes nothing
    changes no byte of the queue (nor its ETag).

``queue_generation``
    The detection that last changed the active queue (a cluster's fingerprint
    moved, one came in or dropped out): a queue cursor carries it, and a page
    asked with a cursor of another generation is refused (409
    ``queue_changed``) instead of silently skipping clusters whose scores moved.
    A detection that changes nothing leaves it, so cursors stay valid.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

TRIAGE_SCHEMA = """
CREATE TABLE IF NOT EXISTS triage_versions (
    cluster_id TEXT PRIMARY KEY, version INTEGER NOT NULL
);
-- A trigger's statements take the outer statement's conflict policy: under the
-- writers' INSERT OR REPLACE an "INSERT OR IGNORE" here would reset the version,
-- so the first row is inserted only where none exists.
CREATE TRIGGER IF NOT EXISTS triage_version_on_insert AFTER INSERT ON triage BEGIN
    INSERT INTO triage_versions SELECT NEW.cluster_id, 0
        WHERE NOT EXISTS (SELECT 1 FROM triage_versions WHERE cluster_id = NEW.cluster_id);
    UPDATE triage_versions SET version = version + 1 WHERE cluster_id = NEW.cluster_id;
END;
CREATE TRIGGER IF NOT EXISTS triage_version_on_update AFTER UPDATE ON triage BEGIN
    INSERT INTO triage_versions SELECT NEW.cluster_id, 0
        WHERE NOT EXISTS (SELECT 1 FROM triage_versions WHERE cluster_id = NEW.cluster_id);
    UPDATE triage_versions SET version = version + 1 WHERE cluster_id = NEW.cluster_id;
END;
CREATE TABLE IF NOT EXISTS triage_requests (
    cluster_id TEXT NOT NULL, actor TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL,
    request TEXT NOT NULL, response TEXT NOT NULL,
    PRIMARY KEY (cluster_id, actor, key)
);
CREATE INDEX IF NOT EXISTS triage_requests_at ON triage_requests(at);
CREATE TABLE IF NOT EXISTS cluster_changes (
    cluster_id TEXT PRIMARY KEY, detected_at REAL NOT NULL, changed_at REAL NOT NULL,
    fingerprint TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cluster_changed_by (
    cluster_id TEXT PRIMARY KEY, detection_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_generation (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 0), detection_id TEXT NOT NULL, at REAL NOT NULL
);
"""

IDEMPOTENCY_TTL_S = 24 * 3600.0
"""How long the answer to a PATCH sent with an ``Idempotency-Key`` is kept."""

# Read with every cluster row (aliases of graphsiem.api.state's _CLUSTER_SELECT): the
# detection that stored a cluster stands in for the times of one stored before
# cluster_changes existed.
_STORED_AT = "COALESCE(d.finished_at, d.started_at, d.requested_at)"
DETECTED_AT_SQL = f"COALESCE(cc.detected_at, {_STORED_AT})"
CHANGED_AT_SQL = f"COALESCE(cc.changed_at, {_STORED_AT})"
UPDATED_AT_SQL = f"MAX(COALESCE({CHANGED_AT_SQL}, 0), COALESCE(t.updated_at, 0))"
"""A cluster's ``updated_at``: its last change by a detection or its last triage write."""
CLUSTER_TIMES_JOIN = (
    " LEFT JOIN cluster_changes cc ON cc.cluster_id = c.id"
    " LEFT JOIN detections d ON d.id = c.detection_id"
    " LEFT JOIN triage_versions v ON v.cluster_id = c.id"
    " LEFT JOIN cluster_changed_by cb ON cb.cluster_id = c.id"
)
CLUSTER_TIMES_COLUMNS = (
    f", {DETECTED_AT_SQL} AS x_detected_at, {UPDATED_AT_SQL} AS x_updated_at,"
    " COALESCE(v.version, 0) AS t_version,"
    # the detection that last changed it; before any was recorded, the one that stored it
    " COALESCE(cb.detection_id, c.detection_id) AS x_changed_by"
)


class _Database(Protocol):
    _lock: threading.RLock

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]: ...


def triage_version(db: sqlite3.Connection, cluster_id: str) -> int:
    """The triage version of ``cluster_id`` (0 when never triaged), inside the caller's transaction."""
    rows = db.execute("SELECT version FROM triage_versions WHERE cluster_id = ?", (cluster_id,)).fetchall()
    return int(rows[0]["version"]) if rows else 0


def cluster_fingerprint(cluster: Mapping[str, Any], *, active: bool) -> str:
    """What an integration sees change of a stored cluster, hashed.

    Score, hosts, members, event times, score confidence and pivot, and whether
    the latest detection produced it; not the explanation's wording nor the
    evidence sample, which a re-detection of the same activity may reorder.
    """
    seen = {
        "score": cluster.get("score"), "hosts": sorted(str(h) for h in cluster.get("hosts") or []),
        "entities": cluster.get("entity_keys") or cluster.get("entities") or [],
        "first_seen": cluster.get("first_seen"), "last_seen": cluster.get("last_seen"),
        "score_confidence": cluster.get("score_confidence"), "pivot": cluster.get("pivot"),
        "active": active,
    }
    return hashlib.sha256(json.dumps(seen, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def record_detection(db: sqlite3.Connection, detection_id: str, clusters: Sequence[Mapping[str, Any]],
                     previously_active: Iterable[str], *, now: float) -> bool:
    """Note what a detection storing ``clusters`` as the active set changed; if anything, make it the queue's.

    Called by :meth:`graphsiem.api.state.StateStore.save_clusters` inside its
    transaction, before it rewrites the ``clusters`` rows.  A cluster whose
    fingerprint (:func:`cluster_fingerprint`) is unchanged keeps its
    ``changed_at`` and the detection that changed it; a cluster stored before
    ``cluster_changes`` existed takes its stored detection's time for both
    ``detected_at`` and, unless what is stored now differs, ``changed_at``
    (else the first detection after an upgrade marked every cluster updated).
    The queue's generation moves only when some cluster changed, came in or
    dropped out: a detection that changes nothing keeps every cursor valid.

    Parameters
    ----------
    db : sqlite3.Connection
        The state database, inside the caller's transaction.
    detection_id : str
        The detection storing ``clusters``.
    clusters : sequence of mapping
        The stored cluster dicts (``id`` and the contract fields).
    previously_active : iterable of str
        The ids the previous active set held: those missing from ``clusters``
        dropped out of the queue, which is a change too.
    now : float
        The detection's storing time (epoch seconds).

    Returns
    -------
    bool
        Whether the queue changed (its generation is now ``detection_id``).
    """
    produced = {str(c["id"]) for c in clusters}
    dropped = [i for i in previously_active if i not in produced]
    seen = [(str(c["id"]), cluster_fingerprint(c, active=True)) for c in clusters]
    for cluster_id in dropped:
        stored = db.execute("SELECT data FROM clusters WHERE id = ?", (cluster_id,)).fetchall()
        if stored:
            seen.append((cluster_id, cluster_fingerprint(json.loads(stored[0]["data"]), active=False)))
    changed = False
    for cluster_id, fingerprint in seen:
        changed |= _record_cluster(db, cluster_id, fingerprint, detection_id, now)
    generation = db.execute("SELECT 1 FROM queue_generation WHERE singleton = 0").fetchall()
    if changed or not generation:
        db.execute("INSERT OR REPLACE INTO queue_generation VALUES (0, ?, ?)", (detection_id, now))
    return changed or not generation


def _record_cluster(db: sqlite3.Connection, cluster_id: str, fingerprint: str, detection_id: str,
                    now: float) -> bool:
    """Record one cluster's fingerprint for a detection; whether it changed (or is new)."""
    rows = db.execute("SELECT fingerprint FROM cluster_changes WHERE cluster_id = ?",
                      (cluster_id,)).fetchall()
    stored = db.execute(
        f"SELECT c.data, c.is_active, c.detection_id, {_STORED_AT} AS at FROM clusters c "  # noqa: S608
        "LEFT JOIN detections d ON d.id = c.detection_id WHERE c.id = ?", (cluster_id,)).fetchall()
    stored_by = str(stored[0]["detection_id"]) if stored else detection_id
    if rows:
        if rows[0]["fingerprint"] == fingerprint:
            # Recorded before cluster_changed_by existed: the detection that stored it stands in.
            db.execute("INSERT OR IGNORE INTO cluster_changed_by VALUES (?, ?)", (cluster_id, stored_by))
            return False
        db.execute("UPDATE cluster_changes SET changed_at = ?, fingerprint = ? WHERE cluster_id = ?",
                   (now, fingerprint, cluster_id))
        db.execute("INSERT OR REPLACE INTO cluster_changed_by VALUES (?, ?)", (cluster_id, detection_id))
        return True
    if not stored:  # first detected now
        db.execute("INSERT INTO cluster_changes VALUES (?, ?, ?, ?)", (cluster_id, now, now, fingerprint))
        db.execute("INSERT OR REPLACE INTO cluster_changed_by VALUES (?, ?)", (cluster_id, detection_id))
        return True
    # Stored before this table existed: first detected no later than its stored detection,
    # and changed then too unless what is stored now differs from what was.
    at = stored[0]["at"]
    detected_at = min(float(at), now) if at is not None else now
    before = cluster_fingerprint(json.loads(stored[0]["data"]), active=bool(stored[0]["is_active"]))
    same = before == fingerprint
    db.execute("INSERT INTO cluster_changes VALUES (?, ?, ?, ?)",
               (cluster_id, detected_at, detected_at if same else now, fingerprint))
    db.execute("INSERT OR REPLACE INTO cluster_changed_by VALUES (?, ?)",
               (cluster_id, stored_by if same else detection_id))
    return not same


def queue_detection(state: _Database) -> str:
    """The queue's generation: the detection that last changed the active queue ('' before any)."""
    rows = state._query("SELECT detection_id FROM queue_generation WHERE singleton = 0")
    if rows:
        return str(rows[0]["detection_id"])
    # A queue stored before queue_generation existed: its clusters name their detection.
    rows = state._query("SELECT detection_id FROM clusters WHERE is_active = 1 LIMIT 1")
    return str(rows[0]["detection_id"]) if rows else ""


@contextmanager
def exclusive(state: _Database) -> Iterator[None]:
    """Hold the state's lock across several calls (look up an idempotent answer, write, keep it).

    The lock is re-entrant, so the calls inside take it again freely; other
    threads of this process wait, which makes "look up, else apply and record"
    one step for two retries racing each other.
    """
    with state._lock:
        yield


def request_fingerprint(payload: Mapping[str, Any]) -> str:
    """The hash that tells a retry (same request) from another request reusing an Idempotency-Key."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def recorded_answer(state: _Database, cluster_id: str, actor: str, key: str, *,
                    now: float | None = None) -> tuple[str, str] | None:
    """The ``(request fingerprint, response JSON)`` kept for this key, or ``None`` (none or expired)."""
    cutoff = (time.time() if now is None else now) - IDEMPOTENCY_TTL_S
    rows = state._query(
        "SELECT request, response FROM triage_requests WHERE cluster_id = ? AND actor = ? AND key = ? "
        "AND at >= ?", (cluster_id, actor, key, cutoff))
    return (str(rows[0]["request"]), str(rows[0]["response"])) if rows else None


def record_answer(db: sqlite3.Connection, cluster_id: str, actor: str, key: str, *, request: str,
                  response: str, now: float | None = None) -> None:
    """Keep the answer to an idempotent PATCH; answers older than the TTL are dropped on the way.

    Runs inside the triage write's transaction (``db``): the change and its
    answer commit together, so a failure between them cannot leave a change
    applied whose retry is told it conflicted (412) or is applied again.
    """
    at = time.time() if now is None else now
    db.execute("DELETE FROM triage_requests WHERE at < ?", (at - IDEMPOTENCY_TTL_S,))
    db.execute("INSERT OR REPLACE INTO triage_requests VALUES (?, ?, ?, ?, ?, ?)",
               (cluster_id, actor, key, at, request, response))


class TriageVersionMismatch(Exception):
    """A triage write named a version (``If-Match``) the cluster's triage is no longer at."""

    def __init__(self, cluster_id: str, current: Any) -> None:
        super().__init__(f"triage of {cluster_id[:80]!r} is at version {current.version}")
        self.cluster_id = cluster_id
        self.current = current
        """The triage as it is (a :class:`graphsiem.api.records.Triage`)."""
