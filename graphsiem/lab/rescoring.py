"""Re-score clusters on a custom feature matrix and explain the new risk (``Workspace.rescore``).

The same scorer as detection (:class:`analytics.scoring.ClusterScorer`), fitted
on the given rows, and the same explanation: exact Shapley contributions of
every column against the median cluster (:func:`analytics.explain.contributions`).
A rescored cluster thus never carries the explanation of the risk it no longer has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from analytics.explain import FeatureContribution, contributions
from analytics.features import FEATURE_DESCRIPTIONS
from analytics.result import Cluster
from analytics.scoring import ClusterScorer

NEUTRAL_RISK = 50.0
"""Risk of a lone cluster, as detection gives it: one candidate has nothing to be unusual against."""


def rescore_clusters(
    clusters: Sequence[Cluster], X: np.ndarray, names: Sequence[str], scorer_params: Mapping[str, Any]
) -> list[Cluster]:
    """``clusters`` with the risk a scorer fitted on ``X`` gives them and an explanation of it.

    Parameters
    ----------
    clusters : sequence of Cluster
    X : ndarray of shape (len(clusters), len(names))
    names : sequence of str
        Column names: the explanation's feature names.
    scorer_params : mapping
        :class:`~analytics.scoring.ClusterScorer` parameters (``directions`` included).

    Returns
    -------
    list of Cluster
        Copies in the input order: ``score`` the new risk; ``explanation`` the
        same summary with one feature per column (value, baseline = the median
        cluster, contribution = Shapley value of the risk / 100), largest first.
    """
    if len(clusters) >= 2:
        scorer = ClusterScorer(**scorer_params).fit(X)
        risk = scorer.risk(X)
        baseline = scorer.reference_
        contrib = contributions(scorer, X, baseline)
    else:
        risk = np.full(len(clusters), NEUTRAL_RISK)
        baseline = np.median(X, axis=0) if len(X) else np.zeros(len(names))
        contrib = np.zeros_like(X)
    out = []
    for i, cluster in enumerate(clusters):
        features = tuple(
            sorted(
                (
                    FeatureContribution(
                        name, round(float(X[i, j]), 4), round(float(baseline[j]), 4), round(float(contrib[i, j]), 4),
                        FEATURE_DESCRIPTIONS.get(name, "custom feature (rescore)"),
                    )
                    for j, name in enumerate(names)
                ),
                key=lambda f: (-f.contribution, f.name),
            )
        )
        explanation = replace(cluster.explanation, features=features)
        out.append(replace(cluster, score=float(risk[i]), explanation=explanation))
    return out
