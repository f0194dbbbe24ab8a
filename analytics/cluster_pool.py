"""The columns fan-out clusters grow over and their shared-host counts, built once a window.

:func:`analytics.clusters.fan_out_clusters` first picks its **pool** (the entities that are not
ubiquitous and are active in the window on enough hosts to be anyone's member) and multiplies
``W[:, pool].T @ W[:, pool]`` for the hosts every two of them share; only then does it take
pivots.  That product is most of a pass's cost, and it depends on the window and three rules
alone: the fleet share beyond which an entity is ubiquitous (``max_fraction``), the fewest
window hosts a member can have (``member_floor``: ``min_coverage`` of ``min_hosts``, at least 2)
and the co-occurrence gate (``cooccurrence_minutes``).  A detection grows clusters twice over one
window: its candidates (``min_hosts`` 3) and the small new clusters the scorer is fitted on beside
them (:func:`analytics.reference_clusters.small_new_clusters`, ``min_hosts`` 2).  With the default
``min_coverage`` of 0.5 both passes' member floor is 2, so the second pass takes the first's
pool (:meth:`ClusterPool.fits`) instead of multiplying the same matrix again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from analytics.entity_stats import EntityStats
from analytics.fleet_baseline import ubiquitous
from analytics.incidence import Incidence

if TYPE_CHECKING:  # analytics.config reads its defaults from analytics.clusters, which builds pools
    from analytics.config import DetectionConfig

__all__ = ["ClusterPool", "build_pool", "candidate_pool", "member_floor"]


def member_floor(min_hosts: int, min_coverage: float) -> int:
    """Fewest window hosts a member can have: ``min_coverage`` of the smallest pivot's, at least 2.

    Examples
    --------
    >>> member_floor(3, 0.5), member_floor(2, 0.5), member_floor(5, 0.5)
    (2, 2, 3)
    """
    return max(2, int(np.ceil(min_coverage * min_hosts)))


@dataclass(frozen=True, slots=True, eq=False)
class ClusterPool:
    """What a fan-out pass computes before it takes pivots (module docstring).

    Attributes
    ----------
    incidence, stats : Incidence, EntityStats
        The window it was built over (a pool fits no other: compared by identity).
    max_fraction : float
        The fleet share beyond which an entity is ubiquitous (:func:`analytics.fleet_baseline.ubiquitous`).
    member_floor : int
        Fewest window hosts of a pool column (:func:`member_floor`).
    cooccurrence_minutes : float
        The co-occurrence gate the first-seen columns were kept for (0: none).
    columns : ndarray of int
        Incidence columns of the pool, ascending.
    shared : scipy.sparse.csr_matrix
        Pool x pool counts of shared window hosts.
    window_hosts, rare_outside_hosts : ndarray of float
        Per pool column, its window hosts, and the hosts "rare outside" is asked of (its window hosts
        when young, :mod:`analytics.novelty`, else all it ever had).
    widespread : ndarray of bool
        Pool columns on more than ``max_fraction`` of the fleet.
    novel : ndarray of bool
        Pool columns new in the window or young (``stats.is_novel``).
    first_seen, last_seen : scipy.sparse.csc_matrix or None
        The pool's first and last sightings per host, kept only when the gate applies (a positive
        ``cooccurrence_minutes`` and a widespread column); ``last_seen`` only when the incidence has it.
    """

    incidence: Incidence
    stats: EntityStats
    max_fraction: float
    member_floor: int
    cooccurrence_minutes: float
    columns: np.ndarray
    shared: sp.csr_matrix
    window_hosts: np.ndarray
    rare_outside_hosts: np.ndarray
    widespread: np.ndarray
    novel: np.ndarray
    first_seen: sp.csc_matrix | None
    last_seen: sp.csc_matrix | None

    def fits(self, incidence: Incidence, stats: EntityStats, *, max_fraction: float, floor: int,
             cooccurrence_minutes: float) -> bool:
        """Whether a pass over ``incidence`` with these rules would build this very pool."""
        return (incidence is self.incidence and stats is self.stats and max_fraction == self.max_fraction
                and floor == self.member_floor and cooccurrence_minutes == self.cooccurrence_minutes)


def build_pool(incidence: Incidence, stats: EntityStats, *, max_fraction: float, floor: int,
               cooccurrence_minutes: float) -> ClusterPool:
    """The pool of a fan-out pass over ``incidence`` (module docstring); no columns when nothing qualifies.

    Parameters
    ----------
    incidence, stats : Incidence, EntityStats
        The detection window's host x entity incidence, and the fleet-wide prevalence of its columns.
    max_fraction : float
        Fleet share beyond which an entity is ubiquitous (left out).
    floor : int
        Fewest window hosts of a pool column (:func:`member_floor`).
    cooccurrence_minutes : float
        The co-occurrence gate (:func:`analytics.pivot_selection.cooccurring_hosts`); 0: none.

    Returns
    -------
    ClusterPool

    Examples
    --------
    >>> from graphsiem.store.base import HostSighting
    >>> from analytics.incidence import build_incidence
    >>> from analytics.entity_stats import Window, entity_stats
    >>> s = [HostSighting(h, ("domain", "x"), 100.0, 100.0, 1) for h in "abc"]
    >>> s += [HostSighting("a", ("file", "lone"), 100.0, 100.0, 1)]
    >>> s += [HostSighting(h, ("process", "p"), 1.0, 100.0, 1) for h in "abcdefgh"]
    >>> inc = build_incidence(s)
    >>> pool = build_pool(inc, entity_stats(inc, [], window=Window(50.0, 150.0)), max_fraction=0.5, floor=2,
    ...                   cooccurrence_minutes=0.0)
    >>> [inc.entities[j] for j in pool.columns], pool.shared.toarray().tolist()
    ([('domain', 'x')], [[3.0]])
    """
    not_ubiquitous = ~ubiquitous(incidence, stats, max_fraction=max_fraction)
    columns = np.flatnonzero(not_ubiquitous & (stats.window_hosts >= floor))
    seen = incidence.seen[:, columns].tocsc()
    shared = (seen.T @ seen).tocsr()  # pool x pool shared-host counts
    window_hosts = stats.window_hosts[columns].astype(np.float64)
    total = stats.total_hosts[columns].astype(np.float64)
    # A young member's hosts before the window are its own earlier days of spreading (low and
    # slow, analytics.novelty), not hosts outside the cluster: "rare outside" is asked of the
    # window for it, or a campaign adding four hosts a day would keep none of its members.
    rare_outside = np.where(stats.is_young[columns], window_hosts, total)
    widespread = total > max_fraction * max(stats.n_hosts, 1)
    gating = cooccurrence_minutes * 60.0 > 0 and bool(widespread.any())
    first_seen = incidence.first_seen[:, columns].tocsc() if gating else None
    last_seen = incidence.last_seen[:, columns].tocsc() if gating and incidence.last_seen is not None else None
    return ClusterPool(incidence, stats, max_fraction, floor, cooccurrence_minutes, columns, shared, window_hosts,
                       rare_outside, widespread, stats.is_novel[columns], first_seen, last_seen)


def candidate_pool(incidence: Incidence, stats: EntityStats, config: DetectionConfig) -> ClusterPool:
    """The pool of the detection's candidate pass (``config``'s ``min_hosts``, ``min_coverage``,
    ``max_fraction`` and ``cooccurrence_minutes``), for it and the passes after it to share."""
    return build_pool(incidence, stats, max_fraction=config.max_fraction,
                      floor=member_floor(config.min_hosts, config.min_coverage),
                      cooccurrence_minutes=config.cooccurrence_minutes)
