"""The service's free-space floor: :class:`ingest.disk_floor.DiskFloor` from its settings.

Every write of ingest records (HTTP bodies, uploads, syslog batches) goes
through a :class:`~ingest.disk_floor.FloorGuardedJournal`: below the floor
the routes answer ``507`` with ``Retry-After``, the syslog sink counts the
batch as dropped, and ``/readyz`` is not ready
(:mod:`graphsiem.api.journal_writes`), which it also says on its own by
asking :meth:`~ingest.disk_floor.DiskFloor.problem`.
"""

from __future__ import annotations

from typing import Any

from ingest.disk_floor import DiskFloor, DiskFloorReached, FloorGuardedJournal, human_bytes

__all__ = ["DiskFloor", "DiskFloorReached", "FloorGuardedJournal", "app_disk_floor", "human_bytes"]

_KEY = "disk_floor"


def app_disk_floor(ctx: Any) -> DiskFloor:
    """The application's :class:`DiskFloor`, from its settings (kept in ``ctx.caches``, made on first use)."""
    caches: dict[str, Any] = ctx.caches
    floor = caches.get(_KEY)
    if floor is None:
        settings = ctx.settings
        floor = caches.setdefault(_KEY, DiskFloor(
            settings.data_dir, min_free_bytes=settings.disk_min_free_bytes,
            min_free_percent=settings.disk_min_free_percent))
    return floor
