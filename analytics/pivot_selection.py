"""Which entities start clusters, in which order, and which hosts a new member shares with a pivot.

Moved out of :mod:`analytics.clusters` (which still exports every name here):
the pivot priority (:func:`pivot_order`), the count of entities passing each
pivot condition (:func:`pivot_census`, to say why there are no clusters) and,
on a pivot on most of the fleet, the hosts where a member appeared together
with it (:func:`cooccurring_hosts`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from analytics.entity_stats import EntityStats
from analytics.fleet_baseline import hosts_with_baseline, ubiquitous
from analytics.incidence import Incidence
from analytics.suppression_scope import suppression_holds
from graphsiem.model import EntityType

PIVOT_TYPE_RANK: dict[str, int] = {
    EntityType.DOMAIN: 0,
    EntityType.FILE: 1,
    EntityType.SCRIPT: 2,
    EntityType.URL: 3,
    EntityType.IP: 4,
    EntityType.PROCESS: 5,
    EntityType.USER: 6,
}
"""Which entity names a cluster best when several share one host set (lower first)."""

COOCCURRENCE_MINUTES = 30.0
"""Default most minutes between a pivot's and a new member's first sighting on a host for that host
to count as shared, on a pivot on most of the fleet (:func:`cooccurring_hosts`).

Measured (review T2 fleet A, 400 hosts): the steps of one activity reach a host within 0.3 minutes
of its pivot (every cluster of that fleet: EDR, vendor updaters, the seed campaign, the BYOVD
driver), as in the corpus (OTRF Empire VBS launcher: wscript, PowerShell, then its C2 connection
within 7 s); only multi-stage attacks on a few hosts span more (implant to first beacon up to 33
minutes, lateral movement's later stages 49 to 78 minutes), and such small pivots are not gated.
Unrelated rollouts of the same day reached 1 to 12 % of the EDR rollout's hosts within 10 minutes
of it, 17 to 34 % within 30, 64 to 66 % within 60 and all of them within 120 (OneDrive, Teams, VPN,
each spread over hours), against the ``min_overlap`` (80 %) of hosts a member of such a pivot must
share: at 120 minutes (review T2's first trial) those three stayed merged.  30 minutes keeps a
margin on both sides; two rollouts pushed to every host within the same few minutes remain one
cluster, which time cannot tell apart."""


def pivot_order(
    incidence: Incidence, stats: EntityStats, columns: np.ndarray,
    preferred: frozenset[tuple[str, str]] = frozenset(),
) -> np.ndarray:
    """``columns`` sorted by pivot priority (new first, then young, type rank, more hosts, ``preferred``, key).

    A build a process ran and nothing else brought (``stats.image_builds``) ranks just after a process, not as a file.

    Among equals, a ``preferred`` entity (one the fleet installed: a driver, a service's
    command) leads: the install is the act an analyst should read about, and a kernel
    driver is otherwise two equal file nodes, the installed path and the loaded hash.
    """
    keys = incidence.entities
    return np.array(
        sorted(
            columns.tolist(),
            key=lambda j: (
                not stats.is_new[j],
                not stats.is_novel[j],
                # a build a process ran names a cluster as that process would: a new build at a known path
                # (a trojanised updater) still pivots, but a dropped file or a domain of the same hosts leads
                PIVOT_TYPE_RANK[EntityType.PROCESS] + 0.5 if keys[j] in stats.image_builds else PIVOT_TYPE_RANK.get(keys[j][0], 9),
                -int(stats.window_hosts[j]),
                keys[j] not in preferred,
                keys[j],
            ),
        ),
        dtype=np.int64,
    )


def pivot_census(
    incidence: Incidence,
    stats: EntityStats,
    *,
    min_hosts: int,
    max_fraction: float,
    new_pivots_only: bool,
    excluded: frozenset[tuple[str, str]] = frozenset(),
    excluded_members: Mapping[tuple[str, str], frozenset[tuple[str, str]]] | None = None,
) -> dict[str, int]:
    """How many entities pass each pivot condition in turn, to say why there are no clusters.

    The same conditions as :func:`fan_out_clusters`, ubiquity included (:func:`ubiquitous`),
    and suppression as it applies there: a suppressed pivot whose verdict was given on other
    hosts (``excluded_members``, :func:`suppression_holds`) is a candidate, since it starts a
    cluster as any other.

    Returns
    -------
    dict
        ``on_min_hosts``: entities active in the window on at least ``min_hosts``
        hosts; ``new_on_min_hosts``: of those, first seen by the fleet in the window (all of
        them unless ``new_pivots_only``); ``pivot_candidates``: of those, not
        ubiquitous (on at most ``max_fraction`` of the fleet, or new on hosts with a
        baseline) nor suppressed; ``baseline_hosts``: hosts with a baseline
        (:func:`hosts_with_baseline`).
    """
    shared = stats.window_hosts >= min_hosts
    new = shared & stats.is_novel if new_pivots_only else shared
    candidates = new & ~ubiquitous(incidence, stats, max_fraction=max_fraction)
    if excluded:
        # As fan_out_clusters applies them: a behaviour verdict given on other hosts holds no pivot
        # here (counting it as held undercounted the candidates by one per such verdict).
        members = excluded_members or {}
        candidates &= np.array([
            key not in excluded or not suppression_holds(incidence, column, members.get(key))
            for column, key in enumerate(incidence.entities)], dtype=bool)
    return {
        "on_min_hosts": int(shared.sum()),
        "new_on_min_hosts": int(new.sum()),
        "pivot_candidates": int(candidates.sum()),
        "baseline_hosts": int(hosts_with_baseline(incidence, stats.window).sum()),
    }


def cooccurring_hosts(
    first_seen: sp.csc_matrix, pivot: int, columns: np.ndarray, *, within_s: float,
    last_seen: sp.csc_matrix | None = None,
) -> np.ndarray:
    """Per column, the hosts on which it was seen within ``within_s`` seconds of ``pivot``'s first sighting.

    A host counts when the column's first sighting there, or its last (``last_seen``), is that
    close to the pivot's first sighting on the same host: those are the two times the incidence
    keeps per host.  The last sighting is for what was named before, by another cause, and touched
    again with the pivot: LSASS, a process node from its first access, read by an earlier campaign
    on some of the hosts and by this one within seconds of its pivot.  Both times are the same
    host's, so a host whose clock runs behind or ahead shifts both alike.  Reads only the cells of
    ``pivot`` and ``columns`` (CSC column slices).

    Parameters
    ----------
    first_seen : scipy.sparse.csc_matrix
        Host x entity first sighting times (:attr:`analytics.incidence.Incidence.first_seen`, or
        a column selection of it).
    pivot : int
        Column of the pivot in ``first_seen``.
    columns : ndarray of int
        Columns to count for.
    within_s : float
        Most seconds between the two sightings, either way.
    last_seen : scipy.sparse.csc_matrix, optional
        Host x entity last sighting times, same pattern as ``first_seen``.

    Returns
    -------
    ndarray of float
        One count per column of ``columns``.

    Examples
    --------
    >>> F = sp.csc_matrix(np.array([[100.0, 160.0, 9000.0], [500.0, 0.0, 520.0]]))
    >>> cooccurring_hosts(F, 0, np.array([0, 1, 2]), within_s=600.0).tolist()
    [2.0, 1.0, 1.0]
    >>> L = sp.csc_matrix(np.array([[100.0, 160.0, 9000.0], [500.0, 0.0, 9400.0]]))
    >>> cooccurring_hosts(F, 2, np.array([0]), within_s=600.0, last_seen=L).tolist()  # last at 9400
    [1.0]
    """
    start, end = first_seen.indptr[pivot], first_seen.indptr[pivot + 1]
    pivot_at = np.full(first_seen.shape[0], np.nan)
    pivot_at[first_seen.indices[start:end]] = first_seen.data[start:end]
    block = first_seen[:, columns].tocsc()
    column_of_cell = np.repeat(np.arange(len(columns)), np.diff(block.indptr))
    # NaN (the pivot not on that host) compares False: such a host is never shared.
    at = pivot_at[block.indices]
    together = np.abs(block.data - at) <= within_s
    if last_seen is not None:
        lasts = last_seen[:, columns].tocsc()
        # build_incidence gives both matrices one pattern (a cell per sighting); checked, not assumed.
        if np.array_equal(lasts.indptr, block.indptr) and np.array_equal(lasts.indices, block.indices):
            together |= np.abs(lasts.data - at) <= within_s
    return np.bincount(column_of_cell[together], minlength=len(columns)).astype(np.float64)
