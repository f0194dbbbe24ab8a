"""What a lab detection is fitted on besides its own candidates, and what it keeps (``Workspace.detect(history=)``).

The CLI and the service fit the scorer on the candidates of earlier windows
too, kept in the data directory's ``state.sqlite`` (:mod:`analytics.candidate_history`).
In a notebook, detections also run as backtests (``now=`` in the past) and
over a grid of settings; if each kept its rows, the next ``ws.detect()`` would be
fitted on whatever ran before it.  So:

* a detection of the newest data (no ``now``) reads the history and keeps its
  window's rows, as ``graphsiem detect`` does;
* a backtest (``now=``) reads the history as it stood for its window, and keeps
  nothing (nor backfills), unless ``history=True``;
* ``history=False`` neither reads nor keeps: the scorer is fitted on this
  window alone (its candidates and its new clusters too small to be candidates,
  :mod:`analytics.reference_clusters`), as before there was a history.

The rows a detection was fitted with besides its candidates are returned too, so
that ``Workspace.rescore`` can fit on the same reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from analytics.candidate_history import CandidateHistory, for_backtest
from analytics.config import DetectionConfig
from analytics.detect import detect as run_detection
from analytics.result import DetectionResult
from graphsiem.api.state import StateStore
from graphsiem.store.base import GraphStore


def keeps_history(history: bool | None, now: float | None) -> bool:
    """Whether the run's candidates are kept: asked (``True``), or by default a run over the newest data.

    Examples
    --------
    >>> keeps_history(None, None), keeps_history(None, 1.7e9), keeps_history(True, 1.7e9), keeps_history(False, None)
    (True, False, True, False)
    """
    return bool(history) if history is not None else now is None


def detect_with_history(
    store: GraphStore, config: DetectionConfig, *, now: float | None, journal: Any, state_path: Path,
    history: bool | None,
) -> tuple[DetectionResult, np.ndarray | None]:
    """Run one detection with the data directory's candidate history as the module says.

    Returns
    -------
    (DetectionResult, ndarray or None)
        The result, and the rows its scorer was fitted on besides its own candidates
        (``SCORED_FEATURES`` columns: the earlier windows' candidates and the window's
        new clusters too small to be candidates, :attr:`DetectionResult.reference`).
    """
    if history is False:
        result = run_detection(store, config=config, now=now, journal=journal)
        return result, result.reference  # the window's small new clusters (analytics.reference_clusters)
    keep = keeps_history(history, now)
    state = StateStore(state_path)
    try:
        # A backtest that keeps nothing must not backfill either: the windows it detected
        # would be thrown away, and detected again by the next backtest.
        source: CandidateHistory = state
        run_config = config
        if not keep:
            source, run_config = for_backtest(state, config)
        result = run_detection(store, config=run_config, now=now, journal=journal, history=source)
        return result, result.reference
    finally:
        state.close()
