"""Small fleets whose hosts' clocks disagree, for the words that say which window a detection
read (review T9, finding F8): shared by the CLI, API and page tests of task G5.

Every host runs the same old ``explorer`` from ``START``; nothing is new, so no
detection finds a cluster and each must say why.  The fleet's own hosts
(``f0``..``f4``) last report at ``FLEET_END``; three hosts ``l1``..``l3`` (fewer
than half of the 8) report ``lead_h`` hours past it, half an hour apart, so
they *lead* the fleet (:mod:`analytics.window_end`, rule 3) and ``l1``'s newest
event ends the window.  ``f0`` also reported alone from ``EARLY``, before the
others started: a backtest then sees one host.
"""

from __future__ import annotations

from graphsiem.model import Entity, Sighting

H = 3600.0
DAY = 24 * H
START = 1_780_000_000.0  # 2026-05-28: in the past, so the wall clock bounds nothing
EARLY = START - 3 * DAY
FLEET_END = START + 2 * DAY
FLEET = [f"f{i}" for i in range(5)]
LEADING = ["l1", "l2", "l3"]
CAPPED_LEAD_H = 10 * 24.0  # ten days: the widening (one extra window at most) cannot reach the fleet
WIDENED_LEAD_H = 5.0  # five hours: the start moves back to a window before the fleet's end


def newest_event(lead_h: float) -> float:
    """The window's end on a fleet built with ``lead_h``: ``l1``'s newest event."""
    return FLEET_END + lead_h * H


def build_fleet(store, lead_h: float) -> None:
    """Fill ``store`` (emptied first) with the fleet above, its leading hosts ``lead_h`` hours ahead."""
    store.clear()
    newest = {host: FLEET_END - 60.0 * i for i, host in enumerate(FLEET)}
    newest.update({host: newest_event(lead_h) - 0.5 * H * i for i, host in enumerate(LEADING)})
    sightings = [Sighting(host, ("process", "explorer"), EARLY if host == "f0" else START, last, 40)
                 for host, last in newest.items()]
    store.upsert_entities([Entity("host", host, host) for host in newest]
                          + [Entity("process", "explorer", "C:\\Windows\\explorer.exe")])
    store.upsert_sightings(sightings)
    store.flush()
