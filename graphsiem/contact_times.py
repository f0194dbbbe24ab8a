"""The timing of one host's contacts with one destination: a bounded summary that any order of events gives.

A sighting keeps a host's first and last contact with an entity and a count,
which says *how often* a host reached a destination but not *how regularly*: a
C2 beacon (a contact every 60 s ± 10 %) and a person's browsing at the same
rate look alike.  So a sighting of a destination (a domain, an address, a URL)
also keeps the times of its host's contacts, bounded: the
:data:`KEEP_EACH_END` earliest and the :data:`KEEP_EACH_END` latest distinct
times.

Why those and not a running mean and variance of the gaps (Welford) or a
histogram of gaps: a gap needs the contact before it, and a batch boundary,
an out-of-order batch (a sensor's file ingested after the endpoint's) or an
event projected twice would change what a running summary saw, so the graph
would depend on how the journal was cut.  The earliest and latest distinct
times of a set are a function of the set alone: merging two summaries (a
batch into the store) gives the summary of the union, whatever the order or
the batch sizes, and an event seen twice adds the same time twice, once.
The earliest *k* times of a set are consecutive in time, as are the latest
*k*, so the gaps within each end are real inter-contact gaps: up to
``2 * KEEP_EACH_END - 2`` of them per host and destination (the one between
the two ends is not a gap when times were left out, :func:`contact_gaps`).
Memory is bounded at ``2 * KEEP_EACH_END`` floats per host and destination.

No I/O: the projection (:mod:`ingest.projection_accumulator`), both stores and
the analytics (:mod:`analytics.contact_regularity`) share these rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

TIMED_TYPES = frozenset({"domain", "ip", "url"})
"""Entity types whose sightings keep contact times: destinations, which a host contacts."""
KEEP_EACH_END = 16
"""Distinct contact times kept at each end (earliest and latest) per host and destination."""
SAME_CONTACT_S = 2.0
"""Times closer than this (seconds) are one contact logged twice: the endpoint's DNS query and the
sensor's ``dns.log``, a connection and its HTTP request.  A beacon faster than every 2 s is no beacon."""
SAME_CONTACT_SHARE = 0.25
"""Times closer than this share of a host's upper-quartile step are one contact logged twice too: two
sensors' clocks a few seconds apart.  A beacon's jitter would need to pass ±60 % of its period to
make a step this short; a person's browsing loses its shortest gaps, and stays irregular."""


def merge_times(*groups: Iterable[float]) -> tuple[float, ...]:
    """The kept times of the union of ``groups``: sorted, distinct, at most ``2 * KEEP_EACH_END``.

    Parameters
    ----------
    *groups
        Contact times (epoch seconds), kept summaries or raw times, in any order.

    Returns
    -------
    tuple of float
        The :data:`KEEP_EACH_END` earliest and latest distinct times, ascending.

    Examples
    --------
    >>> merge_times([30.0, 10.0], [20.0, 10.0])
    (10.0, 20.0, 30.0)
    >>> kept = merge_times(range(100))
    >>> len(kept), kept[:2], kept[-2:]
    (32, (0, 1), (98, 99))
    """
    distinct: set[float] = set()
    for group in groups:
        distinct.update(group)
    ordered = sorted(distinct)
    if len(ordered) <= 2 * KEEP_EACH_END:
        return tuple(ordered)
    return tuple(ordered[:KEEP_EACH_END] + ordered[-KEEP_EACH_END:])


def contact_gaps(times: Sequence[float], *, until: float | None = None) -> list[float]:
    """The inter-contact gaps (seconds) that kept ``times`` show, as of ``until``.

    A full summary (``2 * KEEP_EACH_END`` times) may have left times out between
    its two ends, so the step between them is no gap and is skipped.  Times after
    ``until`` are not known yet (a backtest).  One contact logged by two sensors
    (the endpoint's DNS query and the sensor's ``dns.log``) is two times a few
    seconds apart, as far apart as the two clocks are (3.5 s in the simulator's
    fleet, minutes on a drifting host): a step shorter than :data:`SAME_CONTACT_S`,
    or than :data:`SAME_CONTACT_SHARE` of the host's upper-quartile step, is the
    same contact again, which joins the contact before, so the next gap is measured
    from the first of them.

    Examples
    --------
    >>> contact_gaps([0.0, 60.0, 60.5, 121.0, 180.0])
    [60.0, 61.0, 59.0]
    >>> contact_gaps([0.0, 3.5, 600.0, 603.5, 1190.0, 1193.5])  # two sensors, clocks 3.5 s apart
    [600.0, 590.0]
    >>> contact_gaps([0.0, 60.0, 120.0], until=100.0)
    [60.0]
    """
    split = KEEP_EACH_END if len(times) == 2 * KEEP_EACH_END else None
    known = [t for t in times if until is None or t <= until]
    steps = [b - a for index, (a, b) in enumerate(pairwise(known), start=1) if index != split]
    if not steps:
        return []
    same = max(SAME_CONTACT_S, SAME_CONTACT_SHARE * float(np.percentile(steps, 75)))
    gaps: list[float] = []
    previous: float | None = None
    for index, moment in enumerate(known):
        if index == split:
            previous = moment  # the step across left-out times is no gap
            continue
        if previous is not None:
            step = moment - previous
            if step < same:
                continue  # the same contact again: measure the next gap from its first sight
            gaps.append(step)
        previous = moment
    return gaps
