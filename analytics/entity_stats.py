"""Fleet-wide prevalence of the window's entities: the detection window and each column's stats.

:class:`Window` is the detection window ``[start, end]`` (the baseline is before it); :func:`entity_stats`
aligns the store's fleet-wide prevalence with the incidence's columns into an :class:`EntityStats` (hosts in
the window and over all time, first and last seen, when each was established, which are young and
spreading).  The cluster features (:mod:`analytics.features`) and most detectors read them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from analytics.history import earliest_sightings
from analytics.incidence import Incidence
from analytics.novelty import established_at, young_start
from graphsiem.store.base import EntityPrevalence

DAY = 86400.0


@dataclass(slots=True, frozen=True)
class Window:
    """The detection window ``[start, end]`` in epoch seconds; the baseline is before ``start``."""

    start: float
    end: float

    @classmethod
    def ending_at(cls, end: float, seconds: float = DAY) -> Window:
        """The window of ``seconds`` that ends at ``end``."""
        return cls(end - seconds, end)


@dataclass(slots=True)
class EntityStats:
    """Fleet-wide prevalence of the incidence's columns (arrays aligned with its columns).

    ``window_hosts`` count hosts active in the window; ``total_hosts``,
    ``first_seen``, ``last_seen`` and ``count`` are over all time.
    ``established`` is when the ``k``-th host first saw the entity (``k`` =
    ``novelty_hosts`` of :func:`entity_stats`, the last host's first sighting when
    fewer hosts ever saw it): novelty, age and span are measured from it, so one
    host whose clock runs behind (or a patient zero staged a day early) does not
    make a campaign old.  ``young`` marks the entities that are young and spreading
    (:mod:`analytics.novelty`: established since ``young_from``, before the window,
    and first seen by at least ``k`` hosts inside it); ``None``: no young horizon.
    """

    values: list[str]
    window_hosts: np.ndarray
    total_hosts: np.ndarray
    first_seen: np.ndarray
    last_seen: np.ndarray
    count: np.ndarray
    n_hosts: int
    window: Window
    established: np.ndarray
    young: np.ndarray | None = None
    young_from: float | None = None
    image_builds: frozenset[tuple[str, str]] = frozenset()
    """The file columns that are a build a process ran (``image_of``, :mod:`ingest.projection_builds`) and
    no payload the fleet got otherwise: they name a cluster as its process would (:func:`analytics.pivot_selection.pivot_order`)."""

    @property
    def is_new(self) -> np.ndarray:
        """New in the window: fewer than ``k`` hosts saw it before the window start
        (and not every host that ever saw it did)."""
        return self.established >= self.window.start

    @property
    def is_young(self) -> np.ndarray:
        """Young and spreading (:mod:`analytics.novelty`): not new, but established since
        ``young_from`` and first seen by at least ``k`` hosts inside the window."""
        if self.young is None:
            return np.zeros(len(self.established), dtype=bool)
        return self.young

    @property
    def is_novel(self) -> np.ndarray:
        """New in the window, or young and spreading: what may pivot and counts as a new member."""
        return self.is_new | self.is_young

    def novel_since(self, column: int) -> float:
        """Since when the fleet's lineage and behaviours count as new for a cluster pivoted on
        ``column``: the window start, or ``young_from`` for a young pivot."""
        if self.young_from is not None and not self.is_new[column] and self.is_young[column]:
            return self.young_from
        return self.window.start

    @property
    def fleet_fraction(self) -> np.ndarray:
        """Share of the fleet that ever saw the entity."""
        return self.total_hosts / max(self.n_hosts, 1)

    @property
    def age_days(self) -> np.ndarray:
        """Days between ``established`` and the window start (0 when new)."""
        return np.maximum(self.window.start - self.established, 0.0) / DAY

    @property
    def active_days(self) -> np.ndarray:
        """Span between ``established`` and the fleet's last sighting, days (at least one):
        a host whose clock runs behind stretches no beacon's span."""
        return np.maximum((self.last_seen - self.established) / DAY, 1.0)


def entity_stats(
    incidence: Incidence,
    prevalence: Iterable[EntityPrevalence],
    *,
    window: Window,
    n_hosts: int | None = None,
    novelty_hosts: int = 1,
    young_hours: float = 0.0,
) -> EntityStats:
    """Align fleet-wide prevalence with the incidence's columns.

    Columns without a prevalence row fall back to what the window shows.
    ``established`` is the ``novelty_hosts``-th earliest per-host first sighting
    (:func:`analytics.novelty.established_at`) of the prevalence row (of the window's cells without one).

    Parameters
    ----------
    incidence : Incidence
        Window incidence (sightings active in the window).
    prevalence : iterable of EntityPrevalence
        Fleet-wide aggregation (all time).
    window : Window
    n_hosts : int, optional
        Fleet size; default the number of rows of the incidence.
    novelty_hosts : int
        ``k``: an entity is new while fewer than ``k`` hosts saw it before the
        window (detect passes ``min_hosts``); 1 is the fleet's first sighting.
    young_hours : float
        The young horizon (:func:`analytics.novelty.young_start`; 0: none).  The fleet's
        data begin at the median host's earliest sighting in the window incidence, so a
        few hosts whose clocks run days behind do not lengthen its history.
    """
    columns = incidence.column_index()
    m = len(incidence.entities)
    window_hosts = incidence.host_counts()
    total = window_hosts.astype(np.float64).copy()
    first = np.full(m, np.inf)
    established = np.full(m, np.inf)
    last = np.full(m, -np.inf)
    count = np.asarray(incidence.count.sum(axis=0)).ravel()
    values = [key for _, key in incidence.entities]
    for row in prevalence:
        j = columns.get(row.entity)
        if j is None:
            continue
        total[j] = max(row.hosts, window_hosts[j])
        first[j], last[j], count[j] = row.first_seen, row.last_seen, row.count
        established[j] = established_at(row.host_first_seen, novelty_hosts) if row.host_first_seen else row.first_seen
        values[j] = row.value
    missing = ~np.isfinite(first)
    if missing.any():
        fs = incidence.first_seen
        for k in np.flatnonzero(missing):
            cells = fs.data[fs.indptr[k] : fs.indptr[k + 1]]
            first[k] = cells.min() if len(cells) else window.start
            established[k] = established_at(list(cells), novelty_hosts) if len(cells) else window.start
            last[k] = window.end
    young, young_from = _young_and_spreading(incidence, established, window, novelty_hosts, young_hours)
    return EntityStats(
        values=values,
        window_hosts=window_hosts,
        total_hosts=total,
        first_seen=first,
        last_seen=last,
        count=count,
        n_hosts=max(n_hosts or 0, len(incidence.hosts)),
        window=window,
        established=established,
        young=young,
        young_from=young_from,
    )


def _young_and_spreading(
    incidence: Incidence, established: np.ndarray, window: Window, k: int, young_hours: float
) -> tuple[np.ndarray | None, float | None]:
    """Which columns are young and spreading, and the young horizon's start (``None``, ``None``: no horizon)."""
    if young_hours <= 0:
        return None, None
    earliest = earliest_sightings(incidence)
    earliest = earliest[np.isfinite(earliest)]
    if not len(earliest):
        return None, None
    since = young_start(window.start, young_hours * 3600.0, float(np.median(earliest)))
    fs = incidence.first_seen.tocsc()
    column_of_cell = np.repeat(np.arange(fs.shape[1]), np.diff(fs.indptr))
    new_hosts = np.bincount(column_of_cell[fs.data >= window.start], minlength=fs.shape[1])
    young = (established < window.start) & (established >= since) & (new_hosts >= max(k, 1))
    return young, since
