"""Triage writes with their audit trail, and suppressed pivots, in the service state (``state.sqlite``).

Moved out of :mod:`graphsiem.api.state`: the triage and suppression methods of
:class:`~graphsiem.api.state.StateStore` (:class:`TriageMixin`).  A benign
verdict suppresses the cluster's pivot; any other verdict lifts the
suppressions of the whole case (:mod:`graphsiem.api.state_lineage`).  The
versions, idempotent requests and detection times the triage rows carry are
:mod:`graphsiem.api.state_triage`'s.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from analytics.lateral_verdicts import SOURCE_KEY_TYPE
from graphsiem.api.records import AuditEntry, ClusterRow, Status, Suppression, Triage, Verdict
from graphsiem.api.state_lineage import case_ids, case_pivots, live_id
from graphsiem.api.state_triage import TriageVersionMismatch, triage_version
from graphsiem.api.state_verdicts import (
    covered_keys,
    forget_orphan_members,
    forget_suppression_members,
    record_suppression_members,
)


class _Database(Protocol):
    @property
    def _lock(self) -> AbstractContextManager[Any]: ...

    @property
    def _db(self) -> sqlite3.Connection: ...

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]: ...

    def get_cluster(self, cluster_id: str) -> ClusterRow | None: ...

    def get_triage(self, cluster_id: str) -> Triage: ...

    def list_suppressions(self) -> list[Suppression]: ...


class TriageMixin:
    """The triage, audit and suppression methods of :class:`graphsiem.api.state.StateStore`."""

    # -- triage -------------------------------------------------------------------
    def get_triage(self: _Database, cluster_id: str) -> Triage:
        with self._lock:
            return _read_triage(self._db, cluster_id)

    def update_triage(
        self: _Database,
        cluster_id: str,
        *,
        actor: str,
        changes: dict[str, str | None],
        note: str | None = None,
        pivot: tuple[str, str] | None = None,
        expected_versions: Collection[int] | None = None,
        within: Callable[[sqlite3.Connection], object] | None = None,
        scope: Collection[tuple[str, str]] = (),
        replace_scope: bool = False,
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

        ``scope``: more keys the benign verdict covers, recorded with its members; a
        ``("lateral_source", host)`` key makes it hold only for episodes from that host
        (:mod:`analytics.lateral_verdicts`).  Sent on a case already benign, it adds its hosts to
        the suppression's (a second administrator's host), audited as ``benign_when_source``.
        ``replace_scope``: ``scope`` is the exact set of source hosts the benign verdict holds for, none
        meaning any source: a verdict already benign is narrowed, moved to another host or widened.  A
        change of the hosts held for writes the triage row (its version rises, so an ``If-Match`` made
        before it is refused), as a change of status, verdict or assignee does.
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
                        record_suppression_members(db, pivot, [*members, *scope])
                else:
                    # Not benign (any more): no suppression of this case stands,
                    # whichever of its ids' benign verdicts created it.
                    _lift_case_suppressions(db, cluster_id, pivot)
            if (scope or replace_scope) and pivot is not None and values["verdict"] == Verdict.BENIGN.value:
                changed = _audit_sources(db, cluster_id, pivot, scope, now=now, actor=actor,
                                         held=current_verdict(current) == Verdict.BENIGN.value,
                                         replace=replace_scope) or changed
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

    def audit_trail(self: _Database, cluster_id: str) -> list[AuditEntry]:
        """The audit of a cluster and of the ids it continued (``previous_ids``), oldest first."""
        row = self.get_cluster(cluster_id)
        ids = [cluster_id, *(row.data.get("previous_ids") or [] if row else [])]
        marks = ", ".join("?" for _ in ids)
        rows = self._query(
            f"SELECT * FROM audit WHERE cluster_id IN ({marks}) ORDER BY id",  # noqa: S608
            ids)
        return [AuditEntry(**dict(r)) for r in rows]

    # -- suppressions ---------------------------------------------------------------
    def list_suppressions(self: _Database) -> list[Suppression]:
        rows = self._query("SELECT * FROM suppressions ORDER BY created_at, pivot_type, pivot_key")
        return [Suppression(**dict(r)) for r in rows]

    def delete_suppression(self: _Database, pivot_type: str, pivot_key: str, *, actor: str) -> bool:
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

    def suppressed_pivots(self: _Database) -> set[tuple[str, str]]:
        return {(s.pivot_type, s.pivot_key) for s in self.list_suppressions()}


def current_verdict(triage: Triage) -> str | None:
    """The verdict of ``triage`` as its stored text (``None`` when unset)."""
    return triage.verdict.value if triage.verdict else None


def _audit_sources(db: sqlite3.Connection, cluster_id: str, pivot: tuple[str, str],
                   scope: Collection[tuple[str, str]], *, now: float, actor: str, held: bool,
                   replace: bool) -> bool:
    """Audit the source hosts a benign verdict holds for; on a case already benign (``held``), first
    add ``scope`` to its suppression's covered keys (the verdict stands for one more host) or, with
    ``replace``, make ``scope`` its only source hosts (none: any source).  Whether the hosts changed."""

    def recorded() -> list[str]:
        return sorted(str(r["member_key"]) for r in db.execute(
            "SELECT member_key FROM suppression_members WHERE pivot_type = ? AND pivot_key = ? AND member_type = ?",
            (pivot[0], pivot[1], SOURCE_KEY_TYPE)))

    before: list[str] = []
    if held:
        if not db.execute("SELECT 1 FROM suppressions WHERE pivot_type = ? AND pivot_key = ?", pivot).fetchall():
            return False
        before = recorded()
        stored = db.execute("SELECT data FROM clusters WHERE id = ?", (cluster_id,)).fetchall()
        members = covered_keys(pivot, json.loads(stored[0]["data"])) if stored else []
        kept = [] if replace else [(SOURCE_KEY_TYPE, h) for h in before]
        record_suppression_members(db, pivot, [*members, *kept, *scope])
    after = recorded()
    if after == before:
        return False
    # null: any source (as triage.benign_when_source reads it)
    db.execute("INSERT INTO audit (cluster_id, at, actor, field, old, new) VALUES (?, ?, ?, ?, ?, ?)",
               (cluster_id, now, actor, "benign_when_source", ", ".join(before) or None, ", ".join(after) or None))
    return True


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
