"""Where a detection window ends by default: the fleet's newest event, not one host's clock.

The window is the last ``window_hours`` ending at ``now``; without ``now`` it
used to end at the newest sighting in the store, so ONE event dated days ahead
(a host with a wrong clock, or an attacker stamping an event in 2099) moved
the window past all other data and the detection found nothing (review R1,
items 1 and 6).  The default end is read from each host's newest sighting
(:meth:`GraphStore.host_newest_sightings`) by two rules, and a third sets
the window's start:

1. **Clock bound.**  Sightings dated after this machine's clock plus
   :data:`CLOCK_SKEW_S` are ignored for the end: an event stamped in the
   future moves nothing in a live deployment, however many hosts send one
   (a host whose only recent sighting crosses the bound is ignored whole).
   *Unless more than half of the hosts* have their newest sighting beyond the
   bound: then it is this machine's clock that is wrong (or the data is a
   replay of synthetic future data), so the bound is dropped and the stats
   say so (``clock_behind``).  The bound used to be dropped only when most
   hosts had no sighting before it at all, so a server clock 3 h behind a
   live fleet cut the newest 2 h of every host (review RV2, item 2).
2. **Stray tail.**  The hosts' newest sightings, newest first: at most
   :data:`STRAY_HOSTS_FLOOR` (2) hosts, or ``min_hosts - 1`` when a cluster
   needs more, may be set aside.  If among those first hosts one is more
   than the window's length (``window_hours``) ahead of the next, it and the
   hosts above it are *ahead* and ignored (and named in the stats).  A
   window's length is the scale that matters: a host less far ahead still
   leaves the fleet's data in the window.  The floor does not follow
   ``min_hosts`` down: with ``min_hosts=2`` (notebook 02's tuned value) the
   tolerance was one host, so two hosts dated weeks after a replayed fleet
   ended the window past all of it and the detection found nothing (review
   T11, F6).  Why not a share of the fleet: the newest sightings cannot tell
   two forged clocks from the servers still reporting over a weekend (a
   tenth of the fleet 60 h on, see the tests), whose newest days hold what
   an attacker did then; a small fixed count is all the stray tail may cut.

The window ends at the newest sighting of the hosts that remain, and what the
ignored hosts reported after it is read as of the end, as a backtest at that
instant would (:func:`graphsiem.store.base.sighting_as_of`).

3. **Leading hosts move the start, not the end.**  Among the hosts that
   remain, newest first, fewer than half may *lead* the fleet: if one is more
   than :data:`LEAD_GAP_S` (1 h) ahead of the next, it and the hosts above it
   lead, and the *fleet's end* is the newest sighting of the others.  The
   window then starts a window's length before the fleet's end (at most one
   window earlier than usual), so it holds the last ``window_hours`` of the
   leading hosts *and* of the fleet; the stats say so (``fleet_end``,
   ``hosts_leading``).  Three campaign hosts whose clocks ran 2.5 to 5.1 h
   ahead (NXLog local time read as UTC, review S3) ended a 24 h window 5.1 h
   past the fleet's newest event, and the beacon on hosts with right clocks
   fell out of it (task F19).  Setting such hosts aside cannot be the rule:
   "three hosts hours ahead of the rest" is also the night, the evening and
   the weekend above (3 of 40 hosts 8.5 h on, 9 of 100 3 h on), where those
   hosts' newest hours hold the campaign; the newest sightings alone cannot
   tell a clock running ahead from a host still reporting.  Starting earlier
   cuts neither: the cost is a longer window (up to twice ``window_hours``),
   so what the fleet first did in those extra hours counts as new.

Why not a quantile of the hosts' clocks (the rule before, review RV2, item 1):
up to a tenth of the fleet more than 2 h past the 90th percentile was set
aside, and that is what a real fleet looks like at night (servers report,
workstations are off: 8 h, even 2.5 h ahead), over a weekend, or when a
campaign's 3 hosts are the only ones still reporting; the campaign on them
was cut.  Now a fleet's freshest hosts are kept however many they are, as
long as they are more than the stray tail may set aside (3 hosts by default)
or within a window of the rest; one host 5 days ahead, or a 2099 event, is
still ignored.  In a live
deployment the clock bound keeps a stray host within 1 h of real time, so
the stray tail matters for replays; there, one or two hosts up to a window
ahead do move the end (by at most ``window_hours``), and rule 3 moves the
start back with it, so the fleet's own last window is not cut.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from graphsiem.store.base import GraphStore

CLOCK_SKEW_S = 3600.0
"""How far past this machine's clock an event may be dated and still end the window."""
LEAD_GAP_S = 3600.0
"""How far a host must be ahead of the next (newest sightings) to lead the fleet (rule 3)."""
STRAY_HOSTS_FLOOR = 2
"""Hosts ahead of the fleet the stray tail may set aside whatever ``min_hosts`` is (rule 2)."""
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
    clock_behind : bool
        More than half of the hosts had sightings past that limit, so this
        machine's clock was taken to be the wrong one and the limit dropped.
    start : float or None
        Epoch seconds: the window's start, a window's length before ``fleet_end``
        (``None``: a window's length before ``end``, see :meth:`window_start`).
    fleet_end : float or None
        The newest sighting of the hosts that do not lead (``None``: ``end``).
    hosts_leading : int
        Hosts more than :data:`LEAD_GAP_S` ahead of the fleet, whose lead moved the start.
    hosts_leading_shown : tuple of str
        Up to :data:`SHOWN_HOSTS` of them, the freshest (the one whose clock set ``end``) first.
    hosts_leading_by : tuple of float
        Seconds each of ``hosts_leading_shown`` leads ``fleet_end`` by: each host its own
        (one figure for all said "8 hosts lead by 5.3 years" of hosts 0.3 to 5.3 years ahead, U1 #7).
    hosts_leading_least : float or None
        The smallest lead of all the leading hosts, shown or not (``None``: none lead).
    """

    end: float
    rule: str
    newest_sighting: float
    hosts_ahead: int = 0
    hosts_ahead_shown: tuple[str, ...] = ()
    clock_limit: float | None = None
    clock_behind: bool = False
    start: float | None = None
    fleet_end: float | None = None
    hosts_leading: int = 0
    hosts_leading_shown: tuple[str, ...] = ()
    hosts_leading_by: tuple[float, ...] = ()
    hosts_leading_least: float | None = None

    def window_start(self, window_s: float) -> float:
        """The window's start for a window of ``window_s`` seconds (``start`` when rule 3 set it)."""
        return self.end - window_s if self.start is None else self.start

    def stats(self) -> dict[str, object]:
        """The detection stats that say how the window end was set."""
        return {
            "window_ends_at": self.rule,
            "newest_sighting": self.newest_sighting,
            "hosts_ahead": self.hosts_ahead,
            "hosts_ahead_shown": list(self.hosts_ahead_shown),
            "clock_limit": self.clock_limit,
            "clock_behind": self.clock_behind,
            "fleet_end": self.end if self.fleet_end is None else self.fleet_end,
            "hosts_leading": self.hosts_leading,
            "hosts_leading_shown": list(self.hosts_leading_shown),
            "hosts_leading_by_s": list(self.hosts_leading_by),
            "hosts_leading_least_s": self.hosts_leading_least,
        }


def stray_hosts(newest: dict[str, float], *, max_hosts: int, gap_s: float) -> set[str]:
    """The freshest hosts, at most ``max_hosts``, that are more than ``gap_s`` ahead of the next one.

    Parameters
    ----------
    newest : dict of str to float
        Each host's newest sighting.
    max_hosts : int
        How many hosts may be set aside at most (fewer than a cluster needs).
    gap_s : float
        The gap, in seconds, that sets a host apart from the next.

    Returns
    -------
    set of str
        The hosts above the lowest such gap among the first ``max_hosts``; empty if none.

    Examples
    --------
    >>> sorted(stray_hosts({"a": 100.0, "b": 90.0, "c": 10.0, "d": 9.0}, max_hosts=2, gap_s=50.0))
    ['a', 'b']
    >>> stray_hosts({"a": 100.0, "b": 90.0, "c": 80.0, "d": 9.0}, max_hosts=2, gap_s=50.0)
    set()
    """
    ordered = sorted(newest, key=lambda host: (-newest[host], host))
    above = 0
    for i in range(min(max_hosts, len(ordered) - 1)):
        if newest[ordered[i]] - newest[ordered[i + 1]] > gap_s:
            above = i + 1
    return set(ordered[:above])


def leading_hosts(newest: dict[str, float], *, gap_s: float) -> set[str]:
    """The freshest hosts, fewer than half, that are more than ``gap_s`` ahead of the next one.

    Parameters
    ----------
    newest : dict of str to float
        Each host's newest sighting.
    gap_s : float
        The gap, in seconds, that sets a host ahead of the next.

    Returns
    -------
    set of str
        The hosts above the lowest such gap among the freshest minority; empty if none.

    Examples
    --------
    >>> sorted(leading_hosts({"a": 20.0, "b": 15.0, "c": 9.0, "d": 8.0, "e": 8.0, "f": 7.0}, gap_s=3.0))
    ['a', 'b']
    >>> leading_hosts({"a": 20.0, "b": 9.0, "c": 8.0}, gap_s=3.0)  # one of three leads
    {'a'}
    >>> leading_hosts({"a": 20.0, "b": 19.0, "c": 8.0, "d": 7.0}, gap_s=3.0)  # half is no minority
    set()
    """
    ordered = sorted(newest, key=lambda host: (-newest[host], host))
    above = 0
    for i in range((len(ordered) - 1) // 2):
        if newest[ordered[i]] - newest[ordered[i + 1]] > gap_s:
            above = i + 1
    return set(ordered[:above])


def default_window_end(
    store: GraphStore, *, min_hosts: int, window_hours: float, wall_clock: float | None = None
) -> WindowEnd | None:
    """The window's end when no ``now`` is given (see the module docstring for the rule).

    Parameters
    ----------
    store : GraphStore
    min_hosts : int
        The detection's smallest cluster (:class:`DetectionConfig`): at most
        ``max(min_hosts - 1, STRAY_HOSTS_FLOOR)`` hosts may be set aside as ahead.
    window_hours : float
        The detection window's length: a host that far ahead of the next is a stray clock;
        the start moves back by at most that much for hosts that lead (rule 3).
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
    beyond = sum(1 for t in stored.values() if t > limit)
    newest, clock_limit, clock_behind = stored, None, False
    if 2 * beyond > len(stored):
        # most of the fleet is "in the future": this machine's clock is the wrong one
        clock_behind = True
    elif beyond:
        bounded = store.host_newest_sightings(until=limit)
        # A host cut at the limit sent something dated past it: it is ahead, not the fleet's clock.
        # At least half the hosts are within the limit and kept, so this is never empty.
        newest = {h: t for h, t in bounded.items() if t < limit or stored[h] <= limit}
        clock_limit = limit
    window_s = window_hours * 3600.0
    # a floor independent of min_hosts: tuning clusters down to 2 hosts must not let 2 stray clocks end the window
    stray = stray_hosts(newest, max_hosts=max(min_hosts - 1, STRAY_HOSTS_FLOOR), gap_s=window_s)
    kept = {h: t for h, t in newest.items() if h not in stray}
    end = max(kept.values())
    ahead = sorted((h for h, t in stored.items() if t > end), key=lambda h: (-stored[h], h))
    leading = leading_hosts(kept, gap_s=LEAD_GAP_S)
    fleet_end = max(t for h, t in kept.items() if h not in leading) if leading else None
    # the last window of the fleet as well as of the leading hosts, one extra window at most
    start = max(fleet_end, end - window_s) - window_s if fleet_end is not None else None
    shown_leading = sorted(leading, key=lambda h: (-kept[h], h))[:SHOWN_HOSTS]
    return WindowEnd(
        end=end,
        rule="fleet's newest event" if ahead else "newest event",
        newest_sighting=newest_sighting,
        hosts_ahead=len(ahead),
        hosts_ahead_shown=tuple(ahead[:SHOWN_HOSTS]),
        clock_limit=clock_limit,
        clock_behind=clock_behind,
        start=start,
        fleet_end=fleet_end,
        hosts_leading=len(leading),
        hosts_leading_shown=tuple(shown_leading),
        hosts_leading_by=tuple(kept[h] - fleet_end for h in shown_leading) if fleet_end is not None else (),
        hosts_leading_least=min(kept[h] for h in leading) - fleet_end if fleet_end is not None else None,
    )
