"""A host finding (:mod:`analytics.host_findings`) as a cluster: its ``host_finding`` record, words,
checks, the verdicts that cover it, and the detection's hook.

The cluster keeps the PRODUCT.md contract: ``hosts`` is the one host, ``entities`` the host (the pivot);
``explanation.summary`` one plain sentence; ``explanation.features`` the hits per rule, each with its
rule's fixed risk as baseline; ``evidence`` the hits' events.  It adds one key, ``host_finding``
(:func:`host_record`): the rules hit (title, risk, ATT&CK techniques), each hit (when, which event,
the image, the command line, what matched) and how many hits a fan-out cluster carries.  Command lines
and image names are attacker text: data, shown as text only.

Ranked beside the fan-out clusters by that fixed risk, never candidates of the isolation forest (as
credential and antivirus findings): a single host's act is no shape among the fleet's clusters.

A benign verdict records what the finding held (:func:`verdict_scope`: each hit's rule and subject, the
same opener or command line on that host); a later finding on the host is hidden only when all its hits
were judged (:func:`covered_by_verdict`).  A cleared log's subject is its event: each new clearing shows.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from analytics.config import DetectionConfig
from analytics.evidence import EventLookup, resolve_sources
from analytics.explain import Check, Explanation, FeatureContribution
from analytics.host_finding_builds import vouched_builds
from analytics.host_finding_carry import split_carried
from analytics.host_finding_groups import group_findings
from analytics.host_finding_reads import NEXT_STEPS, read_more_hits
from analytics.host_finding_rules import RULES
from analytics.host_findings import Hit, HostFinding, journal_hosts, process_key, read_hits
from analytics.result import Cluster, cluster_id
from graphsiem.model import Entity, EntityKey, EntityType, epoch_to_iso, stable_hash
from graphsiem.visible_text import visible

__all__ = ["HIT_KEY", "PIVOT_TYPE", "covered_by_verdict", "host_cluster", "host_finding_clusters", "host_record",
           "verdict_scope"]

PIVOT_TYPE = "host_finding"
"""The ``cluster_id`` namespace of a host finding (one case per host)."""
HIT_KEY = "host_rule_hit"
"""The key type a benign verdict records each judged hit under (:func:`verdict_scope`)."""
SHOWN = 50
"""Hits a record lists at least (each host's first, then in time order, :func:`_shown_hits`); ``hits_total`` counts all."""


def host_finding_clusters(journal: EventLookup | None, config: DetectionConfig, window: tuple[float, float],
                          clusters: Iterable[Cluster] = ()) -> tuple[list[Cluster], dict[str, Any]]:
    """The window's host findings as clusters, and what the step did (for the run's stats).

    Parameters
    ----------
    journal : object with ``connection`` and ``get(ids)``, optional
        The journal; without one nothing is read (``host_findings: "no journal"``).
    config : DetectionConfig
        ``host_findings`` (on/off), ``suppressed``, ``suppressed_members``, ``evidence_per_cluster``.
    window : tuple of float
        Start and end of the detection window.
    clusters : iterable of Cluster
        The run's shown fan-out clusters: the hits their process members hold are theirs.

    Returns
    -------
    clusters : list of Cluster
        One per host, highest risk first.
    stats : dict
        ``host_findings``, ``host_finding_hits`` (all read), ``host_finding_carried`` (hits a fan-out
        cluster carries), ``host_findings_s`` and ``host_findings_suppressed`` (pivots a verdict covered).
    """
    if not config.host_findings:
        return [], {"host_findings": "disabled"}
    connection = getattr(journal, "connection", None)
    if not isinstance(connection, sqlite3.Connection):
        return [], {"host_findings": "no journal"}
    t0 = time.perf_counter()
    start, end = window
    hits = read_hits(connection, journal_hosts(connection), start, end) + read_more_hits(connection, start, end)
    held, builds = _cluster_processes(clusters)
    # the node's build is its earliest creation's: one host's trojan at the judged path, run first, would be it
    kept, carried = split_carried(hits, held, vouched_builds(connection, window, hits, held, builds))
    found: list[Cluster] = []
    suppressed: list[list[str]] = []
    judgements = _host_judgements(config)
    for finding in group_findings(kept, carried, config.min_hosts):
        record = host_record(finding)
        judged = {host: on for host in finding.hosts if (on := _judged_by(finding, host, judgements)) is not None}
        if len(judged) == len(finding.hosts):
            suppressed.append([EntityType.HOST.value, judged[finding.host]])
            continue
        if judged:  # a group some of whose hosts' acts were judged: the others are new since
            record["new_hosts"] = [host for host in finding.hosts if host not in judged]
        pairs = [("HOST_FINDING", h.event_id) for h in finding.hits][: config.evidence_per_cluster]
        found.append(host_cluster(finding, record, resolve_sources(pairs, journal)))
    found.sort(key=lambda c: (-c.score, c.id))
    return found, {"host_findings": len(found), "host_finding_hits": len(hits),
                   "host_finding_carried": len(hits) - len(kept), "host_findings_s": time.perf_counter() - t0,
                   "host_findings_suppressed": suppressed}


def _host_judgements(config: DetectionConfig) -> dict[str, list[tuple[str, frozenset[str] | None]]]:
    """Host -> the benign verdicts that judged its acts: the verdict's host pivot and the hit subjects it
    judged (None: a verdict that recorded no members, given before they were kept, judged its own host's
    every act).  A verdict judged the hosts it recorded (``("host", name)`` members: its finding's, one or
    a group's), each for the subjects it recorded."""
    judgements: dict[str, list[tuple[str, frozenset[str] | None]]] = {}
    for kind, on in config.suppressed:
        if kind != EntityType.HOST.value:
            continue
        members = config.suppressed_members.get((kind, on))
        if members is None:
            judgements.setdefault(on, []).append((on, None))
            continue
        subjects = frozenset(key for key_kind, key in members if key_kind == HIT_KEY)
        for host in {on} | {key for key_kind, key in members if key_kind == EntityType.HOST.value}:
            judgements.setdefault(host, []).append((on, subjects))
    return judgements


def _judged_by(finding: HostFinding, host: str,
               judgements: Mapping[str, list[tuple[str, frozenset[str] | None]]]) -> str | None:
    """The pivot host of a benign verdict that judged every act of ``finding`` on ``host``, if any.

    A finding on several hosts is covered only when each host's acts were judged (on its own finding, or in
    a group holding it): one host's judged certutil does not hide the same download on thirty others, and a
    judged group's act spreading to new hosts shows again, naming them (HOSTF3 #3; it was covered once a
    verdict had recorded 80% of its hosts)."""
    subjects = {_subject_key(h.rule, h.subject) for h in finding.hits if h.host == host}
    for on, judged in judgements.get(host, ()):
        if judged is None or (subjects and subjects <= judged):
            return on
    return None


def _cluster_processes(clusters: Iterable[Cluster]) -> tuple[dict[str, set[tuple[str, str]]],
                                                               dict[tuple[str, str], frozenset[str]]]:
    """Host -> ``(image, command line)`` of the process members of the fan-out clusters holding it, and
    each such member -> the SHA-256 its node holds (the build the cluster judged; none: not listed).

    An old process a cluster was credited with (it fetched the cluster's switched payload and read LSASS
    right after: :attr:`analytics.credited_processes.CreditedProcesses.carried`) is held as a member is:
    red team T16 ``switch.yaml`` showed its 60 hosts' LSASS reads twice, as the file's cluster and as a
    host finding above it."""
    held: dict[str, set[tuple[str, str]]] = {}
    builds: dict[tuple[str, str], set[str]] = {}
    for cluster in clusters:
        if cluster.credential is not None or cluster.antivirus is not None:
            continue
        processes = {process_key(image, command) for credit in cluster.explanation.credited
                     for image, command in credit.carried}
        for entity in cluster.entities:
            if entity.type != EntityType.PROCESS.value:
                continue
            image = str(entity.props.get("image") or "")
            # an image-only node's value is its image: no command line
            command = str(entity.props.get("command_line") or "")
            if image:
                key = process_key(image, command)
                processes.add(key)
                digest = str(entity.props.get("sha256") or "").strip().lower()
                if digest:
                    builds.setdefault(key, set()).add(digest)
        for host in cluster.hosts if processes else ():
            held.setdefault(host, set()).update(processes)
    return held, {key: frozenset(digests) for key, digests in builds.items()}


def host_cluster(finding: HostFinding, record: dict[str, Any], evidence: list[dict[str, str]]) -> Cluster:
    """The cluster of a finding: contract keys, its ``host_finding`` record, summary and checks."""
    hosts = finding.hosts
    host = Entity(EntityType.HOST.value, finding.host, finding.host)
    per_rule = Counter(h.rule for h in finding.hits)
    features = {f"hits_{rule}": float(n) for rule, n in sorted(per_rule.items())}
    features["hits_carried_by_clusters"] = float(finding.carried)
    if len(hosts) > 1:
        features["hosts"] = float(len(hosts))
    explanation = Explanation(
        summary=summary(finding, record.get("new_hosts") or ()),
        features=tuple(FeatureContribution(name, value, RULES[name[5:]].risk if name[5:] in RULES else 0.0, 0.0,
                                           "host finding: the baseline is the rule's fixed risk")
                       for name, value in features.items()),
        checks=checks(finding),
    )
    # one host: the host's case (its id as before); several: the acts' (their subjects), not any one host's
    # a shape's group by its shapes: its hosts' subjects differ, and one joining would make a new case
    key = finding.host if len(hosts) == 1 else (
        "shapes:" + ",".join(finding.shapes) if finding.shapes else "acts:" + ",".join(record["subjects"]))
    return Cluster(id=cluster_id(PIVOT_TYPE, key), pivot=host, score=finding.risk, hosts=hosts,
                   entities=[Entity(EntityType.HOST.value, h, h) for h in hosts], first_seen=min(h.ts for h in finding.hits),
                   last_seen=max(h.ts for h in finding.hits), features=features, explanation=explanation,
                   evidence=evidence, host_finding=record)


def host_record(finding: HostFinding) -> dict[str, Any]:
    """The ``host_finding`` key of the cluster: what the page and the API show of the hits."""
    per_rule = Counter(h.rule for h in finding.hits)
    return {
        "host": finding.host,
        "hosts": finding.hosts,
        "risk_rule": finding.rules[0],
        "rules": [{"rule": r, "title": RULES[r].title, "risk": RULES[r].risk, "attack": list(RULES[r].attack),
                   "hits": per_rule[r]} for r in finding.rules],
        "start": epoch_to_iso(min(h.ts for h in finding.hits)),
        "end": epoch_to_iso(max(h.ts for h in finding.hits)),
        "hits": [{"rule": h.rule, "host": h.host, "at": epoch_to_iso(h.ts), "event_id": h.event_id, "image": h.image,
                  "command_line": h.command_line, "parent": h.parent, "matched": h.detail,
                  "subject": _subject_key(h.rule, h.subject)} for h in _shown_hits(finding)],
        "hits_total": len(finding.hits),
        "subjects": sorted({_subject_key(h.rule, h.subject) for h in finding.hits}),
        "carried_hits": finding.carried,
    }


def _shown_hits(finding: HostFinding) -> list[Hit]:
    """The hits a record lists: each host's first (its example command line: a group of 60 hosts' per-host
    cradles hides none), then the others in time order: every host's first and :data:`SHOWN` - 1 more."""
    first: dict[str, Hit] = {}
    for hit in finding.hits:
        first.setdefault(hit.host, hit)
    examples = {id(h) for h in first.values()}
    ordered = [h for h in finding.hits if id(h) in examples] + [h for h in finding.hits if id(h) not in examples]
    return ordered[:SHOWN - 1 + len(first)]


def summary(finding: HostFinding, new_hosts: Iterable[str] = ()) -> str:
    """One sentence: which rules on which host, when, the worst first; for a group some of whose hosts were
    judged, the hosts not judged before (``new_hosts``).

    E.g. "Host finding on pc04: LSASS memory read (1: mimikatz.exe opened lsass.exe with access 0x1010 ...)
    at 09:37 UTC on 2019-03-18."
    """
    parts = []
    for rule in finding.rules:
        hits = [h for h in finding.hits if h.rule == rule]
        parts.append(f"{RULES[rule].title} ({len(hits)}: {hits[0].detail}{'; ...' if len(hits) > 1 else ''})")
    first = epoch_to_iso(min(h.ts for h in finding.hits)) or ""
    # image names and command lines are attacker text: a U+202E in them is written as its code, as in a
    # fan-out cluster's summary (explain.summary), since webhooks and tickets pass the summary on (T14)
    hosts = finding.hosts
    where = finding.host if len(hosts) == 1 else (
        f"{len(hosts)} hosts ({', '.join(hosts[:5])}{', ...' if len(hosts) > 5 else ''})")
    new = list(new_hosts)
    since = f"; not judged before: {', '.join(new[:5])}{', ...' if len(new) > 5 else ''}" if new else ""
    return visible(f"Host finding on {where}: " + "; ".join(parts) + f", from {first[11:16]} UTC on {first[:10]}"
                   + since + ".")


def checks(finding: HostFinding) -> tuple:
    """The analyst's next steps per rule hit, each with what would make it benign."""
    steps = {
        "lsass_read": ("Find what the process reading LSASS is (its file, signer, who ran it: the host's page) and "
                       "reset the passwords of the accounts logged on to the host.",
                       "an EDR, backup or inspection tool the organisation deployed, at its install path"),
        "renamed_tool": ("Find where the renamed file came from and what it did after it started (its children, "
                         "connections, files written).", "a vendor shipping a copy of the tool under its own name"),
        "log_cleared": ("Ask who cleared the log and why; the events before the clearing are gone from the host: "
                        "read them from the collector.", "a documented maintenance by the account named"),
        "script_stager": ("Decode the PowerShell command and find the document or script that started it (the "
                          "parent's command line) and how it arrived (mail, download).",
                          "a logon script the IT department wrote"),
        "remote_exec": ("Find the source of the remote command (the logons on the host at that time) and what "
                        "else the account ran.", "an administrator's sanctioned remote management"),
        "defence_change": ("Undo the change if unplanned, and find who made it (the parent process, the account).",
                           "a change request for this host"),
        "lolbin_download": ("Find the downloaded or decoded file (its path in the command line) and what ran it.",
                            "an administrator's script fetching a known file"),
        "raw_disk_read": ("Find what the reader is (its file, signer, who ran it) and whether it copied NTDS.dit or "
                          "the SAM and SYSTEM hives (the files it wrote after the read); if so, treat the host's "
                          "accounts (a DC: the domain's) as stolen.", "a backup agent the organisation deployed, at "
                          "its install path"),
    }
    return tuple(Check(None, *(steps.get(rule) or NEXT_STEPS[rule])) for rule in finding.rules)


def verdict_scope(record: Mapping[str, Any]) -> list[EntityKey]:
    """What a benign verdict on a finding with ``host_finding`` record ``record`` records beside its members.

    >>> verdict_scope({"subjects": ["lsass_read:ab12"]})
    [('host_rule_hit', 'lsass_read:ab12')]
    """
    return [(HIT_KEY, str(s)) for s in record.get("subjects") or []]


def covered_by_verdict(pivot: EntityKey, record: Mapping[str, Any], suppressed: Collection[EntityKey],
                       suppressed_members: Mapping[EntityKey, Iterable[EntityKey]]) -> bool:
    """Whether a benign verdict on the host ``pivot`` covers its finding with ``record`` now: every subject
    hit was judged.  A verdict that recorded nothing (given before members were kept) covers the host's
    every finding, as for other pivots.

    >>> pivot = ("host", "ws-1")
    >>> judged = {pivot: {pivot, ("host_rule_hit", "lsass_read:ab12")}}
    >>> covered_by_verdict(pivot, {"subjects": ["lsass_read:ab12"]}, {pivot}, judged)
    True
    >>> covered_by_verdict(pivot, {"subjects": ["lsass_read:ab12", "log_cleared:cd34"]}, {pivot}, judged)
    False
    """
    if pivot not in suppressed:
        return False
    members = suppressed_members.get(pivot)
    if members is None:
        return True
    judged = {key for kind, key in members if kind == HIT_KEY}
    subjects = [str(s) for s in record.get("subjects") or []]
    return bool(subjects) and all(s in judged for s in subjects)


def _subject_key(rule: str, subject: str) -> str:
    """``rule:<hash of the subject>``: what a verdict records (the subject holds attacker text of any length)."""
    return f"{rule}:{stable_hash('host_rule_hit', rule, subject, length=16)}"
