"""New clusters too small to be candidates: reference rows for the scorer, never results.

The isolation forest scores a cluster by how rare it is among the rows it is
fitted on, and the explanation's baseline (the one-sided clip's reference) is
the median of those rows.  Fitted on a run's candidates alone, a small
candidate set is mostly attacks: on the quickstart fleet (120 hosts, seed 7,
review U4 F1) the 5 candidates were the 4 attacks and a rollout, the "ordinary
cluster" had 6 hosts in a burst and an interpreter lineage (the beaconing
campaign's own values), and beaconing (29.7) and lateral movement (31.6)
scored below 50 with their synchrony worth exactly 0.  Risk hung on what else
was new that day.

The window holds many more new clusters than its candidates: the new pivots
seen by fewer hosts than a candidate needs (``min_hosts``; on two hosts when it
is 3): a web domain two people browsed, a file two users downloaded.  They
are what ordinary *new* activity looks like, measured by the same features
(random first contacts, so no burst beyond chance and a spread near the cap;
an external destination or a new process; the repeat floor), and the scorer
is fitted on them too (:func:`analytics.detect.score_clusters`).

Why these and not the clusters of pivots the fleet knew before the window
(an ordinary domain, an updater): every feature is novelty-gated, so such a
cluster takes the floor of every feature, and an established pivot's row
says "nothing new".  Fitted on them (733 rows on the demo), the forest isolated
newness itself: every new 3-host web domain scored 91 for its one external
destination, and the attacks' margin over the rest fell from 17.2 to 0.8.

They are no candidates: never scored into the result, never kept in the
candidate history (every window grows its own), never counted as the run's
clusters.  At most ``history_max_rows`` of them, in pivot priority order.
"""

from __future__ import annotations

from collections.abc import Sequence

from analytics.cluster_pool import ClusterPool
from analytics.clusters import RawCluster, fan_out_clusters
from analytics.config import DetectionConfig
from analytics.entity_stats import EntityStats
from analytics.incidence import Incidence

__all__ = ["small_new_clusters"]


def small_new_clusters(
    incidence: Incidence, stats: EntityStats, config: DetectionConfig, candidates: Sequence[RawCluster],
    pool: ClusterPool | None = None,
) -> list[RawCluster]:
    """Clusters of new pivots on 2 to ``min_hosts - 1`` window hosts, none of ``candidates``' pivots.

    Parameters
    ----------
    incidence : Incidence
        Host x entity incidence of the detection window.
    stats : EntityStats
        Fleet-wide prevalence aligned with the incidence's columns.
    config : DetectionConfig
        The candidates' clustering rules (fleet share, coverage, overlap, dedupe), but
        ``min_hosts`` 2; ``history_max_rows`` bounds how many are kept.
    candidates : sequence of RawCluster
        The run's candidates (suppressed ones included): their pivots are left out.
    pool : ClusterPool, optional
        The candidates' pool (:func:`analytics.cluster_pool.candidate_pool`): with ``min_coverage``
        0.5 a member's floor is 2 hosts in both passes, so its shared-host counts are this pass's
        too and are not multiplied again (:meth:`ClusterPool.fits`; one that does not fit is rebuilt).

    Returns
    -------
    list of RawCluster
        In pivot priority order; empty when ``min_hosts`` is 2 (every such pivot is a
        candidate already).

    Examples
    --------
    >>> from graphsiem.store.base import HostSighting
    >>> from analytics.incidence import build_incidence
    >>> from analytics.entity_stats import Window, entity_stats
    >>> pair = [HostSighting(h, ("domain", "pair"), 100.0, 100.0, 1) for h in "ab"]
    >>> trio = [HostSighting(h, ("domain", "trio"), 100.0, 100.0, 1) for h in "cde"]
    >>> wide = [HostSighting(h, ("domain", "wide"), 1.0, 100.0, 1) for h in "abcdefghijklmnop"]
    >>> inc = build_incidence(pair + trio + wide)
    >>> stats = entity_stats(inc, [], window=Window(50.0, 150.0))
    >>> [inc.entities[c.pivot] for c in small_new_clusters(inc, stats, DetectionConfig(), [])]
    [('domain', 'pair')]
    """
    if config.min_hosts <= 2 or config.history_max_rows == 0:
        return []
    grown = fan_out_clusters(
        incidence,
        stats,
        min_hosts=2,
        max_fraction=config.max_fraction,
        min_coverage=config.min_coverage,
        min_overlap=config.min_overlap,
        dedupe_overlap=config.dedupe_overlap,
        cooccurrence_minutes=config.cooccurrence_minutes,
        new_pivots_only=True,
        pool=pool,
    )
    taken = {c.pivot for c in candidates}
    small = [c for c in grown if c.pivot not in taken and stats.window_hosts[c.pivot] < config.min_hosts]
    return small[: config.history_max_rows]
