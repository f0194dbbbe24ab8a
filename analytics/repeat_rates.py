"""How often a cluster's hosts contact a destination: each host's rate over its own span, per day.

``repeat_contacts`` (:mod:`analytics.features`) used to divide each host's
contacts by the *calendar* days the fleet saw the destination (at least one).
A beacon that started six hours before the window closed then read as 36
contacts a day, not the 144 of its 10-minute period, while the checks
(:mod:`analytics.pivot_contacts`) already quoted each host's own span ("about
168 times over 14 hours, about every 5 minutes", review T2).  Here each host's
rate is its contacts less one over its first-to-last span, per day, and the
cluster's rate the median host's:

* the span is at least :data:`MIN_SPAN_S` (6 hours): a few contacts within
  minutes (a page load, an installer's retries) are a burst, not a beacon.
  Seven contacts or fewer within the minimum span stay at or under hourly, the
  feature's floor, and 2 contacts 30 seconds apart read as 4 a day, not 2,880;
* the median host, as the checks quote: one busy host does not make a
  cluster's destination a beacon;
* each contact once (``share``, :mod:`analytics.contact_counts`): an endpoint
  and a network sensor log the same contact twice.

When the pivot is no destination (a payload's file hash, a script, a driver),
its sightings are its own events, not contacts (review T2, finding 3); the
cluster's beacon, if any, is to a *new destination member* (review T7 #4: a
stager fetched from a raw address pivots on its payload, and its hosts beacon
to that address).  :func:`busiest_destination` picks the member whose median
host contacted it most often.

What the incidence holds per host and entity is a first and a last sighting
and a count, not each contact's time, so the regularity of the contacts (a
beacon's jitter around its period) cannot be measured here: a benign agent's
heartbeat every 5 minutes is as "repeated" as a beacon every 10 minutes, and
more often.  :data:`REPEAT_CAP_PER_DAY` makes "every 15 minutes or more often"
one value, so a faster heartbeat does not outrank a beacon on this feature
alone; what separates them must come from the other features.  (Since
projection 12 the store keeps each destination's contact times, and
:mod:`analytics.contact_regularity` measures the regularity for the
explanation, unscored: a heartbeat is as regular as a beacon.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from analytics.incidence import Incidence
from graphsiem.model import EntityKey

DAY_S = 86400.0
MIN_SPAN_S = 6 * 3600.0
"""A host's contacts are spread over at least this span (seconds): a burst is not a beacon."""
REPEAT_CAP_PER_DAY = 96.0
"""Contact every 15 minutes or more often counts as one value (see the module docstring)."""


def host_rates(
    incidence: Incidence, column: int, host_rows: np.ndarray, *, share: float = 1.0,
    fallback_days: float = 1.0,
) -> np.ndarray:
    """Contacts per day of each of ``host_rows`` that saw entity ``column``, over its own span.

    Parameters
    ----------
    incidence : Incidence
        The window incidence (per-cell first and last sightings and counts).
    column : int
        The destination's column.
    host_rows : ndarray of int
        The cluster's host rows; hosts that never saw the destination are left out.
    share : float
        The share of the destination's events that are distinct contacts
        (:func:`analytics.contact_counts.contact_share`; 1 when unknown).
    fallback_days : float
        Without last sightings (an incidence built without them) each host's contacts
        are divided by these days, the old calendar-day rate.

    Returns
    -------
    ndarray of float
        ``(contacts - 1) / max(span, MIN_SPAN_S)`` per day, one per host that saw it.

    Examples
    --------
    >>> from analytics.incidence import build_incidence
    >>> from graphsiem.store.base import HostSighting
    >>> t0 = 1_000_000.0  # every 10 minutes for the last 6 hours; 2 contacts 30 s apart; once
    >>> inc = build_incidence([HostSighting("a", ("domain", "d"), t0, t0 + 6 * 3600, 37),
    ...                        HostSighting("b", ("domain", "d"), t0, t0 + 30, 2),
    ...                        HostSighting("c", ("domain", "d"), t0, t0, 1)])
    >>> host_rates(inc, 0, np.array([0, 1, 2])).tolist()
    [144.0, 4.0, 0.0]
    """
    rows = incidence.hosts_of(column)
    inside = np.isin(rows, host_rows)
    lo, hi = incidence.count.indptr[column], incidence.count.indptr[column + 1]
    # the matrices share one sparsity pattern (build_incidence): cells in the same order
    contacts = share * np.asarray(incidence.count.data[lo:hi], dtype=np.float64)[inside]
    if incidence.last_seen is None:
        return contacts / max(fallback_days, 1e-9)
    firsts = np.asarray(incidence.first_seen.data[lo:hi], dtype=np.float64)[inside]
    lasts = np.asarray(incidence.last_seen.data[lo:hi], dtype=np.float64)[inside]
    spans = np.maximum(lasts - firsts, MIN_SPAN_S)
    return np.maximum(contacts - 1.0, 0.0) / spans * DAY_S


def repeat_rate(
    incidence: Incidence, column: int, host_rows: np.ndarray, *, share: float = 1.0,
    fallback_days: float = 1.0,
) -> float:
    """The median of :func:`host_rates` (0 when no cluster host saw the destination)."""
    rates = host_rates(incidence, column, host_rows, share=share, fallback_days=fallback_days)
    return float(np.median(rates)) if len(rates) else 0.0


def busiest_destination(
    incidence: Incidence, columns: Iterable[int], host_rows: np.ndarray, *,
    shares: Mapping[EntityKey, float], fallback_days: Mapping[int, float] | None = None,
) -> tuple[int | None, float]:
    """Of the destination ``columns``, the one the cluster's hosts contacted most often, and its rate.

    Ties go to the first column given.  ``(None, 0.0)`` when ``columns`` is empty.
    """
    best, best_rate = None, 0.0
    for j in columns:
        rate = repeat_rate(
            incidence, int(j), host_rows, share=shares.get(incidence.entities[int(j)], 1.0),
            fallback_days=(fallback_days or {}).get(int(j), 1.0),
        )
        if best is None or rate > best_rate:
            best, best_rate = int(j), rate
    return best, best_rate
