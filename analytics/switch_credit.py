"""An old process whose payload switched lends a pivot what it did next (task T16B #2, task SWITCH).

Only processes on one host are credited to a pivot (:func:`analytics.linked_processes.credit_to_pivots`),
with one exception: an *old* process (``min_hosts`` hosts ran it before the window) that reached the pivot
lends it the behaviours it first showed in the window right after (:data:`SWITCH_SECONDS`), once per pivot
host it ran on in the window (:func:`common_hosts`).  Red team T16 ``switch.yaml``: the campaign's exact
cradle fetched a harmless image the day before, then the same URL served a credential dumper and the
cradle read LSASS.  Its old behaviours (the ``-enc`` the fleet ran before) lend nothing.  Split from
:mod:`analytics.linked_processes`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from analytics.incidence import Incidence
from graphsiem.model import EntityKey

SWITCH_SECONDS = 30 * 60.0
"""Most seconds between an old process reaching a pivot and its first showing a behaviour, for the pivot to
take it (:func:`credit_to_pivots`): a switched payload runs at once (the red team's within a minute); the
pivot's co-occurrence span (:data:`analytics.pivot_selection.COOCCURRENCE_MINUTES`)."""


def credit_switch(
    pivot: EntityKey, process: EntityKey, linked_at: float, shown_by: Mapping[str, float], window_start: float,
    shared_hosts: Callable[[EntityKey, EntityKey], int],
    times: dict[str, list[float]], shown: dict[str, list[tuple[float, EntityKey]]], switched: Counter[str],
) -> None:
    """Lend ``pivot`` the behaviours the old ``process`` first showed in the window right after reaching it,
    once per pivot host it ran on (:func:`credit_to_pivots`, ``shared_hosts``)."""
    fresh = {name: t for name, t in shown_by.items()
             if t >= window_start and abs(t - linked_at) <= SWITCH_SECONDS}
    hosts = shared_hosts(pivot, process) if fresh else 0
    if not hosts:
        return
    for name, t in fresh.items():
        times[name].extend([t] * hosts)
        shown[name].append((linked_at, process))
        switched[name] += hosts


def common_hosts(
    incidence: Incidence, host_first_seen: Mapping[EntityKey, Sequence[float]] | None = None, *,
    before: float = float("inf"), novelty_hosts: int = 1,
) -> Callable[[EntityKey, EntityKey], int]:
    """How many hosts of ``incidence`` saw both of two entities (0 when either is no column): the
    ``shared_hosts`` of :func:`credit_to_pivots`, reading the columns only when asked.

    With ``host_first_seen`` (a process's per-host first sightings), a process fewer than
    ``novelty_hosts`` hosts saw before ``before`` (the window's start) counts 0: it is new, a
    member by the clustering's own rules, whose behaviours count as a member's.

    Examples
    --------
    >>> from analytics.incidence import build_incidence
    >>> from graphsiem.store.base import HostSighting
    >>> inc = build_incidence([HostSighting(h, k, 1.0, 2.0, 1) for h, k in
    ...                        [("a", ("file", "f")), ("b", ("file", "f")), ("a", ("process", "p")), ("c", ("process", "p"))]])
    >>> common_hosts(inc)(("file", "f"), ("process", "p")), common_hosts(inc)(("file", "f"), ("process", "q"))
    (1, 0)
    """
    columns: dict[EntityKey, int] | None = None

    def count(a: EntityKey, b: EntityKey) -> int:
        nonlocal columns
        if columns is None:
            columns = incidence.column_index()
        i, j = columns.get(a), columns.get(b)
        if i is None or j is None:
            return 0
        if host_first_seen is not None and sum(t < before for t in host_first_seen.get(b, ())) < novelty_hosts:
            return 0  # new in the window: no old process whose payload switched
        return int(np.intersect1d(incidence.hosts_of(i), incidence.hosts_of(j), assume_unique=True).size)

    return count
