"""Apply the window's antivirus detections to a run's clusters (:mod:`analytics.antivirus`).

Once per detection run, after scoring: the detections are read once, each
cluster's files are matched with them, a corroborated cluster gets its step
first (:mod:`analytics.checks_antivirus`) and, when the match is strong on
enough of its own hosts (:func:`analytics.antivirus.floor_hosts_needed`), its
risk raised to the floor; the clusters are then ordered again as the scoring
orders them.  A host whose detections match several clusters of the run is
named in the steps of those its detections could not floor: one endpoint
reporting everything it runs is the shape of forged lines (red team T13), or
of a host that runs every rollout.  It counts as one host towards each floor,
never more, and is not excluded from it: the stages of one real campaign
(dropper, beacon) are detected on the same hosts too.  A run with no detection in its window reads
one empty relation list and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from analytics.antivirus import (
    AntivirusMatch,
    Detection,
    floor_hosts_needed,
    match_cluster,
    read_detections,
    risk_with_detections,
)
from analytics.checks_antivirus import antivirus_step, with_antivirus_step
from analytics.result import Cluster
from graphsiem.store.base import GraphStore

__all__ = ["corroborate_clusters"]


def corroborate_clusters(
    store: GraphStore, start: float, end: float, clusters: list[Cluster], *, floor_host_share: float = 0.1,
    detections: list[Detection] | None = None,
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
    floor_host_share : float
        :attr:`~analytics.config.DetectionConfig.antivirus_floor_host_share`.
    detections : list of Detection, optional
        The window's, when read already (:func:`analytics.antivirus.read_detections`); else read here.
    """
    if not clusters:
        return {}
    if detections is None:
        detections = read_detections(store, start, end)
    if not detections:
        return {}
    found: dict[str, AntivirusMatch] = {}
    for cluster in clusters:
        match = match_cluster(cluster.entities, cluster.hosts, detections)
        if match is not None:
            found[cluster.id] = match
    reported = _clusters_by_reporter(found)
    raised_any = False
    for cluster in clusters:
        if (match := found.get(cluster.id)) is None:
            continue
        match.floor_needs = floor_hosts_needed(len(cluster.hosts), floor_host_share)
        match.reporters_elsewhere = {h: reported[h] - 1 for h in match.cluster_hosts if reported[h] > 1}
        risk = risk_with_detections(cluster.score, match, match.floor_needs)
        if risk != cluster.score:
            match.raised_from, cluster.score, raised_any = cluster.score, risk, True
        step = antivirus_step(match, len(cluster.hosts))
        cluster.explanation = replace(cluster.explanation, checks=with_antivirus_step(cluster.explanation.checks, step))
    if raised_any:
        # the scoring's order (analytics.detect.score_clusters): risk, then rarest, then id
        clusters.sort(key=lambda c: (-round(c.score, 9), len(c.hosts), c.id))
    return found


def _clusters_by_reporter(found: dict[str, AntivirusMatch]) -> dict[str, int]:
    """How many of the run's clusters each cluster host's detections match (a flood shows as one host in many)."""
    counts: dict[str, int] = {}
    for match in found.values():
        for host in match.cluster_hosts:
            counts[host] = counts.get(host, 0) + 1
    return counts
