"""Whether a feature matrix without cluster ids really is in the clusters' order (``Workspace.rescore``).

A frame indexed ``0 .. n-1`` or an array says nothing about which cluster each
row is: a frame sorted *after* ``reset_index`` looks exactly like one built in
cluster order, and taking it in that order gives one cluster's features to
another without any error (review U4 F2: 17 of 48 demo risks moved, the seed
campaign 90.7 -> 56.1).  Such rows are accepted only when they can be checked:
their :data:`~analytics.features.SCORED_FEATURES` columns must equal each
cluster's own features, row by row.  Rows that cannot be checked (no scored
column) or that were changed on purpose need ``order="clusters"``, the caller's
word that row ``i`` is cluster ``i``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from analytics.features import SCORED_FEATURES

IN_CLUSTER_ORDER = "clusters"
"""``rescore(order=...)``: the caller vouches that row ``i`` of ``X`` is cluster ``i``."""

_TOLERANCE = 1e-9
"""Relative tolerance of the comparison: a feature written to CSV and read back is the same value."""


def refuse_unchecked_order(
    values: np.ndarray, names: Sequence[str], ids: Sequence[str], own: Sequence[Mapping[str, float]],
    *, skip: set[int], order: str | None, what: str,
) -> None:
    """Refuse rows without ids unless they are the clusters', in the clusters' order.

    Parameters
    ----------
    values : ndarray of shape (len(ids), len(names))
        The matrix, row ``i`` taken as cluster ``ids[i]``'s.
    names : sequence of str
        Its column names; those in :data:`SCORED_FEATURES` are compared with ``own``.
    ids : sequence of str
        The clusters' ids, in order.
    own : sequence of mapping
        Each cluster's features (:attr:`analytics.result.Cluster.features`).
    skip : set of int
        Positions not compared (fixed-risk findings, whose rows are not read).
    order : str or None
        ``"clusters"`` skips the check; ``None`` checks.
    what : str
        How ``X`` is described in the error (``"a frame indexed 0..n-1"``, ``"an array"``).

    Raises
    ------
    ValueError
        No scored column to check by, or the first row whose scored values are
        not its cluster's (named with the column and both values).

    Examples
    --------
    >>> own = [{"burst_hosts": 4.0}, {"burst_hosts": 9.0}]
    >>> rows = np.array([[9.0], [4.0]])
    >>> refuse_unchecked_order(rows, ["burst_hosts"], ["a", "b"], own, skip=set(), order="clusters", what="an array")
    >>> refuse_unchecked_order(rows, ["burst_hosts"], ["a", "b"], own, skip=set(), order=None, what="an array")
    Traceback (most recent call last):
    ...
    ValueError: X is an array, so its rows are taken in the clusters' order, but row 0's 'burst_hosts' is 9.0 and cluster 'a' has 4.0: the rows look sorted or filtered. Index X by cluster id (cluster_frame does), give it an 'id' or 'cluster_id' column, or pass order='clusters' if row i is cluster i and you changed the values on purpose
    """
    if order is not None:
        if order != IN_CLUSTER_ORDER:
            raise ValueError(f"order must be None or {IN_CLUSTER_ORDER!r}, got {order!r}")
        return
    checked = [(j, name) for j, name in enumerate(names) if name in SCORED_FEATURES]
    hint = ("Index X by cluster id (cluster_frame does), give it an 'id' or 'cluster_id' column, or pass "
            f"order={IN_CLUSTER_ORDER!r} if row i is cluster i")
    if not checked:
        raise ValueError(
            f"X is {what} with no scored-feature column, so nothing tells which cluster each row is "
            f"(a frame sorted after reset_index would give its rows to the wrong clusters). {hint}"
        )
    for i, cluster_id in enumerate(ids):
        if i in skip or i >= len(values):
            continue
        for j, name in checked:
            expected = float(own[i].get(name, np.nan))
            if not np.isclose(values[i, j], expected, rtol=_TOLERANCE, atol=0.0, equal_nan=True):
                raise ValueError(
                    f"X is {what}, so its rows are taken in the clusters' order, but row {i}'s {name!r} is "
                    f"{float(values[i, j])!r} and cluster {cluster_id!r} has {expected!r}: the rows look sorted or "
                    f"filtered. {hint} and you changed the values on purpose"
                )
