"""Pages of the detection runs, newest first, for ``GET /v1/detections``.

The list was the 50 newest runs, no more: a backtest older than the 50th could
not be found (review T11, F9).  A page is read after a run named by the client
(``before``: the last id of the previous page), so runs started meanwhile,
which come first, neither shift nor repeat the pages that follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphsiem.api.records import DetectionRun

if TYPE_CHECKING:
    from graphsiem.api.state import StateStore


class UnknownRun(LookupError):
    """``before`` names no run of the state database."""


def detections_page(state: StateStore, *, limit: int, before: str | None = None
                    ) -> tuple[list[DetectionRun], bool]:
    """Up to ``limit`` runs requested before run ``before`` (all runs when None), newest first.

    Parameters
    ----------
    state
        The service's state database.
    limit
        Most runs answered.
    before
        A run's id: only runs ordered after it (requested earlier; an equal time
        orders by id, descending) are read.

    Returns
    -------
    tuple[list[DetectionRun], bool]
        The page, and whether more runs follow it.

    Raises
    ------
    UnknownRun
        ``before`` is no run's id.
    """
    if before is None:
        rows = state._query("SELECT * FROM detections ORDER BY requested_at DESC, id DESC LIMIT ?",
                            (limit + 1,))
    else:
        anchor = state._query("SELECT requested_at FROM detections WHERE id = ?", (before,))
        if not anchor:
            raise UnknownRun(before)
        at = anchor[0]["requested_at"]
        rows = state._query(
            "SELECT * FROM detections WHERE requested_at < ? OR (requested_at = ? AND id < ?) "
            "ORDER BY requested_at DESC, id DESC LIMIT ?", (at, at, before, limit + 1))
    runs = [DetectionRun(**dict(row)) for row in rows]
    return runs[:limit], len(runs) > limit
