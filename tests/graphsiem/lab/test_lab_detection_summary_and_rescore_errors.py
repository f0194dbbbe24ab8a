"""The lab's papercuts of review T11 (F5, F11): the documented rescore call works, an empty
detection says why, the window reads as ISO text, and rescore names a bad column."""

from __future__ import annotations

import re

import numpy as np
import pytest

from analytics.features import SCORED_FEATURES
from graphsiem import lab
from graphsiem.lab.workspace import Workspace
from graphsiem.model import epoch_to_iso
from tests.graphsiem.lab.test_workspace import clusters, fleet  # noqa: F401 - module fixtures reused


def test_the_rescore_docstring_call_gives_detections_risks_back(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    documented = re.search(r"``((?:ws\.)?rescore\(clusters, [^`]+)``", Workspace.rescore.__doc__ or "")
    assert documented is not None, "the docstring shows the call"
    # its names as a notebook has them: the workspace's methods, lab, and the scored features
    names = {"ws": ws, "clusters": clusters, "lab": lab, "rescore": ws.rescore, "cluster_frame": ws.cluster_frame,
             "SCORED_FEATURES": SCORED_FEATURES}
    rescored = eval(documented.group(1), names)  # noqa: S307 - the docstring's own call
    assert {c.id: round(c.score, 6) for c in rescored} == {c.id: round(c.score, 6) for c in clusters}


def test_an_empty_detection_says_why_and_the_window_is_iso(fleet) -> None:  # noqa: F811
    ws, _ = fleet
    # host findings need no fan-out: off, so that the run finds nothing at all
    assert ws.detect(min_hosts=500, history=False, host_findings=False) == []
    summary = ws.last_detection_summary
    stats = ws.last_detection.stats
    assert summary["clusters"] == 0
    assert "500" in summary["no_cluster_reason"] and "window" in summary["no_cluster_reason"]
    # ISO in the summary; the stats stay epoch seconds (a backtest's now=, the candidate history read them)
    assert summary["window_start"] == epoch_to_iso(stats["window_start"])
    assert summary["window_end"] == epoch_to_iso(stats["window_end"])
    assert isinstance(stats["window_end"], float)


def test_a_detection_with_clusters_gives_no_reason(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    ws.detect(history=False)
    assert ws.last_detection_summary["clusters"] > 0
    assert ws.last_detection_summary["no_cluster_reason"] is None


def test_rescore_names_a_column_that_is_not_numbers(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    with pytest.raises(ValueError, match=r"column 'pivot_type' is not numbers: '\w+' \(cluster '[0-9a-f]+'\)"):
        ws.rescore(clusters, ws.cluster_frame(clusters))


@pytest.mark.parametrize(("bad", "word"), [(np.nan, "NaN"), (np.inf, "infinity")])
def test_rescore_names_a_column_with_nan_or_infinity(fleet, clusters, bad, word) -> None:  # noqa: F811
    ws, _ = fleet
    X = ws.cluster_frame(clusters)[lab.SCORED_FEATURES].copy()
    X["ratio"] = [1.0] * len(X)
    X.iloc[1, X.columns.get_loc("ratio")] = bad
    with pytest.raises(ValueError, match=rf"column 'ratio' holds {word} in 1 row\(s\) \(cluster '{clusters[1].id}'\)"):
        ws.rescore(clusters, X)


def test_rescore_still_reads_numbers_written_as_text(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    X = ws.cluster_frame(clusters)[lab.SCORED_FEATURES].assign(ratio=["1"] * len(clusters))
    assert len(ws.rescore(clusters, X)) == len(clusters)
