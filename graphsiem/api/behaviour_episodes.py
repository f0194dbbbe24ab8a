"""Which case a behaviour cluster is: a behaviour pivot names a kind of act, not a thing.

A behaviour pivot's key is one per pair of fact kinds and process shape (:func:`analytics.behaviour_words.behaviour_key`),
so its cluster id, a hash of the pivot (:func:`analytics.result.cluster_id`), is one per pair too: a
benign EDR upgrade on day 2 and a campaign of the same two kinds on other machines on day 3 came
back under one id, and the upgrade's "closed" was the campaign's (red-team T8, finding 1).

:func:`episode_id` gives each *episode* (a set of machines showing the pair) its own id when
:meth:`graphsiem.api.state.StateStore.save_clusters` stores it: the id of the stored cluster of
the same pivot whose hosts it continues (host Jaccard at least :data:`EPISODE_HOST_JACCARD`, and
for a closed or benign one at least :data:`RESOLVED_HOST_SHARE` of its hosts among the episode's),
else the pivot's own id when no stored cluster holds it, else a new id derived from the pivot and
the episode's hosts.  Its triage is then its own: nothing is carried from an episode on other
machines.  Every other pivot keeps its id.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from analytics.behaviour_words import is_behaviour
from analytics.clusters import SUPPRESSED_HOST_SHARE
from graphsiem.api.cluster_lineage import jaccard
from graphsiem.model import stable_hash

EPISODE_HOST_JACCARD = 0.5
"""Least host-set Jaccard index for a behaviour cluster to continue a stored one of its pivot.

A detection every hour over a 24 h window sees an episode's host set grow as the campaign
spreads and shrink as its first hosts leave the window: between two runs it keeps most of its
hosts (a set that doubled, or lost half, is still at 0.5).  Two episodes on other machines
share none or few (a campaign on the 36 hosts an upgrade of 60 did not touch: 0).  Lower than
:data:`graphsiem.api.cluster_lineage.SAME_CASE_HOST_JACCARD` (0.8), which asks a member set to
agree too: here the pivot is the same by construction and the hosts alone tell episodes apart."""

RESOLVED_HOST_SHARE = SUPPRESSED_HOST_SHARE
"""Least share of a behaviour cluster's hosts that must be a closed (or benign) episode's for it to
continue that episode: the share a benign suppression covers (:data:`analytics.clusters.SUPPRESSED_HOST_SHARE`)."""


def episode_id(db: sqlite3.Connection, cluster: Mapping[str, Any]) -> str:
    """The id under which to store ``cluster`` (a detection's contract dict with ``pivot``).

    Parameters
    ----------
    db : sqlite3.Connection
        The state database (``clusters`` table), inside the caller's transaction.
    cluster : mapping
        ``id``, ``hosts`` and ``pivot`` ``{"type", "key"}``.

    Returns
    -------
    str
        ``cluster["id"]`` for a pivot that is not a behaviour's, or whose stored row
        it continues (or that has none); else the id of the stored episode of its pivot
        whose hosts it continues most; else a new id for the pivot and these hosts.
    """
    own = str(cluster["id"])
    pivot = cluster.get("pivot") or {}
    key = (str(pivot.get("type", "")), str(pivot.get("key", "")))
    if not is_behaviour(key):
        return own
    hosts = frozenset(str(h) for h in cluster.get("hosts") or [])
    rows = db.execute(
        "SELECT c.id, c.data, t.status, t.verdict FROM clusters c LEFT JOIN triage t ON t.cluster_id = c.id "
        "WHERE c.pivot_type = ? AND c.pivot_key = ?", key).fetchall()
    own_taken = False
    best: tuple[float, bool, str] | None = None
    for row in rows:
        stored = frozenset(str(h) for h in json.loads(row["data"]).get("hosts") or [])
        overlap = jaccard(hosts, stored)
        # A resolved episode (closed, or benign) is continued only on the machines it was resolved
        # on: "closed" or "benign" is never carried onto hosts nobody looked at (as
        # graphsiem.api.state_lineage never carries it onto new entities).
        resolved = row["status"] == "closed" or row["verdict"] == "benign"
        judged = len(hosts & stored) >= RESOLVED_HOST_SHARE * max(len(hosts), 1)
        if overlap < EPISODE_HOST_JACCARD or (resolved and not judged):
            own_taken |= row["id"] == own
            continue
        candidate = (overlap, row["id"] == own, str(row["id"]))
        if best is None or candidate > best:
            best = candidate
    if best is not None:
        return best[2]
    if not own_taken:
        return own
    return stable_hash("cluster", key[0], key[1], *sorted(hosts), length=16)


def with_episode_id(db: sqlite3.Connection, cluster: dict[str, Any]) -> dict[str, Any]:
    """``cluster`` under its :func:`episode_id` (the same dict when the id is unchanged)."""
    found = episode_id(db, cluster)
    return cluster if found == cluster["id"] else {**cluster, "id": found}
