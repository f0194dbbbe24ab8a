"""Where a detection window ends by default: the fleet's newest event, not one host's clock.

The window is the last ``window_hours`` ending at ``now``; without ``now`` it
used to end at the newest sighting in the store, so ONE event dated days ahead
(a host with a wrong clock, or an attacker stamping an event in 2099) moved
the window past all other data and the detection found nothing (review R1,
items 1 and 6).  The default end is now read from the hosts' clocks:

1. each host's newest sighting (:meth:`GraphStore.host_newest_sightings`);
2. the wall clock bounds them: sightings are read as of the wall clock plus
   :data:`CLOCK_SKEW_S`, so an event stamped in the future moves nothing in a
   live deployment, however many hosts send one.  The bound is dropped when
   most hosts would then have no sighting at all (data dated after this
   machine's clock: a replay of synthetic data, or this machine's clock is
   the wrong one);
3. the fleet's clock is the :data:`HOST_QUANTILE` quantile of the hosts'
   newest sightings (the time by which most hosts had last reported; the
   order statistic at or above it, so a fleet of 10 hosts or fewer ignores
   nobody and one of ``n`` hosts ignores at most ``(n - 1) // 10``);
4. hosts whose newest sighting is more than :data:`AHEAD_TOLERANCE_S` past
   the fleet's clock are *ahead*: the window ends at the newest sighting of
   the others, and what the hosts ahead reported after it is read as of the
   end, as a backtest at that instant would (:func:`graphsiem.store.base.sighting_as_of`).

On the simulator's fleets (100 hosts x 3 days, 300 x 2) the freshest host is
0.4 h and 0.8 h ahead of the 90th percentile, so nobody is ahead and the end
is the newest sighting, as before; a host 5 days ahead, or a 2099 event, is
ignored.  A fleet that genuinely moved on (new data from most hosts) moves
the 90th percentile with it, so the window follows.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from graphsiem.store.base import GraphStore

HOST_QUANTILE = 0.9
"""The share of hosts whose newest sighting sets the fleet's clock."""
AHEAD_TOLERANCE_S = 2 * 3600.0
"""How far past the fleet's clock a host may be and still count (2 h: 2.4 times the
largest gap measured between the freshest host and the 90th percentile on the
simulator's fleets, 0.83 h on 300 hosts)."""
CLOCK_SKEW_S = 3600.0
"""How far past this machine's clock an event may be dated and still end the window."""
SHOWN_HOSTS = 5
"""Hosts ahead named in a detection's stats (the freshest first)."""


@dataclass(slots=True, frozen=True)
class WindowEnd:
    """The default end of a detection window and how it was set.

    Attributes
    ----------
    end : float
        Epoch seconds: the window's end, and the instant everything is read as of.
    rule : str
        ``"newest event"`` when no host was ignored (the store's newest
        sighting); ``"fleet's newest event"`` when hosts ahead of the fleet
        or events dated past the clock were ignored.
    newest_sighting : float
        The store's newest sighting, as stored (what the end would have been).
    hosts_ahead : int
        Hosts with a sighting after ``end`` that were ignored.
    hosts_ahead_shown : tuple of str
        Up to :data:`SHOWN_HOSTS` of them, the freshest first.
    clock_limit : float or None
        Wall clock plus :data:`CLOCK_SKEW_S` when it bounded the read, else ``None``.
    """

    end: float
    rule: str
    newest_sighting: float
    hosts_ahead: int = 0
    hosts_ahead_shown: tuple[str, ...] = ()
    clock_limit: float | None = None

    def stats(self) -> dict[str, object]:
        """The detection stats that say how the window end was set."""
        return {
            "window_ends_at": self.rule,
            "newest_sighting": self.newest_sighting,
            "hosts_ahead": self.hosts_ahead,
            "hosts_ahead_shown": list(self.hosts_ahead_shown),
            "clock_limit": self.clock_limit,
        }


def fleet_clock(newest: list[float]) -> float:
    """The :data:`HOST_QUANTILE` order statistic of hosts' newest sightings (the one at or above it).

    Examples
    --------
    >>> fleet_clock([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    10.0
    >>> fleet_clock([float(i) for i in range(1, 12)])
    10.0
    """
    ordered = sorted(newest)
    return ordered[math.ceil(HOST_QUANTILE * (len(ordered) - 1))]


def default_window_end(store: GraphStore, *, wall_clock: float | None = None) -> WindowEnd | None:
    """The window's end when no ``now`` is given (see the module docstring for the rule).

    Parameters
    ----------
    store : GraphStore
    wall_clock : float, optional
        This machine's clock (epoch seconds); default ``time.time()``.

    Returns
    -------
    WindowEnd or None
        ``None`` when no host has a sighting.
    """
    stored = store.host_newest_sightings()
    if not stored:
        return None
    newest_sighting = max(stored.values())
    limit = (time.time() if wall_clock is None else wall_clock) + CLOCK_SKEW_S
    newest, clock_limit = stored, None
    if newest_sighting > limit:
        bounded = store.host_newest_sightings(until=limit)
        if 2 * len(bounded) >= len(stored):
            # A host cut at the limit sent something dated past it: it is ahead, not the fleet's clock.
            newest = {h: t for h, t in bounded.items() if t < limit or stored[h] <= limit} or bounded
            clock_limit = limit
    fleet = fleet_clock(list(newest.values()))
    end = max(t for t in newest.values() if t <= fleet + AHEAD_TOLERANCE_S)
    ahead = sorted((h for h, t in stored.items() if t > end), key=lambda h: (-stored[h], h))
    return WindowEnd(
        end=end,
        rule="fleet's newest event" if ahead else "newest event",
        newest_sighting=newest_sighting,
        hosts_ahead=len(ahead),
        hosts_ahead_shown=tuple(ahead[:SHOWN_HOSTS]),
        clock_limit=clock_limit,
    )
