"""Whether a behaviour fact's parent image is established on its host, or new there (a copied shape).

A benign product's per-host processes run under its service (``vendorsvc.exe``), which
has run on each of its hosts for days.  A campaign can copy the product's shape
(:mod:`analytics.behaviour_shapes`) cheaply: drop into the vendor's folder and spoof its
parent process id to ``vendorsvc.exe`` (red-team T10, finding 5).  What it cannot copy
cheaply is the product's *history* on the host: on a host without the product, spoofing
a parent needs a running process of that image, so the attacker starts one (first seen
there minutes before the fact), or the telemetry names a parent that never ran there at
all.  So a fact's parent whose image runs on ``min_hosts`` hosts or more (a product's
service; a per-host parent, such as a dropper, is new everywhere and says nothing) is
**new on the host** when no process of that image was seen there
:data:`ESTABLISHED_HOURS` or more before the fact, and the process's shape says so
(``under c:\\program files\\vendor\\vendorsvc.exe (new on the host)``): a campaign that
copies a product's paths onto hosts without the product has a shape, an id and a
cluster of its own, never the product's.

The data's own start is no install: every service on a host is first seen when the
host's telemetry begins.  A parent image seen within :data:`MONITORING_GRACE_HOURS` of
the host's first sighting of anything was already running then, so it is established
(else on a store's first day every product would have a shape of its own for a day).

By image path, not process: the store keys a process by its command line, so a fake
``vendorsvc.exe`` with other arguments is another process of the same image, and a
product's service restarted with other arguments is still established.

What is read: the window's incidence (a sighting that began before the window keeps its
host's first time), nothing more from the store.  A host whose parent image ran before
the window but not in it reads as new (errs towards a pivot).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Mapping

import numpy as np

from analytics.incidence import Incidence
from graphsiem.model import Entity, EntityKey, EntityType

__all__ = ["ESTABLISHED_HOURS", "MONITORING_GRACE_HOURS", "ParentHistory"]

ESTABLISHED_HOURS = 24.0
"""A parent image first seen on a host this many hours or more before a fact is established there.

A day: a product's service runs from its install on; a process started to carry a
spoofed parent starts minutes before the fact.  A product installed and running its job
within the same day has the "new on the host" shape on that first run only."""

MONITORING_GRACE_HOURS = 1.0
"""A parent image first seen this soon after the host's first sighting of anything was running when the
host's telemetry began: established, however soon before the fact."""

_PROCESS = EntityType.PROCESS.value


class ParentHistory:
    """When each process image first ran on each host of a detection's window, by image path.

    Parameters
    ----------
    incidence : Incidence
        The window's whole incidence (one-host processes included).
    processes : mapping
        The process entities by key.
    image_path : callable
        A process entity's normalised image path (:func:`analytics.behaviour_shapes.image_path`).
    min_hosts : int
        An image run on this many hosts or more is a shared one (a product's service), whose history on a
        host is asked; a per-host image's is not.

    Examples
    --------
    >>> from analytics.incidence import build_incidence
    >>> from graphsiem.store.base import HostSighting
    >>> svc = Entity("process", "svc", "", {"image": "C:\\\\Vendor\\\\svc.exe"})
    >>> shell = Entity("process", "shell", "", {"image": "C:\\\\Windows\\\\explorer.exe"})
    >>> inc = build_incidence([HostSighting(f"ws-{i}", ref, first, first, 1) for i in range(3)
    ...                        for ref, first in ((shell.ref, 0.0), (svc.ref, 7200.0))])
    >>> history = ParentHistory(inc, {svc.ref: svc, shell.ref: shell}, lambda e: e.props["image"].lower(), min_hosts=3)
    >>> history.new_on_host(svc.ref, "ws-1", 7200.0 + 86400.0), history.new_on_host(svc.ref, "ws-1", 7200.0 + 3600.0)
    (False, True)
    >>> history.new_on_host(shell.ref, "ws-1", 600.0)  # running when the host's telemetry began
    False
    >>> history.new_on_host(svc.ref, "ws-9", 86400.0)
    True
    """

    def __init__(self, incidence: Incidence, processes: Mapping[EntityKey, Entity],
                 image_path: Callable[[Entity | None], str], *, min_hosts: int) -> None:
        self._incidence = incidence
        self._processes = processes
        self._image_path = image_path
        self._min_hosts = min_hosts
        self._host_rows = {host: row for row, host in enumerate(incidence.hosts)}
        self._columns: dict[str, list[int]] | None = None
        self._firsts: dict[str, dict[int, float]] = {}
        self._host_starts: np.ndarray | None = None
        self._paths: dict[EntityKey, str] = {}

    def _by_path(self) -> dict[str, list[int]]:
        """Image path -> the window's process columns of it (built once, on the first question)."""
        if self._columns is None:
            columns: dict[str, list[int]] = defaultdict(list)
            entities = self._incidence.entities
            column = bisect_left(entities, (_PROCESS, ""))
            while column < len(entities) and entities[column][0] == _PROCESS:
                entity = self._processes.get(entities[column])
                if entity is not None:
                    columns[self._image_path(entity)].append(column)
                column += 1
            self._columns = columns
        return self._columns

    def _first_by_row(self, path: str) -> dict[int, float]:
        """Host row -> the first time any process of image ``path`` ran there."""
        if path not in self._firsts:
            firsts: dict[int, float] = {}
            for column in self._by_path().get(path, ()):
                rows = self._incidence.hosts_of(column)
                for row, first in zip(rows.tolist(), self._incidence.first_seen_of(column).tolist(), strict=True):
                    if first < firsts.get(row, float("inf")):
                        firsts[row] = first
            self._firsts[path] = firsts
        return self._firsts[path]

    def _host_start(self, row: int) -> float:
        """When the host of ``row`` was first seen (its earliest first sighting of anything in the window)."""
        if self._host_starts is None:
            by_row = self._incidence.first_seen.tocsr()
            starts = np.full(by_row.shape[0], np.inf)
            filled = np.diff(by_row.indptr) > 0
            starts[filled] = np.minimum.reduceat(by_row.data, by_row.indptr[:-1][filled])
            self._host_starts = starts
        return float(self._host_starts[row])

    def _path(self, process: EntityKey) -> str:
        if process not in self._paths:
            self._paths[process] = self._image_path(self._processes.get(process))
        return self._paths[process]

    def shared(self, process: EntityKey) -> bool:
        """Whether ``process``'s image ran on ``min_hosts`` hosts or more in the window."""
        return len(self._first_by_row(self._path(process))) >= self._min_hosts

    def new_on_host(self, process: EntityKey, host: str, at: float) -> bool:
        """Whether no process of ``process``'s image ran on ``host`` :data:`ESTABLISHED_HOURS` before ``at``."""
        row = self._host_rows.get(host)
        first = None if row is None else self._first_by_row(self._path(process)).get(row)
        if row is None or first is None:
            return True  # never ran there: a parent the telemetry names but the host never showed
        return first > at - ESTABLISHED_HOURS * 3600.0 and first > self._host_start(row) + MONITORING_GRACE_HOURS * 3600.0
