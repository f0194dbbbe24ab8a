"""The service's own state in SQLite (``<data>/state.sqlite``).

What lives here is what the graph and the journal do not hold: API keys
(hashed), triage of clusters (status, verdict, assignee) with its audit trail,
suppressed pivots, detection runs and the latest snapshot of every cluster.

One connection guarded by a lock: FastAPI runs sync handlers on a thread pool
and the writes here are small, so serialising them is cheaper than a pool.
WAL mode lets ``graphsiem keys`` (another process) write while the server reads.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graphsiem.api.behaviour_episodes import with_episode_id
from graphsiem.api.cluster_lineage import lineage, match_predecessors, stored_cluster
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
from graphsiem.api.state_lineage import (
    case_ids,
    case_pivots,
    continue_case,
    live_id,
    stored_previous_ids,
)
from graphsiem.api.state_triage import (
    CLUSTER_TIMES_COLUMNS,
    CLUSTER_TIMES_JOIN,
    TRIAGE_SCHEMA,
    UPDATED_AT_SQL,
    TriageVersionMismatch,
    record_detection,
    triage_version,
)
from graphsiem.api.state_verdicts import (
    VERDICT_SCHEMA,
    covered_keys,
    forget_orphan_members,
    forget_suppression_members,
    record_suppression_members,
)
from graphsiem.paths import private_file

__all__ = ["ApiKey", "AuditEntry", "ClusterRow", "DetectionRun", "Role", "StateStore", "Status",
           "Suppression", "Triage", "Verdict", "hash_key", "parse_key_id"]

KEY_PREFIX = "gsk"


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


def hash_key(secret: str) -> str:
    """SHA-256 of a whole key string (prefix, id and secret)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_key_id(key: str) -> str | None:
    """The id part of ``gsk_<id>_<secret>``, or ``None`` when it is not shaped so."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


class StateStore(CandidateRowsMixin):
    """SQLite-backed service state.

    It keeps the candidate history detections fit their scorer on too
    (:class:`~graphsiem.api.state_candidates.CandidateRowsMixin`).

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

    # -- API keys -----------------------------------------------------------
    def create_key(self, *, role: Role | str, name: str = "") -> tuple[ApiKey, str]:
        """Create a key; returns the stored record and the secret (shown once)."""
        role = Role(role)
        key_id = secrets.token_hex(6)
        secret = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKey(id=key_id, name=name or f"{role.value}-{key_id}", role=role,
                        created_at=time.time())
        with self._tx() as db:
            db.execute(
                "INSERT INTO api_keys (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (record.id, record.name, record.role.value, hash_key(secret), record.created_at),
            )
        return record, secret

    def ensure_key(self, secret: str, *, role: Role | str, name: str) -> ApiKey:
        """Register a caller-chosen key (bootstrap from the environment), idempotently."""
        key_id = parse_key_id(secret)
        if key_id is None:
            # A free-form bootstrap secret gets an id derived from its hash.
            key_id = hash_key(secret)[:12]
        existing = self.get_key(key_id)
        if existing is not None:
            return existing
        record = ApiKey(id=key_id, name=name, role=Role(role), created_at=time.time())
        with self._tx() as db:
            db.execute(
                "INSERT INTO api_keys (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (record.id, record.name, record.role.value, hash_key(secret), record.created_at),
            )
        return record

    def verify_key(self, secret: str) -> ApiKey | None:
        """The key record for ``secret`` if it exists (revoked or not), else ``None``."""
        key_id = parse_key_id(secret) or hash_key(secret)[:12]
        rows = self._query("SELECT * FROM api_keys WHERE id = ?", (key_id,))
        if not rows or not hmac.compare_digest(rows[0]["hash"], hash_key(secret)):
            return None
        return _key(rows[0])

    def get_key(self, key_id: str) -> ApiKey | None:
        rows = self._query("SELECT * FROM api_keys WHERE id = ?", (key_id,))
        return _key(rows[0]) if rows else None

    def list_keys(self) -> list[ApiKey]:
        return [_key(r) for r in self._query("SELECT * FROM api_keys ORDER BY created_at, id")]

    def revoke_key(self, key_id: str) -> bool:
        """Revoke a key; ``False`` when there is no such key."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                (time.time(), key_id),
            )
            return cur.rowcount > 0

    # -- clusters -------------------------------------------------------------
    def save_clusters(
        self, detection_id: str, clusters: list[dict[str, Any]], *,
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
                before = previous.get(cluster["id"]) or stored_before.get(cluster["id"])
                if before is None and predecessor is not None:
                    before = previous.get(predecessor.id) or stored_before.get(predecessor.id)
                pairs.append((cluster, before))
            if within is not None:
                within(db, pairs)
        return pairs

    def get_cluster(self, cluster_id: str) -> ClusterRow | None:
        rows = self._query(_CLUSTER_SELECT + " WHERE c.id = ?", (cluster_id,))
        return _cluster(rows[0]) if rows else None

    def pivot_cluster(self, pivot_type: str, pivot_key: str) -> ClusterRow | None:
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
        self,
        *,
        min_score: float | None = None,
        status: Status | None = None,
        verdict: Verdict | None = None,
        since: float | None = None,
        updated_since: float | None = None,
        after: tuple[float, int, str] | None = None,
        limit: int = 50,
        include_inactive: bool = False,
    ) -> list[ClusterRow]:
        """The queue: clusters by score (desc), then fewer hosts first, then id.

        The order is the CLI's (ties rarest first, ``analytics.detect``);
        ``after`` is the keyset cursor ``(score, host_count, id)`` of the last
        row of the previous page.

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
        """
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
        if after is not None:
            score, host_count, cluster_id = after
            where.append("(c.score < ? OR (c.score = ? AND (c.host_count > ? "
                         "OR (c.host_count = ? AND c.id > ?))))")
            params.extend([score, score, host_count, host_count, cluster_id])
        # The WHERE clauses are fixed fragments chosen above; values are parameters.
        sql = _CLUSTER_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY c.score DESC, c.host_count, c.id LIMIT ?"
        params.append(limit)
        return [_cluster(r) for r in self._query(sql, params)]

    # -- triage -------------------------------------------------------------------
    def get_triage(self, cluster_id: str) -> Triage:
        with self._lock:
            return _read_triage(self._db, cluster_id)

    def update_triage(
        self,
        cluster_id: str,
        *,
        actor: str,
        changes: dict[str, str | None],
        note: str | None = None,
        pivot: tuple[str, str] | None = None,
        expected_versions: Collection[int] | None = None,
        within: Callable[[sqlite3.Connection], object] | None = None,
    ) -> Triage:
        """Apply triage ``changes`` (status, verdict, assignee) and log each one.

        A change to ``verdict`` benign suppresses ``pivot``; any other change
        of ``verdict`` lifts that suppression and those of the whole case: the
        ones created by, or on the pivots of, the ids it continued
        (``previous_ids``), so that a continued case's verdict and the
        suppressions never disagree.  A ``note`` is logged as its own entry.

        The ``triage`` row (and so its version) is written only when status,
        verdict or assignee change: the same values sent again, or a note
        alone (audit, not triage state), leave version and ``updated_at`` as
        they were, so a client holding the version is not refused for nothing.

        ``expected_versions`` (the client's ``If-Match``): when given and the
        triage is at none of them, nothing is written and
        :class:`~graphsiem.api.state_triage.TriageVersionMismatch` carries the
        current triage.  Checked in the write's transaction, so two writers
        that read the same version cannot both succeed.

        ``within(db)``, when given, runs last in the same transaction (the
        answer to an ``Idempotency-Key`` is kept there: it commits with the change).
        """
        now = time.time()
        with self._tx() as db:
            current = _read_triage(db, cluster_id)
            if expected_versions is not None and current.version not in expected_versions:
                raise TriageVersionMismatch(cluster_id, current)
            values = {
                "status": current.status.value,
                "verdict": current.verdict.value if current.verdict else None,
                "assignee": current.assignee,
            }
            changed = False
            for field_name, new in changes.items():
                old = values[field_name]
                if old == new:
                    continue
                changed = True
                values[field_name] = new
                db.execute(
                    "INSERT INTO audit (cluster_id, at, actor, field, old, new) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (cluster_id, now, actor, field_name, old, new),
                )
                if field_name != "verdict":
                    continue
                if new == Verdict.BENIGN.value:
                    if pivot is not None:
                        db.execute(
                            "INSERT OR REPLACE INTO suppressions VALUES (?, ?, ?, ?, ?)",
                            (pivot[0], pivot[1], cluster_id, now, actor),
                        )
                        # What the analyst judged: twins that appear later are not covered.
                        stored = db.execute("SELECT data FROM clusters WHERE id = ?", (cluster_id,)).fetchall()
                        members = covered_keys(pivot, json.loads(stored[0]["data"])) if stored else []
                        record_suppression_members(db, pivot, members)
                else:
                    # Not benign (any more): no suppression of this case stands,
                    # whichever of its ids' benign verdicts created it.
                    _lift_case_suppressions(db, cluster_id, pivot)
            if note:
                db.execute(
                    "INSERT INTO audit (cluster_id, at, actor, field, old, new) "
                    "VALUES (?, ?, ?, 'note', NULL, ?)",
                    (cluster_id, now, actor, note),
                )
            if changed:
                db.execute(
                    "INSERT OR REPLACE INTO triage VALUES (?, ?, ?, ?, ?, ?)",
                    (cluster_id, values["status"], values["verdict"], values["assignee"], now, actor),
                )
            if within is not None:
                within(db)
        return self.get_triage(cluster_id)

    def audit_trail(self, cluster_id: str) -> list[AuditEntry]:
        """The audit of a cluster and of the ids it continued (``previous_ids``), oldest first."""
        row = self.get_cluster(cluster_id)
        ids = [cluster_id, *(row.data.get("previous_ids") or [] if row else [])]
        marks = ", ".join("?" for _ in ids)
        rows = self._query(
            f"SELECT * FROM audit WHERE cluster_id IN ({marks}) ORDER BY id",  # noqa: S608
            ids)
        return [AuditEntry(**dict(r)) for r in rows]

    # -- suppressions ---------------------------------------------------------------
    def list_suppressions(self) -> list[Suppression]:
        rows = self._query("SELECT * FROM suppressions ORDER BY created_at, pivot_type, pivot_key")
        return [Suppression(**dict(r)) for r in rows]

    def delete_suppression(self, pivot_type: str, pivot_key: str, *, actor: str) -> bool:
        """Lift a suppression; the case's benign verdict is cleared (and audited).

        The verdict cleared is the live case's: the suppression's cluster, or
        the id that continues it today (whose verdict was carried).  A
        superseded id keeps its triage as it was, as a ``PATCH`` on it does.
        """
        now = time.time()
        with self._tx() as db:
            rows = db.execute(
                "SELECT cluster_id FROM suppressions WHERE pivot_type = ? AND pivot_key = ?",
                (pivot_type, pivot_key),
            ).fetchall()
            if not rows:
                return False
            owner = rows[0]["cluster_id"]
            db.execute(
                "DELETE FROM suppressions WHERE pivot_type = ? AND pivot_key = ?",
                (pivot_type, pivot_key),
            )
            forget_suppression_members(db, (pivot_type, pivot_key))
            cluster_id = live_id(db, owner)
            cur = db.execute(
                "UPDATE triage SET verdict = NULL, updated_at = ?, updated_by = ? "
                "WHERE cluster_id = ? AND verdict = 'benign'",
                (now, actor, cluster_id),
            )
            if cur.rowcount:
                db.execute(
                    "INSERT INTO audit (cluster_id, at, actor, field, old, new) "
                    "VALUES (?, ?, ?, 'verdict', 'benign', NULL)",
                    (cluster_id, now, actor),
                )
        return True

    def suppressed_pivots(self) -> set[tuple[str, str]]:
        return {(s.pivot_type, s.pivot_key) for s in self.list_suppressions()}

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


def _lift_case_suppressions(db: sqlite3.Connection, cluster_id: str,
                            pivot: tuple[str, str] | None) -> None:
    """Lift ``pivot``'s suppression and every suppression of ``cluster_id``'s case.

    A case continued under a new pivot keeps the suppression its earlier id's
    benign verdict created (on the earlier pivot); moving the case away from
    benign lifts it with the live pivot's.
    """
    ids = case_ids(db, cluster_id)
    pivots = [pivot] if pivot is not None else []
    for pivot_type, pivot_key in dict.fromkeys([*pivots, *case_pivots(db, ids)]):
        db.execute("DELETE FROM suppressions WHERE pivot_type = ? AND pivot_key = ?",
                   (pivot_type, pivot_key))
    marks = ", ".join("?" for _ in ids)
    db.execute(f"DELETE FROM suppressions WHERE cluster_id IN ({marks})", ids)  # noqa: S608
    forget_orphan_members(db)


# Fixed fragments only (graphsiem.api.state_triage's columns and joins); values are parameters.
_CLUSTER_SELECT = (
    "SELECT c.*, t.status AS t_status, t.verdict AS t_verdict, t.assignee AS t_assignee, "  # noqa: S608
    "t.updated_at AS t_updated_at, t.updated_by AS t_updated_by, s.new_id AS superseded_by"
    + CLUSTER_TIMES_COLUMNS  # detected_at, updated_at, triage version (graphsiem.api.state_triage)
    + " FROM clusters c LEFT JOIN triage t ON t.cluster_id = c.id "
    "LEFT JOIN cluster_successors s ON s.old_id = c.id" + CLUSTER_TIMES_JOIN
)
# Fixed fragments of the queue's WHERE clause (no values in them).
_TRIAGED = "(t.status != 'open' OR t.verdict IS NOT NULL OR t.assignee IS NOT NULL)"
_UNRESOLVED = "(t.status != 'closed' AND COALESCE(t.verdict, '') != 'benign')"
_NOT_SUPERSEDED = "s.new_id IS NULL"


def _key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(id=row["id"], name=row["name"], role=Role(row["role"]),
                  created_at=row["created_at"], revoked_at=row["revoked_at"])


def _read_triage(db: sqlite3.Connection, cluster_id: str) -> Triage:
    """The triage of ``cluster_id`` with its version (defaults when never triaged)."""
    rows = db.execute("SELECT * FROM triage WHERE cluster_id = ?", (cluster_id,)).fetchall()
    version = triage_version(db, cluster_id)
    if not rows:
        return Triage(cluster_id, Status.OPEN, None, None, None, None, version)
    return _triage(rows[0], version)


def _triage(row: sqlite3.Row, version: int = 0) -> Triage:
    return Triage(
        cluster_id=row["cluster_id"], status=Status(row["status"]),
        verdict=Verdict(row["verdict"]) if row["verdict"] else None,
        assignee=row["assignee"], updated_at=row["updated_at"], updated_by=row["updated_by"],
        version=version,
    )


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
              "changed_by_detection": row["x_changed_by"]},
        triage=triage,
    )
