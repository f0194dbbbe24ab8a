"""How regularly a cluster's hosts contacted a destination: a beacon's period and jitter, from kept contact times.

A sighting of a destination keeps its host's earliest and latest contact times
(:mod:`graphsiem.contact_times`), and their gaps are real inter-contact gaps.
Per host, the gaps' median is its period and their coefficient of variation
(standard deviation over mean) its regularity: a beacon with 10 % jitter has a
CV near 0.06, an agent's fixed heartbeat near 0, a person's browsing above 1.
The cluster's regularity is over its hosts with at least :data:`MIN_GAPS`
gaps (a floor: 3 contacts are no schedule), the median host's, and the hosts
whose CV is at most :data:`REGULAR_CV` are counted, so the explanation can say
"contacts every 60 s ± 8 s on 12 of 14 hosts".

Regularity does not tell a beacon from a heartbeat: both are regular, by
design.  What tells them apart is who else contacts the destination (a vendor's
agent heartbeats on hundreds of hosts, a beacon reaches a few hosts and a rare
domain), which the scored prevalence features measure.  So regularity is
context for the analyst (the checks quote it), not a scored feature: scored
"suspicious when regular", it would lift every agent heartbeat
(docs/analytics.md, "Contact regularity").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from graphsiem.contact_times import TIMED_TYPES, contact_gaps
from graphsiem.model import EntityKey
from graphsiem.store.base import GraphStore

MIN_GAPS = 8
"""Gaps a host needs before its contacts are judged regular or not (9 contacts)."""
REGULAR_CV = 0.25
"""A host whose gaps' coefficient of variation is at most this contacts on a schedule
(a beacon's uniform jitter of ±40 % of its period still has a CV of 0.23)."""


@dataclass(slots=True, frozen=True)
class Regularity:
    """The contact regularity of a destination on a cluster's hosts.

    Attributes
    ----------
    measured_hosts : int
        Cluster hosts with at least :data:`MIN_GAPS` kept gaps.
    regular_hosts : int
        Those whose gaps' coefficient of variation is at most :data:`REGULAR_CV`.
    gap_s, jitter_s : float
        Medians over the measured hosts of each host's median gap and of its gaps' standard
        deviation, seconds.
    cv : float
        Median over the measured hosts of each host's coefficient of variation.
    """

    measured_hosts: int
    regular_hosts: int
    gap_s: float
    jitter_s: float
    cv: float

    def text(self) -> str:
        """``"contacts every 60 s ± 8 s on 12 of 14 hosts"`` (the regular hosts of the measured ones).

        Examples
        --------
        >>> Regularity(14, 12, 60.4, 8.2, 0.14).text()
        'contacts every 60 s ± 8 s on 12 of 14 hosts'
        >>> Regularity(150, 150, 1799.0, 19.8, 0.011).text()  # a jitter under the period's unit
        'contacts every 30 min ± 20 s on 150 of 150 hosts'
        >>> Regularity(3, 0, 5400.0, 4000.0, 0.74).text()
        'contacts at irregular gaps (median 90 min, CV 0.74) on 3 hosts measured'
        """
        if self.regular_hosts == 0:
            return (f"contacts at irregular gaps (median {_duration(self.gap_s)}, CV {self.cv:.2f}) "
                    f"on {self.measured_hosts} host{'s' if self.measured_hosts != 1 else ''} measured")
        # a jitter under one of the period's units is said in its own ("± 0 min" hid a heartbeat's 20 s)
        unit = 1.0 if self.gap_s < 120 else 60.0 if self.gap_s < 7200 else 3600.0
        jitter = _duration(self.jitter_s, unit_of=None if self.jitter_s < unit else self.gap_s)
        return (f"contacts every {_duration(self.gap_s)} ± {jitter} "
                f"on {self.regular_hosts} of {self.measured_hosts} host{'s' if self.measured_hosts != 1 else ''}")


def _duration(seconds: float, *, unit_of: float | None = None) -> str:
    """Seconds under 2 minutes, minutes under 2 hours, else hours; ``unit_of`` picks the unit by another value."""
    scale = seconds if unit_of is None else unit_of
    if scale < 120:
        return f"{seconds:.0f} s"
    if scale < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def host_regularity(times: Sequence[float], *, until: float | None = None) -> tuple[float, float, float] | None:
    """``(median gap, gaps' standard deviation, coefficient of variation)`` of one host, or ``None``
    with fewer than :data:`MIN_GAPS` gaps known at ``until``.

    Examples
    --------
    >>> times = [60.0 * n + (5.0 if n % 2 else 0.0) for n in range(12)]
    >>> [round(v, 2) for v in host_regularity(times)]
    [65.0, 4.98, 0.08]
    >>> host_regularity(times[:5]) is None
    True
    """
    gaps = np.asarray(contact_gaps(times, until=until), dtype=np.float64)
    if gaps.size < MIN_GAPS:
        return None
    mean = float(gaps.mean())
    std = float(gaps.std())
    return float(np.median(gaps)), std, std / mean


def cluster_regularity(
    times_by_host: Mapping[str, Sequence[float]], hosts: Iterable[str], *, until: float | None = None
) -> Regularity | None:
    """The :class:`Regularity` of one destination on ``hosts``; ``None`` when no host has enough gaps.

    Parameters
    ----------
    times_by_host : mapping
        Host -> its kept contact times with the destination (:meth:`GraphStore.contact_times`).
    hosts : iterable of str
        The cluster's hosts.
    until : float, optional
        The window's end: later contacts are not known yet (a backtest).
    """
    measured = [found for found in (host_regularity(times_by_host[h], until=until)
                                    for h in hosts if h in times_by_host) if found is not None]
    if not measured:
        return None
    gaps, stds, cvs = (np.asarray(column, dtype=np.float64) for column in zip(*measured, strict=True))
    return Regularity(
        measured_hosts=len(measured),
        regular_hosts=int((cvs <= REGULAR_CV).sum()),
        gap_s=float(np.median(gaps)),
        jitter_s=float(np.median(stds)),
        cv=float(np.median(cvs)),
    )


def regularity_features(regularity: Regularity | None) -> dict[str, float]:
    """A cluster's regularity as context features (not scored): ``contact_measured_hosts`` and
    ``contact_regular_hosts`` always (0 when none was measured), ``contact_gap_s`` and
    ``contact_gap_cv`` (the median host's) when some host was.

    Examples
    --------
    >>> regularity_features(Regularity(14, 12, 60.4, 8.2, 0.1371))
    {'contact_measured_hosts': 14.0, 'contact_regular_hosts': 12.0, 'contact_gap_s': 60.4, 'contact_gap_cv': 0.137}
    >>> regularity_features(None)
    {'contact_measured_hosts': 0.0, 'contact_regular_hosts': 0.0}
    """
    if regularity is None:
        return {"contact_measured_hosts": 0.0, "contact_regular_hosts": 0.0}
    return {"contact_measured_hosts": float(regularity.measured_hosts),
            "contact_regular_hosts": float(regularity.regular_hosts),
            "contact_gap_s": round(regularity.gap_s, 1), "contact_gap_cv": round(regularity.cv, 3)}


def read_contact_times(store: GraphStore, pivots: Iterable[EntityKey]) -> dict[EntityKey, dict[str, tuple[float, ...]]]:
    """Each destination pivot's kept contact times per host (others left out): one store read per pivot."""
    return dict(_destination_times(store, pivots))


def _destination_times(store: GraphStore, pivots: Iterable[EntityKey]) -> Iterator[tuple[EntityKey, dict[str, tuple[float, ...]]]]:
    for kind, key in pivots:
        if kind in TIMED_TYPES:
            found = store.contact_times(kind, key)
            if found:
                yield (kind, key), found
