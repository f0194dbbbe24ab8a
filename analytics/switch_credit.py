"""An old process whose payload switched lends a pivot what it did next (task T16B #2, task SWITCH).

Only processes on one host are credited to a pivot (:func:`analytics.linked_processes.credit_to_pivots`),
with one exception: an *old* process (``min_hosts`` hosts ran it before the window) that reached the pivot
lends it the behaviours it first showed in the window right after (:data:`SWITCH_SECONDS`), once per pivot
host it ran on in the window and no more hosts than events showed them, each host once however many old
processes reached the pivot there (:func:`common_hosts`, review R24).  Red team T16 ``switch.yaml``: the campaign's exact
cradle fetched a harmless image the day before, then the same URL served a credential dumper and the
cradle read LSASS.  Its old behaviours (the ``-enc`` the fleet ran before) lend nothing.  Split from
:mod:`analytics.linked_processes`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from analytics.incidence import Incidence
from graphsiem.model import EntityKey, Relation

SWITCH_SECONDS = 30 * 60.0
"""Most seconds between an old process reaching a pivot and its first showing a behaviour, for the pivot to
take it (:func:`credit_to_pivots`): a switched payload runs at once (the red team's within a minute); the
pivot's co-occurrence span (:data:`analytics.pivot_selection.COOCCURRENCE_MINUTES`)."""

SharedHosts = Callable[[EntityKey, EntityKey, str, float], frozenset[int]]
"""``(pivot, process, behaviour, when) ->`` the incidence rows of the pivot hosts the old process may have shown the
behaviour on (:func:`common_hosts`)."""


def credit_switch(
    pivot: EntityKey, process: EntityKey, linked_at: float, shown_by: Mapping[str, float], window_start: float,
    shared_hosts: SharedHosts,
    times: dict[str, list[float]], shown: dict[str, list[tuple[float, EntityKey]]], switched: dict[str, set[int]],
) -> None:
    """Lend ``pivot`` the behaviours the old ``process`` first showed in the window right after reaching it,
    once per pivot host that may have shown it (:func:`credit_to_pivots`, ``shared_hosts``).

    ``switched`` holds, per behaviour, the hosts already lent it by the pivot's other old processes: a host is
    counted once, however many of its processes (links) reached the pivot (review R24).
    """
    for name, t in shown_by.items():
        if t < window_start or abs(t - linked_at) > SWITCH_SECONDS:
            continue
        rows = shared_hosts(pivot, process, name, t)
        if not rows:
            continue
        times[name].extend([t] * len(rows - switched[name]))
        shown[name].append((linked_at, process))
        switched[name] |= rows


_ACCESS_BEHAVIOURS = {"ACCESSED": "lsass_access", "INJECTED": "remote_thread"}


def behaviour_events(relations: Iterable[Relation], images: Mapping[EntityKey, str]) -> dict[EntityKey, Counter[str]]:
    """Per process, how many events showed each behaviour of :func:`analytics.lineage.behaviour_index`: its
    ``ACCESSED`` relations to ``lsass.exe`` (``lsass_access``) and its ``INJECTED`` ones (``remote_thread``).

    One relation is one fleet-wide edge, so which hosts showed it is not stored; its count is how many events
    did, and no more hosts than that can have shown it (:func:`common_hosts`).

    Examples
    --------
    >>> lsass, p = ("process", "l"), ("process", "p")
    >>> rels = [Relation(p, "ACCESSED", lsass, 1.0, 2.0, 3, []), Relation(p, "INJECTED", lsass, 1.0, 1.0, 1, [])]
    >>> dict(behaviour_events(rels, {lsass: "lsass.exe"})[p])
    {'lsass_access': 3, 'remote_thread': 1}
    """
    found: dict[EntityKey, Counter[str]] = defaultdict(Counter)
    for rel in relations:
        name = _ACCESS_BEHAVIOURS.get(str(rel.type))
        if name is None or (name == "lsass_access" and images.get(rel.dst) != "lsass.exe"):
            continue
        found[rel.src][name] += max(int(rel.count), 1)
    return found


def common_hosts(
    incidence: Incidence, host_first_seen: Mapping[EntityKey, Sequence[float]] | None = None, *,
    before: float = float("inf"), novelty_hosts: int = 1, events: Mapping[EntityKey, Mapping[str, int]] | None = None,
) -> SharedHosts:
    """The pivot hosts of ``incidence`` an old process may have shown a behaviour on: the ``shared_hosts`` of
    :func:`credit_to_pivots`, reading the columns only when asked.

    Those that saw both the pivot and the process (none when either is no column), and no more of them than
    the events that showed the behaviour (``events``, :func:`behaviour_events`; without it, no bound): one
    process node runs on many hosts and its LSASS read is one edge, so a read on one host was counted on every
    pivot host it ran on (review R24).  When the events are fewer, the hosts kept are those whose sighting of the
    process ended nearest the behaviour's time (a switched cradle reads LSASS right after its fetch), ties
    by row.

    With ``host_first_seen`` (a process's per-host first sightings), a process fewer than
    ``novelty_hosts`` hosts saw before ``before`` (the window's start) has none: it is new, a
    member by the clustering's own rules, whose behaviours count as a member's.

    Examples
    --------
    >>> from analytics.incidence import build_incidence
    >>> from graphsiem.store.base import HostSighting
    >>> inc = build_incidence([HostSighting(h, k, 1.0, 2.0, 1) for h, k in
    ...                        [("a", ("file", "f")), ("b", ("file", "f")), ("a", ("process", "p")), ("b", ("process", "p")),
    ...                         ("c", ("process", "p"))]])
    >>> f, p = ("file", "f"), ("process", "p")
    >>> len(common_hosts(inc)(f, p, "lsass_access", 2.0)), len(common_hosts(inc)(f, ("process", "q"), "lsass_access", 2.0))
    (2, 0)
    >>> len(common_hosts(inc, events={p: {"lsass_access": 1}})(f, p, "lsass_access", 2.0))  # one read: one host
    1
    """
    columns: dict[EntityKey, int] | None = None

    def rows(pivot: EntityKey, process: EntityKey, behaviour: str, at: float) -> frozenset[int]:
        nonlocal columns
        if columns is None:
            columns = incidence.column_index()
        i, j = columns.get(pivot), columns.get(process)
        if i is None or j is None:
            return frozenset()
        if host_first_seen is not None and sum(t < before for t in host_first_seen.get(process, ())) < novelty_hosts:
            return frozenset()  # new in the window: no old process whose payload switched
        both = np.intersect1d(incidence.hosts_of(i), incidence.hosts_of(j), assume_unique=True)
        most = both.size if events is None else int(events.get(process, {}).get(behaviour, 0))
        if both.size > most:
            both = _nearest(incidence, j, both, at)[:most]
        return frozenset(int(r) for r in both)

    return rows


def _nearest(incidence: Incidence, column: int, rows: np.ndarray, at: float) -> np.ndarray:
    """``rows`` by how near ``at`` their sighting of ``column`` ended (without last sightings: by row)."""
    if incidence.last_seen is None:
        return np.sort(rows)
    last = np.asarray(incidence.last_seen[rows, column].todense()).ravel()
    return rows[np.lexsort((rows, np.abs(last - at)))]
