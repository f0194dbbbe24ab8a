"""Whether the fleet has a baseline, and which entities are ubiquitous (explain nothing).

Moved out of :mod:`analytics.clusters` (which still exports every name here): a
host has a baseline when its data begin well before the detection window
(:func:`hosts_with_baseline`); an entity on most of the fleet is ubiquitous
unless the fleet first saw it in the window on hosts with a baseline
(:func:`ubiquitous`): a change, not the fleet's normal.
"""

from __future__ import annotations

import numpy as np

from analytics.entity_stats import DAY, EntityStats, Window
from analytics.history import earliest_sightings
from analytics.incidence import Incidence

BASELINE_MIN_CYCLES = 0.9
"""A host has a baseline when its data begin at least this share of a cycle before the window,
a cycle being the window or a day, whichever is longer (21.6 h for the default 24 h window)."""

NEW_ON_BASELINE_SHARE = 0.5
"""A new entity is a change the fleet made, not its normal, when at least this share of the
window's hosts, and of its own, have a baseline (:func:`ubiquitous`)."""


def baseline_seconds(window_seconds: float) -> float:
    """How long before the window a host's data must begin for it to have a baseline.

    What the whole fleet does runs at least daily (update checks, inventory, logons,
    scheduled tasks): in a baseline of about a day, or of a window when windows are longer,
    it has shown and is old; in a shorter one it is "new" and would escape ``max_fraction``.
    Not a whole cycle: over two days of data, a window that ends at the newest event starts
    a few minutes less than a day after the data begin.

    Examples
    --------
    >>> baseline_seconds(86400.0) / 3600, baseline_seconds(3600.0) / 3600, baseline_seconds(7 * 86400.0) / 3600
    (21.6, 21.6, 151.2)
    """
    return BASELINE_MIN_CYCLES * max(window_seconds, DAY)



def hosts_with_baseline(incidence: Incidence, window: Window) -> np.ndarray:
    """Which rows (hosts) have a baseline: a sighting active in the window that began at least
    :func:`baseline_seconds` before the window starts.

    Read from the window incidence alone (what detect already holds): a host that reported
    before the window still runs or contacts something it did then (its services, its update
    domains), so its earliest first sighting among the window's cells dates its history.  A
    margin, not merely "before the window": a store whose data begin an hour before the window
    (a 24 h window over 25 h of data) has no baseline in which the fleet's daily jobs could
    have shown, so they would all look new.  A host whose clock runs days behind has a
    baseline by this test; a few such hosts do not give one to the fleet (:func:`ubiquitous`).

    Returns
    -------
    ndarray of bool
        One value per row of ``incidence``.

    Examples
    --------
    >>> from graphsiem.store.base import HostSighting
    >>> from analytics.incidence import build_incidence
    >>> day = 86400.0
    >>> inc = build_incidence([HostSighting("a", ("process", "p"), 0.0, 3 * day, 1),
    ...                        HostSighting("b", ("process", "p"), 1.5 * day, 3 * day, 1)])
    >>> hosts_with_baseline(inc, Window(2 * day, 3 * day)).tolist()  # a: 2 days of data before; b: 12 h
    [True, False]
    """
    return earliest_sightings(incidence) <= window.start - baseline_seconds(window.end - window.start)


def ubiquitous(incidence: Incidence, stats: EntityStats, *, max_fraction: float) -> np.ndarray:
    """Columns that explain nothing: on more than ``max_fraction`` of the fleet, and not a change.

    An entity the fleet first saw in the window (``stats.is_new``) is a change, not the fleet's
    normal, when the fleet has a baseline: at least :data:`NEW_ON_BASELINE_SHARE` of the
    window's hosts, and of the entity's own, have data from well before the window
    (:func:`hosts_with_baseline`) and did not do it then.  Such an entity is never ubiquitous,
    whatever its share: a campaign on 120 of 200 hosts is new there, svchost and the corporate
    domains are not.  Without a baseline (a one-day store, a fresh install, a store loaded with
    today's logs; or hosts enrolled today, for what only they do) "new" cannot be told from
    "always there", and the all-time share decides as before, so an empty baseline does not
    turn everything the fleet does into giant clusters.  The fleet's share and the entity's are
    both asked so that neither a few hosts whose clocks run days behind nor a pilot group
    onboarded early lend a baseline to the rest.

    Returns
    -------
    ndarray of bool
        One value per column of ``incidence``.

    Examples
    --------
    >>> from graphsiem.store.base import HostSighting
    >>> from analytics.incidence import build_incidence
    >>> from analytics.entity_stats import entity_stats
    >>> day = 86400.0
    >>> s = [HostSighting(h, ("process", "svchost"), 0.0, 3 * day, 9) for h in "abcd"]
    >>> s += [HostSighting(h, ("domain", "new.example"), 2.5 * day, 2.6 * day, 1) for h in "abc"]
    >>> inc = build_incidence(s)
    >>> stats = entity_stats(inc, [], window=Window(2 * day, 3 * day))
    >>> dict(zip(inc.entities, ubiquitous(inc, stats, max_fraction=0.5).tolist()))
    {('domain', 'new.example'): False, ('process', 'svchost'): True}
    >>> stats = entity_stats(inc, [], window=Window(0.5 * day, 3 * day))  # 12 h of data before: no baseline
    >>> dict(zip(inc.entities, ubiquitous(inc, stats, max_fraction=0.5).tolist()))
    {('domain', 'new.example'): True, ('process', 'svchost'): True}
    """
    widespread = stats.total_hosts > max_fraction * max(stats.n_hosts, 1)
    candidates = widespread & stats.is_new
    if not candidates.any():
        return widespread
    with_baseline = hosts_with_baseline(incidence, stats.window)
    active = np.diff(incidence.seen.tocsr().indptr) > 0  # rows with a sighting in the window
    if with_baseline.sum() < NEW_ON_BASELINE_SHARE * max(int(active.sum()), 1):
        return widespread  # the fleet has no baseline: the old rule
    on_baseline_hosts = np.asarray(incidence.seen.T @ with_baseline.astype(np.float64)).ravel()
    change = candidates & (on_baseline_hosts >= NEW_ON_BASELINE_SHARE * stats.window_hosts)
    return widespread & ~change
