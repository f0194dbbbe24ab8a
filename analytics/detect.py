"""``detect(store)``: prevalence -> fan-out clusters -> IsolationForest -> risk + explanation.

The pipeline, in order:

1. :func:`analytics.inputs.load_inputs` reads fleet prevalence, the window
   incidence and process context from the store;
2. :func:`analytics.clusters.fan_out_clusters` grows clusters from pivots;
3. :func:`analytics.features.cluster_features` computes each cluster's features;
4. :class:`analytics.scoring.ClusterScorer` is fitted on all candidate
   clusters (unsupervised), and on those of earlier windows when given a
   history (:mod:`analytics.candidate_history`), and maps them to a risk 0–100;
   the clusters of suppressed pivots (benign verdicts) are candidates too, left
   out of the result only after scoring: a verdict on one cluster changes no
   other's risk;
5. :mod:`analytics.explain` attributes each risk to features and writes the
   summary; :mod:`analytics.evidence` attaches the events behind the top clusters.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from analytics.antivirus import read_detections
from analytics.antivirus_clusters import corroborate_clusters
from analytics.antivirus_finding_words import antivirus_finding_clusters, lone_antivirus_findings
from analytics.attribution import contributions, feature_baseline
from analytics.behaviour_pivots import name_credits
from analytics.candidate_history import (
    CandidateHistory,
    backfill,
    earlier_candidates,
    reference_rows,
    remember_candidates,
)
from analytics.cluster_pool import candidate_pool
from analytics.clusters import RawCluster, fan_out_clusters, pivot_census
from analytics.config import DetectionConfig
from analytics.contact_regularity import regularity_features
from analytics.credential_findings import credential_clusters, lone_window
from analytics.credited_processes import cluster_credits
from analytics.evidence import EventLookup, evidence_ids, members_seen_outside, resolve_sources
from analytics.evidence_antivirus import with_detection_evidence
from analytics.explain import explain
from analytics.features import ClusterFacts, cluster_features, feature_matrix, scored_directions
from analytics.history import earliest_sightings, fleet_history, history_counts
from analytics.host_finding_words import host_finding_clusters
from analytics.inputs import DetectionInputs, load_inputs
from analytics.lateral_sources import lateral_sources, with_lateral_sources
from analytics.lateral_verdicts import reopen_other_sources
from analytics.pivot_contacts import cluster_contacts
from analytics.reference_clusters import small_new_clusters
from analytics.result import Cluster, DetectionResult, cluster_id
from analytics.scoring import ClusterScorer
from analytics.young_pivots import young_pivot
from graphsiem.internal_networks import declared_internal_networks
from graphsiem.model import Entity, EntityKey, EntityType
from graphsiem.store.base import GraphStore

__all__ = ["Cluster", "DetectionConfig", "DetectionResult", "detect", "score_clusters"]


def detect(
    store: GraphStore,
    *,
    config: DetectionConfig | None = None,
    now: float | None = None,
    journal: EventLookup | None = None,
    history: CandidateHistory | None = None,
) -> DetectionResult:
    """Run one detection over ``store``.

    Parameters
    ----------
    store : GraphStore
        Embedded or Neo4j store.
    config : DetectionConfig, optional
        Defaults to ``DetectionConfig()``.
    now : float, optional
        End of the detection window (epoch seconds); default the newest data.
    journal : object with ``get(ids)``, optional
        Resolves evidence ids to their source; without it sources read
        ``graph:<relation>``.
    history : CandidateHistory, optional
        Candidate rows of earlier windows (the data directory's state): the
        scorer is fitted on them too, and this run's are kept there
        (:mod:`analytics.candidate_history`).  Without it, on today's alone.

    Returns
    -------
    DetectionResult
        Clusters sorted by score, highest first.
    """
    config = config or DetectionConfig()
    # the run's declared networks are internal to every rule that asks (graphsiem.internal_networks)
    with declared_internal_networks(config.internal_networks):
        return _detect(store, config, now, journal, history)


def _detect(store: GraphStore, config: DetectionConfig, now: float | None, journal: EventLookup | None,
            history: CandidateHistory | None) -> DetectionResult:
    started_at = time.time()
    t0 = time.perf_counter()
    inputs = load_inputs(store, config, now=now)
    if inputs is None:
        # nothing shared by two hosts (one DC's log alone): no fan-out, but a credential attack may be there
        window = lone_window(store, config, now, journal)
        credential, credential_stats = (credential_clusters(store, journal, config, window) if window is not None
                                        else ([], {}))
        # and antivirus detections no cluster carries (analytics.antivirus_findings)
        found_av, av_stats = lone_antivirus_findings(store, config, now, window, journal)
        # and single-host attacks (analytics.host_findings): one host's events are no fan-out input
        found_host, host_stats = (host_finding_clusters(journal, config, window) if window is not None
                                  else ([], {}))
        applied = (credential_stats.pop("credential_suppressed", []) + av_stats.pop("antivirus_suppressed", [])
                   + host_stats.pop("host_findings_suppressed", []))
        lone = sorted(credential + found_av + found_host, key=lambda c: (-round(c.score, 9), len(c.hosts), c.id))
        return DetectionResult(lone, started_at, time.perf_counter() - t0,
                               {"clusters": len(lone), "shared_entities": 0, **credential_stats, **av_stats, **host_stats,
                                "suppressions_applied": applied})
    stats: dict[str, Any] = dict(inputs.timings)
    # Why a run may find nothing: the window it used and how many entities met each pivot condition.
    # and, without now, which rule set its end and what the newest sighting was (a stray clock ignored)
    if inputs.window_end is not None:
        stats.update(inputs.window_end.stats())
    else:
        stats["window_ends_at"] = "now"
    pivot_rules: dict[str, Any] = {
        "min_hosts": config.min_hosts,
        "max_fraction": config.max_fraction,
        "new_pivots_only": config.new_pivots_only,
        "excluded": config.suppressed,
    }
    stats.update(pivot_census(inputs.incidence, inputs.stats, excluded_members=config.suppressed_members,
                              **pivot_rules))

    t = time.perf_counter()
    removed: set[EntityKey] = set()
    suppressed_raw: list[tuple[int, RawCluster]] = []
    # the columns and shared-host counts of the window, for this pass and small_new_clusters' below
    pool = candidate_pool(inputs.incidence, inputs.stats, config)
    raw = fan_out_clusters(
        inputs.incidence,
        inputs.stats,
        min_coverage=config.min_coverage,
        min_overlap=config.min_overlap,
        dedupe_overlap=config.dedupe_overlap,
        preferred=_installed(inputs),
        excluded_members=config.suppressed_members,
        cooccurrence_minutes=config.cooccurrence_minutes,
        removed_by_suppression=removed,
        suppressed_clusters=suppressed_raw,
        pool=pool,
        **pivot_rules,
    )
    # Scored with the rest, shown with none: an analyst's benign verdict is a fact about that
    # cluster, not a change of the population the others are rare in (review T11 F1: a verdict
    # on a rollout took an attack from 67.6 to 38.5, and a lift re-sent it as "grown").
    population = _in_priority_order(raw, suppressed_raw)
    hidden = {cluster_id(*inputs.incidence.entities[c.pivot]) for _, c in suppressed_raw}
    # the suppressed pivots whose cluster was left out: a suppression held is not always one that
    # applied (a behaviour verdict covers the hosts it was given on, analytics.clusters.covers_hosts)
    stats["suppressions_applied"] = [list(key) for key in sorted(removed)]
    stats["clustering_s"] = time.perf_counter() - t

    t = time.perf_counter()
    reference = None
    if history is not None:
        stats.update(backfill(history, config, inputs.window, lambda end: _backtest(store, config, end),
                              inputs.incidence))
        today = [cluster_id(*inputs.incidence.entities[c.members[0]]) for c in population]
        reference = earlier_candidates(history, config, inputs.window, today)
        stats["history_rows"] = len(reference)
    # the window's ordinary new activity (new pivots on too few hosts to be candidates), fitted on beside
    # the candidates: a small candidate set of attacks is no "ordinary cluster" (review U4 F1)
    small = small_new_clusters(inputs.incidence, inputs.stats, config, population, pool=pool)
    stats["small_cluster_rows"] = len(small)
    reference = reference_rows(_feature_rows(inputs, small), reference)
    scored = score_clusters(inputs, population, config, reference=reference)
    if history is not None and inputs.context.history:  # no baseline: rows that measure the data's start
        remember_candidates(history, config, inputs.window, scored)  # suppressed too: the same population
    # a verdict judged benign only from one source host: an episode from another is shown, naming it
    reopened = reopen_other_sources(store, scored, hidden, config.suppressed_members,
                                    window=(inputs.window.start, inputs.window.end), journal=journal)
    if reopened:
        still = {(c.pivot.type, c.pivot.key) for c in reopened}
        stats["suppressions_applied"] = [key for key in stats["suppressions_applied"] if tuple(key) not in still]
        stats["source_verdicts_reopened"] = sorted(c.id for c in reopened)
    clusters = [c for c in scored if c.id not in hidden]
    stats["suppressed_scored"] = len(scored) - len(clusters)
    # the window's antivirus detections of the clusters' files: a step first, a floor under a strong match
    detections = read_detections(store, inputs.window.start, inputs.window.end)
    antivirus = corroborate_clusters(store, inputs.window.start, inputs.window.end, clusters,
                                     floor_host_share=config.antivirus_floor_host_share, detections=detections)
    # the detections no fan-out cluster carries: one finding per threat, ranked by what the product did
    # (analytics.antivirus_findings), never candidates of the forest either
    found_av, av_stats = antivirus_finding_clusters(detections, antivirus, clusters, config, journal)
    stats.update(av_stats)
    stats["suppressions_applied"] += stats.pop("antivirus_suppressed", [])
    # credential attacks on one validator: ranked beside the fan-out clusters by their pattern's risk,
    # never candidates of the forest (analytics.credential_findings)
    credential, credential_stats = credential_clusters(store, journal, config,
                                                       (inputs.window.start, inputs.window.end))
    stats.update(credential_stats)
    # a credential finding a benign verdict covered is a suppression that applied, as a fan-out one is
    stats["suppressions_applied"] += stats.pop("credential_suppressed", [])
    # single-host attacks (LSASS read, renamed tool, log cleared, stager...): one finding per host, by the
    # worst rule's fixed risk, never forest candidates; a hit a cluster's process holds is the cluster's, shown
    # or judged benign (a verdict on a campaign must not turn its 54 hosts' hits into 54 findings)
    found_host, host_stats = host_finding_clusters(journal, config, (inputs.window.start, inputs.window.end),
                                                   scored)
    stats.update(host_stats)
    stats["suppressions_applied"] += stats.pop("host_findings_suppressed", [])
    stats["fleet_history"] = bool(inputs.context.history)
    stats["scoring_s"] = time.perf_counter() - t

    t = time.perf_counter()
    for cluster in clusters[: config.evidence_top]:
        graph = cluster.subgraph(store, radius=1, limit=5000)
        members = [e.ref for e in cluster.entities]
        pairs = evidence_ids(
            graph, members, cluster.hosts, limit=config.evidence_per_cluster,
            shared=members_seen_outside(inputs.incidence, inputs.stats, members, cluster.hosts),
            window=(inputs.window.start, inputs.window.end), journal=journal,
        )
        pairs = with_detection_evidence(pairs, antivirus.get(cluster.id), limit=config.evidence_per_cluster)
        # an address member's log-ons: the host the IP map held it on then, and its remote commands
        sources = lateral_sources(store, graph, members, cluster.hosts,
                                  window=(inputs.window.start, inputs.window.end), journal=journal)
        if sources:
            pairs = with_lateral_sources(cluster, sources, pairs, limit=config.evidence_per_cluster)
        cluster.evidence = resolve_sources(pairs, journal)
    stats["evidence_s"] = time.perf_counter() - t
    if credential or found_av or found_host:  # their evidence is their own events, already attached
        clusters = sorted(clusters + credential + found_av + found_host, key=lambda c: (-round(c.score, 9), len(c.hosts), c.id))

    stats.update(
        hosts=inputs.stats.n_hosts,
        window_start=inputs.window.start,
        window_end=inputs.window.end,
        window_sightings=int(inputs.incidence.seen.nnz),
        shared_entities=len(inputs.incidence.entities),
        clusters=len(clusters),
    )
    return DetectionResult(clusters, started_at, time.perf_counter() - t0, stats, reference=reference)


def _feature_rows(inputs: DetectionInputs, raw: list[RawCluster]) -> np.ndarray:
    """The scored feature rows of ``raw`` (reference rows: no risk, no explanation)."""
    return feature_matrix(cluster_features(inputs.context, c.pivot, c.members, c.hosts).features for c in raw)


def score_clusters(
    inputs: DetectionInputs, raw: list[RawCluster], config: DetectionConfig,
    *, reference: np.ndarray | None = None,
) -> list[Cluster]:
    """Features, risk, explanation of every raw cluster; sorted by risk (highest first).

    ``reference``: scored feature rows fitted on with today's, never scored: earlier
    windows' candidates (:func:`analytics.candidate_history.earlier_candidates`) and
    the window's new clusters too small to be candidates (:mod:`analytics.reference_clusters`).
    """
    inc, st = inputs.incidence, inputs.stats
    facts: list[ClusterFacts] = [
        cluster_features(inputs.context, c.pivot, c.members, c.hosts) for c in raw
    ]
    X = feature_matrix(f.features for f in facts)
    training = reference_rows(X, reference)
    if len(raw) and len(training) >= 2:
        scorer = ClusterScorer(**config.scorer_params(), directions=scored_directions()).fit(training)
        risk = scorer.risk(X)
        baseline = scorer.reference_  # the median cluster: what the one-sided clips compare with
        contrib = contributions(scorer, X, baseline)
    else:
        # One candidate has nothing to be unusual against: neutral risk.
        risk = np.full(len(raw), 50.0)
        baseline = feature_baseline(X)
        contrib = np.zeros_like(X)

    # what the history test found, per cluster: its words say which hosts have no earlier data
    fleet = fleet_history(inc, inputs.window.start)
    earliest = earliest_sightings(inc)
    clusters: list[Cluster] = []
    for i, (c, f) in enumerate(zip(raw, facts, strict=True)):
        members = [_entity(inputs, j) for j in c.members]
        pivot = members[0]
        hosts = sorted(inc.hosts[r] for r in c.hosts)
        # Columns first: slicing a CSC matrix by column touches only those columns.
        block = inc.first_seen[:, c.members][c.hosts]
        first_seen = float(block.data.min()) if block.nnz else float(st.first_seen[c.pivot])
        # Over the cluster's hosts, as first_seen: an admin tool opening LSASS on IT hosts outside
        # the cluster (a shared member's other sightings) is not the cluster's activity.
        lasts = inc.last_seen[:, c.members][c.hosts] if inc.last_seen is not None else None
        last_seen = float(lasts.data.max()) if lasts is not None and lasts.nnz else float(st.last_seen[c.members].max())
        features = dict(f.features)
        features.update(f.context)
        features["host_count"] = float(len(hosts))
        features["pivot_fleet_fraction"] = round(float(st.fleet_fraction[c.pivot]), 4)
        features["pivot_age_days"] = round(float(st.age_days[c.pivot]), 3)
        # the pivot's own first contacts on these hosts, and the contact interval and regularity of the
        # destination repeat_contacts measured (the pivot, or a new destination member): the checks' times and rate
        contacts = cluster_contacts(inc, c.pivot, c.hosts, f.repeat_column, inputs.context.contact_shares,
                                    inputs.contact_times, until=inputs.window.end)
        features.update(regularity_features(contacts.regularity if contacts is not None else None))
        explanation = explain(
            f,
            contrib[i],
            baseline,
            pivot_type=pivot.type,
            pivot_value=pivot.value,
            pivot_key=pivot.key,
            host_count=len(hosts),
            pivot_is_new=bool(st.is_new[c.pivot]),
            installed_as=_installed_as(pivot),
            candidates=len(training),
            young=young_pivot(st, inc, c.pivot),  # low and slow: seen before, spreading now
            # the one-host processes that lent the cluster a behaviour: no members, so named here
            credited=name_credits(cluster_credits(inputs.credited, members, new_members=f.new_members,
                                                  behaviours=f.behaviours, pair_children={p.child for p in f.new_pairs}),
                                  pivot),
            contacts=contacts,
            history_counts=None if f.history else history_counts(fleet, earliest, c.hosts, inputs.window.start),
            new_build=inputs.new_builds.get(inc.entities[c.pivot]),  # a build a process ran: its path and the usual build
        )
        clusters.append(
            Cluster(
                id=cluster_id(pivot.type, pivot.key),
                pivot=pivot,
                score=float(risk[i]),
                hosts=hosts,
                entities=members,
                first_seen=first_seen,
                last_seen=last_seen,
                features=features,
                explanation=explanation,
            )
        )
    # Ties (identical features, so identical risk: common, since the one-sided
    # features clip ordinary clusters onto one point) go rarest first, the
    # hunter's "least frequency of occurrence" order; then id, for stability.
    clusters.sort(key=lambda c: (-round(c.score, 9), len(c.hosts), c.id))
    return clusters


def _backtest(store: GraphStore, config: DetectionConfig, end: float) -> tuple[bool, list[Cluster], Any]:
    """The candidates of the window ending at ``end`` (no evidence: only their features are kept)."""
    result = detect(store, config=replace(config, evidence_top=0), now=end)
    window = (result.stats["window_start"], result.stats["window_end"]) if "window_end" in result.stats else None
    return bool(result.stats.get("fleet_history")), result.clusters, window


def _in_priority_order(shown: list[RawCluster], suppressed: list[tuple[int, RawCluster]]) -> list[RawCluster]:
    """The shown clusters with the suppressed ones back at their places (each after the number of
    shown ones before it): the order an unsuppressed run scores in, on which the forest's sample
    depends when it is fitted on more than 256 rows."""
    order = sorted(suppressed, key=lambda pair: pair[0])  # stable: found in priority order
    merged: list[RawCluster] = []
    k = 0
    for i, cluster in enumerate(shown):
        while k < len(order) and order[k][0] <= i:
            merged.append(order[k][1])
            k += 1
        merged.append(cluster)
    merged.extend(cluster for _, cluster in order[k:])
    return merged


def _installed(inputs: DetectionInputs) -> frozenset[EntityKey]:
    """What hosts installed: driver files, the commands of services, tasks and WMI subscriptions,
    and the scripts of WMI script consumers (pivots that lead)."""
    commands = (ref for ref, e in inputs.processes.items()
                if e.props.get("service") or e.props.get("task") or e.props.get("wmi_consumer"))
    scripts = (ref for ref, e in inputs.scripts.items() if e.props.get("wmi_consumer"))
    return frozenset(inputs.drivers) | frozenset(commands) | frozenset(scripts)


def _installed_as(pivot: Entity) -> str | None:
    """How a process, file or script pivot was installed, from the props the projection gives an
    installed command, driver or script (a file with a service name is a driver; a script with a
    consumer name is a WMI script consumer's, as a command with one is a command consumer's)."""
    if pivot.type == EntityType.FILE.value:
        return "driver" if pivot.props.get("service") else None
    if pivot.type == EntityType.SCRIPT.value:
        return "WMI subscription" if pivot.props.get("wmi_consumer") else None
    if pivot.type != EntityType.PROCESS.value:
        return None
    if pivot.props.get("service"):
        return "service"
    if pivot.props.get("task"):
        return "scheduled task"
    if pivot.props.get("wmi_consumer"):
        return "WMI subscription"
    return None


def _entity(inputs: DetectionInputs, column: int) -> Entity:
    key = inputs.incidence.entities[column]
    known = (inputs.processes.get(key) if key[0] == EntityType.PROCESS
             else inputs.scripts.get(key) if key[0] == EntityType.SCRIPT else inputs.drivers.get(key))
    if known is not None:
        return known
    return Entity(key[0], key[1], inputs.stats.values[column])
