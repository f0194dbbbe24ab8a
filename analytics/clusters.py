"""Fan-out clusters: entities shared by the same hosts, grown from a pivot.

A **pivot** is an entity first seen by the fleet in the detection window, or
young and still spreading (:mod:`analytics.novelty`: a campaign adding a few
hosts a day), (optionally: merely active in it) on at least ``min_hosts`` hosts and not
ubiquitous (:func:`ubiquitous`: on more than ``max_fraction`` of the fleet *and*
part of what the fleet did before the window).  ``max_fraction`` keeps what the
whole fleet always does (svchost, the update service, the corporate domains) out
of clusters; it does not apply to an entity the fleet first saw in the window
while the fleet has a baseline (most hosts have about a day of data before the
window, :func:`hosts_with_baseline`), so a campaign that reaches most of the
fleet at once still forms a cluster.  Without a baseline (a one-day store, a
fresh install: everything looks new) the all-time share decides, as before.
Each pivot collects the **members** whose host sets overlap its own strongly:

* *coverage*: the member is on at least ``min_coverage`` of the pivot's hosts;
* *rare outside*: at least ``min_overlap`` of all the hosts that ever saw the
  member are pivot hosts (so a member is not something half the fleet runs);
  for a young member, of its hosts in the window (its earlier hosts are its
  own earlier days of spreading).

Overlaps come from one sparse product ``W[:, pool].T @ W[:, pool]`` over the
candidate columns only (``pool``: non-ubiquitous entities active in the window
on enough hosts), never from all pairs over the fleet: its cost is the sum over
hosts of (candidates on that host)², which stays small because ubiquitous
software is left out of the pool (what is new on most of the fleet is few
entities: a campaign's or a rollout's).

On a pivot on most of the fleet the host sets say nothing: every other fleet-wide
change (the month's patch, an agent update, another vendor's rollout) is on
nearly all its hosts too, and merged into it their features added up (review
T2: an EDR rollout absorbed six unrelated rollouts and outranked real attacks).
There a host counts as shared with a *new* member only when the member first
appeared on it within ``cooccurrence_minutes`` of the pivot's first sighting on
that host (:func:`cooccurring_hosts`): things with one cause show up together
on every host, unrelated rollouts scheduled the same day do not.  Smaller
pivots keep the host-set test alone: their host set is itself the evidence,
and an attack's later stages on the same hosts (lateral movement's service and
boot task, 50 to 80 minutes after its first command; an implant's first beacon,
up to 35 minutes after it started) stay in its cluster.

Pivots are taken in priority order (new in the window first, then network
indicators before endpoint ones, then more hosts).  A member whose host set is
nearly the pivot's (overlap ``>= min_overlap`` both ways) is *absorbed*: it does
not start a cluster of its own.  Clusters whose members mostly coincide with a
higher-priority cluster's are dropped.

This module grows the clusters (:func:`fan_out_clusters`); its helpers, one job
each, are re-exported from here: the fleet's baseline and ubiquity
(:mod:`analytics.fleet_baseline`), pivot order, census and co-occurrence
(:mod:`analytics.pivot_selection`), where a suppression holds
(:mod:`analytics.suppression_scope`) and the pool and its shared-host counts, which
passes over one window share (:mod:`analytics.cluster_pool`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from analytics.cluster_pool import ClusterPool, build_pool, member_floor
from analytics.entity_stats import EntityStats
from analytics.fleet_baseline import (
    BASELINE_MIN_CYCLES,
    NEW_ON_BASELINE_SHARE,
    baseline_seconds,
    hosts_with_baseline,
    ubiquitous,
)
from analytics.incidence import Incidence
from analytics.pivot_selection import (
    COOCCURRENCE_MINUTES,
    PIVOT_TYPE_RANK,
    cooccurring_hosts,
    pivot_census,
    pivot_order,
)
from analytics.suppression_scope import (
    HOST_TYPE,
    SUPPRESSED_HOST_SHARE,
    covers_hosts,
    suppression_holds,
)

__all__ = [
    "BASELINE_MIN_CYCLES", "ClusterPool", "build_pool", "COOCCURRENCE_MINUTES", "HOST_TYPE", "NEW_ON_BASELINE_SHARE", "PIVOT_TYPE_RANK",
    "SUPPRESSED_HOST_SHARE", "RawCluster", "baseline_seconds", "cooccurring_hosts", "covers_hosts",
    "fan_out_clusters", "hosts_with_baseline", "pivot_census", "pivot_order", "suppression_holds", "ubiquitous",
]


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
    excluded_members: Mapping[tuple[str, str], frozenset[tuple[str, str]]] | None = None,
    cooccurrence_minutes: float = COOCCURRENCE_MINUTES,
    removed_by_suppression: set[tuple[str, str]] | None = None,
    suppressed_clusters: list[tuple[int, RawCluster]] | None = None,
    pool: ClusterPool | None = None,
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
        entity is ubiquitous and explains nothing, unless the fleet first saw
        it in the window on hosts with a baseline (:func:`ubiquitous`): what
        is new on most of the fleet at once is a campaign or a rollout, and
        the scorer, not this filter, tells them apart.
    min_coverage : float
        Least share of the pivot's hosts a member must be seen on; ``min_overlap``
        when the pivot is on more than ``max_fraction`` of the fleet, where
        nearly everything is "rare outside" it.
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
    excluded_members : mapping, optional
        For a suppressed pivot, the members of the cluster its verdict was given
        on.  Only those twins are absorbed with it: a twin that appeared since
        (a payload on the same hosts, later the same day) goes back to the pool,
        and the suppressed cluster then counts for no dedupe, so the new entity
        can start a cluster that shows the whole case again.  A pivot missing
        here absorbs every twin.  ``("host", name)`` keys among them are the
        hosts the verdict was given on: then the suppression holds only for a
        pivot mostly on those hosts (:func:`covers_hosts`), else the pivot
        starts its cluster as if unsuppressed.
    new_pivots_only : bool
        Only entities first seen by the fleet inside the window, or young and
        spreading (``stats.is_novel``), start clusters (members may be older).
        What the fleet already did before the window is its baseline, not a
        detection; and an isolation forest would
        otherwise isolate "new" itself, since old clusters vastly outnumber new ones.
    preferred : frozenset of (type, key)
        Entities that lead pivots that are otherwise equal (:func:`pivot_order`).
    cooccurrence_minutes : float
        On a pivot on more than ``max_fraction`` of the fleet, a host counts as shared with a
        new member (``stats.is_novel``) only when the member was first seen there within this
        many minutes of the pivot (:func:`cooccurring_hosts`), for coverage, "rare outside" and
        twins alike: there the host sets of unrelated fleet-wide changes coincide, and only
        appearing together on each host tells one cause.  A member the fleet knew before the
        window keeps the host-set test (its first sighting predates any pivot of the window).
        0: host sets alone everywhere.
    removed_by_suppression : set of (type, key), optional
        Filled with the suppressed pivots whose cluster a suppression left out of the result:
        those that applied.  Not a suppressed pivot absorbed by another cluster, a duplicate, one
        whose verdict covers other hosts (:func:`covers_hosts`) nor one a new twin reopened.
    suppressed_clusters : list of (int, RawCluster), optional
        Filled with those left-out clusters as they would be unsuppressed (every member, not
        only the twins), each after the number of result clusters before it (its place in
        priority order): the population the scorer is fitted on keeps them, so a benign
        verdict on one cluster does not move the others' risks (:func:`analytics.detect.detect`).
    pool : ClusterPool, optional
        The window's pool and shared-host counts from an earlier pass (:mod:`analytics.cluster_pool`),
        taken when it was built with this pass's ``max_fraction``, member floor and
        ``cooccurrence_minutes`` (:meth:`ClusterPool.fits`), else built anew: the clusters are the same.

    Returns
    -------
    list of RawCluster
        In pivot priority order.

    Examples
    --------
    >>> from graphsiem.store.base import HostSighting
    >>> from analytics.incidence import build_incidence
    >>> from analytics.entity_stats import Window, entity_stats
    >>> s = [HostSighting(h, e, 100.0, 100.0, 1) for h in "abc" for e in [("domain", "x"), ("file", "f")]]
    >>> s += [HostSighting(h, ("process", "p"), 1.0, 100.0, 1) for h in "abcdefgh"]
    >>> inc = build_incidence(s)
    >>> stats = entity_stats(inc, [], window=Window(50.0, 150.0))
    >>> [[inc.entities[j] for j in c.members] for c in fan_out_clusters(inc, stats)]
    [[('domain', 'x'), ('file', 'f')]]
    """
    floor = member_floor(min_hosts, min_coverage)
    if pool is None or not pool.fits(incidence, stats, max_fraction=max_fraction, floor=floor,
                                     cooccurrence_minutes=cooccurrence_minutes):
        pool = build_pool(incidence, stats, max_fraction=max_fraction, floor=floor,
                          cooccurrence_minutes=cooccurrence_minutes)
    if len(pool.columns) == 0:
        return []
    columns, co = pool.columns, pool.shared
    pool_hosts = pool.window_hosts
    rare_outside_total = pool.rare_outside_hosts
    widespread = pool.widespread
    # A pivot on most of the fleet (only a new one is in the pool, :func:`ubiquitous`) has
    # nearly every host inside it, so "rare outside" admits anything on half its hosts:
    # the day's patch would swallow an unrelated new tool or campaign on 200 of its 300
    # hosts, whose own cluster would then be dropped as a duplicate.  Its members must
    # cover it as a twin does instead (min_overlap of its hosts).
    coverage = np.where(widespread, max(min_coverage, min_overlap), min_coverage)
    # On such a pivot the host sets of unrelated fleet-wide changes coincide: for a new member,
    # only the hosts where it appeared together with the pivot count (cooccurring_hosts).
    gate_s = cooccurrence_minutes * 60.0
    pool_first_seen, pool_last_seen, pool_novel = pool.first_seen, pool.last_seen, pool.novel

    eligible = pool_hosts >= min_hosts
    if new_pivots_only:
        eligible &= pool_novel
    # A suppressed pivot (a benign verdict) still grows its cluster, so that the
    # cluster absorbs its near-identical twins and outranks its duplicates; only
    # then is it left out.  Merely skipping the pivot let a twin (the rollout's
    # .exe after its .msi) start the same cluster again under another name.
    absorbed = np.zeros(len(columns), dtype=bool)
    position = {int(j): i for i, j in enumerate(columns)}
    clusters: list[RawCluster] = []
    kept_members: list[set[int]] = []
    member_owner: dict[int, list[int]] = {}
    for j in pivot_order(incidence, stats, columns[eligible], preferred):
        p = position[int(j)]
        if absorbed[p]:
            continue
        row = co.getrow(p)
        cols, shared = row.indices, row.data
        take = (shared >= coverage[p] * pool_hosts[p]) & (shared >= min_overlap * rare_outside_total[cols])
        if pool_first_seen is not None and widespread[p]:
            # Gating only lowers a count: re-count the columns the host sets admitted, no others.
            gated = take & pool_novel[cols] & (cols != p)
            if gated.any():
                shared = shared.astype(np.float64)  # a copy: co's own data stay untouched
                shared[gated] = cooccurring_hosts(
                    pool_first_seen, p, cols[gated], within_s=gate_s, last_seen=pool_last_seen
                )
                take = (shared >= coverage[p] * pool_hosts[p]) & (shared >= min_overlap * rare_outside_total[cols])
        take |= cols == p
        member_pos = cols[take]
        twins = member_pos[shared[take] >= min_overlap * np.maximum(pool_hosts[p], pool_hosts[member_pos])]
        suppressed = incidence.entities[int(j)] in excluded
        covered = (excluded_members or {}).get(incidence.entities[int(j)]) if suppressed else None
        if covered is not None and not suppression_holds(incidence, int(j), covered):
            # A verdict recorded with its hosts (a behaviour pivot's: a kind of act, not a thing) judged
            # those machines: the same two kinds elsewhere are another episode, shown as any cluster.
            suppressed, covered = False, None
        grown = False
        if covered is not None:
            # A verdict covers what the analyst saw: a twin that came later is not benign by it.
            seen = np.array([incidence.entities[int(columns[t])] in covered or t == p for t in twins], dtype=bool)
            grown = not seen.all()
            twins = twins[seen]
        absorbed[twins] = True
        # A suppressed cluster claims only the pivot's twins: its other members
        # (an attack on a subset of the rollout's hosts) go back to the pool
        # and count for no dedupe, so they can still form a cluster of their own.
        members = columns[twins if suppressed else member_pos]
        members = np.concatenate([[j], members[members != j]]).astype(np.int64)
        member_set = set(members.tolist())
        if _is_duplicate(member_set, kept_members, member_owner, dedupe_overlap):
            continue
        if grown:
            continue  # the new twins' cluster holds the covered ones too: no duplicate of this one
        for m in member_set:
            member_owner.setdefault(m, []).append(len(kept_members))
        kept_members.append(member_set)
        if suppressed:
            if removed_by_suppression is not None:  # what the CLI says its suppressions did
                removed_by_suppression.add(incidence.entities[int(j)])
            if suppressed_clusters is not None:
                whole = columns[member_pos]
                whole = np.concatenate([[j], whole[whole != j]]).astype(np.int64)
                suppressed_clusters.append(
                    (len(clusters), RawCluster(pivot=int(j), members=whole, hosts=incidence.hosts_of(int(j)))))
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
