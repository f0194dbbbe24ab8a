"""Behaviour facts: the suspicious acts of new processes, per host, that behaviour pivots pair.

Split out of :mod:`analytics.behaviour_pivots` (which pairs the facts into
signatures and shapes, and re-exports these names): which kinds of fact each
process carries (:func:`fact_kinds`), the window's facts per host
(:func:`behaviour_facts`) and those before the window a signature is dated by
(:func:`earlier_facts`).  What each kind means is told in
:mod:`analytics.behaviour_pivots`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from analytics.entity_stats import Window
from analytics.incidence import Incidence
from analytics.stager_chains import is_download_cradle
from graphsiem.model import Entity, EntityKey, Relation
from graphsiem.store.base import GraphStore

__all__ = ["MAX_READ", "OFFICE", "SCRIPT_HOSTS", "SCRIPT_LAUNCHERS", "SHELLS", "Fact", "behaviour_facts", "chain_carriers",
           "earlier_facts", "fact_kinds"]

OFFICE = frozenset({"winword.exe", "excel.exe", "outlook.exe", "powerpnt.exe", "msaccess.exe", "mspub.exe",
                    "onenote.exe"})
"""Office applications: one starting a script host is a document's macro at work."""
SCRIPT_HOSTS = frozenset({"wscript.exe", "cscript.exe", "mshta.exe", "powershell.exe", "pwsh.exe"})
"""Script hosts a document's macro starts."""
SCRIPT_LAUNCHERS = frozenset({"wscript.exe", "cscript.exe", "mshta.exe"})
"""Hosts of a script file (a ``.js``/``.vbs``/``.hta`` lure): one starting a shell is the lure's stager."""
SHELLS = frozenset({"powershell.exe", "pwsh.exe", "cmd.exe"})
"""Shells a lure's script starts to run its next stage."""
_POWERSHELL = frozenset({"powershell.exe", "pwsh.exe"})

MAX_READ = 5000
"""Most fact-carrying processes whose sightings :func:`analytics.behaviour_pivots.read_behaviour` reads, and
:func:`earlier_facts` reads (processes not in the window)."""


@dataclass(slots=True, frozen=True)
class Fact:
    """One suspicious act on one host by a new process on fewer than ``min_hosts`` hosts."""

    kind: str
    process: EntityKey
    host_row: int
    at: float


def fact_kinds(
    behaviours: Mapping[EntityKey, Mapping[str, float]], encoded: Collection[EntityKey], spawned: Iterable[Relation],
    images: Mapping[EntityKey, str], processes: Mapping[EntityKey, Entity] | None = None,
) -> dict[EntityKey, dict[str, float]]:
    """Each process's fact kinds with the earliest time the act could have happened (any host).

    An encoded command's time is ``-inf``: it happened at the process's own first sighting on each host;
    so is a download cradle's (``download_cradle``: a PowerShell whose logged command line downloads code and
    runs it or names its URL, :func:`analytics.stager_chains.is_download_cradle`; read only with
    ``processes``).  ``script_host_shell`` is a shell (:data:`SHELLS`) a script file's host
    (:data:`SCRIPT_LAUNCHERS`) started, at that start.  A lure's plain ``powershell -c "IEX ...
    DownloadString(...)"`` from ``wscript.exe`` is both, so one process shows a signature (red team T16:
    a per-host URL on a domain the fleet was made to know, no ``-enc`` and no LSASS, formed no cluster).
    """
    kinds: dict[EntityKey, dict[str, float]] = defaultdict(dict)
    for process, found in behaviours.items():
        for name in ("lsass_access", "remote_thread"):
            if name in found:
                kinds[process][name] = float(found[name])
    for process in encoded:
        kinds[process]["encoded_powershell"] = -np.inf  # at its own first sighting on each host
    for rel in spawned:
        parent, child = images.get(rel.src), images.get(rel.dst)
        if parent in OFFICE and child in SCRIPT_HOSTS:
            kinds[rel.dst]["office_script_host"] = min(kinds[rel.dst].get("office_script_host", np.inf), rel.first_seen)
        if parent in SCRIPT_LAUNCHERS and child in SHELLS:
            kinds[rel.dst]["script_host_shell"] = min(kinds[rel.dst].get("script_host_shell", np.inf), rel.first_seen)
    for process in _cradles(processes or {}, images):
        kinds[process]["download_cradle"] = -np.inf  # at its own first sighting on each host
    return kinds


def chain_carriers(
    spawned: Iterable[Relation], images: Mapping[EntityKey, str], processes: Mapping[EntityKey, Entity]
) -> set[EntityKey]:
    """The processes that carry a lure-chain fact (``script_host_shell``, ``download_cradle``): read by an explorer."""
    carriers = {r.dst for r in spawned if images.get(r.src) in SCRIPT_LAUNCHERS and images.get(r.dst) in SHELLS}
    return carriers | _cradles(processes, images)


def _cradles(processes: Mapping[EntityKey, Entity], images: Mapping[EntityKey, str]) -> set[EntityKey]:
    return {ref for ref, e in processes.items() if images.get(ref) in _POWERSHELL and is_download_cradle(e.value)}


def earlier_facts(
    store: GraphStore | None,
    incidence: Incidence,
    window: Window,
    kinds: Mapping[EntityKey, Mapping[str, float]],
    *,
    processes: Mapping[EntityKey, Entity],
    fleet_hosts: Mapping[EntityKey, int],
    min_hosts: int,
    limit: int = MAX_READ,
) -> tuple[dict[str, list[Fact]], int, bool]:
    """The behaviour facts before the window start, by host name: the history a signature is dated by.

    A process the window holds is placed by its window sightings (a sighting that
    began before the window keeps its first time); one it does not hold is read from
    ``store`` (one :meth:`GraphStore.hosts_of` each, at most ``limit``, smallest keys
    first), and only when one of its facts could precede the window (an encoded command
    always may).  Only sightings that began before the window start are used: nothing
    after the window end is read, so a backtest's ``now`` sees what it saw then.

    Returns
    -------
    earlier : dict
        Host name -> its facts before the window (``host_row`` -1: the host may have left the window).
    reads : int
        Processes read from the store.
    truncated : bool
        More than ``limit`` needed reading.
    """
    earlier: dict[str, list[Fact]] = defaultdict(list)
    to_read: list[EntityKey] = []
    for process in sorted(kinds):
        times = kinds[process]
        if fleet_hosts.get(process, 1) >= min_hosts or process not in processes or min(times.values()) >= window.start:
            continue  # shared (no fact), or every act of it is inside the window
        column = _column(incidence, process)
        if column is None:
            to_read.append(process)
            continue
        firsts = zip(incidence.hosts_of(column), incidence.first_seen_of(column), strict=True)
        _add_earlier(earlier, process, times, ((incidence.hosts[int(r)], float(f)) for r, f in firsts), window.start)
    if store is not None:
        for process in to_read[:limit]:
            seen = ((s.host, s.first_seen) for s in store.hosts_of(*process) if s.first_seen < window.start)
            _add_earlier(earlier, process, kinds[process], seen, window.start)
    reads = min(len(to_read), limit) if store is not None else 0
    return earlier, reads, store is not None and len(to_read) > limit


def _add_earlier(earlier: dict[str, list[Fact]], process: EntityKey, times: Mapping[str, float],
                 firsts: Iterable[tuple[str, float]], window_start: float) -> None:
    for host, first in firsts:
        for kind, t in sorted(times.items()):
            at = max(first, t)  # not before the process ran on this host
            if at < window_start:
                earlier[host].append(Fact(kind, process, -1, at))


def behaviour_facts(
    incidence: Incidence,
    window: Window,
    *,
    processes: Mapping[EntityKey, Entity],
    images: Mapping[EntityKey, str],
    encoded: Collection[EntityKey],
    spawned: Iterable[Relation],
    behaviours: Mapping[EntityKey, Mapping[str, float]],
    fleet_hosts: Mapping[EntityKey, int],
    min_hosts: int,
    kinds: Mapping[EntityKey, Mapping[str, float]] | None = None,
) -> list[Fact]:
    """The window's behaviour facts, per host.

    Parameters
    ----------
    incidence : Incidence
        The window's whole incidence (one-host processes included): which hosts ran each process, when first.
    window : Window
    processes, images, encoded
        The process entities, their image names and the encoded commands among them.
    spawned : iterable of Relation
        ``process SPAWNED process`` (an Office parent makes its child's ``office_script_host``).
    behaviours : mapping
        :func:`analytics.lineage.behaviour_index` with ``novelty_hosts`` = 1: each process's
        ``lsass_access`` / ``remote_thread`` with its earliest time.
    fleet_hosts : mapping
        Each process's hosts over all time (missing: one).
    min_hosts : int
        A process on this many hosts or more carries no fact: it is shared, a pivot of its own.
    kinds : mapping, optional
        :func:`fact_kinds` when already computed (``behaviours``, ``encoded`` and ``spawned`` are then unused).
    """
    if kinds is None:
        kinds = fact_kinds(behaviours, encoded, spawned, images, processes)
    facts: list[Fact] = []
    for process in sorted(kinds):
        if fleet_hosts.get(process, 1) >= min_hosts or process not in processes:
            continue
        column = _column(incidence, process)
        if column is None:
            continue  # not run in the window
        for row, first in zip(incidence.hosts_of(column), incidence.first_seen_of(column), strict=True):
            for kind, t in sorted(kinds[process].items()):
                at = max(float(first), t)  # not before the process ran on this host
                if window.start <= at <= window.end:
                    facts.append(Fact(kind, process, int(row), at))
    return facts


def _column(incidence: Incidence, key: EntityKey) -> int | None:
    i = bisect_left(incidence.entities, key)
    return i if i < len(incidence.entities) and incidence.entities[i] == key else None
