"""When something became known to the fleet, robust to a few hosts' clocks; and what is young.

**New in the window** means fewer than ``k`` hosts saw it before the window
start (``k`` = ``min_hosts``, the hosts a cluster needs), and at most a tenth of
its hosts (:data:`EARLY_HOST_SHARE`; :func:`established_at`).  The earliest
sighting on any host is not used: one host whose clock runs 30 hours behind,
hosts writing local time as UTC, or a patient zero staged a day early would
otherwise make a whole campaign "old" and erase its novelty and behaviours.
A campaign on fewer than ten hosts may also keep one early host, when that host
is *isolated before a fan-out*: it saw the entity more than
:data:`ISOLATED_EARLY_GAP_S` (a day) before every other host, and the next
``2 k - 1`` hosts or more all saw it within :data:`FAN_OUT_SPAN_S` (an hour)
(:func:`tolerated_early_hosts`).  One host, a day of silence, then a handful of
hosts within the hour is a host whose clock runs behind or a patient zero
staged early; the fleet's chance traffic (one host browsed a site yesterday,
five more today over the afternoon) keeps the site old.
Rolled-out software is the price: an entity two pilot hosts had for weeks
becomes new when a rollout brings it to 20 hosts or more (a rollout is spread
out and shows no behaviours, so it stays low).

**Young and spreading** is the second horizon, for a campaign that adds a few
hosts a day (low and slow): such a campaign is never new in a one-day window,
as its earlier days' hosts saw it before.  An entity is young and spreading
when it is not new but

* the fleet established it (as above) within ``young_hours`` (default a week)
  before the window start, *and* at least a whole day after the fleet's data
  begin (:data:`YOUNG_BASELINE_S`, :func:`young_start`): the fleet had a day's
  baseline in which it was absent, so it is young, not merely as old as the
  data (a two-day store has no young entity);
* at least ``k`` hosts first saw it inside the window (hosts that never had it
  before): it is still spreading.

Novelty then gates as for a new entity: it may pivot a cluster, its cluster's
lineage and behaviours count when the fleet showed them since the young
horizon's start instead of since the window start, and its own hosts before
the window are its earlier days, not hosts "outside" the cluster (the
clustering's rare-outside test is asked of the window's hosts for a young
member, :func:`analytics.clusters.fan_out_clusters`).  Long-standing software
that a few hosts install each day (re-imaged hosts, a slow rollout older than
the horizon) is established before the horizon and stays old; a young one
with no behaviours forms a candidate that the scorer leaves low.
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


ISOLATED_EARLY_GAP_S = 86400.0
"""How long one early host's first sighting must precede every other host's to be tolerated
in a campaign on fewer than ten hosts (:func:`tolerated_early_hosts`): a day, longer than
whatever the fleet does daily takes to reach a second host."""

FAN_OUT_SPAN_S = 3600.0
"""Within how long the ``2 k - 1`` hosts after an isolated early host must have seen the entity.

The gap alone is not enough: on the demo fleet (300 hosts, 2 days, seed 7) it made one
background domain new (one host on day 1, five more 26 to 31 hours later, over five hours)
and the candidates 49; with the fan-out asked too, 48 as before.  A small campaign whose
hosts trickle in over hours keeps an early host's age: the price of not reading chance traffic
as a campaign.
"""

YOUNG_BASELINE_S = 86400.0
"""How long after the fleet's data begin an entity must have been established to be young
(:func:`young_start`): a whole day, so that the fleet's daily activity had shown once before it."""


def tolerated_early_hosts(first_sightings: Sequence[float], k: int) -> int:
    """How many of an entity's earliest hosts may have seen it before the window while it stays new.

    At most :data:`EARLY_HOST_SHARE` of its hosts, and fewer than ``k``.  When that share
    allows none (fewer than ten hosts), one *isolated* early host is allowed all the same
    when it precedes a fan-out: its first sighting precedes every other host's by more
    than :data:`ISOLATED_EARLY_GAP_S`, and the next ``2 k - 1`` hosts saw it within
    :data:`FAN_OUT_SPAN_S` (a clock far behind, a patient zero staged a day early).

    Parameters
    ----------
    first_sightings : sequence of float
        Per-host first sightings (any order).
    k : int
        ``min_hosts``.

    Examples
    --------
    >>> h = 3600.0
    >>> tolerated_early_hosts([-30 * h] + [10 * h] * 5, 3)  # six hosts, one 30 h behind the rest
    1
    >>> tolerated_early_hosts([-10 * h] + [10 * h] * 5, 3)  # 20 h before the rest: not isolated
    0
    >>> tolerated_early_hosts([-30 * h] + [10 * h] * 4, 3)  # four after it: fewer than 2 k - 1
    0
    >>> tolerated_early_hosts([-30 * h, 2 * h, 3 * h, 4 * h, 5 * h, 7 * h], 3)  # the rest over 5 h: no fan-out
    0
    """
    n = len(first_sightings)
    tolerated = math.floor(EARLY_HOST_SHARE * n)
    if tolerated == 0 and k >= 2 and n >= 2 * k:
        ordered = sorted(first_sightings)
        isolated = ordered[1] - ordered[0] > ISOLATED_EARLY_GAP_S
        if isolated and ordered[2 * k - 1] - ordered[1] <= FAN_OUT_SPAN_S:
            tolerated = 1
    return max(min(k - 1, tolerated), 0)


def established_at(first_sightings: Sequence[float], k: int) -> float:
    """When it stopped being new: the ``t+1``-th earliest per-host first sighting, ``t``
    the early hosts tolerated (:func:`tolerated_early_hosts`).

    Examples
    --------
    >>> established_at([-30.0] + [10.0] * 9, 3)  # one host of ten 30 h behind
    10.0
    >>> established_at([-30.0, 10.0, 10.0, 10.0, 10.0], 3)  # one of five: too many to be a clock
    -30.0
    """
    return kth_earliest(first_sightings, tolerated_early_hosts(first_sightings, k) + 1)


def young_start(window_start: float, young_seconds: float, data_begin: float) -> float:
    """The earliest establishment that is still young: ``young_seconds`` before the window,
    and no earlier than :data:`YOUNG_BASELINE_S` after the fleet's data begin.

    ``window_start`` (nothing is young) when ``young_seconds`` is 0 or the store holds
    less than a day of data before the window.

    Examples
    --------
    >>> d = 86400.0
    >>> young_start(10 * d, 7 * d, 0.0) / d  # ten days of data: a week back
    3.0
    >>> young_start(5 * d, 7 * d, 0.0) / d  # five days: the first day is the baseline
    1.0
    >>> young_start(1 * d, 7 * d, 0.0) / d  # two-day store: nothing is young
    1.0
    """
    if young_seconds <= 0:
        return float(window_start)
    return float(min(window_start, max(window_start - young_seconds, data_begin + YOUNG_BASELINE_S)))


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
