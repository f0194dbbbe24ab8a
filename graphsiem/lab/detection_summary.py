"""What a lab detection looked at, in the service's words (``Workspace.last_detection_summary``).

``last_detection.stats`` is the detection's raw record: epoch-second window bounds,
which other code reads as numbers (a backtest's ``now=``, the candidate history).  The
API's detection record and ``graphsiem detect`` say the same things for a reader: the
window in ISO-8601 text, how its end was set (``window_note``) and, when nothing was
found, why (``no_cluster_reason``).  This gives the notebook those (review T11 F11),
from the same functions, so an empty ``ws.detect()`` is not a silent ``[]``.
"""

from __future__ import annotations

from typing import Any

from analytics.config import DetectionConfig
from analytics.result import DetectionResult
from graphsiem.detection_window import why_no_clusters, window_note
from graphsiem.detection_window_reads import window_contents, window_of
from graphsiem.lab.suppressions import TriageSuppressions
from graphsiem.model import epoch_to_iso
from graphsiem.store.base import GraphStore


def detection_summary(
    store: GraphStore, result: DetectionResult, config: DetectionConfig, *, now: float | None,
    suppressions: TriageSuppressions,
) -> dict[str, Any]:
    """The run's window (ISO text), its notes, and what the triage suppressions did.

    Parameters
    ----------
    store : GraphStore
        The store the run read: an empty run counts its window's contents there, as the API does.
    result : DetectionResult
    config : DetectionConfig
        The run's settings.
    now : float, optional
        The backtest's end, if any.
    suppressions : TriageSuppressions
        The data directory's verdicts and whether the run applied them.

    Returns
    -------
    dict
        ``clusters``; ``window_start`` / ``window_end`` (ISO-8601, or ``None`` when the run
        read no window) and ``window_hours``; ``window_note`` and ``no_cluster_reason``
        (``None`` when there is nothing to say, as in the API's record);
        ``suppressions_held`` (the service state's benign verdicts), ``suppressions_ignored``
        (``suppressions=False``) and ``suppressions_applied`` (the ``[type, key]`` pivots whose
        cluster the run left out).
    """
    stats = result.stats
    found = bool(result.clusters)
    window = window_of(stats, config, now)
    contents = window_contents(store, *window) if window is not None and not found else None
    return {
        "clusters": len(result.clusters),
        "window_start": epoch_to_iso(window[0]) if window else None,
        "window_end": epoch_to_iso(window[1]) if window else None,
        "window_hours": round((window[1] - window[0]) / 3600.0, 3) if window else None,
        "window_note": window_note(stats, config.window_hours) or None,
        "no_cluster_reason": None if found else why_no_clusters(stats, config, now=now, contents=contents) or None,
        "suppressions_held": suppressions.held,
        "suppressions_ignored": not suppressions.applied and suppressions.held > 0,
        "suppressions_applied": [list(p) for p in stats.get("suppressions_applied", [])],
    }
