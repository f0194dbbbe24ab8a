"""The credential findings of a detection window: read, matched, made clusters (the detect hook).

:func:`credential_clusters` asks the graph which hosts validated credentials in the window
(:func:`analytics.credential_attempts.validators`), reads their attempts from the journal, adds those a
network sensor saw (:func:`analytics.credential_network.network_attempts`, less the ones the Windows side
logged too), matches the patterns (:func:`analytics.credential_spray.find_credential_attacks`), merges
the findings of one sprayer (:func:`analytics.credential_merge.merge_findings`: a shared source, or the
same account list in the same minutes) and returns one cluster per finding
(:func:`analytics.credential_words.credential_cluster`).  They are not
candidates of the isolation forest: :func:`analytics.detect.detect` adds them to the scored clusters
and sorts all by risk.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from analytics.config import DetectionConfig
from analytics.credential_attempts import read_attempts, validators
from analytics.credential_companions import with_companion_addresses
from analytics.credential_guessing import as_guessing
from analytics.credential_landings import logons_from_addresses
from analytics.credential_merge import merge_findings
from analytics.credential_network import (
    network_attempts,
    newest_sensor_logon,
    without_windows_copies,
)
from analytics.credential_privileges import with_privileges
from analytics.credential_spray import COMPROMISE, find_credential_attacks, habitual_names
from analytics.credential_spread import failing_sources, spray_addresses, spread_sprays
from analytics.credential_targets import failed_logon_hosts
from analytics.credential_verdicts import covered_by_verdict
from analytics.credential_words import credential_cluster
from analytics.evidence import EventLookup, resolve_sources
from analytics.evidence_addresses import AddressHolders
from analytics.result import Cluster
from analytics.window_end import default_window_end
from graphsiem.store.base import GraphStore


def credential_clusters(store: GraphStore, journal: EventLookup | None, config: DetectionConfig,
                        window: tuple[float, float]) -> tuple[list[Cluster], dict[str, Any]]:
    """The credential clusters of ``window`` and what the search did (for the run's stats).

    Parameters
    ----------
    store : GraphStore
        Embedded or Neo4j store.
    journal : object with ``get(ids)`` and ``connection``, optional
        The journal (:class:`ingest.journal.Journal`); without one nothing is read.
    config : DetectionConfig
        ``credential_*`` and the patterns' thresholds.
    window : tuple of float
        Start and end of the detection window (epoch seconds).

    Returns
    -------
    clusters : list of Cluster
        One per merged finding (its validators listed), highest risk first.
    stats : dict
        ``credential_attempts`` (read, or why none), ``credential_validators``, ``credential_findings``,
        ``credential_validator_findings`` (before the merge), ``credential_network_targets`` and
        ``credential_network_attempts`` (a sensor's, after the dedupe), ``credential_spread_hosts`` (the
        hosts a spray spread over reached, :mod:`analytics.credential_spread`), ``credential_compromises``,
        ``credential_s`` (seconds), ``credential_suppressed`` (the pivots
        of findings a benign verdict covered, :func:`analytics.credential_verdicts.covered_by_verdict`).
    """
    if not config.credential_findings:
        return [], {"credential_attempts": "disabled"}
    connection = getattr(journal, "connection", None)
    if not isinstance(connection, sqlite3.Connection):
        return [], {"credential_attempts": "no journal"}
    t0 = time.perf_counter()
    limits = config.credential_thresholds()
    start, end = window
    found: list[Cluster] = []
    read = 0
    suppressed: list[list[str]] = []
    hosts = validators(store, start, end)
    # member servers and workstations refusing RDP/SMB log-ons validate no NTLM: no edge names them
    targets = failed_logon_hosts(connection, start, end,
                                 min(limits.spray_min_accounts, limits.brute_force_min_failures), skip=hosts)
    edges_of = {**{target: [] for target in targets}, **hosts}
    windows = {host: read_attempts(connection, host, edges, start, end) for host, edges in edges_of.items()}
    # a sensor watching a DC or a file server: its attempts on their targets, less those the DC logged too
    seen = network_attempts(connection, start, end)
    # a 4776 names no address: a sprayer writing each victim's own machine name would pass for their
    # mistypes, but another record of the same try (a 4625, a 4771, the sensor's) names where it came from
    windows = with_companion_addresses(windows, seen, AddressHolders(connection))
    network = without_windows_copies(seen, (a for attempts in windows.values() for a in attempts))
    per_validator = []
    for host in sorted(set(windows) | set(network)):
        attempts = sorted([*windows.get(host, ()), *network.get(host, ())], key=lambda a: (a.ts, a.event_id))
        read += len(attempts)
        edges = edges_of.get(host, [])
        finding = find_credential_attacks(host, attempts, limits, habitual_names(edges, attempts))
        if finding is not None:
            per_validator.append(finding)
    # a spray spread over member servers, each under every per-host count: pooled by the source it came from
    spread_hosts = failed_logon_hosts(connection, start, end, 1, skip=edges_of)
    # every success of a member host: a sprayer's log-on with a password it found may be on another server
    pooled = {**windows, **{host: read_attempts(connection, host, [], start, end, every_success=True)
                            for host in spread_hosts}}
    taken = failing_sources(per_validator)
    spread = spread_sprays(pooled, limits, taken, config.credential_known_scanners)
    # ... or on a host that refused nothing (never tried, or its 4625s never collected): the spray's
    # address logged on there, and only that address's log-ons are pooled (CRED8)
    landed = logons_from_addresses(store, connection, spray_addresses(spread), start, end, skip=set(pooled))
    if landed:
        spread = spread_sprays({**pooled, **landed}, limits, taken, config.credential_known_scanners)
    per_validator.extend(spread)
    # one source trying thirty workstations is one spray, not thirty findings (T13 finding 3); nor is one
    # account list tried on each of them in the same minutes under a new claimed name each time (CRED3)
    for merged in merge_findings(per_validator, limits):
        # an internet bot guessing default SSH names on every server ranks under a targeted spray
        finding = as_guessing(merged, spray_min_accounts=limits.spray_min_accounts)
        # a compromise whose session was given admin rights says so (4672; words and evidence, not risk)
        finding = with_privileges(finding, connection)
        # the compromising successes first (each with its 4672), then the attempts in time order (the
        # page's evidence list)
        firsts = [c.attempt for c in finding.compromises]
        ids = [event_id for c in finding.compromises
               for event_id in (c.attempt.event_id, c.privileges_event) if event_id is not None]
        ids += [a.event_id for a in finding.attempts if a not in firsts]
        pairs = [("VALIDATED_AT", event_id) for event_id in ids[: config.evidence_per_cluster]]
        cluster = credential_cluster(finding, limits, resolve_sources(pairs, journal))
        # a benign verdict holds for the finding it was given on, not for the validator's next one
        if cluster.credential is not None and covered_by_verdict(
                cluster.pivot.ref, cluster.credential, config.suppressed, config.suppressed_members):
            suppressed.append(list(cluster.pivot.ref))
            continue
        found.append(cluster)
    found.sort(key=lambda c: (-c.score, c.id))
    return found, {
        "credential_attempts": read,
        "credential_validators": len(hosts),
        "credential_failed_logon_hosts": len(targets),
        "credential_network_targets": len(network),
        "credential_network_attempts": sum(len(attempts) for attempts in network.values()),
        "credential_findings": len(found),
        "credential_validator_findings": len(per_validator),
        "credential_spread_hosts": len({f.validator for f in spread}),
        "credential_compromises": sum(1 for c in found if c.credential and COMPROMISE in c.credential["patterns"]),
        "credential_s": time.perf_counter() - t0,
        "credential_suppressed": suppressed,
    }


def lone_window(store: GraphStore, config: DetectionConfig, now: float | None,
                journal: EventLookup | None = None) -> tuple[float, float] | None:
    """The detection window when the fan-out inputs found nothing to read (no entity on two hosts):
    ending at ``now``, else at the newest data as :func:`analytics.window_end.default_window_end` says,
    else (no host sighted: a sensor's log-ons between unmapped addresses) at the journal's newest sensor
    log-on; None when there is none of these."""
    if now is None:
        end = default_window_end(store, min_hosts=config.min_hosts, window_hours=config.window_hours)
        if end is not None:
            now = end.end
            if end.start is not None:
                return end.start, now
        else:
            now = newest_sensor_logon(getattr(journal, "connection", None))
            if now is None:
                return None
    return now - config.window_hours * 3600.0, now
