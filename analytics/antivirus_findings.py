"""Antivirus findings: the window's detections no fan-out cluster carries, one case per threat.

A detection corroborates a fan-out cluster when the cluster's own hosts ran or wrote the detected file
(:mod:`analytics.antivirus_clusters`: a step, and a floor).  Most detections match no cluster: adware
quarantined on fifty laptops, or the one host where Defender failed to remove a trojan.  They stayed on
the hosts' pages, where nobody triages them.  :func:`antivirus_clusters` makes them cases of their own
kind, as credential findings are (:mod:`analytics.credential_findings`): ranked beside the fan-out
clusters by a fixed risk, never candidates of the isolation forest (a rare verdict of a product is not a
shape among the fleet's clusters).

* **One finding per threat** (the vendor's name, compared without case; a detection naming none is
  grouped by its file): the same adware on fifty hosts is one case, listing its hosts and files.
* **Not duplicated**: a detection a fan-out cluster matched on its own hosts by SHA-256 or path is that
  cluster's (its step and floor say it); only the rest form findings, which count what the clusters
  carry (``carried_hosts``).  A name-only match is no carry: another file of that name is another file.
* **Risk by what happened** (:data:`CLASS_RISK`), from each host's actions on the threat
  (``av_actions``: :func:`ingest.projection_antivirus.action_outcome`):

  - ``not_remediated`` (:data:`~analytics.antivirus.AV_RISK_FLOOR`, 80): on some host the product failed
    (``failed``), let it be (``allowed``) or logged only the detection (``detected``: a 1116 with no
    1117).  The product's own word that the threat is still there: the risk it gives a cluster it
    corroborates.  The tallies keep no order, so a failure later followed by a quarantine stays here:
    the analyst confirms the host is clean.
  - ``remediated_on_many`` (50): remediated on every host, but on :data:`MANY_HOSTS` or more: the files
    are gone, the way they came (a mail campaign, a bundled installer, a share) is not.  Under every
    attack of the demo and the fleets (80 and more), near their benign candidates' middle.
  - ``remediated`` (20): remediated on fewer hosts: the product did its job; listed for the record,
    below every fan-out cluster the demo shows.

A benign verdict records the class it was given on (:func:`verdict_scope`); a later finding of the threat
is hidden when its class is no worse (:func:`covered_by_verdict`): adware judged benign while quarantined
stays hidden as it spreads, and shows again the day a host fails to remove it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from analytics.antivirus import AV_RISK_FLOOR, AntivirusMatch, Detection
from graphsiem.model import EntityKey

__all__ = [
    "CLASS_RISK", "MANY_HOSTS", "NOT_REMEDIATED", "OUTCOME_KEY", "PIVOT_TYPE", "REMEDIATED", "REMEDIATED_ON_MANY",
    "ThreatFinding", "carried_detections", "covered_by_verdict", "group_by_threat", "verdict_scope",
]

PIVOT_TYPE = "antivirus_threat"
"""The pivot type (and ``cluster_id`` namespace) of an antivirus finding: one case per threat."""
OUTCOME_KEY = "antivirus_outcome"
"""The key type a benign verdict records its finding's class under (:func:`verdict_scope`)."""
NOT_REMEDIATED = "not_remediated"
REMEDIATED_ON_MANY = "remediated_on_many"
REMEDIATED = "remediated"
CLASS_RISK = {NOT_REMEDIATED: AV_RISK_FLOOR, REMEDIATED_ON_MANY: 50.0, REMEDIATED: 20.0}
"""A finding's fixed risk by its class (module docstring for why each)."""
MANY_HOSTS = 5
"""Hosts a threat remediated everywhere must reach to be ``remediated_on_many``: a delivery, not a stray."""
REMEDIATIONS = frozenset({"quarantined", "removed", "blocked"})
"""The actions (:func:`ingest.projection_antivirus.action_outcome`) that leave no threat behind."""


@dataclass(slots=True)
class ThreatFinding:
    """The detections of one threat across hosts, with each host's state."""

    key: str
    """``threat:<name in lower case>``, or ``file:<file key>`` for detections naming no threat."""
    name: str
    """The threat as the vendor wrote it (its most counted spelling), else the file as written."""
    detections: list[Detection] = field(default_factory=list)
    carried_hosts: list[str] = field(default_factory=list)
    """Hosts whose detections of the threat a fan-out cluster carries (not in this finding)."""

    @property
    def hosts(self) -> list[str]:
        """The hosts with a detection of the threat, sorted."""
        return sorted({d.host for d in self.detections})

    def host_actions(self) -> dict[str, dict[str, int]]:
        """Each host's actions on the threat, summed over its detections."""
        per_host: dict[str, dict[str, int]] = {}
        for detection in self.detections:
            actions = per_host.setdefault(detection.host, {})
            for label, count in detection.actions.items():
                actions[label] = actions.get(label, 0) + count
        return per_host

    def unremediated_hosts(self) -> list[str]:
        """The hosts where the product failed, let it be or logged only the detection, sorted."""
        return sorted(host for host, actions in self.host_actions().items() if not is_remediated(actions))

    @property
    def outcome_class(self) -> str:
        """``not_remediated``, ``remediated_on_many`` or ``remediated`` (module docstring)."""
        if self.unremediated_hosts():
            return NOT_REMEDIATED
        return REMEDIATED_ON_MANY if len(self.hosts) >= MANY_HOSTS else REMEDIATED

    @property
    def risk(self) -> float:
        """The class's fixed risk (:data:`CLASS_RISK`)."""
        return CLASS_RISK[self.outcome_class]


def is_remediated(actions: Mapping[str, int]) -> bool:
    """Whether a host's actions on a threat left nothing behind: a remediation, and no failure.

    Examples
    --------
    >>> is_remediated({"detected": 1, "quarantined": 1}), is_remediated({"detected": 1})
    (True, False)
    >>> is_remediated({"quarantined": 1, "failed": 1}), is_remediated({"allowed": 2})
    (False, False)
    """
    return "failed" not in actions and any(label in REMEDIATIONS for label in actions)


def carried_detections(matches: Mapping[str, AntivirusMatch], cluster_hosts: Mapping[str, Collection[str]]
                       ) -> set[tuple[str, str]]:
    """The ``(host, file key)`` of detections a fan-out cluster carries: matched on its own hosts, strongly.

    Parameters
    ----------
    matches : mapping
        Cluster id -> its match (:func:`analytics.antivirus_clusters.corroborate_clusters`).
    cluster_hosts : mapping
        Cluster id -> its hosts.
    """
    carried: set[tuple[str, str]] = set()
    for cluster, match in matches.items():
        own = set(cluster_hosts.get(cluster, ()))
        strong = set(match.strong_cluster_hosts)
        carried.update((d.host, d.file_key) for d in match.detections if d.host in own and d.host in strong)
    return carried


def group_by_threat(detections: Iterable[Detection], carried: Collection[tuple[str, str]] = ()
                    ) -> list[ThreatFinding]:
    """The detections not ``carried``, one finding per threat (its name without case, else its file).

    Parameters
    ----------
    detections : iterable of Detection
        The window's (:func:`analytics.antivirus.read_detections`).
    carried : collection of (host, file key)
        Those a fan-out cluster carries (:func:`carried_detections`): counted, not listed.
    """
    findings: dict[str, ThreatFinding] = {}
    spellings: dict[str, dict[str, int]] = {}
    carried_by_key: dict[str, set[str]] = {}
    for detection in detections:
        key, name = _threat_of(detection)
        if (detection.host, detection.file_key) in carried:
            carried_by_key.setdefault(key, set()).add(detection.host)
            continue
        finding = findings.setdefault(key, ThreatFinding(key, name))
        finding.detections.append(detection)
        counts = spellings.setdefault(key, {})
        counts[name] = counts.get(name, 0) + (sum(detection.threats.values()) or 1)
    for key, finding in findings.items():
        finding.name = min(spellings[key].items(), key=lambda item: (-item[1], item[0]))[0]
        finding.carried_hosts = sorted(carried_by_key.get(key, set()) - set(finding.hosts))
    return sorted(findings.values(), key=lambda f: (-f.risk, f.key))


def verdict_scope(record: Mapping[str, Any]) -> list[EntityKey]:
    """What a benign verdict on a finding with ``antivirus`` record ``record`` records beside its members.

    >>> verdict_scope({"outcome_class": "remediated_on_many"})
    [('antivirus_outcome', 'remediated_on_many')]
    """
    outcome = record.get("outcome_class")
    return [(OUTCOME_KEY, str(outcome))] if outcome in CLASS_RISK else []


def covered_by_verdict(pivot: EntityKey, outcome_class: str, suppressed: Collection[EntityKey],
                       suppressed_members: Mapping[EntityKey, Iterable[EntityKey]]) -> bool:
    """Whether a benign verdict on the threat ``pivot`` covers its finding of ``outcome_class`` now.

    A verdict covers the classes no worse than the one it was given on; one that recorded no class
    (given before the service kept members) covers the threat's every finding, as for other pivots.

    Examples
    --------
    >>> pivot = ("antivirus_threat", "threat:adware:win32/foo")
    >>> judged = {pivot: {pivot, ("antivirus_outcome", "remediated_on_many")}}
    >>> covered_by_verdict(pivot, "remediated", {pivot}, judged), covered_by_verdict(pivot, "not_remediated", {pivot}, judged)
    (True, False)
    """
    if pivot not in suppressed:
        return False
    members = suppressed_members.get(pivot)
    if members is None:
        return True
    judged = [key for kind, key in members if kind == OUTCOME_KEY and key in CLASS_RISK]
    return any(CLASS_RISK[outcome_class] <= CLASS_RISK[key] for key in judged)


def _threat_of(detection: Detection) -> tuple[str, str]:
    """A detection's group key and name: its most counted threat, else its file."""
    if detection.threats:
        name = min(detection.threats.items(), key=lambda item: (-item[1], item[0]))[0]
        return f"threat:{name.strip().lower()}", name.strip()
    return f"file:{detection.file_key}", detection.shown
