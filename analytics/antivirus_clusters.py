"""Apply the window's antivirus detections to a run's clusters (:mod:`analytics.antivirus`).

Once per detection run, after scoring: the detections are read once, each
cluster's files are matched with them, a corroborated cluster gets its step
first (:mod:`analytics.checks_antivirus`) and, when the match is strong and on
its own hosts, its risk raised to the floor; the clusters are then ordered
again as the scoring orders them.  A run with no detection in its window reads
one empty relation list and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from analytics.antivirus import AntivirusMatch, match_cluster, read_detections, risk_with_detections
from analytics.checks_antivirus import antivirus_step, with_antivirus_step
from analytics.result import Cluster
from graphsiem.store.base import GraphStore

__all__ = ["corroborate_clusters"]


def corroborate_clusters(
    store: GraphStore, start: float, end: float, clusters: list[Cluster]
) -> dict[str, AntivirusMatch]:
    """Match the detections of ``[start, end]`` with ``clusters`` (changed in place); their matches by cluster id.

    Parameters
    ----------
    store : GraphStore
        Either store.
    start, end : float
        The detection window, epoch seconds.
    clusters : list of Cluster
        The run's shown clusters, sorted by risk: re-sorted when a risk was raised.
    """
    if not clusters:
        return {}
    detections = read_detections(store, start, end)
    if not detections:
        return {}
    found: dict[str, AntivirusMatch] = {}
    raised_any = False
    for cluster in clusters:
        match = match_cluster(cluster.entities, cluster.hosts, detections)
        if match is None:
            continue
        risk = risk_with_detections(cluster.score, match)
        if risk != cluster.score:
            match.raised_from, cluster.score, raised_any = cluster.score, risk, True
        step = antivirus_step(match, len(cluster.hosts))
        cluster.explanation = replace(cluster.explanation, checks=with_antivirus_step(cluster.explanation.checks, step))
        found[cluster.id] = match
    if raised_any:
        # the scoring's order (analytics.detect.score_clusters): risk, then rarest, then id
        clusters.sort(key=lambda c: (-round(c.score, 9), len(c.hosts), c.id))
    return found
