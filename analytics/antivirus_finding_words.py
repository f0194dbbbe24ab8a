"""An antivirus finding (:mod:`analytics.antivirus_findings`) as a cluster: its ``antivirus`` record, words, checks.

The cluster keeps the PRODUCT.md contract: ``hosts`` are the hosts that detected the threat (outside
the fan-out clusters that carry it), ``entities`` the files detected, then the hosts (the pivot, the
threat, is no entity the graph holds, so no member: the page draws the members' graph);
``explanation.summary`` one plain sentence; ``explanation.features`` the counts, each with the threshold
its class was decided by as baseline.  It adds one key, ``antivirus``
(:func:`antivirus_record`): the threat, its class and why, the products, each host's actions and files,
and the hosts whose detections a fan-out cluster carries.  Threat names and paths are the vendor's and
the file writer's: data, shown as text only.

:func:`antivirus_finding_clusters` is the detection's hook: the findings of a window, covered verdicts
left out, each with its detection events as evidence.
"""

from __future__ import annotations

from typing import Any

from analytics.antivirus import AntivirusMatch, Detection, read_detections
from analytics.antivirus_findings import (
    MANY_HOSTS,
    NOT_REMEDIATED,
    PIVOT_TYPE,
    REMEDIATED_ON_MANY,
    ThreatFinding,
    carried_detections,
    covered_by_verdict,
    group_by_threat,
)
from analytics.antivirus_resources import resource_words
from analytics.config import DetectionConfig
from analytics.evidence import EventLookup, resolve_sources
from analytics.explain import Check, Explanation, FeatureContribution
from analytics.result import Cluster, cluster_id
from graphsiem.model import Entity, EntityType, RelationType, epoch_to_iso
from graphsiem.store.base import GraphStore
from graphsiem.visible_text import visible

__all__ = ["SHOWN", "antivirus_cluster", "antivirus_finding_clusters", "antivirus_record", "found_words",
           "lone_antivirus_findings", "record_lines"]

SHOWN = 50
"""Hosts and files a record lists (the most detected first); the totals count all."""
_FAR = 1e11
"""An epoch past any event (year 5138): the end of "every detection"."""
_CLASS_WORDS = {
    NOT_REMEDIATED: "not remediated on {n}",
    REMEDIATED_ON_MANY: f"remediated, on {{n}} ({MANY_HOSTS} or more: a delivery, not a stray)",
    "remediated": "remediated on {n}",
}


def antivirus_finding_clusters(
    detections: list[Detection], matches: dict[str, AntivirusMatch], clusters: list[Cluster],
    config: DetectionConfig, journal: EventLookup | None,
) -> tuple[list[Cluster], dict[str, Any]]:
    """The window's antivirus findings as clusters, and what the step did (for the run's stats).

    Parameters
    ----------
    detections : list of Detection
        The window's (:func:`analytics.antivirus.read_detections`).
    matches : dict
        Cluster id -> its match (:func:`analytics.antivirus_clusters.corroborate_clusters`).
    clusters : list of Cluster
        The run's shown fan-out clusters (their hosts decide what they carry).
    config : DetectionConfig
        ``suppressed``, ``suppressed_members`` and ``evidence_per_cluster``.
    journal : object with ``get(ids)``, optional
        Resolves the detection events' sources.

    Returns
    -------
    clusters : list of Cluster
        One per threat, highest risk first.
    stats : dict
        ``antivirus_findings``, ``antivirus_carried`` (detections a fan-out cluster carries) and
        ``antivirus_suppressed`` (the pivots of findings a benign verdict covered).
    """
    carried = carried_detections(matches, {c.id: c.hosts for c in clusters})
    found: list[Cluster] = []
    suppressed: list[list[str]] = []
    for finding in group_by_threat(detections, carried):
        pivot = (PIVOT_TYPE, finding.key)
        if covered_by_verdict(pivot, finding.outcome_class, config.suppressed, config.suppressed_members):
            suppressed.append(list(pivot))
            continue
        ids = [event_id for d in _most_detected_first(finding) for event_id in d.evidence]
        pairs = [("DETECTED", event_id) for event_id in dict.fromkeys(ids)][: config.evidence_per_cluster]
        found.append(antivirus_cluster(finding, resolve_sources(pairs, journal)))
    found.sort(key=lambda c: (-c.score, c.id))
    return found, {"antivirus_findings": len(found), "antivirus_carried": len(carried),
                   "antivirus_suppressed": suppressed}


def lone_antivirus_findings(store: GraphStore, config: DetectionConfig, now: float | None,
                            window: tuple[float, float] | None, journal: EventLookup | None,
                            ) -> tuple[list[Cluster], dict[str, Any]]:
    """:func:`antivirus_finding_clusters` of a run that found no fan-out input (nothing shared by two hosts).

    A detection is no sighting (:mod:`ingest.projection_antivirus`), so a directory holding only an
    antivirus's log has no window the sightings set (``window`` None): the window then ends at ``now``,
    else at the newest detection, and spans :attr:`~analytics.config.DetectionConfig.window_hours`.
    """
    if window is None:
        if now is None:
            newest = max((r.last_seen for r in store.relations_active(RelationType.DETECTED.value, 0.0, _FAR)),
                         default=None)
            if newest is None:
                return [], {}
            now = newest
        window = (now - config.window_hours * 3600.0, now)
    return antivirus_finding_clusters(read_detections(store, *window), {}, [], config, journal)


def antivirus_cluster(finding: ThreatFinding, evidence: list[dict[str, str]]) -> Cluster:
    """The cluster of a finding: contract keys, its ``antivirus`` record, summary and checks."""
    record = antivirus_record(finding)
    pivot = Entity(PIVOT_TYPE, finding.key, finding.name)
    detected = {d.file_key: d for d in _most_detected_first(finding)}
    # the threat is no graph entity (the store knows no such type): the members are what the graph holds,
    # the files and the resources that are no file (a registry key: props say so, for its kind)
    members = [*(Entity(EntityType.FILE.value, key, d.shown, {"registry": True} if _is_registry(d) else {})
                 for key, d in detected.items()),
               *(Entity(EntityType.HOST.value, host, host) for host in finding.hosts)]
    features = {
        "hosts_detected": float(len(finding.hosts)),
        "hosts_not_remediated": float(len(finding.unremediated_hosts())),
        "files_detected": float(record["files_total"]),
        "resources_detected": float(record["resources_total"]),
        "detections": float(sum(sum(d.actions.values()) or 1 for d in finding.detections)),
        "hosts_carried_by_clusters": float(len(finding.carried_hosts)),
    }
    baselines = {"hosts_detected": float(MANY_HOSTS), "hosts_not_remediated": 1.0}
    explanation = Explanation(
        summary=summary(finding, record),
        features=tuple(FeatureContribution(name, value, baselines.get(name, 0.0), 0.0,
                                           "antivirus finding: the baseline is the threshold of its class")
                       for name, value in features.items()),
        checks=checks(finding, record),
    )
    return Cluster(id=cluster_id(PIVOT_TYPE, finding.key), pivot=pivot, score=finding.risk, hosts=finding.hosts,
                   entities=members, first_seen=min(d.first_seen for d in finding.detections),
                   last_seen=max(d.last_seen for d in finding.detections), features=features,
                   explanation=explanation, evidence=evidence, antivirus=record)


def antivirus_record(finding: ThreatFinding) -> dict[str, Any]:
    """The ``antivirus`` key of the cluster: what the page and the API show of the detections."""
    per_host = finding.host_actions()
    unremediated = set(finding.unremediated_hosts())
    files_by_host: dict[str, list[str]] = {}
    resources_by_host: dict[str, list[str]] = {}
    hosts_by_file: dict[str, set[str]] = {}
    hosts_by_resource: dict[str, set[str]] = {}
    shown: dict[str, str] = {}
    resource_of: dict[str, Detection] = {}
    products: dict[str, int] = {}
    for d in finding.detections:
        if d.resource:  # no file: a registry key, a process, a behaviour (analytics.antivirus_resources)
            resources_by_host.setdefault(d.host, []).append(resource_words(d.resource, d.shown))
            hosts_by_resource.setdefault(d.file_key, set()).add(d.host)
            resource_of[d.file_key] = d
        else:
            files_by_host.setdefault(d.host, []).append(d.shown)
            hosts_by_file.setdefault(d.file_key, set()).add(d.host)
        shown[d.file_key] = d.shown
        for label, count in d.products.items():
            products[label] = products.get(label, 0) + count
    # the hosts the threat is left on first, then the most acted on
    hosts = sorted(per_host, key=lambda h: (h not in unremediated, -sum(per_host[h].values()), h))
    files = sorted(hosts_by_file, key=lambda k: (-len(hosts_by_file[k]), shown[k]))
    resources = sorted(hosts_by_resource, key=lambda k: (-len(hosts_by_resource[k]), shown[k]))
    return {
        "threat": finding.name,
        "outcome_class": finding.outcome_class,
        "risk_reason": _CLASS_WORDS[finding.outcome_class].format(n=_plural(
            len(unremediated) if finding.outcome_class == NOT_REMEDIATED else len(per_host), "host")),
        "products": [{"label": p, "count": n} for p, n in sorted(products.items(), key=lambda i: (-i[1], i[0]))],
        "start": epoch_to_iso(min(d.first_seen for d in finding.detections)),
        "end": epoch_to_iso(max(d.last_seen for d in finding.detections)),
        "hosts": [{"host": h, "remediated": h not in unremediated,
                   "actions": dict(sorted(per_host[h].items(), key=lambda i: (-i[1], i[0]))),
                   "files": sorted(set(files_by_host.get(h, ())))[:5],
                   "resources": sorted(set(resources_by_host.get(h, ())))[:5]} for h in hosts[:SHOWN]],
        "hosts_total": len(hosts),
        "hosts_not_remediated": len(unremediated),
        "files": [{"key": k, "path": shown[k], "hosts": len(hosts_by_file[k])} for k in files[:SHOWN]],
        "files_total": len(files),
        "resources": [{"key": k, "kind": resource_of[k].resource, "resource": shown[k],
                       "words": resource_words(resource_of[k].resource, shown[k]),
                       "hosts": len(hosts_by_resource[k])} for k in resources[:SHOWN]],
        "resources_total": len(resources),
        "carried_hosts": finding.carried_hosts[:SHOWN],
        "carried_hosts_total": len(finding.carried_hosts),
    }


def summary(finding: ThreatFinding, record: dict[str, Any]) -> str:
    """One sentence: which threat, where, what the products did.

    E.g. "Antivirus: Trojan:Win32/Wacatac.B!ml detected on 3 hosts, not remediated on 1 host (ws-007:
    failed); 2 files; by Microsoft Defender Antivirus."
    """
    parts = [f"Antivirus: {finding.name} detected on {_plural(record['hosts_total'], 'host')}, {record['risk_reason']}"]
    left = [row for row in record["hosts"] if not row["remediated"]]
    if left:
        parts[0] += " (" + ", ".join(f"{row['host']}: {'/'.join(row['actions']) or 'no action logged'}"
                                     for row in left[:3]) + (", ..." if len(left) > 3 else "") + ")"
    resources = record.get("resources_total", 0)  # a record made before resources were read has none
    if record["files_total"] or not resources:
        parts.append(_plural(record["files_total"], "file"))
    if resources:
        parts.append(_found_in(record))
    if record["products"]:
        parts.append("by " + ", ".join(p["label"] for p in record["products"][:3]))
    if record["carried_hosts_total"]:
        parts.append(f"its detections on {_plural(record['carried_hosts_total'], 'more host')} are in the fan-out "
                     "cluster of the files they ran")
    # a threat named by its file is attacker text: hidden characters as codes, as in explain.summary (T14)
    return visible("; ".join(parts) + ".")


def checks(finding: ThreatFinding, record: dict[str, Any]) -> tuple:
    """The analyst's next steps, each with what would make the finding benign.

    Each names what was found (the threat and the file or resource, :func:`found_words`) and the hosts
    with what the products did there; the threat, paths and resources are attacker text, so every step
    passes through :func:`~graphsiem.visible_text.visible`.
    """
    steps = []
    what = found_words(record)
    thing = "file" if record["files_total"] else "resource"
    left = [row for row in record["hosts"] if not row["remediated"]]
    if left:
        hosts = ", ".join(f"{row['host']} ({'/'.join(row['actions']) or 'no action logged'})" for row in left[:5])
        steps.append(Check(None, visible(f"The threat may still be on {hosts}{' and more' if len(left) > 5 else ''}: "
                                         f"{what}.  Run a full scan there, look for what wrote the {thing} and "
                                         "what it ran (the host's page), and isolate the host if the product "
                                         "cannot remove it."),
                           "a later scan found it removed, or the product only logged it (audit mode) for a "
                           f"{thing} the analyst knows"))
    if record["resources_total"]:
        listed = "; ".join(row["words"] for row in record["resources"][:3])
        steps.append(Check(None, visible(f"It was found in no file but in {listed}"
                                         f"{' and more' if record['resources_total'] > 3 else ''}: on the host's "
                                         "page, find what set that registry key, started that process or ran that "
                                         "behaviour (its parent, the user logged on), and whether it persists."),
                           "a tool the analyst knows that behaves so (an administrator's script, a security "
                           "product's own scanner)"))
    if finding.outcome_class == REMEDIATED_ON_MANY or len(finding.hosts) >= MANY_HOSTS:
        steps.append(Check(None, visible(f"{_plural(len(finding.hosts), 'host')} received it ({what}): find how it "
                                         "came (a mail, a download, a share, a bundled installer) from the paths "
                                         "and the hosts' downloads around the first detection."),
                           "potentially unwanted software the users installed themselves, quarantined as policy "
                           "says"))
    if not left and finding.outcome_class != REMEDIATED_ON_MANY and len(finding.hosts) < MANY_HOSTS:
        steps.append(Check(None, visible(f"The product remediated it ({what}; "
                                         f"{', '.join(_host_actions(row) for row in record['hosts'][:5])}): check "
                                         f"how the {thing} came to the host (its page: downloads, writes, the user "
                                         "logged on)."),
                           "a known test file (EICAR) or a tool the user was allowed to run"))
    return tuple(steps)


def found_words(record: dict[str, Any]) -> str:
    r"""What was found, in words: the threat, then its most detected file or resource (raw: callers escape).

    >>> found_words({"threat": "Trojan:Win32/X", "files": [], "files_total": 0, "resources_total": 1,
    ...              "resources": [{"words": r"registry key HKLM\Run\x"}]})
    'Trojan:Win32/X in registry key HKLM\\Run\\x'
    """
    where = [row["path"] for row in record["files"][:2]] + [row["words"] for row in record["resources"][:2]]
    total = record["files_total"] + record["resources_total"]
    more = f" and {total - len(where)} more" if total > len(where) else ""
    return f"{record['threat']} in {', '.join(where)}{more}" if where else str(record["threat"])


def record_lines(record: dict[str, Any], shown: int = 8) -> list[str]:
    """The ``antivirus`` record as the CLI's text lines: threat, files and resources, actions, hosts.

    Raw text (the threat, paths and resources are attacker text): the caller escapes each line.

    >>> record_lines({"threat": "Trojan:Win32/X", "outcome_class": "not_remediated", "risk_reason": "not remediated "
    ...     "on 1 host", "products": [{"label": "Microsoft Defender Antivirus", "count": 2}], "files": [],
    ...     "files_total": 0, "resources": [{"words": "behaviour pid:4120", "hosts": 1}], "resources_total": 1,
    ...     "hosts": [{"host": "ws-1", "remediated": False, "actions": {"detected": 1, "failed": 1}}],
    ...     "hosts_total": 1})  # doctest: +NORMALIZE_WHITESPACE
    ['  antivirus: Trojan:Win32/X, not_remediated (not remediated on 1 host), by Microsoft Defender Antivirus',
     '    resources (1): behaviour pid:4120 (1 host)',
     '    hosts (1): ws-1 detected/failed']
    """
    products = ", ".join(p["label"] for p in record.get("products") or [])
    lines = [f"  antivirus: {record.get('threat')}, {record.get('outcome_class')} ({record.get('risk_reason')})"
             + (f", by {products}" if products else "")]
    for name, label in (("files", "path"), ("resources", "words")):
        rows = record.get(name) or []
        if rows:
            listed = ", ".join(f"{row[label]} ({_plural(row['hosts'], 'host')})" for row in rows[:shown])
            more = " ..." if record.get(f"{name}_total", 0) > shown else ""
            lines.append(f"    {name} ({record.get(f'{name}_total', len(rows))}): {listed}{more}")
    hosts = ", ".join(_host_actions(row) for row in (record.get("hosts") or [])[:shown])
    more = " ..." if record.get("hosts_total", 0) > shown else ""
    lines.append(f"    hosts ({record.get('hosts_total', 0)}): {hosts}{more}")
    return lines


def _host_actions(row: dict[str, Any]) -> str:
    return f"{row['host']} {'/'.join(row['actions']) or 'no action logged'}"


def _found_in(record: dict[str, Any]) -> str:
    """The summary's part for resources that are no file: how many, the first named."""
    first = record["resources"][0]["words"]
    if record["resources_total"] == 1:
        return f"found in {first}, no file"
    return f"found in {record['resources_total']} resources that are no file ({first}, ...)"


def _is_registry(detection: Detection) -> bool:
    return detection.resource.startswith("regkey")


def _most_detected_first(finding: ThreatFinding) -> list[Detection]:
    return sorted(finding.detections, key=lambda d: (-(sum(d.actions.values()) or 1), d.host, d.file_key))


def _plural(n: int, word: str) -> str:
    return f"{n} {word if n == 1 else word + 's'}"
