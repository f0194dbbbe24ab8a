"""The entity prevalence table of ``Workspace.features``: one row per entity, by the detector's rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from analytics.config import DetectionConfig
from analytics.entity_stats import Window
from analytics.features import SPREAD_CAP_MIN, burst_size, first_contact_spread_minutes
from analytics.novelty import established_at
from analytics.window_end import default_window_end
from graphsiem.lab.optional import pandas, timestamps
from graphsiem.model import EntityType, epoch_to_iso
from graphsiem.store.base import GraphStore

if TYPE_CHECKING:
    import pandas as pd


def entity_feature_frame(
    store: GraphStore, *, window_hours: float | None, min_hosts: int, until: float | None
) -> pd.DataFrame:
    """The frame :meth:`graphsiem.lab.workspace.Workspace.features` documents (``until``: its ``now``, in epoch seconds)."""
    pd = pandas()
    hours = window_hours if window_hours is not None else DetectionConfig().window_hours
    if not hours > 0:
        raise ValueError(f"window_hours must be > 0, got {window_hours!r}")
    default_end = None
    if until is None:
        # the detector's default end: the fleet's newest event, hosts with clocks ahead ignored;
        # this frame's window length, and the detector's smallest cluster (min_hosts here only
        # filters rows, default 1, which would let no stray host be set aside)
        default_end = default_window_end(store, min_hosts=DetectionConfig().min_hosts, window_hours=hours)
        until = default_end.end if default_end is not None else None
    types = [t.value for t in EntityType if t is not EntityType.HOST]
    fetched = list(store.entity_prevalence(entity_types=types, min_hosts=min(min_hosts, 2), until=until))
    rows = [r for r in fetched if r.hosts >= min_hosts]
    # the detector's fleet: hosts that sent telemetry, not every host node (a logon's
    # client-written WorkstationName is a host node too)
    n_hosts = max(store.sighting_hosts(until=until), 1)
    # The window ends where detection's does: now, else the fleet's newest event.
    end = until if until is not None else 0.0
    window = Window.ending_at(end, hours * 3600.0)
    if default_end is not None:  # hosts leading the fleet by hours move the start back, as in detect
        window = Window(default_end.window_start(hours * 3600.0), end)
    firsts = [np.asarray(r.host_first_seen, dtype=np.float64) for r in rows]
    novelty_hosts = DetectionConfig().min_hosts  # the detector's k (analytics.inputs)
    is_new = [
        (established_at(list(r.host_first_seen), novelty_hosts) if len(r.host_first_seen) else r.first_seen)
        >= window.start
        for r in rows
    ]
    spread_raw = [first_contact_spread_minutes(f) for f in firsts]
    burst_raw = [burst_size(f) for f in firsts]
    window_minutes = (window.end - window.start) / 60.0
    frame = pd.DataFrame(
        {
            "type": [r.entity[0] for r in rows],
            "key": [r.entity[1] for r in rows],
            "value": [r.value for r in rows],
            "hosts": [r.hosts for r in rows],
            "fleet_fraction": [r.hosts / n_hosts for r in rows],
            "count": [r.count for r in rows],
            "first_seen": timestamps([r.first_seen for r in rows]),
            "last_seen": timestamps([r.last_seen for r in rows]),
            "active_days": [max((r.last_seen - r.first_seen) / 86400.0, 1.0) for r in rows],
            "is_new": is_new,
            "first_contact_spread_min": [
                min(s if new else window_minutes, SPREAD_CAP_MIN) for s, new in zip(spread_raw, is_new, strict=True)
            ],
            "burst_hosts": [
                b if new and b >= 0.5 * len(f) else 0 for b, new, f in zip(burst_raw, is_new, firsts, strict=True)
            ],
            "first_contact_spread_raw_min": spread_raw,
            "burst_hosts_raw": burst_raw,
        }
    )
    frame.attrs["window"] = (epoch_to_iso(window.start), epoch_to_iso(window.end))
    return frame.sort_values(["hosts", "type", "key"], ascending=[False, True, True]).reset_index(drop=True)
