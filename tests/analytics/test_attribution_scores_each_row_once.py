"""Shapley contributions score each distinct coalition row once (review U4 F7) and give the values
of the plain per-cluster enumeration to the last bit."""

from __future__ import annotations

import itertools
import math

import numpy as np

from analytics.attribution import contributions
from analytics.scoring import ClusterScorer


class CountingScorer(ClusterScorer):
    """A ClusterScorer that records how many rows each ``risk`` call scored."""

    def risk(self, X):
        self.scored_rows = getattr(self, "scored_rows", 0) + len(X)
        return super().risk(X)


def _fleet() -> tuple[CountingScorer, np.ndarray]:
    rng = np.random.RandomState(3)
    ordinary = np.column_stack([rng.choice([0.0, 1.0, 2.0], 60), rng.choice([0.0, 5.0], 60), rng.normal(size=60)])
    scorer = CountingScorer(random_state=0, directions=[1, 1, 0]).fit(ordinary)
    # many clusters share a row, and their coalitions share rows too (one value on, the rest baseline)
    clusters = np.vstack([np.tile([[2.0, 5.0, 0.5]], (20, 1)), np.tile([[2.0, 0.0, 0.5]], (10, 1)),
                          [[1.0, 5.0, -3.0]], [[2.0, 5.0, 4.0]]])
    return scorer, clusters


def _plain_shapley(scorer: ClusterScorer, x: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """The textbook definition, one coalition at a time (no batching, no sharing)."""
    x = scorer.one_sided(x[None, :])[0]
    players = [j for j in range(len(x)) if x[j] != baseline[j]]
    k = len(players)

    def value(coalition: tuple[int, ...]) -> float:
        row = baseline.copy()
        row[list(coalition)] = x[list(coalition)]
        return float(scorer.risk(row[None, :])[0]) / 100.0

    phi = np.zeros(len(x))
    for j in players:
        others = [p for p in players if p != j]
        for size in range(k):
            weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            for coalition in itertools.combinations(others, size):
                phi[j] += weight * (value((*coalition, j)) - value(coalition))
    return phi


def test_each_distinct_coalition_row_is_scored_once() -> None:
    scorer, clusters = _fleet()
    baseline = scorer.reference_
    scorer.scored_rows = 0
    contributions(scorer, clusters, baseline)
    clipped = scorer.one_sided(clusters)
    coalitions = set()
    for x in clipped:
        players = np.flatnonzero(x != baseline)
        for mask in itertools.product([False, True], repeat=len(players)):
            row = baseline.copy()
            row[players[list(mask)]] = x[players[list(mask)]]
            coalitions.add(tuple(row))
    every = sum(1 << int(np.count_nonzero(x != baseline)) for x in clipped)
    assert len(coalitions) < every / 10, "the fleet must share coalition rows for the test to mean anything"
    assert scorer.scored_rows == len(coalitions)


def test_values_are_those_of_the_plain_enumeration() -> None:
    scorer, clusters = _fleet()
    got = contributions(scorer, clusters, scorer.reference_)
    for i, x in enumerate(clusters):
        assert np.allclose(got[i], _plain_shapley(scorer, x, scorer.reference_), rtol=0.0, atol=1e-12)
    # clusters with the same row get the same contributions, and they sum to the risk above the baseline
    assert (got[:20] == got[0]).all() and (got[20:30] == got[20]).all()
    risk_above = (scorer.risk(clusters) - scorer.risk(scorer.reference_[None, :])) / 100.0
    assert np.allclose(got.sum(axis=1), risk_above, atol=1e-12)
