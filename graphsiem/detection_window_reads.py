"""What a detection window held and when each host reported: read from the store for the words
that explain a detection (:mod:`graphsiem.detection_window`), in the CLI and in the API's record.

A detection's stats say where its window starts and ends, not what is in it:
on a fleet whose clocks span years (review T9, F8) a 48 h window held two
sightings of one host while the other 22 000 events were never looked at, and
nothing said so.  These reads count what the window holds and list each host's
first and newest sighting, so the analyst can pick a ``--now`` for a backtest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analytics.config import DetectionConfig
    from graphsiem.store.base import GraphStore

SHOWN_WINDOW_HOSTS = 5
"""Hosts named beside the window's counts (those with the most sightings in it first)."""


@dataclass(slots=True, frozen=True)
class WindowContents:
    """What a detection window holds, read as of its end.

    Attributes
    ----------
    hosts : int
        Hosts with a sighting of their own in the window.
    sightings : int
        Host x entity sightings active in the window (any entity, shared or not).
    fleet_hosts : int
        Hosts with a sighting by the window's end: the fleet as known then.
    hosts_shown : tuple of str
        Up to :data:`SHOWN_WINDOW_HOSTS` of ``hosts``, the most sightings first.
    """

    hosts: int
    sightings: int
    fleet_hosts: int
    hosts_shown: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class HostSpan:
    """One host's data in the store: its first and newest sighting (epoch seconds)."""

    host: str
    first_seen: float
    last_seen: float


def window_contents(store: GraphStore, start: float, end: float) -> WindowContents:
    """Count the hosts and sightings of the window ``start`` .. ``end``, read as of ``end``.

    Parameters
    ----------
    store : GraphStore
    start, end : float
        The window, epoch seconds (what the detection read: ``iter_sightings(since, until)``).

    Returns
    -------
    WindowContents
    """
    per_host: dict[str, int] = {}
    for sighting in store.iter_sightings(since=start, until=end):
        per_host[sighting.host] = per_host.get(sighting.host, 0) + 1
    shown = sorted(per_host, key=lambda host: (-per_host[host], host))[:SHOWN_WINDOW_HOSTS]
    return WindowContents(hosts=len(per_host), sightings=sum(per_host.values()),
                          fleet_hosts=store.sighting_hosts(until=end), hosts_shown=tuple(shown))


def host_spans(store: GraphStore) -> list[HostSpan]:
    """Each fleet host's first and newest sighting in the whole store, the newest first.

    Read for an empty detection only, in one store call for the whole fleet
    (:meth:`~graphsiem.store.base.GraphStore.host_sighting_spans`): the time
    ranges worth a backtest are where several hosts' spans overlap.
    """
    spans = [HostSpan(host, first, last) for host, (first, last) in store.host_sighting_spans().items()]
    return sorted(spans, key=lambda span: (-span.last_seen, span.host))


def window_of(stats: dict[str, Any], config: DetectionConfig, now: float | None) -> tuple[float, float] | None:
    """The window a detection read (``window_start``, ``window_end``); ``None`` when it read none.

    A detection that found no shared entity at all keeps no window in its stats:
    with ``now`` (a backtest) its window is the last ``window_hours`` ending there.
    """
    if "window_end" in stats and "window_start" in stats:
        return float(stats["window_start"]), float(stats["window_end"])
    if now is not None:
        return now - config.window_hours * 3600.0, now
    return None
