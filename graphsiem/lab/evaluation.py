"""Evaluation of rankings against a simulator's ``ground_truth.json``, as DataFrames.

The matching rule and the metrics are :mod:`analytics.evaluate`'s; this module
only tabulates them and adds the precision-recall points of a ranking.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from analytics.evaluate import Evaluation, TruthEntry, load_truth
from analytics.evaluate import evaluate as evaluate_ranking
from graphsiem.lab.optional import pandas

if TYPE_CHECKING:
    import pandas as pd

    from graphsiem.lab.clusters import ClusterView

Truth = str | os.PathLike[str] | Mapping[str, Any] | Sequence[TruthEntry] | Sequence[Mapping[str, Any]]
"""A ground truth: the path of a ``ground_truth.json``, the file parsed (``json.load``: a dict, or its
``"scenarios"`` / ``"campaigns"`` list of dicts), or :class:`~analytics.evaluate.TruthEntry` objects."""


def truth_entries(truth: Truth) -> list[TruthEntry]:
    """The entries of a ground truth, in any of the forms of :data:`Truth`.

    A path, a parsed file or a list of its entries (dicts) is read with
    :func:`analytics.evaluate.load_truth`.

    Raises
    ------
    TypeError
        ``truth`` is none of those forms, or a list mixing entries and other things.
    ValueError
        An entry without ``kind`` or ``hosts`` (:func:`~analytics.evaluate.load_truth`).

    Examples
    --------
    >>> entry = {"name": "seed", "kind": "attack", "hosts": ["ws-1"], "indicators": []}
    >>> [e.name for e in truth_entries({"scenarios": [entry]})] == [e.name for e in truth_entries([entry])] == ["seed"]
    True
    >>> truth_entries(42)
    Traceback (most recent call last):
    ...
    TypeError: truth must be a ground_truth.json path, the parsed file (a dict, or its list of entries as dicts) or TruthEntry objects, got int
    """
    if isinstance(truth, str | os.PathLike):
        return load_truth(Path(truth))
    if isinstance(truth, Mapping):
        return load_truth(truth)
    if isinstance(truth, Sequence):
        items: list[Any] = list(truth)
        if all(isinstance(item, TruthEntry) for item in items):
            return items
        if all(isinstance(item, Mapping) for item in items):
            return load_truth(cast(Any, items))  # a bare list of entries, as load_truth reads it
        strange = next(item for item in items if not isinstance(item, TruthEntry | Mapping))
        raise TypeError(
            f"truth's entries must all be TruthEntry objects or all dicts (ground_truth.json's entries), "
            f"got a {type(strange).__name__}"
        )
    raise TypeError(
        "truth must be a ground_truth.json path, the parsed file (a dict, or its list of entries as dicts) "
        f"or TruthEntry objects, got {type(truth).__name__}"
    )


def _evaluation(truth: Truth, clusters: Sequence[ClusterView]) -> tuple[Evaluation, list[TruthEntry]]:
    entries = truth_entries(truth)
    return evaluate_ranking([c.to_dict() for c in clusters], entries), entries


def evaluate(truth: Truth, clusters: Sequence[ClusterView]) -> pd.DataFrame:
    """Rank of every campaign and decoy of ``ground_truth.json`` in a ranking.

    The matching rule and metrics are :mod:`analytics.evaluate`'s.  The metrics
    (recall@5/@10, precision@5/@10, average precision, decoys in the top 10,
    and under a random order of equal risks the expected seed rank and decoys
    in the top 10, and the risk margin) are in ``frame.attrs["metrics"]``;
    :func:`compare` tabulates them.

    Returns
    -------
    pandas.DataFrame
        ``name, kind, rank, expected_rank, tied, is_seed``: ``rank`` is missing
        when never found; ``expected_rank`` is the rank under a random order of
        the ``tied`` rows that share its risk (the literal ``rank`` of a tied row
        is the tie-break's: detection puts fewer hosts first).
    """
    pd = pandas()
    result, entries = _evaluation(truth, clusters)
    frame = pd.DataFrame(
        {
            "name": [e.name for e in entries],
            "kind": [e.kind for e in entries],
            "rank": pd.array([result.ranks[e.name] for e in entries], dtype="Int64"),
            "expected_rank": pd.array([result.expected_ranks.get(e.name) for e in entries], dtype="Float64"),
            "tied": pd.array([result.tied.get(e.name) for e in entries], dtype="Int64"),
            "is_seed": [e.is_seed for e in entries],
        }
    )
    frame.attrs["metrics"] = _metrics(result)
    return frame


def _metrics(result: Evaluation) -> dict[str, Any]:
    return {
        "seed_rank": result.seed_rank,
        "attacks_in_top_10": result.attacks_in_top_10,
        "decoys_in_top_10": result.decoys_in_top_10,
        "recall_at_5": result.recall_at_5,
        "recall_at_10": result.recall_at_10,
        "precision_at_5": result.precision_at_5,
        "precision_at_10": result.precision_at_10,
        "average_precision": result.average_precision,
        "rows": result.rows,
        # under a random order of equal risks (analytics.evaluate, "Ties")
        "expected_seed_rank": result.expected_seed_rank,
        "expected_decoys_in_top_10": result.expected_decoys_in_top_10,
        "risk_margin": result.risk_margin,
    }


def compare(truth: Truth, rankings: Mapping[str, Sequence[ClusterView]]) -> pd.DataFrame:
    """Metrics of several rankings against one ground truth, one row per ranking.

    Examples
    --------
    >>> compare(truth, {"scorer": ws.detect(), "new-terms": ws.baseline("new-terms")})  # doctest: +SKIP
    """
    pd = pandas()
    entries = truth_entries(truth)
    rows = {name: _metrics(_evaluation(entries, ranking)[0]) for name, ranking in rankings.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def pr_curve(truth: Truth, clusters: Sequence[ClusterView]) -> pd.DataFrame:
    """Precision and recall of attacks at every cut-off ``k`` of a ranking.

    Rows follow :func:`analytics.evaluate.evaluate`: a later cluster matching
    an already-found entry is dropped, unmatched clusters count as false
    positives, recall is over every attack of the truth (found or not).

    Returns
    -------
    pandas.DataFrame
        ``k, precision, recall``.
    """
    pd = pandas()
    result, entries = _evaluation(truth, clusters)
    attacks = {e.name for e in entries if e.kind == "attack"}
    hits = np.cumsum([name in attacks for name in result.matched], dtype=np.float64)
    k = np.arange(1, len(hits) + 1)
    return pd.DataFrame({"k": k, "precision": hits / np.maximum(k, 1), "recall": hits / max(len(attacks), 1)})
