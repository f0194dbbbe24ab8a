"""When something became known to the fleet, robust to a few hosts' clocks.

"New in the window" means fewer than ``k`` hosts saw it before the window
start (``k`` = ``min_hosts``, the hosts a cluster needs), and at most a tenth of
its hosts (:data:`EARLY_HOST_SHARE`; :func:`established_at`).  The earliest
sighting on any host is not used: one host whose clock runs 30 hours behind,
hosts writing local time as UTC, or a patient zero staged a day early would
otherwise make a whole campaign "old" and erase its novelty and behaviours.
Rolled-out software is the price: an entity two pilot hosts had for weeks
becomes new when a rollout brings it to 20 hosts or more (a rollout is spread
out and shows no behaviours, so it stays low).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

EARLY_HOST_SHARE = 0.1
"""The share of an entity's hosts that may have seen it before the window while it stays new.

Measured on the demo fleet (300 hosts, 2 days, seed 7): with early hosts capped by ``k``
alone, every background domain two of its five hosts had the day before became new,
and the candidates went from 48 to 237 (clusters at risk 50 or more: 10 to 18; the
beacon's first check turned from its interval to its timing).  With a tenth of the
hosts, 48 and 10 as before: a campaign on 10 or more hosts keeps its novelty when one
host's clock is behind (20 or more: two hosts), a handful of hosts' chance traffic does not.
"""


def established_at(first_sightings: Sequence[float], k: int) -> float:
    """When it stopped being new: the ``t+1``-th earliest per-host first sighting, ``t``
    the early hosts tolerated (fewer than ``k``, at most :data:`EARLY_HOST_SHARE` of them).

    Examples
    --------
    >>> established_at([-30.0] + [10.0] * 9, 3)  # one host of ten 30 h behind
    10.0
    >>> established_at([-30.0, 10.0, 10.0, 10.0, 10.0], 3)  # one of five: too many to be a clock
    -30.0
    """
    tolerated = min(k - 1, math.floor(EARLY_HOST_SHARE * len(first_sightings)))
    return kth_earliest(first_sightings, max(tolerated, 0) + 1)


def kth_earliest(first_sightings: Iterable[float], k: int) -> float:
    """The ``k``-th earliest of per-host first sightings (the latest when there are fewer).

    "Fewer than ``k`` hosts saw it before ``t``" is ``kth_earliest(...) >= t``, except
    that something every one of its (fewer than ``k``) hosts saw before ``t`` stays old.

    Examples
    --------
    >>> kth_earliest([50.0, 10.0, 30.0, 40.0], 3)
    40.0
    >>> kth_earliest([10.0, 30.0], 3)
    30.0
    """
    ordered = sorted(first_sightings)
    if not ordered:
        raise ValueError("kth_earliest needs at least one first sighting")
    return float(ordered[min(max(k, 1), len(ordered)) - 1])


def relation_established(first_seen: float, host_first_seen: Iterable[float], k: int) -> float:
    """A lower bound of when the ``k``-th host showed a relation of a process.

    A relation (``SPAWNED``, ``ACCESSED``) is one fleet-wide edge with only its
    earliest time: which hosts showed it, and when, is not stored.  A host cannot
    show it before the relation's first time, nor before that host first saw the
    process, so ``max(first_seen, host's first sighting)`` bounds each host's time
    from below, and the ``k``-th smallest bound bounds the ``k``-th host's.  A lower
    bound errs towards "old": a relation is called new only when it surely is.

    Parameters
    ----------
    first_seen : float
        The relation's earliest time (any host).
    host_first_seen : iterable of float
        Per-host first sightings of the process the relation belongs to (empty:
        unknown, the relation counts as one host at ``first_seen``).
    k : int

    Examples
    --------
    >>> relation_established(100.0, [100.0] + [230.0] * 9, 3)  # one host of ten 30 h behind
    230.0
    >>> relation_established(100.0, [], 3)
    100.0
    """
    if k <= 1:
        return float(first_seen)
    return established_at(host_time_bounds(first_seen, host_first_seen), k)


def host_time_bounds(first_seen: float, host_first_seen: Iterable[float]) -> list[float]:
    """Per-host lower bounds of a process relation's time (see :func:`relation_established`).

    Examples
    --------
    >>> host_time_bounds(100.0, [90.0, 230.0])
    [100.0, 230.0]
    """
    return [max(first_seen, f) for f in host_first_seen] or [float(first_seen)]
