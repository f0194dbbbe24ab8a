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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from analytics.features import DAY, EntityStats, Window
from analytics.history import earliest_sightings
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

BASELINE_MIN_CYCLES = 0.9
"""A host has a baseline when its data begin at least this share of a cycle before the window,
a cycle being the window or a day, whichever is longer (21.6 h for the default 24 h window)."""

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

NEW_ON_BASELINE_SHARE = 0.5
"""A new entity is a change the fleet made, not its normal, when at least this share of the
window's hosts, and of its own, have a baseline (:func:`ubiquitous`)."""


def baseline_seconds(window_seconds: float) -> float:
    """How long before the window a host's data must begin for it to have a baseline.

    What the whole fleet does runs at least daily (update checks, inventory, logons,
    scheduled tasks): in a baseline of about a day, or of a window when windows are longer,
    it has shown and is old; in a shorter one it is "new" and would escape ``max_fraction``.
    Not a whole cycle: over two days of data, a window that ends at the newest event starts
    a few minutes less than a day after the data begin.

    Examples
    --------
    >>> baseline_seconds(86400.0) / 3600, baseline_seconds(3600.0) / 3600, baseline_seconds(7 * 86400.0) / 3600
    (21.6, 21.6, 151.2)
    """
    return BASELINE_MIN_CYCLES * max(window_seconds, DAY)


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
    """``columns`` sorted by pivot priority (new first, then young, type rank, more hosts, ``preferred``, key).

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
                PIVOT_TYPE_RANK.get(keys[j][0], 9),
                -int(stats.window_hosts[j]),
                keys[j] not in preferred,
                keys[j],
            ),
        ),
        dtype=np.int64,
    )


def hosts_with_baseline(incidence: Incidence, window: Window) -> np.ndarray:
    """Which rows (hosts) have a baseline: a sighting active in the window that began at least
    :func:`baseline_seconds` before the window starts.

    Read from the window incidence alone (what detect already holds): a host that reported
    before the window still runs or contacts something it did then (its services, its update
    domains), so its earliest first sighting among the window's cells dates its history.  A
    margin, not merely "before the window": a store whose data begin an hour before the window
    (a 24 h window over 25 h of data) has no baseline in which the fleet's daily jobs could
    have shown, so they would all look new.  A host whose clock runs days behind has a
    baseline by this test; a few such hosts do not give one to the fleet (:func:`ubiquitous`).

    Returns
    -------
    ndarray of bool
        One value per row of ``incidence``.

    Examples
    --------
    >>> from graphsiem.store.base import HostSighting
    >>> from analytics.incidence import build_incidence
    >>> day = 86400.0
    >>> inc = build_incidence([HostSighting("a", ("process", "p"), 0.0, 3 * day, 1),
    ...                        HostSighting("b", ("process", "p"), 1.5 * day, 3 * day, 1)])
    >>> hosts_with_baseline(inc, Window(2 * day, 3 * day)).tolist()  # a: 2 days of data before; b: 12 h
    [True, False]
    """
    return earliest_sightings(incidence) <= window.start - baseline_seconds(window.end - window.start)


def ubiquitous(incidence: Incidence, stats: EntityStats, *, max_fraction: float) -> np.ndarray:
    """Columns that explain nothing: on more than ``max_fraction`` of the fleet, and not a change.

    An entity the fleet first saw in the window (``stats.is_new``) is a change, not the fleet's
    normal, when the fleet has a baseline: at least :data:`NEW_ON_BASELINE_SHARE` of the
    window's hosts, and of the entity's own, have data from well before the window
    (:func:`hosts_with_baseline`) and did not do it then.  Such an entity is never ubiquitous,
    whatever its share: a campaign on 120 of 200 hosts is new there, svchost and the corporate
    domains are not.  Without a baseline (a one-day store, a fresh install, a store loaded with
    today's logs; or hosts enrolled today, for what only they do) "new" cannot be told from
    "always there", and the all-time share decides as before, so an empty baseline does not
    turn everything the fleet does into giant clusters.  The fleet's share and the entity's are
    both asked so that neither a few hosts whose clocks run days behind nor a pilot group
    onboarded early lend a baseline to the rest.

    Returns
    -------
    ndarray of bool
        One value per column of ``incidence``.

    Examples
    --------
    >>> from graphsiem.store.base import HostSighting
    >>> from analytics.incidence import build_incidence
    >>> from analytics.features import entity_stats
    >>> day = 86400.0
    >>> s = [HostSighting(h, ("process", "svchost"), 0.0, 3 * day, 9) for h in "abcd"]
    >>> s += [HostSighting(h, ("domain", "new.example"), 2.5 * day, 2.6 * day, 1) for h in "abc"]
    >>> inc = build_incidence(s)
    >>> stats = entity_stats(inc, [], window=Window(2 * day, 3 * day))
    >>> dict(zip(inc.entities, ubiquitous(inc, stats, max_fraction=0.5).tolist()))
    {('domain', 'new.example'): False, ('process', 'svchost'): True}
    >>> stats = entity_stats(inc, [], window=Window(0.5 * day, 3 * day))  # 12 h of data before: no baseline
    >>> dict(zip(inc.entities, ubiquitous(inc, stats, max_fraction=0.5).tolist()))
    {('domain', 'new.example'): True, ('process', 'svchost'): True}
    """
    widespread = stats.total_hosts > max_fraction * max(stats.n_hosts, 1)
    candidates = widespread & stats.is_new
    if not candidates.any():
        return widespread
    with_baseline = hosts_with_baseline(incidence, stats.window)
    active = np.diff(incidence.seen.tocsr().indptr) > 0  # rows with a sighting in the window
    if with_baseline.sum() < NEW_ON_BASELINE_SHARE * max(int(active.sum()), 1):
        return widespread  # the fleet has no baseline: the old rule
    on_baseline_hosts = np.asarray(incidence.seen.T @ with_baseline.astype(np.float64)).ravel()
    change = candidates & (on_baseline_hosts >= NEW_ON_BASELINE_SHARE * stats.window_hosts)
    return widespread & ~change


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
    not_ubiquitous = ~ubiquitous(incidence, stats, max_fraction=max_fraction)
    member_floor = max(2, int(np.ceil(min_coverage * min_hosts)))
    pool = np.flatnonzero(not_ubiquitous & (stats.window_hosts >= member_floor))
    if len(pool) == 0:
        return []
    seen = incidence.seen[:, pool].tocsc()
    co = (seen.T @ seen).tocsr()  # pool x pool shared-host counts
    pool_hosts = stats.window_hosts[pool].astype(np.float64)
    pool_total = stats.total_hosts[pool].astype(np.float64)
    # A young member's hosts before the window are its own earlier days of spreading (low and
    # slow, analytics.novelty), not hosts outside the cluster: "rare outside" is asked of the
    # window for it, or a campaign adding four hosts a day would keep none of its members.
    rare_outside_total = np.where(stats.is_young[pool], pool_hosts, pool_total)
    # A pivot on most of the fleet (only a new one is in the pool, :func:`ubiquitous`) has
    # nearly every host inside it, so "rare outside" admits anything on half its hosts:
    # the day's patch would swallow an unrelated new tool or campaign on 200 of its 300
    # hosts, whose own cluster would then be dropped as a duplicate.  Its members must
    # cover it as a twin does instead (min_overlap of its hosts).
    widespread = pool_total > max_fraction * max(stats.n_hosts, 1)
    coverage = np.where(widespread, max(min_coverage, min_overlap), min_coverage)
    # On such a pivot the host sets of unrelated fleet-wide changes coincide: for a new member,
    # only the hosts where it appeared together with the pivot count (cooccurring_hosts).
    gate_s = cooccurrence_minutes * 60.0
    gating = gate_s > 0 and bool(widespread.any())
    pool_first_seen = incidence.first_seen[:, pool].tocsc() if gating else None
    pool_last_seen = incidence.last_seen[:, pool].tocsc() if gating and incidence.last_seen is not None else None
    pool_novel = stats.is_novel[pool]

    eligible = pool_hosts >= min_hosts
    if new_pivots_only:
        eligible &= stats.is_novel[pool]
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
            seen = np.array([incidence.entities[int(pool[t])] in covered or t == p for t in twins], dtype=bool)
            grown = not seen.all()
            twins = twins[seen]
        absorbed[twins] = True
        # A suppressed cluster claims only the pivot's twins: its other members
        # (an attack on a subset of the rollout's hosts) go back to the pool
        # and count for no dedupe, so they can still form a cluster of their own.
        members = pool[twins if suppressed else member_pos]
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
                whole = pool[member_pos]
                whole = np.concatenate([[j], whole[whole != j]]).astype(np.int64)
                suppressed_clusters.append(
                    (len(clusters), RawCluster(pivot=int(j), members=whole, hosts=incidence.hosts_of(int(j)))))
            continue
        clusters.append(RawCluster(pivot=int(j), members=members, hosts=incidence.hosts_of(int(j))))
    return clusters


SUPPRESSED_HOST_SHARE = 0.8
"""Least share of a pivot's window hosts that must be among the hosts a suppression recorded
(:func:`covers_hosts`) for the suppression to cover it: ``min_overlap``'s default, the share that
makes a member a twin, so a later episode is the judged one only when it is nearly all on the
machines the analyst looked at (the same hosts again, or a few more)."""

HOST_TYPE = "host"
"""The type of the ``(type, name)`` keys by which a suppression records the hosts it was given on."""


def suppression_holds(incidence: Incidence, column: int, covered: frozenset[tuple[str, str]] | None) -> bool:
    """Whether a suppressed pivot's verdict holds for it in this window: one whose ``covered``
    keys (the members and hosts of the cluster it was given on) are unknown, or cover the
    pivot's window hosts (:func:`covers_hosts`).

    The one rule :func:`fan_out_clusters` applies and :func:`pivot_census` counts.
    """
    if covered is None:
        return True
    return covers_hosts(covered, [incidence.hosts[int(r)] for r in incidence.hosts_of(column)])


def covers_hosts(covered: frozenset[tuple[str, str]], hosts: list[str], *,
                 share: float = SUPPRESSED_HOST_SHARE) -> bool:
    """Whether a suppression's covered keys cover a pivot seen on ``hosts``.

    A suppression that recorded no ``("host", name)`` keys covers any host set (an entity
    pivot's benign verdict stands for that entity wherever it goes).  One that did (a
    behaviour pivot's, :meth:`graphsiem.api.state.StateStore.update_triage`) covers a pivot
    only when at least ``share`` of its hosts are among them: the same behaviour on other
    machines is a new episode nobody judged (red-team T8, finding 1).

    Examples
    --------
    >>> judged = frozenset({("process", "p"), ("host", "a"), ("host", "b"), ("host", "c")})
    >>> covers_hosts(judged, ["a", "b", "c"]), covers_hosts(judged, ["x", "y", "z"])
    (True, False)
    >>> covers_hosts(frozenset({("process", "p")}), ["x", "y", "z"])  # no hosts recorded
    True
    """
    judged = {name for kind, name in covered if kind == HOST_TYPE}
    if not judged:
        return True
    return sum(h in judged for h in hosts) >= share * max(len(hosts), 1)


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

