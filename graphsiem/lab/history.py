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
  window's candidates alone, as before there was a history.

The earlier rows a detection was fitted with are returned too, so that
``Workspace.rescore`` can fit on the same reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analytics.candidate_history import CandidateHistory, earlier_candidates, for_backtest
from analytics.config import DetectionConfig
from analytics.detect import detect as run_detection
from analytics.entity_stats import Window
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
        The result, and the earlier windows' rows its scorer was fitted on besides
        its own candidates (``SCORED_FEATURES`` columns; ``None`` when it read no
        history).
    """
    if history is False:
        return run_detection(store, config=config, now=now, journal=journal), None
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
        return result, _reference(state, config, result, [c.id for c in result.clusters])
    finally:
        state.close()


def _reference(state: StateStore, config: DetectionConfig, result: DetectionResult,
               today: Sequence[str]) -> np.ndarray | None:
    """The earlier rows ``result``'s scorer was fitted on: read again as the detection read them.

    The detection kept its own rows under its own window, which the read leaves
    out (a re-run does not count itself); backfilled windows were kept before it
    read, so the same rows come back."""
    if "window_end" not in result.stats:
        return None
    window = Window(result.stats["window_start"], result.stats["window_end"])
    return earlier_candidates(state, config, window, today)
