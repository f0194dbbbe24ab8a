"""Fan-out clusters: entities shared by the same hosts, grown from a pivot.

A **pivot** is an entity first seen by the fleet in the detection window
(optionally: merely active in it) on at least ``min_hosts`` hosts and not
ubiquitous (fleet share at most ``max_fraction``).
Each pivot collects the **members** whose host sets overlap its own strongly:

* *coverage*: the member is on at least ``min_coverage`` of the pivot's hosts;
* *rare outside*: at least ``min_overlap`` of all the hosts that ever saw the
  member are pivot hosts (so a member is not something half the fleet runs).

Overlaps come from one sparse product ``W[:, pool].T @ W[:, pool]`` over the
candidate columns only (``pool``: non-ubiquitous entities active in the window
on enough hosts), never from all pairs over the fleet: its cost is the sum over
hosts of (candidates on that host)², which stays small because ubiquitous
software is left out of the pool.

Pivots are taken in priority order (new in the window first, then network
indicators before endpoint ones, then more hosts).  A member whose host set is
nearly the pivot's (overlap ``>= min_overlap`` both ways) is *absorbed*: it does
not start a cluster of its own.  Clusters whose members mostly coincide with a
higher-priority cluster's are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.features import EntityStats
from analytics.incidence import Incidence
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


@dataclass(slots=True)
class RawCluster:
    """A cluster as column/row indices into an :class:`Incidence`.

    Attributes
    ----------
    pivot : int
        Column of the pivot entity.
    members : ndarray of int
        Columns of the members, pivot first.
    hosts : ndarray of int
        Rows of the cluster's hosts (the pivot's hosts active in the window).
    """

    pivot: int
    members: np.ndarray
    hosts: np.ndarray


def pivot_order(
    incidence: Incidence, stats: EntityStats, columns: np.ndarray,
    preferred: frozenset[tuple[str, str]] = frozenset(),
) -> np.ndarray:
    """``columns`` sorted by pivot priority (new first, type rank, more hosts, ``preferred``, key).

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
                PIVOT_TYPE_RANK.get(keys[j][0], 9),
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
) -> dict[str, int]:
    """How many entities pass each pivot condition in turn, to say why there are no clusters.

    Returns
    -------
    dict
        ``on_min_hosts``: entities active in the window on at least ``min_hosts``
        hosts; ``new_on_min_hosts``: of those, first seen by the fleet in the window (all of
        them unless ``new_pivots_only``); ``pivot_candidates``: of those, not
        ubiquitous (fleet share at most ``max_fraction``) nor suppressed.
    """
    shared = stats.window_hosts >= min_hosts
    new = shared & stats.is_new if new_pivots_only else shared
    candidates = new & (stats.total_hosts <= max_fraction * max(stats.n_hosts, 1))
    if excluded:
        candidates &= np.array([key not in excluded for key in incidence.entities], dtype=bool)
    return {"on_min_hosts": int(shared.sum()), "new_on_min_hosts": int(new.sum()), "pivot_candidates": int(candidates.sum())}


def fan_out_clusters(
    incidence: Incidence,
    stats: EntityStats,
    *,
    min_hosts: int = 3,
    max_fraction: float = 0.5,
    min_coverage: float = 0.5,
    min_overlap: float = 0.8,
    dedupe_overlap: float = 0.5,
    excluded: frozenset[tuple[str, str]] = frozenset(),
    new_pivots_only: bool = True,
    preferred: frozenset[tuple[str, str]] = frozenset(),
) -> list[RawCluster]:
    """Grow fan-out clusters from pivots over a window incidence.

    Parameters
    ----------
    incidence : Incidence
        Host x entity incidence of the detection window.
    stats : EntityStats
        Fleet-wide prevalence aligned with the incidence's columns.
    min_hosts : int
        Fewest window hosts for a pivot.
    max_fraction : float
        Most fleet share (all time) for a pivot or a member: beyond it an
        entity is ubiquitous and explains nothing.
    min_coverage : float
        Least share of the pivot's hosts a member must be seen on.
    min_overlap : float
        Least share of a member's fleet-wide hosts that must be pivot hosts.
    dedupe_overlap : float
        Drop a cluster when this share of its members (of the smaller cluster)
        already form a higher-priority cluster.
    excluded : frozenset of (type, key)
        Suppressed pivots (triage: benign verdicts).  Their clusters are grown
        as any other's and absorb their twins, then keep only those twins (the
        members whose host sets are near-identical to the pivot's): later
        clusters are deduplicated against the twins alone, and the suppressed
        cluster is left out of the result.  A suppression removes the cluster,
        it does not hand it to the next member in line; nor does it hide an
        attack on a subset of the suppressed cluster's hosts.
    new_pivots_only : bool
        Only entities first seen by the fleet inside the window start clusters
        (members may be older).  What the fleet already did before the window
        is its baseline, not a detection; and an isolation forest would
        otherwise isolate "new" itself, since old clusters vastly outnumber new ones.
    preferred : frozenset of (type, key)
        Entities that lead pivots that are otherwise equal (:func:`pivot_order`).

    Returns
    -------
    list of RawCluster
        In pivot priority order.

    Examples
    --------
    >>> from graphsiem.store.base import HostSighting
    >>> from analytics.incidence import build_incidence
    >>> from analytics.features import Window, entity_stats
    >>> s = [HostSighting(h, e, 100.0, 100.0, 1) for h in "abc" for e in [("domain", "x"), ("file", "f")]]
    >>> s += [HostSighting(h, ("process", "p"), 1.0, 100.0, 1) for h in "abcdefgh"]
    >>> inc = build_incidence(s)
    >>> stats = entity_stats(inc, [], window=Window(50.0, 150.0))
    >>> [[inc.entities[j] for j in c.members] for c in fan_out_clusters(inc, stats)]
    [[('domain', 'x'), ('file', 'f')]]
    """
    n_hosts = max(stats.n_hosts, 1)
    not_ubiquitous = stats.total_hosts <= max_fraction * n_hosts
    member_floor = max(2, int(np.ceil(min_coverage * min_hosts)))
    pool = np.flatnonzero(not_ubiquitous & (stats.window_hosts >= member_floor))
    if len(pool) == 0:
        return []
    seen = incidence.seen[:, pool].tocsc()
    co = (seen.T @ seen).tocsr()  # pool x pool shared-host counts
    pool_hosts = stats.window_hosts[pool].astype(np.float64)
    pool_total = stats.total_hosts[pool].astype(np.float64)

    eligible = pool_hosts >= min_hosts
    if new_pivots_only:
        eligible &= stats.is_new[pool]
    # A suppressed pivot (a benign verdict) still grows its cluster, so that the
    # cluster absorbs its near-identical twins and outranks its duplicates; only
    # then is it left out.  Merely skipping the pivot let a twin (the rollout's
    # .exe after its .msi) start the same cluster again under another name.
    absorbed = np.zeros(len(pool), dtype=bool)
    position = {int(j): i for i, j in enumerate(pool)}
    clusters: list[RawCluster] = []
    kept_members: list[set[int]] = []
    member_owner: dict[int, list[int]] = {}
    for j in pivot_order(incidence, stats, pool[eligible], preferred):
        p = position[int(j)]
        if absorbed[p]:
            continue
        row = co.getrow(p)
        cols, shared = row.indices, row.data
        take = (shared >= min_coverage * pool_hosts[p]) & (shared >= min_overlap * pool_total[cols])
        take |= cols == p
        member_pos = cols[take]
        twins = member_pos[shared[take] >= min_overlap * np.maximum(pool_hosts[p], pool_hosts[member_pos])]
        absorbed[twins] = True
        suppressed = incidence.entities[int(j)] in excluded
        # A suppressed cluster claims only the pivot's twins: its other members
        # (an attack on a subset of the rollout's hosts) go back to the pool
        # and count for no dedupe, so they can still form a cluster of their own.
        members = pool[twins if suppressed else member_pos]
        members = np.concatenate([[j], members[members != j]]).astype(np.int64)
        member_set = set(members.tolist())
        if _is_duplicate(member_set, kept_members, member_owner, dedupe_overlap):
            continue
        for m in member_set:
            member_owner.setdefault(m, []).append(len(kept_members))
        kept_members.append(member_set)
        if suppressed:
            continue
        clusters.append(RawCluster(pivot=int(j), members=members, hosts=incidence.hosts_of(int(j))))
    return clusters


def _is_duplicate(
    members: set[int], kept: list[set[int]], owner: dict[int, list[int]], threshold: float
) -> bool:
    # Only clusters sharing at least one member can overlap: look those up.
    candidates = {c for m in members for c in owner.get(m, ())}
    for c in candidates:
        shared = len(members & kept[c])
        if shared >= threshold * min(len(members), len(kept[c])):
            return True
    return False

