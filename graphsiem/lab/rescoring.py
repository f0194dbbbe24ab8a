"""Re-score clusters on a custom feature matrix and explain the new risk (``Workspace.rescore``).

The same scorer as detection (:class:`analytics.scoring.ClusterScorer`), fitted
on the given rows (and on the earlier windows' candidate rows the detection was
fitted with, when given), and the same explanation: exact Shapley contributions
of every column against the median cluster (:func:`analytics.attribution.contributions`).
A rescored cluster thus never carries the explanation of the risk it no longer has.

The rows of a feature matrix are matched to the clusters here too
(:func:`aligned_matrix`): by cluster id when the frame carries them, so a sorted
or filtered frame never gives one cluster's features to another.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.attribution import contributions
from analytics.config import DetectionConfig
from analytics.explain import FeatureContribution
from analytics.feature_words import PLAIN_DESCRIPTIONS
from analytics.features import FEATURE_DESCRIPTIONS, SCORED_FEATURES
from analytics.result import Cluster
from analytics.scoring import ClusterScorer
from graphsiem.lab.row_order import refuse_unchecked_order

if TYPE_CHECKING:
    from graphsiem.lab.clusters import ClusterView

NEUTRAL_RISK = 50.0
"""Risk of a lone cluster, as detection gives it: one candidate has nothing to be unusual against."""

ID_COLUMN = "id"
"""A frame column holding cluster ids (``cluster_frame``'s): it matches rows to clusters, it is no feature."""

FRAME_INDEX = "cluster_id"
"""The name of :meth:`Workspace.cluster_frame`'s index: the cluster ids, which :meth:`Workspace.rescore` matches rows by."""

ID_COLUMNS = (ID_COLUMN, FRAME_INDEX)
"""Columns read as cluster ids: ``id``, and ``cluster_id``, which ``cluster_frame``'s index becomes after ``reset_index()``."""

CUSTOM_DESCRIPTION = "custom feature (rescore)"
"""The description of a column of one's own in a rescored explanation."""

NEAR_MISS_CUTOFF = 0.8
"""How alike (:class:`difflib.SequenceMatcher` ratio) a column name and a scored feature's name
must be for the column to be taken as a misspelling of it (``burst_host``: 0.95)."""


def aligned_matrix(
    ids: Sequence[str], X: Any, *, unscored: Iterable[int] = (), own: Sequence[Mapping[str, float]] | None = None,
    order: str | None = None,
) -> tuple[np.ndarray, list[str] | None]:
    """``X`` as a float matrix whose row ``i`` is the cluster ``ids[i]``'s, and its column names.

    Rows at the positions in ``unscored`` (fixed-risk findings, which no forest
    scores and which have no scored features) may hold NaN: only the other
    rows are checked for missing or infinite values.

    A DataFrame is matched to the clusters by its ``id`` or ``cluster_id``
    column when it has one (:meth:`Workspace.cluster_frame`'s ``id`` column and,
    after ``reset_index()``, its index; such columns are then not features),
    else by its index: the cluster ids (``cluster_frame``'s index), or
    ``0 .. n-1`` for rows in cluster order.  An array (no index) is taken in
    cluster order.  Rows taken in cluster order are checked when ``own`` (each
    cluster's features) is given: their scored-feature columns must be the
    clusters' own, unless ``order="clusters"`` (:mod:`graphsiem.lab.row_order`).

    Raises
    ------
    ValueError
        Rows that are not these clusters (unknown ids, an index in another
        order, rows in cluster order whose scored features are other clusters'),
        clusters without a row, a cluster with two rows, or ``id`` and
        ``cluster_id`` columns that disagree.
    """
    if not (hasattr(X, "columns") and hasattr(X, "index")):
        try:
            values = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"X is not a matrix of numbers: {exc}") from exc
        _refuse_scored_rows(values, [f"column {i}" for i in range(values.shape[1])] if values.ndim == 2 else [], ids, unscored)
        if own is not None and values.ndim == 2 and values.shape == (len(ids), len(SCORED_FEATURES)):
            # unnamed, it is read as the scored features (rescore): checkable
            refuse_unchecked_order(values, SCORED_FEATURES, ids, own, skip=set(unscored), order=order,
                                   what="an array")
        return values, None
    frame = X
    keys: list[str] | None
    id_columns = [c for c in ID_COLUMNS if c in frame.columns]
    if id_columns:
        keys, source = _id_column_keys(frame, id_columns)
        frame = frame.drop(columns=id_columns)
    elif list(frame.index) == list(range(len(frame))):
        keys, source = None, ""  # built in cluster order, nothing to match by
    else:
        keys, source = [str(v) for v in frame.index], "its index"
    names = [str(c) for c in frame.columns]
    values = _numeric_columns(frame, names, keys if keys is not None else list(ids))
    if keys is None:
        _refuse_scored_rows(values, [repr(n) for n in names], ids, unscored)
        if own is not None and len(values) == len(ids):  # else rescore refuses the row count
            refuse_unchecked_order(values, names, ids, own, skip=set(unscored), order=order,
                                   what="a frame indexed 0..n-1")
        return values, names
    values = values[_row_order(ids, keys, source)]
    _refuse_scored_rows(values, [repr(n) for n in names], ids, unscored)
    return values, names


def _id_column_keys(frame: Any, columns: Sequence[str]) -> tuple[list[str], str]:
    """The cluster ids of a frame's id column(s), and how they are named in errors; both columns must agree."""
    keys = [str(v) for v in frame[columns[0]]]
    for other in columns[1:]:
        for row, (key, second) in enumerate(zip(keys, (str(v) for v in frame[other]), strict=True)):
            if key != second:
                raise ValueError(
                    f"X's {columns[0]!r} and {other!r} columns name different clusters in row {row} "
                    f"({key!r}, {second!r}): keep one of them"
                )
    return keys, f"its {columns[0]!r} column"


def _refuse_scored_rows(values: np.ndarray, labels: Sequence[str], ids: Sequence[str], unscored: Iterable[int]) -> None:
    """:func:`refuse_non_finite` over the rows not in ``unscored`` (ids kept beside their rows)."""
    skip = set(unscored)
    if not skip or values.ndim != 2:
        refuse_non_finite(values, labels, ids)
        return
    keep = [i for i in range(len(values)) if i not in skip]
    refuse_non_finite(values[keep], labels, [ids[i] for i in keep if i < len(ids)])


def _numeric_columns(frame: Any, names: Sequence[str], row_ids: Sequence[str]) -> np.ndarray:
    """The frame's columns as floats, or a ValueError naming the first column that is not numbers
    and a row it fails in (numbers written as text, ``"1.5"``, are read as numbers)."""
    columns = []
    for position, name in enumerate(names):
        column = frame.iloc[:, position]
        try:
            columns.append(np.asarray(column, dtype=np.float64))
        except (TypeError, ValueError):
            row = next(i for i, v in enumerate(column) if not _is_number(v))
            where = f" (cluster {row_ids[row]!r})" if row < len(row_ids) else ""
            raise ValueError(
                f"column {name!r} is not numbers: {column.iloc[row]!r}{where}. Pass only feature columns, "
                "e.g. frame[lab.SCORED_FEATURES] plus your own numeric ones"
            ) from None
    return np.column_stack(columns) if columns else np.empty((len(frame), 0))


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def refuse_non_finite(values: np.ndarray, labels: Sequence[str], ids: Sequence[str]) -> None:
    """Refuse NaN or infinity, naming the column and a cluster it is in: the forest takes neither.

    Examples
    --------
    >>> refuse_non_finite(np.array([[1.0, np.nan], [2.0, 3.0]]), ["'a'", "'ratio'"], ["c1", "c2"])
    Traceback (most recent call last):
    ...
    ValueError: column 'ratio' holds NaN in 1 row(s) (cluster 'c1'): the scorer takes no missing or infinite values; fill them (e.g. X.fillna(0)) or drop the column
    """
    if values.ndim != 2 or not values.size:
        return
    bad = ~np.isfinite(values)
    if not bad.any():
        return
    column = int(np.flatnonzero(bad.any(axis=0))[0])
    rows = np.flatnonzero(bad[:, column])
    kind = "NaN" if np.isnan(values[rows[0], column]) else "infinity"
    label = labels[column] if column < len(labels) else f"column {column}"
    label = label if label.startswith("column") else f"column {label}"
    where = f" (cluster {ids[rows[0]]!r})" if rows[0] < len(ids) else ""
    raise ValueError(
        f"{label} holds {kind} in {len(rows)} row(s){where}: the scorer takes no missing or infinite values; "
        "fill them (e.g. X.fillna(0)) or drop the column"
    )


def _row_order(ids: Sequence[str], keys: Sequence[str], source: str) -> list[int]:
    """Row of each cluster id, or a ValueError naming what does not match."""
    position: dict[str, int] = {}
    twice = []
    for row, key in enumerate(keys):
        if key in position:
            twice.append(key)
        position[key] = row
    missing = [i for i in ids if i not in position]
    wanted = set(ids)
    strangers = [k for k in position if k not in wanted]
    if not (twice or missing or strangers):
        return [position[i] for i in ids]
    problems = []
    if strangers:
        problems.append(f"{len(strangers)} row(s) are not these clusters ({_some(strangers)})")
    if missing:
        problems.append(f"{len(missing)} cluster(s) have no row ({_some(missing)})")
    if twice:
        problems.append(f"cluster(s) with two rows ({_some(twice)})")
    raise ValueError(
        f"X's rows do not match the clusters by {source}: {'; '.join(problems)}. Index X by cluster id "
        f"(cluster_frame does), give it an {ID_COLUMN!r} or {FRAME_INDEX!r} column, or keep its rows in the "
        "clusters' order with the index 0..n-1 (its scored features are then checked against the clusters')"
    )


def _some(values: Sequence[str], most: int = 3) -> str:
    shown = ", ".join(repr(v) for v in values[:most])
    return shown + (", ..." if len(values) > most else "")


def refuse_near_misses(names: Iterable[str], custom: Iterable[str] = ()) -> None:
    """Refuse a column named almost like a scored feature, unless declared ``custom``.

    A column that is not in :data:`SCORED_FEATURES` is scored as a feature of
    one's own (two-sided, "custom feature" in the explanation), so a typo
    (``burst_host``) would silently lose the scored feature's direction and
    description.

    Raises
    ------
    ValueError
        Naming the column and the scored feature it is close to.

    Examples
    --------
    >>> refuse_near_misses(["burst_hosts", "executed_share"])
    >>> refuse_near_misses(["burst_host"], custom=["burst_host"])
    >>> refuse_near_misses(["burst_host"])
    Traceback (most recent call last):
    ...
    ValueError: column 'burst_host' is not a scored feature but looks like 'burst_hosts': rename it, or pass custom=['burst_host'] to score it as a feature of your own (two-sided)
    """
    declared = set(custom)
    for name in names:
        if name in SCORED_FEATURES or name in declared:
            continue
        close = difflib.get_close_matches(name, SCORED_FEATURES, n=1, cutoff=NEAR_MISS_CUTOFF)
        if close:
            raise ValueError(
                f"column {name!r} is not a scored feature but looks like {close[0]!r}: rename it, or pass "
                f"custom=[{name!r}] to score it as a feature of your own (two-sided)"
            )


def rescore_clusters(
    clusters: Sequence[Cluster], X: np.ndarray, names: Sequence[str], scorer_params: Mapping[str, Any],
    *, reference: np.ndarray | None = None,
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
    reference : ndarray of shape (n_rows, len(names)), optional
        Earlier windows' candidate rows, fitted on with ``X`` as detection does
        (:func:`analytics.candidate_history.reference_rows`: earlier rows first).

    Returns
    -------
    list of Cluster
        Copies in the input order: ``score`` the new risk; ``explanation`` the
        same summary with one feature per column (value, baseline = the median
        cluster, contribution = Shapley value of the risk / 100), largest first;
        ``features`` holds every column's value too, so ``to_contract()`` lists
        what the explanation does.
    """
    training = X if reference is None or not len(reference) else np.vstack([reference, X])
    if len(clusters) and len(training) >= 2:
        scorer = ClusterScorer(**scorer_params).fit(training)
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
                        _description(name),
                    )
                    for j, name in enumerate(names)
                ),
                key=lambda f: (-f.contribution, f.name),
            )
        )
        explanation = replace(cluster.explanation, features=features)
        values = {**cluster.features, **{name: float(X[i, j]) for j, name in enumerate(names)}}
        out.append(replace(cluster, score=float(risk[i]), explanation=explanation, features=values))
    return out


def _description(name: str) -> str:
    """The words detection's explanation uses for a feature (:func:`analytics.explain.explain`:
    the analyst's, else the technical definition), so a rescored cluster reads as a detected one."""
    return PLAIN_DESCRIPTIONS.get(name) or FEATURE_DESCRIPTIONS.get(name, CUSTOM_DESCRIPTION)


def detection_of(clusters: Sequence[ClusterView]) -> tuple[DetectionConfig | None, np.ndarray | None]:
    """The config and earlier rows the clusters were detected with; refused when they differ."""
    if not clusters:
        return None, None
    first = clusters[0]
    for view in clusters[1:]:
        if view.config != first.config or view.reference is not first.reference:
            raise ValueError(
                f"clusters {first.id} and {view.id} come from different detections (other settings or "
                "history): rescore the clusters of one detect() at a time"
            )
    return first.config, first.reference


def reference_columns(earlier: np.ndarray | None, names: Sequence[str], history: bool | None) -> np.ndarray | None:
    """The detection's earlier rows restricted to ``names``, as :meth:`graphsiem.lab.workspace.Workspace.rescore` says."""
    if history is False or earlier is None or not len(earlier):
        return None
    own = [name for name in names if name not in SCORED_FEATURES]
    if own:
        if history:
            raise ValueError(f"history=True, but the earlier windows' rows have no column {own[0]!r} (not a scored feature)")
        warnings.warn(
            f"the detection was fitted with {len(earlier)} rows of earlier windows too; they have no "
            f"{own[0]!r} column, so this rescore is fitted on the clusters alone and its risks are not "
            "comparable with detection's (history=False says so without this warning)",
            UserWarning, stacklevel=3,
        )
        return None
    return earlier[:, [SCORED_FEATURES.index(name) for name in names]]
