"""The service's own state in SQLite (``<data>/state.sqlite``).

What lives here is what the graph and the journal do not hold: API keys
(hashed), triage of clusters (status, verdict, assignee) with its audit trail,
suppressed pivots, detection runs and the latest snapshot of every cluster.

One connection guarded by a lock: FastAPI runs sync handlers on a thread pool
and the writes here are small, so serialising them is cheaper than a pool.
WAL mode lets ``graphsiem keys`` (another process) write while the server reads.

This module holds the schema, the connection and the detection runs; the rest
of :class:`StateStore` is in mixins, one job each (every public name is still
importable from here):

- :mod:`graphsiem.api.state_keys`: API keys (``hash_key``, ``parse_key_id``);
- :mod:`graphsiem.api.state_clusters`: stored clusters and the queue;
- :mod:`graphsiem.api.state_triage_changes`: triage writes, audit, suppressions;
- :mod:`graphsiem.api.state_candidates`: candidate rows earlier detections scored.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graphsiem.api.queue_order import ORDER_SCHEMA
from graphsiem.api.queue_search import SEARCH_SCHEMA, fill_missing
from graphsiem.api.records import (
    ApiKey,
    AuditEntry,
    ClusterRow,
    DetectionRun,
    Role,
    Status,
    Suppression,
    Triage,
    Verdict,
)
from graphsiem.api.state_candidates import CANDIDATE_SCHEMA, CandidateRowsMixin
from graphsiem.api.state_clusters import ClusterRowsMixin
from graphsiem.api.state_keys import KEY_PREFIX, ApiKeysMixin, hash_key, parse_key_id
from graphsiem.api.state_triage import TRIAGE_SCHEMA
from graphsiem.api.state_triage_changes import TriageMixin
from graphsiem.api.state_verdicts import VERDICT_SCHEMA
from graphsiem.paths import private_file

__all__ = ["KEY_PREFIX", "ApiKey", "AuditEntry", "ClusterRow", "DetectionRun", "Role", "StateStore", "Status",
           "Suppression", "Triage", "Verdict", "hash_key", "parse_key_id"]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
    hash TEXT NOT NULL, created_at REAL NOT NULL, revoked_at REAL
);
CREATE TABLE IF NOT EXISTS triage (
    cluster_id TEXT PRIMARY KEY, status TEXT NOT NULL DEFAULT 'open', verdict TEXT,
    assignee TEXT, updated_at REAL, updated_by TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, cluster_id TEXT NOT NULL, at REAL NOT NULL,
    actor TEXT NOT NULL, field TEXT NOT NULL, old TEXT, new TEXT
);
CREATE INDEX IF NOT EXISTS audit_cluster ON audit(cluster_id, id);
CREATE TABLE IF NOT EXISTS suppressions (
    pivot_type TEXT NOT NULL, pivot_key TEXT NOT NULL, cluster_id TEXT NOT NULL,
    created_at REAL NOT NULL, created_by TEXT NOT NULL,
    PRIMARY KEY (pivot_type, pivot_key)
);
CREATE TABLE IF NOT EXISTS detections (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, trigger TEXT NOT NULL,
    requested_at REAL NOT NULL, requested_by TEXT NOT NULL, started_at REAL,
    finished_at REAL, duration_s REAL, cluster_count INTEGER, error TEXT
);
CREATE TABLE IF NOT EXISTS clusters (
    id TEXT PRIMARY KEY, score REAL NOT NULL, host_count INTEGER NOT NULL,
    entity_count INTEGER NOT NULL, pivot_type TEXT NOT NULL, pivot_key TEXT NOT NULL,
    first_seen REAL, last_seen REAL, detection_id TEXT NOT NULL,
    is_active INTEGER NOT NULL, data TEXT NOT NULL
);
-- The queue's order: score, then rarest first (fewer hosts), then id, as the CLI
-- lists a detection (analytics.detect); keyset paging walks this index.
DROP INDEX IF EXISTS clusters_rank;
CREATE INDEX IF NOT EXISTS clusters_order ON clusters(score DESC, host_count, id);
-- A cluster a later detection produced again under another id (another pivot):
-- the same case, see graphsiem.api.cluster_lineage.
CREATE TABLE IF NOT EXISTS cluster_successors (
    old_id TEXT PRIMARY KEY, new_id TEXT NOT NULL, detection_id TEXT NOT NULL, at REAL NOT NULL
);
""" + CANDIDATE_SCHEMA  # the candidate rows earlier detections scored (graphsiem.api.state_candidates)


class StateStore(ApiKeysMixin, ClusterRowsMixin, TriageMixin, CandidateRowsMixin):
    """SQLite-backed service state.

    Its methods by job: API keys (:class:`~graphsiem.api.state_keys.ApiKeysMixin`),
    clusters and the queue (:class:`~graphsiem.api.state_clusters.ClusterRowsMixin`),
    triage, audit and suppressions (:class:`~graphsiem.api.state_triage_changes.TriageMixin`),
    and the candidate history detections fit their scorer on
    (:class:`~graphsiem.api.state_candidates.CandidateRowsMixin`); detection runs here.

    Parameters
    ----------
    path : Path
        The database file (created with its directory if missing).
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = private_file(path)  # key hashes: 0600 (graphsiem.paths)
        self._lock = threading.RLock()
        self.version = 0
        """Bumped by every write of this process: read caches key on it."""
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        self._db.executescript(VERDICT_SCHEMA)  # what verdicts covered, backtests (graphsiem.api.state_verdicts)
        # triage versions, idempotent PATCHes, detection times (graphsiem.api.state_triage)
        self._db.executescript(TRIAGE_SCHEMA)
        # the queue's folded search text (graphsiem.api.queue_search); an older database's clusters get theirs now
        self._db.executescript(SEARCH_SCHEMA)
        self._db.executescript(ORDER_SCHEMA)  # the queue's column sorts (graphsiem.api.queue_order)
        fill_missing(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def change_token(self) -> tuple[int, int]:
        """Changes whenever the database does, whoever wrote it.

        ``version`` counts this process's commits; SQLite's ``data_version``
        moves when another connection (another server process, the CLI)
        commits.  Read caches key on the pair.
        """
        with self._lock:
            other = self._db.execute("PRAGMA data_version").fetchone()[0]
        return (self.version, other)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self.version += 1

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    # -- detection runs ---------------------------------------------------------------
    def create_detection(self, *, trigger: str, requested_by: str) -> DetectionRun:
        run = DetectionRun(
            id=secrets.token_hex(8), status="queued", trigger=trigger,
            requested_at=time.time(), requested_by=requested_by,
        )
        with self._tx() as db:
            db.execute(
                "INSERT INTO detections (id, status, trigger, requested_at, requested_by) "
                "VALUES (?, ?, ?, ?, ?)",
                (run.id, run.status, run.trigger, run.requested_at, run.requested_by),
            )
        return run

    def update_detection(self, run_id: str, **values: Any) -> None:
        allowed = {"status", "started_at", "finished_at", "duration_s", "cluster_count", "error"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown detection fields: {sorted(unknown)}")
        # Column names come from the fixed ``allowed`` set, never from data.
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self._tx() as db:
            db.execute(
                f"UPDATE detections SET {assignments} WHERE id = ?",  # noqa: S608
                (*values.values(), run_id),
            )

    def get_detection(self, run_id: str) -> DetectionRun | None:
        rows = self._query("SELECT * FROM detections WHERE id = ?", (run_id,))
        return DetectionRun(**dict(rows[0])) if rows else None

    def list_detections(self, *, limit: int = 20) -> list[DetectionRun]:
        rows = self._query("SELECT * FROM detections ORDER BY requested_at DESC LIMIT ?", (limit,))
        return [DetectionRun(**dict(r)) for r in rows]
