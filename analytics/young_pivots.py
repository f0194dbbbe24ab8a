"""A young and spreading pivot (low and slow): when the fleet first saw it, and where it is spreading.

:func:`young_pivot` reads the facts from a detection's entity statistics
(:mod:`analytics.novelty` marks the young pivots); :class:`YoungPivot` carries them to
the explanation (:class:`analytics.explain.Explanation`) and says them in the summary's
words (:meth:`YoungPivot.text`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.entity_stats import EntityStats
from analytics.incidence import Incidence

_DAY = 86400.0


@dataclass(slots=True, frozen=True)
class YoungPivot:
    """What the data say of a young and spreading pivot (low and slow, :mod:`analytics.novelty`).

    Such a pivot is not new in the window (``min_hosts`` hosts or more saw it
    before), but the fleet established it within the young horizon and at least
    ``min_hosts`` hosts first saw it inside the window: a campaign adding a few
    hosts a day.  ``first_seen`` is the fleet's first sighting (the
    ``established`` time instead when the first is older than the horizon: a
    host whose clock runs behind, or one early host), ``earlier_hosts`` the hosts
    that saw it before the window, ``new_hosts`` those that first saw it inside,
    ``since`` the horizon's start (the cluster's lineage and behaviours count
    from it) and ``window_end`` the end of the detection window ("ago").
    """

    first_seen: float
    earlier_hosts: int
    new_hosts: int
    since: float
    window_end: float

    @property
    def days_ago(self) -> int:
        """Whole days from the first sighting to the window's end (at least 1)."""
        return max(1, round((self.window_end - self.first_seen) / _DAY))

    def text(self) -> str:
        """The summary's clause.

        Examples
        --------
        >>> YoungPivot(0.0, 16, 4, 0.0, 4.6 * 86400).text()
        'first seen by the fleet 5 days ago on 16 hosts, spreading to 4 new hosts in this window'
        """
        days = self.days_ago
        return (
            f"first seen by the fleet {days} day{'s' if days != 1 else ''} ago on {self.earlier_hosts} "
            f"host{'s' if self.earlier_hosts != 1 else ''}, spreading to {self.new_hosts} new "
            f"host{'s' if self.new_hosts != 1 else ''} in this window"
        )


def young_pivot(stats: EntityStats, incidence: Incidence, column: int) -> YoungPivot | None:
    """The :class:`YoungPivot` facts of ``column``, or ``None`` when it is new in the window or not young.

    New hosts are the window's hosts whose first sighting of it lies inside the
    window; earlier hosts the rest of the hosts that ever saw it.
    """
    if stats.young_from is None or stats.is_new[column] or not stats.is_young[column]:
        return None
    cells = incidence.first_seen_of(column)
    new_hosts = int(np.count_nonzero(cells >= stats.window.start))
    first = float(stats.first_seen[column])
    if not np.isfinite(first) or first < stats.young_from:
        first = float(stats.established[column])
    earlier = max(int(stats.total_hosts[column]) - new_hosts, 0)
    return YoungPivot(first, earlier, new_hosts, float(stats.young_from), float(stats.window.end))
