"""What a benign verdict covered, and backtest results kept apart from the queue (``state.sqlite``).

Two tables next to :mod:`graphsiem.api.state`'s (made with them), and the functions
that read and write them on a :class:`~graphsiem.api.state.StateStore`:

``suppression_members``
    The member keys of the cluster an analyst marked benign, stored with its
    suppression.  A suppressed pivot still absorbs its near-identical twins
    (:func:`analytics.clusters.fan_out_clusters`), but only those the analyst
    saw: an entity that appeared on the same hosts after the verdict (a
    payload that rides a benign rollout) goes back to the pool and can start
    a cluster of its own (review R5, finding 2).  A suppression without rows
    here (given before this table existed) absorbs every twin, as it did.
    A behaviour pivot's suppression lists its hosts here too, as ``("host",
    name)`` rows (:func:`covered_keys`): it covers those machines, not the
    pair of behaviour kinds everywhere (red-team T8, finding 1).

``backtest_results``
    The clusters of a backtest (a run at a past ``now``) that did not replace
    the active queue: one analyst's look at the past must not empty everyone's
    queue until the next detection (review R5, finding 7).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from analytics.antivirus_findings import verdict_scope as antivirus_verdict_scope
from analytics.behaviour_words import is_behaviour
from analytics.credential_verdicts import verdict_scope
from analytics.host_finding_words import verdict_scope as host_verdict_scope

VERDICT_SCHEMA = """
CREATE TABLE IF NOT EXISTS suppression_members (
    pivot_type TEXT NOT NULL, pivot_key TEXT NOT NULL,
    member_type TEXT NOT NULL, member_key TEXT NOT NULL,
    PRIMARY KEY (pivot_type, pivot_key, member_type, member_key)
);
CREATE TABLE IF NOT EXISTS backtest_results (
    detection_id TEXT PRIMARY KEY, now REAL NOT NULL, stored_at REAL NOT NULL, clusters TEXT NOT NULL
);
"""

EntityKey = tuple[str, str]
HOST_KEY_TYPE = "host"
"""The type of the keys by which a suppression records its hosts (:data:`analytics.clusters.HOST_TYPE`)."""


class _Database(Protocol):
    def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]: ...


def record_suppression_members(
    db: sqlite3.Connection, pivot: EntityKey, members: Iterable[EntityKey]
) -> None:
    """Store (replace) the member keys a benign verdict on ``pivot``'s cluster covered.

    Called inside the transaction that writes the suppression; ``members`` empty
    leaves the suppression without a member list (every twin is absorbed).
    """
    db.execute("DELETE FROM suppression_members WHERE pivot_type = ? AND pivot_key = ?", pivot)
    db.executemany(
        "INSERT OR IGNORE INTO suppression_members VALUES (?, ?, ?, ?)",
        [(pivot[0], pivot[1], str(t), str(k)) for t, k in members],
    )


def forget_suppression_members(db: sqlite3.Connection, pivot: EntityKey) -> None:
    """Drop the member list of ``pivot``'s suppression (it was lifted)."""
    db.execute("DELETE FROM suppression_members WHERE pivot_type = ? AND pivot_key = ?", pivot)


def forget_orphan_members(db: sqlite3.Connection) -> None:
    """Drop member lists whose suppression no longer exists (lifted with a whole case)."""
    db.execute(
        "DELETE FROM suppression_members WHERE NOT EXISTS (SELECT 1 FROM suppressions s "
        "WHERE s.pivot_type = suppression_members.pivot_type AND s.pivot_key = suppression_members.pivot_key)"
    )


def stored_member_keys(data: Mapping[str, Any]) -> list[EntityKey]:
    """The ``(type, key)`` of a stored cluster dict's members (``members``, else ``entity_keys``)."""
    members = data.get("members") or data.get("entity_keys") or []
    return [(str(m["type"]), str(m["key"])) for m in members
            if isinstance(m, Mapping) and "type" in m and "key" in m]


def covered_keys(pivot: EntityKey, data: Mapping[str, Any]) -> list[EntityKey]:
    """What a benign verdict on the stored cluster ``data`` (pivot ``pivot``) covers.

    Its members (:func:`stored_member_keys`); for a behaviour pivot also its hosts, as
    ``("host", name)`` keys.  A behaviour pivot is a kind of act, one key per pair of
    kinds and process shape, not a thing: the verdict judged it on those machines, and detection keeps it
    suppressed only on (mostly) them (:func:`analytics.clusters.covers_hosts`), so the
    same two kinds on other machines (a campaign after a benign upgrade) are shown.
    An entity pivot's verdict records no hosts: the entity is benign wherever it spreads.
    A credential finding's verdict also records its patterns, sources and compromises
    (:func:`analytics.credential_verdicts.verdict_scope`): a new one on that validator shows.
    An antivirus finding's records its outcome class (:func:`analytics.antivirus_findings.verdict_scope`):
    the threat left on a host after a verdict on its quarantines shows.
    """
    members = stored_member_keys(data)
    if isinstance(data.get("credential"), Mapping):  # the finding judged, not the validator for good
        return members + verdict_scope(data["credential"])
    if isinstance(data.get("antivirus"), Mapping):  # the threat as judged: a worse outcome later shows
        return members + antivirus_verdict_scope(data["antivirus"])
    if isinstance(data.get("host_finding"), Mapping):  # the hits judged: a new rule or opener on the host shows
        return members + host_verdict_scope(data["host_finding"])
    if not is_behaviour(pivot):
        return members
    return members + [(HOST_KEY_TYPE, str(h)) for h in data.get("hosts") or []]


def suppressed_members(state: _Database) -> dict[EntityKey, frozenset[EntityKey]]:
    """Each suppressed pivot of ``state`` that has a member list -> the member keys its verdict covered.

    Pass it to detection as ``DetectionConfig.suppressed_members``; a pivot
    missing here absorbs every twin.
    """
    out: dict[EntityKey, set[EntityKey]] = {}
    rows = state._query(
        "SELECT m.* FROM suppression_members m JOIN suppressions s "
        "ON s.pivot_type = m.pivot_type AND s.pivot_key = m.pivot_key")
    for row in rows:
        out.setdefault((row["pivot_type"], row["pivot_key"]), set()).add((row["member_type"], row["member_key"]))
    return {pivot: frozenset(keys) for pivot, keys in out.items()}


KEPT_BACKTESTS = 100
"""Backtests whose clusters are kept: each holds its clusters' whole JSON (tens of KB on a
small fleet), and analysts may backtest often; an older run's clusters are dropped (its
``GET /v1/detections/{id}/clusters`` is then 404, the run itself stays listed)."""


def save_backtest(state: _Database, detection_id: str, now: float, clusters: Sequence[Mapping[str, Any]],
                  *, keep: int = KEPT_BACKTESTS) -> None:
    """Keep a backtest's clusters (stored dicts) under its run id, apart from the queue.

    Only the newest ``keep`` backtests' clusters stay (review RV4: nothing was ever deleted).
    """
    with state._tx() as db:
        db.execute(
            "INSERT OR REPLACE INTO backtest_results VALUES (?, ?, ?, ?)",
            (detection_id, float(now), time.time(), json.dumps(list(clusters))),
        )
        db.execute(
            "DELETE FROM backtest_results WHERE detection_id NOT IN "
            "(SELECT detection_id FROM backtest_results ORDER BY stored_at DESC, rowid DESC LIMIT ?)",
            (max(int(keep), 1),),
        )


def get_backtest(state: _Database, detection_id: str) -> tuple[float, list[dict[str, Any]]] | None:
    """A backtest's ``now`` and clusters, or ``None`` when the run kept none apart."""
    rows = state._query("SELECT now, clusters FROM backtest_results WHERE detection_id = ?", (detection_id,))
    if not rows:
        return None
    return float(rows[0]["now"]), list(json.loads(rows[0]["clusters"]))
