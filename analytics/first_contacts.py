"""How a cluster's hosts first contacted its pivot: the busiest 10-minute burst, its chance, the spread.

Pure functions of the hosts' first-contact times (epoch seconds), read by
:func:`analytics.features.cluster_features` for ``burst_hosts`` and
``first_contact_spread_min`` and by the lab's entity features
(:mod:`graphsiem.lab.entity_features`); split from :mod:`analytics.features`,
which re-exports them, to keep that module under ~500 lines.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["CHANCE_BURST_LEVEL", "burst_chance", "burst_size", "first_contact_spread_minutes"]


def burst_size(first_contacts: np.ndarray, span_s: float = 600.0) -> int:
    """Most first contacts that fall within one ``span_s`` interval (a sliding window).

    Examples
    --------
    >>> burst_size(np.array([0.0, 30.0, 100.0, 5000.0, 5100.0]), span_s=600.0)
    3
    """
    if len(first_contacts) == 0:
        return 0
    t = np.sort(first_contacts)
    ends = np.searchsorted(t, t + span_s, side="right")
    return int((ends - np.arange(len(t))).max())


CHANCE_BURST_LEVEL = 0.01
"""Highest chance, over the window, of a burst as large as a cluster's for it to count (:func:`burst_chance`).

Two of three hosts' first contacts in one 10-minute span of a 24-hour window happen by chance
about 4 % of the time (review U4 F4): over the hundreds of 3- and 4-host clusters of a day (web
domains a few people browse) some do, and each scored 56.1, ranks 7-10 of the demo, on that burst
alone.  At 1 % a day's window never takes a burst of two as synchrony (2 of 2 is 1.4 %, 2 of 3
4.2 %), while 3 of 5 (0.15 %) and 6 of 6 (about 1e-10) count; a shorter window asks for more."""


def burst_chance(burst: int, hosts: int, window_s: float, span_s: float = 600.0) -> float:
    """Upper bound of the chance that ``hosts`` first contacts spread at random over ``window_s``
    put ``burst`` or more of them in one ``span_s`` interval.

    Each host's contact may open such an interval, and ``burst - 1`` of the others must fall in
    the ``span_s`` after it: ``hosts * C(hosts - 1, burst - 1) * (span_s / window_s) ** (burst - 1)``
    (a union bound, exact for two hosts up to the edge, so never below the true chance); 1 at most.

    Examples
    --------
    >>> round(burst_chance(2, 3, 86400.0), 4)  # 2 of 3 within 10 minutes of a day
    0.0417
    >>> burst_chance(3, 5, 86400.0) < CHANCE_BURST_LEVEL < burst_chance(2, 2, 86400.0)
    True
    >>> burst_chance(3, 6, 3600.0)  # 3 of 6 in an hour's window: expected
    1.0
    """
    if burst <= 1 or window_s <= span_s:
        return 1.0
    share = span_s / window_s
    return float(min(1.0, hosts * math.comb(hosts - 1, burst - 1) * share ** (burst - 1)))


def first_contact_spread_minutes(first_contacts: np.ndarray) -> float:
    """Inter-quartile range of hosts' first contact times, in minutes.

    The IQR and not the full range, so one late host does not hide that most of
    the fleet touched the entity within minutes.

    Examples
    --------
    >>> first_contact_spread_minutes(np.array([0.0, 60.0, 120.0, 180.0, 86400.0]))
    2.0
    """
    if len(first_contacts) < 2:
        return 0.0
    q75, q25 = np.percentile(first_contacts, [75, 25])
    return float((q75 - q25) / 60.0)
