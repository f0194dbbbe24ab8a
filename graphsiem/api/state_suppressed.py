"""How many clusters the analysts' benign verdicts keep out of the default queue (``state.sqlite``).

A benign verdict suppresses its pivot; the next detection (the one ``serve`` runs at
start, say) does not produce the cluster, and the default queue leaves out an inactive
cluster whose verdict is benign.  Right, but silent: the queue went from 40 rows to 30
after a restart with nothing saying why (review U2 #2).  The page's header says the
count this module gives, with a button to list them (``?verdict=benign``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any, Protocol

# Inactive, judged benign, its pivot still suppressed (a lifted suppression lets the
# next detection bring it back: it is no longer kept out), and not continued under
# another id (the successor is the case the queue shows).
_SUPPRESSED_CLUSTERS_SQL = (
    "SELECT COUNT(*) AS n FROM clusters c "
    "JOIN triage t ON t.cluster_id = c.id "
    "JOIN suppressions p ON p.pivot_type = c.pivot_type AND p.pivot_key = c.pivot_key "
    "LEFT JOIN cluster_successors s ON s.old_id = c.id "
    "WHERE c.is_active = 0 AND t.verdict = 'benign' AND s.new_id IS NULL"
)


class _Database(Protocol):
    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]: ...


def suppressed_by_verdicts(state: _Database) -> int:
    """The clusters benign verdicts keep out of the default queue.

    Parameters
    ----------
    state : StateStore
        The service state.

    Returns
    -------
    int
        Inactive clusters judged benign whose pivot is still suppressed and that no
        later cluster continues: those ``GET /v1/clusters`` without a ``status`` or
        ``verdict`` filter leaves out, and ``?verdict=benign`` lists.
    """
    rows = state._query(_SUPPRESSED_CLUSTERS_SQL)
    return int(rows[0]["n"]) if rows else 0


# The hosts a benign verdict holds for, recorded with its suppression's members
# (analytics.lateral_verdicts.SOURCE_KEY_TYPE): read back so the queue and the triage
# form say "benign · from it-0003", not a bare "benign" that reads as any source (review U5 #1).
_SOURCE_SCOPES_SQL = (
    "SELECT pivot_type, pivot_key, member_key FROM suppression_members "
    "WHERE member_type = 'lateral_source' ORDER BY pivot_type, pivot_key, member_key"
)


def benign_source_scopes(state: _Database) -> dict[tuple[str, str], list[str]]:
    """``(pivot_type, pivot_key)`` -> the source hosts, sorted, its benign verdict holds for.

    Only pivots judged benign when the log-ons come from given hosts (``benign_when_source``) are
    listed; one judged benign whatever the source is absent.  Read from ``state`` (the StateStore).
    """
    scopes: dict[tuple[str, str], list[str]] = {}
    for row in state._query(_SOURCE_SCOPES_SQL):
        scopes.setdefault((str(row["pivot_type"]), str(row["pivot_key"])), []).append(str(row["member_key"]))
    return scopes
