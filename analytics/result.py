"""``Cluster`` and ``DetectionResult``: what a detection hands to the API, CLI and notebooks.

:meth:`Cluster.to_contract` renders exactly the cluster contract of PRODUCT.md
(timestamps as ISO-8601 with ``Z``; ``entities`` as ``{type, value}``) plus a
few extra keys (``pivot``, ``entity_keys``, ``features``, ``score_confidence``)
that consumers may ignore.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
import numpy as np

from analytics.behaviour_words import PIVOT_RECORD
from analytics.checks import cluster_checks
from analytics.explain import Explanation
from graphsiem.model import Entity, epoch_to_iso, stable_hash
from graphsiem.store.base import GraphStore


def cluster_id(pivot_type: str, pivot_key: str) -> str:
    """Stable id of the cluster grown from a pivot (same pivot, same id across runs)."""
    return stable_hash("cluster", pivot_type, pivot_key, length=16)


@dataclass(slots=True)
class Cluster:
    """A scored fan-out cluster.

    Attributes
    ----------
    id : str
        Stable: a hash of the pivot's type and key.
    pivot : Entity
        The entity the cluster grew from.
    score : float
        Risk 0–100, higher = more suspicious.
    hosts : list of str
        Normalised host names, sorted.
    entities : list of Entity
        Member entities, pivot first.
    first_seen, last_seen : float
        Epoch seconds: first sighting of a member on a cluster host, and the
        last sighting of any member.
    features : dict
        Raw feature values (scored features plus context such as ``host_count``).
    explanation : Explanation
        With its ``checks`` (:func:`analytics.checks.cluster_checks`): written here,
        where the members, hosts and times are known, unless it came with some.
    evidence : list of dict
        ``{"source", "event_id"}`` references to events behind member relations.
    credential : dict or None
        A credential finding's accounts, claimed workstations, addresses and outcomes
        (:func:`analytics.credential_words.credential_record`); ``None`` on a fan-out cluster.
    antivirus : dict or None
        An antivirus finding's threat, class, hosts and files
        (:func:`analytics.antivirus_finding_words.antivirus_record`); ``None`` on other clusters.
    host_finding : dict or None
        A host finding's rules and hits (:func:`analytics.host_finding_words.host_record`); ``None`` on
        other clusters.
    """

    id: str
    pivot: Entity
    score: float
    hosts: list[str]
    entities: list[Entity]
    first_seen: float
    last_seen: float
    features: dict[str, float]
    explanation: Explanation
    evidence: list[dict[str, str]] = field(default_factory=list)
    credential: dict[str, Any] | None = None
    """A credential finding's record (:mod:`analytics.credential_words`): ``None`` on a fan-out cluster."""
    antivirus: dict[str, Any] | None = None
    """An antivirus finding's record (:mod:`analytics.antivirus_finding_words`): ``None`` on other clusters."""
    host_finding: dict[str, Any] | None = None
    """A host finding's record (:mod:`analytics.host_finding_words`): ``None`` on other clusters."""
    lateral_sources: list[dict[str, Any]] | None = None
    """The hosts the cluster's address members logged on from, as the IP map placed them, and their
    remote-execution processes (:mod:`analytics.lateral_sources`); ``None`` when it has none."""

    def __post_init__(self) -> None:
        if not self.explanation.checks:
            checks = cluster_checks(
                self.explanation,
                pivot=self.pivot,
                entities=self.entities,
                hosts=self.hosts,
                first_seen=self.first_seen,
                features=self.features,
            )
            self.explanation = replace(self.explanation, checks=checks)

    def to_contract(self) -> dict[str, Any]:
        """The PRODUCT.md cluster contract of this cluster (plus extra keys)."""
        return {
            "id": self.id,
            "score": round(float(self.score), 2),
            "hosts": list(self.hosts),
            "entities": [{"type": e.type, "value": e.value} for e in self.entities],
            "first_seen": epoch_to_iso(self.first_seen),
            "last_seen": epoch_to_iso(self.last_seen),
            "explanation": self.explanation.to_dict(),
            "evidence": list(self.evidence),
            "pivot": {"type": self.pivot.type, "key": self.pivot.key, "value": self.pivot.value},
            "entity_keys": [{"type": e.type, "key": e.key} for e in self.entities],
            "features": dict(self.features),
            # "low" when the run had too few candidates for the risk to mean much
            # (analytics.scoring.MIN_CONFIDENT_CANDIDATES); the summary says so too.
            "score_confidence": self.explanation.confidence,
            # a behaviour pivot: its hosts, first sightings and processes as this detection made them
            **({PIVOT_RECORD: self.pivot.props[PIVOT_RECORD]} if PIVOT_RECORD in self.pivot.props else {}),
            # a password spray, brute force or success after failures on one validator: its attempts
            **({"credential": self.credential} if self.credential is not None else {}),
            # detections of one threat no fan-out cluster carries: its hosts, files and what the products did
            **({"antivirus": self.antivirus} if self.antivirus is not None else {}),
            # single-host rules (LSASS read, renamed tool, log cleared, stager...): the host's hits
            **({"host_finding": self.host_finding} if self.host_finding is not None else {}),
            # an address member's log-ons: the host the IP map held it on then, and what that host ran
            **({"lateral_sources": self.lateral_sources} if self.lateral_sources else {}),
        }

    def subgraph(self, store: GraphStore, *, radius: int = 1, limit: int = 5000) -> nx.MultiDiGraph:
        """The graph around the members in ``store`` (hosts, parents, network peers)."""
        return store.subgraph([e.ref for e in self.entities], radius=radius, limit=limit)


@dataclass(slots=True)
class DetectionResult:
    """The clusters of one detection run, highest risk first, and how it went.

    ``stats`` holds counts (fleet size, sightings, candidates, clusters) and
    phase timings in seconds.
    """

    clusters: list[Cluster]
    started_at: float
    duration_s: float
    stats: dict[str, Any] = field(default_factory=dict)
    reference: np.ndarray | None = field(default=None, compare=False, repr=False)
    """The scored feature rows the scorer was fitted on besides the candidates (earlier windows'
    candidates, the window's new clusters too small to be candidates; ``SCORED_FEATURES`` columns), so a
    rescore can fit on them too; not part of the contract."""

    def to_contract(self, top: int | None = None) -> dict[str, Any]:
        """``{"clusters": [...]}`` as in PRODUCT.md, plus ``detection`` metadata."""
        clusters = self.clusters if top is None else self.clusters[:top]
        return {
            "clusters": [c.to_contract() for c in clusters],
            "detection": {
                "started_at": epoch_to_iso(self.started_at),
                "duration_s": round(self.duration_s, 3),
                "stats": self.stats,
            },
        }
