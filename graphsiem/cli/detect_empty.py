"""What ``graphsiem detect`` says under its table: how its window was set and, when it found
nothing, what the window held and when each host reported (review T9, finding F8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphsiem.detection_window import span_lines, why_no_clusters, window_note
from graphsiem.detection_window_reads import (
    HostSpan,
    WindowContents,
    host_spans,
    window_contents,
    window_of,
)

if TYPE_CHECKING:
    from analytics.config import DetectionConfig
    from graphsiem.store.base import GraphStore


@dataclass(slots=True, frozen=True)
class EmptyDetection:
    """What an empty detection read besides its stats: its window's contents and the hosts' spans."""

    contents: WindowContents | None
    spans: list[HostSpan] = field(default_factory=list)


def read_empty_detection(store: GraphStore, result: Any, config: DetectionConfig,
                         now: float | None) -> EmptyDetection:
    """Read, before the store is closed, what :func:`empty_detection_lines` says of an empty ``result``."""
    window = window_of(result.stats, config, now)
    contents = window_contents(store, *window) if window is not None else None
    return EmptyDetection(contents, host_spans(store))


def empty_detection_lines(stats: dict[str, Any], config: DetectionConfig, *, now: float | None,
                          empty: EmptyDetection | None, clusters: bool) -> list[str]:
    """The lines printed under the table: the window's note, and for an empty detection (``clusters``
    false) why nothing was found, what the window held and the store's data per host.

    Parameters
    ----------
    stats : dict
        The detection's stats.
    config : DetectionConfig
    now : float, optional
        ``--now`` (a backtest), else ``None``.
    empty : EmptyDetection, optional
        Read by :func:`read_empty_detection` when the detection found nothing.
    clusters : bool
        Whether the detection found any cluster.

    Returns
    -------
    list of str
    """
    lines = [window_note(stats, config.window_hours)]
    if not clusters:
        lines.append(why_no_clusters(stats, config, now=now, contents=empty.contents if empty else None))
        if empty is not None:
            lines += span_lines(empty.spans)
    return [line for line in lines if line]
