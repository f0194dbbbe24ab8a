"""Explanations: which features drove a cluster's risk, and a one-line summary.

The contributions are :mod:`analytics.attribution`'s (exact Shapley values against the
ordinary cluster, whose method and reasons it gives); the summary is
:mod:`analytics.cluster_summary`'s; a young pivot's facts :mod:`analytics.young_pivots`'.

Explanations are data (:class:`FeatureContribution`); the summary is rendered
from those data at the edge, and treats every entity value as text.  What
an analyst should check next, and what would make the cluster benign
(:class:`Check`), is written by :mod:`analytics.checks` from the contributing
features and the cluster's members.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from analytics.cluster_summary import summarize
from analytics.credited_processes import CreditedProcesses
from analytics.feature_words import PLAIN_DESCRIPTIONS
from analytics.features import FEATURE_DESCRIPTIONS, SCORED_FEATURES, ClusterFacts
from analytics.history import HistoryCounts
from analytics.image_builds import NewBuild
from analytics.lineage import LineagePair
from analytics.lookalike import Lookalike
from analytics.pivot_contacts import PivotContacts
from analytics.scoring import MIN_CONFIDENT_CANDIDATES
from analytics.young_pivots import YoungPivot
from graphsiem.model import EntityKey

NO_HISTORY = (
    "low confidence: most hosts seen in the detection window have no data from before it, so what "
    "is new in the fleet, and when hosts first saw it, cannot be told"
)
"""The summary's reason when the fleet has no history (:mod:`analytics.history`).  What was tested
is the window's hosts, not the store: a 2019 backtest on 3 hosts of a store holding 2018-2019 data
said "the store holds no data from before the detection window" (review T5)."""


@dataclass(slots=True, frozen=True)
class FeatureContribution:
    """One feature of an explanation: its value, the fleet baseline and its contribution."""

    name: str
    value: float
    baseline: float
    contribution: float
    description: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(slots=True, frozen=True)
class Check:
    """One next step for an analyst: what to look at, and what finding would make the cluster benign.

    ``feature`` is the scored feature the step follows from (``None`` for a step
    about the cluster as a whole: its pivot's installation, a low-confidence run).
    Both texts are plain text quoting cluster values, never markup.
    """

    feature: str | None
    check: str
    benign_if: str

    def to_dict(self) -> dict[str, object]:
        return {"feature": self.feature, "check": self.check, "benign_if": self.benign_if}


@dataclass(slots=True, frozen=True)
class Explanation:
    """Why a cluster scored what it did.

    ``confidence`` is ``"low"`` when the scorer was fitted on fewer than
    :data:`~analytics.scoring.MIN_CONFIDENT_CANDIDATES` new clusters (candidates,
    earlier windows' candidates, the window's smaller new clusters): the forest
    compares clusters with each other, and with so few it cannot tell them apart
    (two both score 50, every contribution 0).  It is
    ``"low"`` too when most hosts seen in the window have no data from before it
    (``history`` False, :mod:`analytics.history`): everything is then "new"
    and every first contact falls at the start of the data, so the features
    that measure novelty and synchronisation measure the data's start.  The
    summary says which reason applies.  It is not part of :meth:`to_dict` (the contract's
    ``explanation`` is ``summary`` and ``features``); the cluster contract
    carries it as ``score_confidence``.

    ``checks`` are the analyst's next steps (:mod:`analytics.checks`), filled in
    by :class:`~analytics.result.Cluster`, which knows the members and times.
    ``lineage``, ``new_members``, ``drivers`` (new kernel-driver members from
    outside the Windows driver directory), ``candidates`` and ``history`` are the
    facts they cite that only the detection knows (not part of :meth:`to_dict`).
    """

    summary: str
    features: tuple[FeatureContribution, ...]
    confidence: str = "normal"
    checks: tuple[Check, ...] = ()
    lineage: tuple[LineagePair, ...] = ()
    new_members: tuple[EntityKey, ...] = ()
    candidates: int | None = None
    drivers: tuple[EntityKey, ...] = ()
    history: bool = True
    lookalikes: tuple[Lookalike, ...] = ()
    """New member domains that look like a domain the fleet trusts (:mod:`analytics.lookalike`)."""
    young: YoungPivot | None = None
    """The pivot is young and spreading (low and slow): when the fleet first saw it, on how many hosts."""
    credited: tuple[CreditedProcesses, ...] = ()
    """The one-host processes that lent the cluster a behaviour or a lineage pair, by behaviour
    (:func:`analytics.credited_processes.cluster_credits`): no members, so the texts name them."""
    contacts: PivotContacts | None = None
    """The pivot's first contacts and contact interval on the cluster's hosts
    (:mod:`analytics.pivot_contacts`): the times and the interval the checks quote."""
    history_counts: HistoryCounts | None = None
    """How many of the window's hosts and of the cluster's have data from before the window
    (:func:`analytics.history.history_counts`): what a low-confidence check says was tested."""

    def credited_for(self, behaviour: str) -> CreditedProcesses | None:
        """The first credited processes of ``behaviour`` (the pivot's, when it has some), or ``None``."""
        return next((c for c in self.credited if c.behaviour == behaviour), None)

    def to_dict(self) -> dict[str, object]:
        return {
            "summary": self.summary,
            "features": [f.to_dict() for f in self.features],
            "checks": [c.to_dict() for c in self.checks],
        }


def explain(
    facts: ClusterFacts,
    contribution: np.ndarray,
    baseline: np.ndarray,
    *,
    pivot_type: str,
    pivot_value: str,
    host_count: int,
    pivot_is_new: bool,
    installed_as: str | None = None,
    candidates: int | None = None,
    pivot_key: str = "",
    young: YoungPivot | None = None,
    credited: tuple[CreditedProcesses, ...] = (),
    contacts: PivotContacts | None = None,
    history_counts: HistoryCounts | None = None,
    new_build: NewBuild | None = None,
) -> Explanation:
    """The explanation of one cluster, features sorted by contribution (largest first).

    ``installed_as`` (``"service"``, ``"scheduled task"``, ``"WMI subscription"``, ``"driver"``): the pivot is a
    command, a driver file or a WMI consumer's script, hosts installed that way (:func:`summarize`).
    ``candidates``: how many new clusters the risk was scored among (the rows the
    scorer was fitted on: candidates, earlier windows', the window's smaller ones); below
    :data:`~analytics.scoring.MIN_CONFIDENT_CANDIDATES` the explanation is marked
    low-confidence and its summary says why.  So it is when most hosts seen in the
    window have no data from before it (``facts.history`` False): the summary then
    claims nothing "new in the fleet" and says why the confidence is low.
    ``young``: the pivot is young and spreading (:func:`young_pivot`); the summary
    says when the fleet first saw it and where it is spreading.
    ``credited``: the one-host processes that lent the cluster its behaviours
    (:func:`analytics.credited_processes.cluster_credits`); the summary names them.
    ``contacts`` and ``history_counts`` are kept for the checks
    (:attr:`Explanation.contacts`, :attr:`Explanation.history_counts`).
    ``new_build``: the pivot is a build a process ran (:func:`analytics.image_builds.new_builds`); the
    summary says it as a new build of its path.
    """
    rows = [
        FeatureContribution(
            name=name,
            value=round(float(facts.features[name]), 4),
            baseline=round(float(baseline[k]), 4),
            contribution=round(float(contribution[k]), 4),
            description=PLAIN_DESCRIPTIONS.get(name, FEATURE_DESCRIPTIONS[name]),
        )
        for k, name in enumerate(SCORED_FEATURES)
    ]
    rows.sort(key=lambda r: (-r.contribution, r.name))
    summary = summarize(
        facts,
        pivot_type=pivot_type,
        pivot_value=pivot_value,
        host_count=host_count,
        pivot_is_new=pivot_is_new,
        installed_as=installed_as,
        young=young,
        credited=credited,
        pivot_key=pivot_key,
        new_build=new_build,
    )
    confidence = "normal"
    if candidates is not None and candidates < MIN_CONFIDENT_CANDIDATES:
        confidence = "low"
        summary += (
            f"; low confidence: scored among only {candidates} new cluster{'s' if candidates != 1 else ''}, "
            "too few to tell what is unusual"
        )
    if not facts.history:
        confidence = "low"
        summary += "; " + NO_HISTORY
    return Explanation(
        summary=summary,
        features=tuple(rows),
        confidence=confidence,
        lineage=tuple(facts.new_pairs),
        new_members=tuple(facts.new_members),
        candidates=candidates,
        drivers=tuple(facts.drivers),
        history=facts.history,
        lookalikes=tuple(facts.lookalikes),
        young=young,
        credited=tuple(credited),
        contacts=contacts,
        history_counts=history_counts,
    )
