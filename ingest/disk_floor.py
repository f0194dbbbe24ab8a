"""A free-space floor under the journal: ingest is refused before the disk is full.

The journal never deletes, and a disk that filled answered 507 only once
SQLite's writes failed, i.e. after the journal had taken the disk's last
bytes (everything else on that filesystem then failed too; review R5,
item 5).  Every write of ingest records first asks the data directory's
filesystem how much is free: below the floor the write is refused as a full
disk's is (:class:`DiskFloorReached`, an ``OSError`` with ``ENOSPC``), before
its transaction.  The service's routes answer ``507`` with ``Retry-After``,
its syslog sink counts the batch as dropped and ``/readyz`` is not ready
(:mod:`graphsiem.api.disk_floor`); ``graphsiem ingest`` stops as on a full
disk, with the report of what was journaled before and status 74, so a bulk
ingest beside a running service does not take the disk the service writes to.

The floor is ``disk_min_free_bytes`` or ``disk_min_free_percent`` of the
filesystem's size, whichever is smaller (1 GiB or 5 % by default: 1 GiB on a
large disk, 5 % of a small volume); 0 turns one off.  Both are read from
``GRAPHSIEM_DISK_MIN_FREE_BYTES`` and ``GRAPHSIEM_DISK_MIN_FREE_PERCENT`` by
the service's settings and by the CLI alike.  The check is one ``statvfs``
call (microseconds) per journal batch.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ingest.journal import Journal

__all__ = [
    "DEFAULT_MIN_FREE_BYTES",
    "DEFAULT_MIN_FREE_PERCENT",
    "MIN_FREE_BYTES_ENV",
    "MIN_FREE_PERCENT_ENV",
    "DiskFloor",
    "DiskFloorReached",
    "FloorGuardedJournal",
    "floor_from_environment",
    "human_bytes",
]

DEFAULT_MIN_FREE_BYTES = 1024 * 1024 * 1024
"""The floor in bytes unless set (1 GiB)."""
DEFAULT_MIN_FREE_PERCENT = 5.0
"""The floor as a share of the filesystem's size unless set (5 %)."""
MIN_FREE_BYTES_ENV = "GRAPHSIEM_DISK_MIN_FREE_BYTES"
MIN_FREE_PERCENT_ENV = "GRAPHSIEM_DISK_MIN_FREE_PERCENT"


class _Usage(NamedTuple):
    total: int
    used: int
    free: int


class DiskFloorReached(OSError):
    """The data directory's filesystem has less free space than the floor: no ingest write is tried."""


def human_bytes(n: float) -> str:
    """``n`` bytes in the largest binary unit below it, one decimal.

    Examples
    --------
    >>> human_bytes(812 * 1024 * 1024), human_bytes(1 << 30), human_bytes(999)
    ('812.0 MiB', '1.0 GiB', '999 bytes')
    """
    if n < 1024:
        return f"{int(n)} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024 or unit == "TiB":
            break
    return f"{n:.1f} {unit}"


class DiskFloor:
    """The free space ingest leaves on the filesystem of ``path``.

    Parameters
    ----------
    path : Path
        The data directory (its filesystem is measured).
    min_free_bytes, min_free_percent : int, float
        The floor: the smaller of the two (0: that one off; both 0: no floor).
    usage : callable, optional
        ``shutil.disk_usage`` (tests give the figures of a disk they describe).
    setting_names : tuple of str, optional
        The names of the two settings as the reader of :meth:`problem` sets
        them (the service's settings by default; the CLI's environment
        variables from :func:`floor_from_environment`).

    Examples
    --------
    >>> gib = 1 << 30
    >>> floor = DiskFloor(Path("."), min_free_bytes=gib, min_free_percent=5.0,
    ...                   usage=lambda _p: _Usage(10 * gib, 9.7 * gib, int(0.3 * gib)))
    >>> floor.floor_bytes(10 * gib) == int(0.5 * gib)  # 5 % of a 10 GiB volume is below 1 GiB
    True
    >>> print(floor.problem())  # doctest: +NORMALIZE_WHITESPACE
    the data directory's filesystem has 307.2 MiB free, below the floor of 512.0 MiB
    (disk_min_free_bytes 1.0 GiB or disk_min_free_percent 5.0 % of 10.0 GiB, whichever is smaller):
    ingest is refused until space is freed
    """

    def __init__(self, path: Path, *, min_free_bytes: int, min_free_percent: float,
                 usage: Callable[[Path], Any] = shutil.disk_usage,
                 setting_names: tuple[str, str] = ("disk_min_free_bytes", "disk_min_free_percent")) -> None:
        self.path = path
        self.min_free_bytes = min_free_bytes
        self.min_free_percent = min_free_percent
        self._usage = usage
        # what the reader sets to move the floor: the service's settings, or the CLI's variables
        self._setting_names = setting_names

    def floor_bytes(self, total: int) -> int:
        """The floor on a filesystem of ``total`` bytes (0: none)."""
        floors = [f for f in (self.min_free_bytes, int(total * self.min_free_percent / 100)) if f > 0]
        return min(floors) if floors else 0

    def problem(self) -> str | None:
        """Why ingest is refused now (free space below the floor), or ``None``; never names the path."""
        if self.min_free_bytes <= 0 and self.min_free_percent <= 0:
            return None
        try:
            usage = self._usage(self.path)
        except OSError:
            return None  # a filesystem that cannot be measured: the writes themselves will tell
        floor = self.floor_bytes(usage.total)
        if usage.free >= floor:
            return None
        bytes_name, percent_name = self._setting_names
        return (f"the data directory's filesystem has {human_bytes(usage.free)} free, below the floor of "
                f"{human_bytes(floor)} ({bytes_name} {human_bytes(self.min_free_bytes)} or "
                f"{percent_name} {self.min_free_percent:.1f} % of {human_bytes(usage.total)}, "
                "whichever is smaller): ingest is refused until space is freed")

    def check(self) -> None:
        """Raise :class:`DiskFloorReached` (``ENOSPC``, the reason as its text) when below the floor."""
        problem = self.problem()
        if problem is not None:
            raise DiskFloorReached(errno.ENOSPC, problem)


class FloorGuardedJournal(Journal):
    """A :class:`~ingest.journal.Journal` whose ingest writes are refused below ``floor``.

    Only the writes of records (``append``, ``reject``) are guarded: the
    projection's checkpoints are a few bytes and must go on, so the graph
    catches up with what was journaled.  The refusal is an ``OSError`` raised
    before the transaction, so the pipeline reports it as the disk's
    (:class:`~ingest.write_failure.JournalWriteError`) with what was journaled before.
    """

    def __init__(self, path: str | Path, *, floor: DiskFloor) -> None:
        super().__init__(path)
        self.floor = floor

    def append(self, events: Sequence[Any], **options: Any) -> list[Any]:
        if events or options.get("rejections"):
            self.floor.check()
        return super().append(events, **options)

    def reject(self, rejections: Any) -> int:
        rejections = list(rejections)
        if rejections:
            self.floor.check()
        return super().reject(rejections)


def floor_from_environment(path: Path, environ: Mapping[str, str] | None = None) -> DiskFloor:
    """The :class:`DiskFloor` of ``path`` from :data:`MIN_FREE_BYTES_ENV` and :data:`MIN_FREE_PERCENT_ENV`.

    Unset variables take the defaults the service's settings have; a value
    that is not a number in range raises ``ValueError`` naming the variable,
    so the CLI refuses before reading a record rather than ingesting without
    the floor the operator asked for.

    Examples
    --------
    >>> floor = floor_from_environment(Path("."), {MIN_FREE_BYTES_ENV: "0"})
    >>> floor.min_free_bytes, floor.min_free_percent
    (0, 5.0)
    >>> floor_from_environment(Path("."), {MIN_FREE_PERCENT_ENV: "120"})
    Traceback (most recent call last):
    ...
    ValueError: GRAPHSIEM_DISK_MIN_FREE_PERCENT='120': a share of the disk from 0 to 100 (0: no floor by share)
    """
    env = os.environ if environ is None else environ
    raw_bytes = env.get(MIN_FREE_BYTES_ENV, "").strip()
    raw_percent = env.get(MIN_FREE_PERCENT_ENV, "").strip()
    min_free_bytes = DEFAULT_MIN_FREE_BYTES
    if raw_bytes:
        try:
            min_free_bytes = int(raw_bytes)
        except ValueError:
            min_free_bytes = -1
        if min_free_bytes < 0:
            raise ValueError(f"{MIN_FREE_BYTES_ENV}={raw_bytes!r}: a whole number of bytes, 0 or more "
                             "(0: no floor in bytes)")
    min_free_percent = DEFAULT_MIN_FREE_PERCENT
    if raw_percent:
        try:
            min_free_percent = float(raw_percent)
        except ValueError:
            min_free_percent = math.nan
        if not 0.0 <= min_free_percent <= 100.0:  # NaN fails both
            raise ValueError(f"{MIN_FREE_PERCENT_ENV}={raw_percent!r}: a share of the disk from 0 to 100 "
                             "(0: no floor by share)")
    return DiskFloor(path, min_free_bytes=min_free_bytes, min_free_percent=min_free_percent,
                     setting_names=(MIN_FREE_BYTES_ENV, MIN_FREE_PERCENT_ENV))
