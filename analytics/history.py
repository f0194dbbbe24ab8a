"""Whether the store holds the fleet's history from before the detection window.

"New in the fleet" means first seen by the fleet inside the window: it can be
told only when the store holds data from before the window.  When the data
begins inside it (a one-day fleet, a fresh install, a store loaded with
today's logs only) everything is "new" and every host's first contact with
anything falls at the start of the data, so neither "new" nor "first
contacted within N minutes" says anything about the fleet.

The decision is made from the window incidence detect already reads (each
host's first sighting of each shared entity active in the window, all time),
per host and by majority, so that a few hosts whose clocks run behind (their
events dated days early) or a small pilot group onboarded early do not make a
fleet look as if it had a history:

* a host *has history* when one of its sightings began at least
  :data:`HISTORY_MARGIN_S` before the window start (an hour: the boundary of a
  window that ends at the newest event falls a few minutes into a one-day
  dataset, and minutes of data are no baseline);
* the fleet has history when at least :data:`HISTORY_QUORUM` of its hosts
  active in the window do.

Pure functions over :class:`~analytics.incidence.Incidence` and
:class:`~analytics.entity_stats.Window`, so that explanation (this module's first
user) and clustering can share one notion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.incidence import Incidence

HISTORY_MARGIN_S = 3600.0
"""A host's data must begin at least this long before the window start to count as history."""
HISTORY_QUORUM = 0.5
"""Share of the window's hosts that must have history for the fleet to have it."""


@dataclass(slots=True, frozen=True)
class FleetHistory:
    """How many of the window's hosts have data from before it.

    Attributes
    ----------
    hosts : int
        Hosts with at least one sighting in the window incidence.
    with_history : int
        Of them, hosts with a sighting that began at least ``margin_s`` before the window.
    quorum : float
        Share of ``hosts`` that ``with_history`` must reach.
    """

    hosts: int
    with_history: int
    quorum: float = HISTORY_QUORUM

    @property
    def known(self) -> bool:
        """True when the fleet has history: "new in the fleet" can be told."""
        return self.with_history > 0 and self.with_history >= self.quorum * self.hosts


def fleet_history(
    incidence: Incidence,
    window_start: float,
    *,
    margin_s: float = HISTORY_MARGIN_S,
    quorum: float = HISTORY_QUORUM,
) -> FleetHistory:
    """Count the window's hosts whose data begins before the window.

    Parameters
    ----------
    incidence : Incidence
        The window incidence (per-cell first sightings are all-time).
    window_start : float
        Epoch seconds where the detection window starts.
    margin_s : float
        How long before ``window_start`` a host's earliest sighting must lie.
    quorum : float
        Share of the hosts that must have history (:attr:`FleetHistory.known`).

    Returns
    -------
    FleetHistory

    Examples
    --------
    >>> from analytics.incidence import build_incidence
    >>> from graphsiem.store.base import HostSighting
    >>> day = 86400.0
    >>> one_day = [HostSighting(h, ("domain", "x"), day + 60, 2 * day, 1) for h in "abc"]
    >>> fleet_history(build_incidence(one_day), day).known
    False
    >>> skewed = one_day + [HostSighting("a", ("ip", "1.2.3.4"), 0.0 + 5, 2 * day, 1)]
    >>> fleet_history(build_incidence(skewed), day)  # one host's clock behind is no history
    FleetHistory(hosts=3, with_history=1, quorum=0.5)
    >>> two_days = [HostSighting(h, ("domain", "x"), 60.0, 2 * day, 1) for h in "abc"]
    >>> fleet_history(build_incidence(two_days), day).known
    True
    """
    earliest = earliest_sightings(incidence)
    active = np.isfinite(earliest)
    with_history = int((earliest[active] <= window_start - margin_s).sum())
    return FleetHistory(hosts=int(active.sum()), with_history=with_history, quorum=quorum)


def earliest_sightings(incidence: Incidence) -> np.ndarray:
    """Each host's (row's) earliest first sighting among the window's cells: when its data begins.

    ``inf`` for a row with no cell.  The incidence's first sightings are all-time,
    so this dates a host's history from what detect already reads.  Shared by
    :func:`fleet_history` and the clustering's baseline
    (:func:`analytics.clusters.hosts_with_baseline`), which ask for different margins.

    Examples
    --------
    >>> from analytics.incidence import build_incidence
    >>> from graphsiem.store.base import HostSighting
    >>> inc = build_incidence([HostSighting("a", ("domain", "x"), 5.0, 9.0, 1),
    ...                        HostSighting("a", ("ip", "1.2.3.4"), 2.0, 9.0, 1),
    ...                        HostSighting("b", ("domain", "x"), 7.0, 9.0, 1)])
    >>> earliest_sightings(inc).tolist()
    [2.0, 7.0]
    """
    cells = incidence.first_seen.tocoo()
    earliest = np.full(incidence.shape[0], np.inf)
    np.minimum.at(earliest, cells.row, cells.data)
    return earliest


def fleet_has_history(incidence: Incidence, window_start: float, **kwargs: float) -> bool:
    """True when most of the window's hosts have data from before it (:func:`fleet_history`)."""
    return fleet_history(incidence, window_start, **kwargs).known


@dataclass(slots=True, frozen=True)
class HistoryCounts:
    """What the history test found for one cluster: of the window's hosts and of the cluster's,
    how many have data from before the window (the counts a text quotes instead of "the store
    holds no data from before the window", which a store with years of other hosts' data made
    untrue: review T5, a 2019 backtest on 3 hosts).
    """

    window_hosts: int
    window_with_history: int
    cluster_hosts: int
    cluster_with_history: int


def history_counts(
    fleet: FleetHistory, earliest: np.ndarray, host_rows: np.ndarray, window_start: float,
    *, margin_s: float = HISTORY_MARGIN_S,
) -> HistoryCounts:
    """The :class:`HistoryCounts` of a cluster on ``host_rows``.

    ``fleet`` is :func:`fleet_history` of the window and ``earliest`` its
    :func:`earliest_sightings`; a cluster host has history as a window host does.

    Examples
    --------
    >>> import numpy as np
    >>> counts = history_counts(FleetHistory(40, 37), np.array([0.0, 9e9, 9e9, 5.0]), np.array([1, 2]), 7200.0)
    >>> counts.cluster_hosts, counts.cluster_with_history
    (2, 0)
    """
    rows = np.asarray(host_rows, dtype=np.int64)
    with_history = int((earliest[rows] <= window_start - margin_s).sum()) if len(rows) else 0
    return HistoryCounts(fleet.hosts, fleet.with_history, len(rows), with_history)
