"""When a host's behaviour signature is its routine, not news (:mod:`analytics.behaviour_pivots`).

A host that completed a pair of fact kinds of one shape on :data:`ROUTINE_DAYS` distinct UTC days
before the window, the first of them :data:`ROUTINE_SPAN_DAYS` days or more before its window day,
does it routinely (a daily updater under a new temporary name each day) and leaves the signature's
pivot; :func:`analytics.behaviour_pairs.completion_days` dates the earlier pairs, these functions
date the window's and judge.  Moved out of :mod:`analytics.behaviour_pivots`, which re-exports the
two constants.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from analytics.behaviour_pairs import HostPairs
from analytics.behaviour_shapes import Shapes

__all__ = ["ROUTINE_DAYS", "ROUTINE_SPAN_DAYS", "completion_day", "earliest_shape", "is_routine"]

ROUTINE_DAYS = 2
"""Distinct UTC days before the window on which a host completed a pair for the pair to be its routine."""
ROUTINE_SPAN_DAYS = 7
"""Fewest UTC days from a host's first completion of a pair's shape to its completion in the window for the
pair to be its routine: a week of history, not three days of a campaign repeating on the same hosts."""


def earliest_shape(shapes: Shapes, kinds: tuple[str, str], pairs: HostPairs) -> str:
    """The shape id of a host's earliest pair (the rest's hosts are dated by their own pair's shape)."""
    _, a, b = pairs.first
    return shapes.of_pair(kinds, a, b)[0]


def completion_day(pairs: HostPairs) -> int:
    """The UTC day (days since the epoch) a host's pair of a group completed in the window, as
    :func:`analytics.behaviour_pairs.completion_days` dates the earlier ones (else its earliest fact's)."""
    at = pairs.first[0] if np.isfinite(pairs.first[0]) else min(f.at for f in pairs.facts)
    return int(at // 86400)


def is_routine(routine_days: Mapping[tuple[tuple[str, str], str], Mapping[str, set[int]]], kinds: tuple[str, str],
             shape: str, host: str, day: int) -> bool:
    """Whether ``host`` completed a pair of ``kinds`` and ``shape`` on :data:`ROUTINE_DAYS` days before the window,
    the first of them :data:`ROUTINE_SPAN_DAYS` or more before ``day`` (its window day).

    The span (task TREE): a campaign repeated on the same hosts on three separate days had two earlier
    days on its third, and was routine there.  Its history and a new daily vendor job's are the same
    days; what a vendor's job has and a campaign's repeat does not is time: a week on the host.  A new
    daily job is so a cluster for its first week, each day with its first day's key on the same hosts,
    so the analyst's benign verdict on the first covers the rest (:func:`analytics.clusters.covers_hosts`).

    The host itself, on distinct UTC days: a product's history gains a campaign copying its shape onto
    other hosts nothing.  How many other hosts completed it on one of those days is no matter: a
    fleet-wide day once is what a campaign's first wave looks like (review T12, finding 1), so the
    second wave on the same hosts is new again, and a weekly vendor job is left to the analyst's
    benign verdict on its first cluster (the same key the next week).
    """
    days = routine_days.get((kinds, shape), {}).get(host, ())
    return len(days) >= ROUTINE_DAYS and day - min(days) >= ROUTINE_SPAN_DAYS
