"""Which features drove a cluster's risk: exact Shapley contributions against the ordinary cluster.

Attribution method: **exact Shapley values against a baseline cluster**.  The
baseline ``b`` is the median of each feature over the rows the scorer was fitted
on (the "ordinary cluster", :attr:`ClusterScorer.reference_`: the detection's
candidates, the earlier windows' candidates and the window's new clusters too small
to be candidates, :mod:`analytics.reference_clusters`).  For cluster ``x`` and a set ``S`` of
features, ``v(S)`` is the risk of ``x`` with the features outside ``S`` set to
their baseline; the contribution of feature ``f`` is its Shapley value in that
game, divided by 100.  Contributions therefore **sum to
(risk(x) - risk(b)) / 100**: they split, in shares of the 0–100 scale, how far
the cluster's risk sits above an ordinary cluster's.  Positive = the feature
made the cluster more suspicious.  With a one-sided scorer (``directions``,
:mod:`analytics.scoring`) a value on the benign side of the baseline is
clipped onto the baseline and so contributes exactly 0.

Why Shapley and not a one-at-a-time "replace with baseline" delta: a campaign
is usually singled out by several features at once (new LSASS access *and* an
encoded command *and* a synchronised burst); removing any one of them alone
barely moves the risk, so one-at-a-time deltas are all near zero exactly when
the case is clearest.  Shapley values share the credit among such redundant
features.  Exact enumeration is affordable because only features that differ
from the baseline take part (``2**k`` evaluations for ``k`` of them, batched
into one forest call).

The contributions are data; :mod:`analytics.explain` turns them into an explanation.
"""

from __future__ import annotations

import functools

import numpy as np

from analytics.features import SCORED_FEATURES
from analytics.scoring import ClusterScorer


def feature_baseline(X: np.ndarray) -> np.ndarray:
    """Median of each feature over ``X`` (the baseline when no scorer could be fitted)."""
    if len(X) == 0:
        return np.zeros(len(SCORED_FEATURES))
    return np.median(X, axis=0)


def contributions(scorer: ClusterScorer, X: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Exact Shapley contributions against the baseline, shape ``(n_clusters, n_features)``.

    The "game" of cluster ``x`` is ``v(S) = risk(x on S, baseline elsewhere)``;
    each feature gets its Shapley value ``/ 100``.  Features equal to their
    baseline are dummies (value 0), so only the ``k`` differing features are
    enumerated: ``2**k`` coalitions per cluster, batched into one forest call
    that scores each distinct row once (clusters with the same row share one game).

    Parameters
    ----------
    scorer : ClusterScorer
        Fitted scorer.
    X : ndarray of shape (n, f)
        Cluster features.
    baseline : ndarray of shape (f,)
        The ordinary value of each feature.

    Returns
    -------
    ndarray of shape (n, f)
        Row ``i`` sums to ``(risk(X[i]) - risk(baseline)) / 100``.

    Examples
    --------
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(size=(40, 2)), [[9.0, 0.0]]])
    >>> s = ClusterScorer(random_state=0).fit(X)
    >>> c = contributions(s, X, np.median(X, axis=0))
    >>> bool(c[-1, 0] > c[-1, 1])
    True
    """
    n, f = X.shape
    out = np.zeros((n, f))
    if n == 0:
        return out
    # A feature on the benign side of the baseline is clipped onto it by the scorer
    # (its ``directions``): it is then a dummy (contribution exactly 0), never risk.
    X = scorer.one_sided(X)
    # Clusters with the same (clipped) row play the same game: one game per distinct row.
    games, game_of = np.unique(X, axis=0, return_inverse=True)
    differing = [np.flatnonzero(games[i] != baseline) for i in range(len(games))]
    blocks, offsets, total = [], [], 0
    for i, cols in enumerate(differing):
        masks = _coalitions(len(cols))
        rows = np.repeat(baseline[None, :], len(masks), axis=0)
        for bit, col in enumerate(cols):
            on = masks[:, bit]
            rows[on, col] = games[i, col]
        blocks.append(rows)
        offsets.append(total)
        total += len(rows)
    values = distinct_row_risks(scorer, np.vstack(blocks)) / 100.0
    shares = np.zeros((len(games), f))
    for i, cols in enumerate(differing):
        k = len(cols)
        if k == 0:
            continue
        v = values[offsets[i] : offsets[i] + (1 << k)]
        shares[i, cols] = _shapley(v, k)
    out[:] = shares[game_of.reshape(-1)]
    return out


def distinct_row_risks(scorer: ClusterScorer, rows: np.ndarray) -> np.ndarray:
    """``scorer.risk(rows)``, each distinct row scored once.

    The coalitions of different clusters are often the same row (the baseline
    with one common value switched on: a 60-minute spread, one source kind), and
    the forest scores every row on its own, so scoring each distinct row once
    gives the same values to the last bit at a fraction of the forest's work
    (review U4 F7).

    Examples
    --------
    >>> rng = np.random.RandomState(0)
    >>> s = ClusterScorer(random_state=0).fit(rng.normal(size=(40, 2)))
    >>> rows = np.repeat(rng.normal(size=(5, 2)), 3, axis=0)
    >>> bool((distinct_row_risks(s, rows) == s.risk(rows)).all())
    True
    """
    if not len(rows):
        return scorer.risk(rows)
    distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
    return scorer.risk(distinct)[inverse.reshape(-1)]


@functools.cache
def _coalitions(k: int) -> np.ndarray:
    """Boolean ``(2**k, k)`` table: row ``m`` has bit ``b`` of ``m`` in column ``b`` (made once per ``k``)."""
    m = np.arange(1 << k)[:, None]
    table = ((m >> np.arange(k)[None, :]) & 1).astype(bool)
    table.flags.writeable = False
    return table


@functools.cache
def _shapley_terms(k: int) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]:
    """Per player ``j`` of a ``k``-player game: the coalitions without ``j``, the same with ``j``,
    and their Shapley weights ``s! (k - s - 1)! / k!`` (made once per ``k``, not once per cluster)."""
    masks = np.arange(1 << k)
    sizes = np.array([bin(m).count("1") for m in masks])
    fact = [float(np.prod(np.arange(1, t + 1))) for t in range(k + 1)]
    terms = []
    for j in range(k):
        without = masks[(masks >> j) & 1 == 0]
        weights = np.array([fact[t] * fact[k - t - 1] / fact[k] for t in sizes[without]])
        terms.append((without, without | (1 << j), weights))
    return tuple(terms)


def _shapley(v: np.ndarray, k: int) -> np.ndarray:
    """Shapley values of a ``k``-player game given ``v[mask]`` for every coalition mask."""
    phi = np.zeros(k)
    for j, (without, with_j, weights) in enumerate(_shapley_terms(k)):
        phi[j] = float(np.sum(weights * (v[with_j] - v[without])))
    return phi
