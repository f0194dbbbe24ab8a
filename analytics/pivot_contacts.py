"""When a cluster's hosts first contacted its pivot, and how often each contacted it after: what checks quote.

The checks tell an analyst *when* to look for a deployment job or change ticket
and *how often* a destination was contacted (:mod:`analytics.checks`).  Both
must be the pivot's, on the cluster's hosts (task F27, review T2 #4 and #5):

* the first-contact period starts at the pivot's earliest first contact on the
  cluster's hosts and ends at the latest one.  The cluster's ``first_seen`` is
  the earliest sighting of *any* member, old ones included (an account seen
  since the data began): a step said 2026-11-27 00:33Z for first contacts on
  11-30 03:00-04:52, and 03:00 (another rollout's) for an EDR whose hosts
  first reached it at 09:00-09:59;
* the contact interval is each host's first-to-last contact span over its
  contacts less one (each contact once, :mod:`analytics.contact_counts`), the
  median over the cluster's hosts.  Per calendar day, an agent polling every 5
  minutes for 14 hours read "about every 9 minutes"; the forest's
  ``repeat_contacts`` now follows each host's span too (:mod:`analytics.repeat_rates`).

A pivot that is no destination (a payload's hash) is not contacted: its contact
interval is that of the destination ``repeat_contacts`` was measured on, the
cluster's most contacted new destination member (:func:`cluster_contacts`), and
the checks name that destination.

Both come from the window incidence detect already holds (per-host first and
last sightings and counts): no store read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from analytics.contact_regularity import Regularity, cluster_regularity
from analytics.incidence import Incidence
from graphsiem.model import EntityKey


@dataclass(slots=True, frozen=True)
class PivotContacts:
    """The pivot's contacts on a cluster's hosts (epoch seconds, minutes).

    Attributes
    ----------
    first, last_first : float
        The earliest and the latest of the hosts' first contacts with the pivot.
    hosts : int
        Cluster hosts that saw the pivot.
    interval_min : float or None
        Median over those hosts of ``span / (contacts - 1)``, in minutes; ``None``
        when no host contacted it twice over a span (or the incidence keeps no
        last sightings).
    contacts, span_min : float or None
        Medians, over the same hosts, of the contacts (each once) and of the
        first-to-last span in minutes.
    destination : EntityKey or None
        The new destination member whose contacts ``interval_min``, ``contacts`` and
        ``span_min`` describe, when the pivot is no destination (:func:`cluster_contacts`);
        ``None``: they are the pivot's.
    regularity : Regularity or None
        How regularly the hosts contacted that destination, from its kept contact times
        (:mod:`analytics.contact_regularity`); ``None`` when too few were kept.
    """

    first: float
    last_first: float
    hosts: int
    interval_min: float | None = None
    contacts: float | None = None
    span_min: float | None = None
    destination: EntityKey | None = None
    regularity: Regularity | None = None


def pivot_contacts(
    incidence: Incidence, column: int, host_rows: np.ndarray, *, share: float = 1.0
) -> PivotContacts | None:
    """The :class:`PivotContacts` of pivot ``column`` on ``host_rows``, or ``None`` when none saw it.

    Parameters
    ----------
    incidence : Incidence
        The window incidence (per-cell all-time first sightings, counts, last sightings).
    column : int
        The pivot's column.
    host_rows : ndarray of int
        The cluster's host rows.
    share : float
        The share of the pivot's events that are distinct contacts
        (:func:`analytics.contact_counts.read_contact_shares`; 1 when unknown).

    Examples
    --------
    >>> from analytics.incidence import build_incidence
    >>> from graphsiem.store.base import HostSighting
    >>> t0 = 1_000_000.0  # one host polls every 5 minutes for 14 h (169 contacts), one joins later
    >>> inc = build_incidence([HostSighting("a", ("domain", "d"), t0, t0 + 14 * 3600, 169),
    ...                        HostSighting("b", ("domain", "d"), t0 + 600, t0 + 600 + 14 * 3600, 169),
    ...                        HostSighting("c", ("domain", "d"), t0 - 9e5, t0, 1)])
    >>> found = pivot_contacts(inc, 0, np.array([0, 1]))
    >>> found.first - t0, found.last_first - t0, found.hosts, found.interval_min, found.span_min
    (0.0, 600.0, 2, 5.0, 840.0)
    """
    rows = incidence.hosts_of(column)
    inside = np.isin(rows, host_rows)
    if not inside.any():
        return None
    firsts = incidence.first_seen_of(column)[inside]
    found = PivotContacts(float(firsts.min()), float(firsts.max()), int(inside.sum()))
    if incidence.last_seen is None:
        return found
    lo, hi = incidence.count.indptr[column], incidence.count.indptr[column + 1]
    # the three matrices share one sparsity pattern (build_incidence): cells in the same order
    counts = share * np.asarray(incidence.count.data[lo:hi], dtype=np.float64)[inside]
    lasts = np.asarray(incidence.last_seen.data[lo:hi], dtype=np.float64)[inside]
    spans = (lasts - firsts) / 60.0
    measured = (counts >= 2.0) & (spans > 0.0)
    if not measured.any():
        return found
    intervals = spans[measured] / (counts[measured] - 1.0)
    return PivotContacts(
        found.first, found.last_first, found.hosts,
        interval_min=float(np.median(intervals)),
        contacts=float(np.median(counts[measured])),
        span_min=float(np.median(spans[measured])),
    )


def cluster_contacts(
    incidence: Incidence, pivot: int, host_rows: np.ndarray, repeat_column: int | None,
    shares: Mapping[EntityKey, float], times: Mapping[EntityKey, Mapping[str, Sequence[float]]] | None = None,
    *, until: float | None = None,
) -> PivotContacts | None:
    """The pivot's first contacts on ``host_rows``, with the contact interval of ``repeat_column``.

    ``repeat_column`` is the destination ``repeat_contacts`` was measured on
    (:attr:`analytics.features.ClusterFacts.repeat_column`): the pivot, or the cluster's most
    contacted new destination member when the pivot is no destination.  The first-contact
    period stays the pivot's (the checks' deployment times); the interval, contacts and span
    are the destination's, which :attr:`PivotContacts.destination` names.

    Parameters
    ----------
    incidence : Incidence
    pivot : int
        The pivot's column.
    host_rows : ndarray of int
        The cluster's host rows.
    repeat_column : int or None
        The measured destination's column (``None``: the pivot's own contacts).
    shares : mapping
        Destination -> the share of its events that are distinct contacts (1 when missing).
    times : mapping, optional
        Destination -> host -> its kept contact times (:func:`analytics.contact_regularity.read_contact_times`):
        the measured destination's regularity on the cluster's hosts, as of ``until``.
    """
    found = pivot_contacts(incidence, pivot, host_rows, share=shares.get(incidence.entities[pivot], 1.0))
    if found is None:
        return found
    column = pivot if repeat_column is None else repeat_column
    timed = (times or {}).get(incidence.entities[column])
    regularity = None if not timed else cluster_regularity(
        timed, (incidence.hosts[int(row)] for row in host_rows), until=until)
    if column == pivot:
        return replace(found, regularity=regularity)
    key = incidence.entities[column]
    measured = pivot_contacts(incidence, column, host_rows, share=shares.get(key, 1.0))
    if measured is None:
        return replace(found, interval_min=None, contacts=None, span_min=None)
    return replace(found, interval_min=measured.interval_min, contacts=measured.contacts,
                   span_min=measured.span_min, destination=key, regularity=regularity)
