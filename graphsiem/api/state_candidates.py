"""Candidate feature rows of earlier detection windows, in the service state (``state.sqlite``).

The risk scorer compares a cluster with the candidates it is fitted on; fitted
on one run's candidates alone, a cluster's risk depends on what else that day
produced.  Each detection therefore keeps the scored feature rows of its
candidate clusters here (never raw data), and the next one fits on them as
well (:mod:`analytics.candidate_history`).

Rows are keyed by the candidate rules (the settings that decide which clusters
become candidates, as text), the window and the cluster id: a run over the
same window under the same rules replaces that window's rows, so a re-run
never counts itself twice.  ``candidate_windows`` records every window a run
kept, with how many candidates it had, so that "ran and found nothing" and
"never ran" stay apart (the backfill asks).

Retention is by window end alone, whatever the rules: an upgrade that changes
the rules text (review RV7: ``behaviour_pivots`` joined it) leaves the previous
release's rows unread, and deleting only the current rules' old windows kept
those forever.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

CANDIDATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS candidate_windows (
    rules TEXT NOT NULL, window_start REAL NOT NULL, window_end REAL NOT NULL,
    run_id TEXT NOT NULL, candidates INTEGER NOT NULL, recorded_at REAL NOT NULL,
    PRIMARY KEY (rules, window_start, window_end)
);
CREATE INDEX IF NOT EXISTS candidate_windows_end ON candidate_windows(rules, window_end);
CREATE TABLE IF NOT EXISTS candidate_rows (
    rules TEXT NOT NULL, window_start REAL NOT NULL, window_end REAL NOT NULL,
    cluster_id TEXT NOT NULL, features TEXT NOT NULL,
    PRIMARY KEY (rules, window_start, window_end, cluster_id)
);
CREATE INDEX IF NOT EXISTS candidate_rows_end ON candidate_rows(rules, window_end);
CREATE INDEX IF NOT EXISTS candidate_windows_age ON candidate_windows(window_end);
CREATE INDEX IF NOT EXISTS candidate_rows_age ON candidate_rows(window_end);
"""


class _Database(Protocol):
    def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]: ...


class CandidateRowsMixin:
    """The candidate-history methods of :class:`graphsiem.api.state.StateStore`.

    They implement :class:`analytics.candidate_history.CandidateHistory`.
    """

    def replace_candidate_rows(
        self: _Database,
        rules: str,
        window: tuple[float, float],
        run_id: str,
        rows: Sequence[tuple[str, dict[str, float]]],
        *,
        forget_before: float | None = None,
    ) -> None:
        """Keep ``rows`` (cluster id, scored features) as the candidates of ``window``,
        replacing whatever an earlier run over the same window and rules kept.

        ``forget_before``: drop the windows of *any* rules that ended at or before it,
        in the same transaction, so a service detecting every few minutes does not
        grow the state without bound, and rows kept under rules no run uses any more
        (an upgrade, a changed configuration) go when they age out too.
        """
        start, end = float(window[0]), float(window[1])
        with self._tx() as db:
            if forget_before is not None:
                for table in ("candidate_rows", "candidate_windows"):
                    db.execute(f"DELETE FROM {table} WHERE window_end <= ?",  # noqa: S608 - a fixed table name
                               (float(forget_before),))
            db.execute("DELETE FROM candidate_rows WHERE rules = ? AND window_start = ? AND window_end = ?",
                       (rules, start, end))
            db.executemany(
                "INSERT OR REPLACE INTO candidate_rows (rules, window_start, window_end, cluster_id, features) "
                "VALUES (?, ?, ?, ?, ?)",
                [(rules, start, end, cluster_id, json.dumps(features)) for cluster_id, features in rows],
            )
            db.execute(
                "INSERT OR REPLACE INTO candidate_windows (rules, window_start, window_end, run_id, candidates, "
                "recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                (rules, start, end, run_id, len(rows), time.time()),
            )

    def candidate_window_count(self: _Database, rules: str, *, since: float, until: float) -> int:
        """How many windows ending in ``(since, until]`` a run under ``rules`` kept."""
        rows = self._query(
            "SELECT COUNT(*) FROM candidate_windows WHERE rules = ? AND window_end > ? AND window_end <= ?",
            (rules, since, until))
        return int(rows[0][0])

    def candidate_windows_of_other_rules(self: _Database, rules: str, *, since: float, until: float) -> int:
        """How many windows ending in ``(since, until]`` runs under rules other than ``rules`` kept.

        Asked when ``rules`` has none there: rows under other rules mean the rules
        changed (an upgrade, a changed configuration), not a first run.
        """
        rows = self._query(
            "SELECT COUNT(*) FROM candidate_windows WHERE rules <> ? AND window_end > ? AND window_end <= ?",
            (rules, since, until))
        return int(rows[0][0])

    def candidate_rows(
        self: _Database,
        rules: str,
        *,
        since: float,
        until: float,
        exclude: tuple[float, float],
        limit: int,
    ) -> list[tuple[str, float, dict[str, float]]]:
        """The newest row of each cluster among windows ending in ``(since, until]``, but ``exclude``.

        Newest windows first, at most ``limit`` rows: ``(cluster id, window end, features)``.
        One row per cluster, as a service detecting every hour keeps the same
        cluster once per overlapping window, and counting it 24 times would make
        it the fleet's normal.
        """
        # SQLite takes a bare column of a MAX() aggregate from the row holding the maximum.
        rows = self._query(
            "SELECT cluster_id, MAX(window_end) AS window_end, features FROM candidate_rows "
            "WHERE rules = ? AND window_end > ? AND window_end <= ? "
            "AND NOT (window_start = ? AND window_end = ?) "
            "GROUP BY cluster_id ORDER BY window_end DESC, cluster_id LIMIT ?",
            (rules, since, until, float(exclude[0]), float(exclude[1]), int(limit)))
        return [(r["cluster_id"], float(r["window_end"]), json.loads(r["features"])) for r in rows]
