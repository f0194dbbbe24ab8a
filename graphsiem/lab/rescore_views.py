"""``Workspace.rescore``: re-score a detection's clusters on a feature matrix of one's own.

The checks on the matrix (rows matched to clusters, column names, directions)
and the fit, apart from the workspace (store, journal, detection) so that each
module keeps one job; the scoring and explanation it uses are
:mod:`graphsiem.lab.rescoring`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from analytics.config import DetectionConfig
from analytics.features import SCORED_FEATURES, SUSPICIOUS_DIRECTION
from graphsiem.lab.rescoring import (
    aligned_matrix,
    detection_of,
    reference_columns,
    refuse_near_misses,
    rescore_clusters,
)

if TYPE_CHECKING:
    from analytics.result import Cluster
    from graphsiem.lab.clusters import ClusterView


def is_fixed_risk(cluster: Cluster) -> bool:
    """Whether ``cluster`` is a finding at a rule's fixed risk (credential, antivirus, host), not forest-scored.

    Examples
    --------
    >>> from analytics.result import Cluster, Entity, Explanation
    >>> host = Entity("host", "ws-1", "ws-1")
    >>> plain = Cluster("c", host, 50.0, ["ws-1"], [host], 0.0, 0.0, {}, Explanation("", (), ()))
    >>> is_fixed_risk(plain), is_fixed_risk(replace(plain, host_finding={"rules": []}))
    (False, True)
    """
    return cluster.credential is not None or cluster.antivirus is not None or cluster.host_finding is not None

def rescore(
    clusters: Sequence[ClusterView], X: Any, *, directions: Any = "detect", custom: Iterable[str] = (),
    history: bool | None = None, order: str | None = None, **scorer_params: Any,
) -> list[ClusterView]:
    """Re-score clusters on a custom feature matrix, as :meth:`Workspace.detect` scores; re-ranked, highest risk first.

    The same :class:`~analytics.scoring.ClusterScorer` as detection, with the
    detection's scorer settings (``n_estimators``, ``random_state``... of the
    config the clusters were detected with) and, unless told otherwise, its
    **one-sided** directions: a feature of :data:`SCORED_FEATURES` is clipped
    to its suspicious side of the median cluster (``SUSPICIOUS_DIRECTION``),
    and a column of your own is left two-sided.  It is fitted on the same
    rows as the detection: the clusters, plus the reference rows the detection fitted
    on (the earlier windows' candidates, :meth:`Workspace.detect`'s ``history``, and the
    window's new clusters too small to be candidates) when every column of
    ``X`` is a scored feature.  So ``ws.rescore(clusters, ws.cluster_frame(clusters)[lab.SCORED_FEATURES])``
    gives detection's risks back, and any difference comes from your columns
    (``lab.SCORED_FEATURES`` is a list and :data:`analytics.features.SCORED_FEATURES` a
    :class:`~analytics.column_names.ColumnNames`: pandas reads either as columns).
    (Exactly so while the rows are at most 256, the forest's sample; with more,
    each tree's sample depends on the rows' order, which detection does not
    keep, and risks can differ a little.)  With a column of your own the
    earlier rows, which lack it, cannot be used: the forest is fitted on the
    clusters alone, with a warning when the detection used earlier rows.

    Each returned view's explanation is recomputed for ``X``: the Shapley
    contribution of every column to the new risk, against the median
    cluster (the summary line, which states facts of the cluster, is kept);
    its ``features`` (and ``to_dict()``) hold every column's value too.

    Parameters
    ----------
    clusters : sequence of ClusterView
        From one detection (one config, one reference).
    X : DataFrame or array-like of shape (len(clusters), n_features)
        Any feature columns, e.g. :data:`SCORED_FEATURES` plus your own.  A
        DataFrame's rows are matched to the clusters by cluster id: its
        ``id`` or ``cluster_id`` column if it has one (``cluster_frame(...).reset_index()``
        keeps both), else its index (:meth:`Workspace.cluster_frame`'s is the ids).
        An index ``0..n-1`` and an array are taken in cluster order, and checked:
        their :data:`SCORED_FEATURES` columns must be each cluster's own values
        (a frame sorted after ``reset_index`` is refused, not misread); a
        frame without such columns, or with values changed on purpose, needs
        ``order="clusters"``.  Its column names pick the directions and
        name the explanation's features; an array must then be exactly the
        :data:`SCORED_FEATURES` columns, or come with ``directions``.
    directions : "detect", None, int or sequence of int
        ``"detect"`` (default): detection's direction of each
        :data:`SCORED_FEATURES` column by name, 0 (two-sided) for others.
        ``None``: a two-sided forest on every column.  Otherwise one of
        ``-1, 0, +1`` per column (or one for all): +1 higher is suspicious,
        -1 lower is, 0 either.
    custom : iterable of str
        Columns of your own whose names are close to a scored feature's
        (otherwise refused as a likely misspelling, e.g. ``burst_host``).
    history : bool, optional
        Default: the detection's earlier rows when every column is a scored
        feature.  ``True``: require them (refused with a column of your own).
        ``False``: fit on the clusters alone.
    order : "clusters", optional
        Row ``i`` of an ``X`` without cluster ids (index ``0..n-1``, array) is
        cluster ``i``: skips the check of its scored features against the clusters'.
    **scorer_params
        Overrides of :class:`analytics.scoring.ClusterScorer` parameters
        (``n_estimators``, ``max_samples``, ``max_features``,
        ``contamination``, ``random_state``...).

    Returns
    -------
    list of ClusterView
        The clusters with their new risk and explanation, highest risk
        first (ties: fewer hosts, then id, as detection orders them).

    Raises
    ------
    ValueError
        ``X``'s rows do not match the clusters (ids not theirs, missing or
        twice, an index in another order, rows without ids whose scored
        features are not the clusters' or cannot be checked); a column that is not numbers, or
        holds NaN or infinity (named, with a cluster it is in); a column named like a scored
        feature but not one (not in ``custom``); ``directions="detect"`` with
        an unnamed array that is not the :data:`SCORED_FEATURES` columns;
        clusters of different detections.
    """
    # Credential, antivirus and host findings have fixed risks that no forest gives (detection
    # never fits them either): they keep their risk, and their rows of X are not read.
    unscored = {i for i, v in enumerate(clusters) if is_fixed_risk(v.cluster)}
    features, names = aligned_matrix([v.id for v in clusters], X, unscored=unscored,
                                     own=[v.features for v in clusters], order=order)
    if features.ndim != 2 or len(features) != len(clusters):
        raise ValueError(f"X must have one row per cluster ({len(clusters)}), got shape {features.shape}")
    if names is None:
        if directions == "detect" and features.shape[1] != len(SCORED_FEATURES):
            raise ValueError(
                f"X has {features.shape[1]} unnamed columns: pass a DataFrame (its column names pick "
                f"the directions) or directions= (one of -1, 0, +1 per column)"
            )
        names = list(SCORED_FEATURES) if features.shape[1] == len(SCORED_FEATURES) else [
            f"x{i}" for i in range(features.shape[1])]
    refuse_near_misses(names, custom)
    if isinstance(directions, str):
        if directions != "detect":
            raise ValueError(f"directions must be 'detect', None or -1/0/+1 per column, got {directions!r}")
        directions = [SUSPICIOUS_DIRECTION.get(name, 0) for name in names]
    config, earlier = detection_of(clusters)
    reference = reference_columns(earlier, names, history)
    scorer_params = {**(config or DetectionConfig()).scorer_params(), **scorer_params, "directions": directions}
    scored = [i for i in range(len(clusters)) if i not in unscored]
    rescored = rescore_clusters([clusters[i].cluster for i in scored], features[scored], names, scorer_params,
                                reference=reference)
    by_position = dict(zip(scored, rescored, strict=True))
    views = [replace(v, cluster=by_position[i]) if i in by_position else v for i, v in enumerate(clusters)]
    return sorted(views, key=lambda v: (-round(v.score, 9), len(v.hosts), v.id))

