"""Is the graph caught up with the journal?  The figures ``/healthz`` and ``/metrics`` report.

An event is accepted once it is journaled; the graph gets it when the
background projection (:mod:`.ingest_projector`) catches up.  The lag is the
journal's last seq minus the projection checkpoint (both read by key, no
scan), its age how long the oldest event behind the checkpoint has waited,
and the journal's size its last seq (events are never deleted, so seqs count
them) and its bytes on disk (a ``stat``).

The journal keeps no time of arrival, so the age is measured by this
service: from the ingest call that journaled the event, from the start of
the service for events a previous run left behind (:meth:`PendingClock.left_behind`), or from the first look
(:meth:`PendingClock.observe`) that found events another process journaled
(``graphsiem ingest`` on the same data directory).  It is never younger than
the truth by more than the time between two looks.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from ingest.journal import Journal


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    """The journal and its projection into the graph, as read at one moment."""

    journaled_seq: int
    """The journal's last seq: events journaled (they are never deleted)."""
    projected_seq: int
    """The projection checkpoint: every event up to it is in the graph."""
    pending_age_s: float
    """Seconds the oldest event behind the checkpoint has waited (0 when caught up)."""
    last_projection_at: float | None
    """Unix time at which this service last finished a projection (``None``: not yet)."""
    journal_bytes: int
    """The journal's size on disk: the database file and its WAL, if any."""
    observed_at: float
    """Unix time of this reading."""

    @property
    def lag_events(self) -> int:
        """Events journaled but not yet in the graph."""
        return max(self.journaled_seq - self.projected_seq, 0)

    @property
    def last_projection_age_s(self) -> float | None:
        """Seconds since this service last finished a projection (``None``: not yet)."""
        if self.last_projection_at is None:
            return None
        return max(self.observed_at - self.last_projection_at, 0.0)


class ProjectionOut(BaseModel):
    """``/healthz``'s ``projection``: how far the graph is behind the journal."""

    lag_events: int = Field(description="Events journaled but not yet projected into the graph "
                                        "(journal's last seq minus the projection checkpoint).")
    lag_seconds: float = Field(description="Age of the oldest event not yet projected (0 when "
                                           "caught up), as measured by this service.")
    last_projection_age_seconds: float | None = Field(
        description="Seconds since this service last finished a projection (null: none yet).")
    journaled_seq: int = Field(description="The journal's last seq: events journaled.")
    projected_seq: int = Field(description="The projection checkpoint.")
    journal_events: int = Field(description="Events in the journal (its last seq).")
    journal_bytes: int = Field(description="The journal's size on disk, in bytes.")

    @classmethod
    def of(cls, status: ProjectionStatus) -> ProjectionOut:
        """The answer for ``status``, ages rounded to milliseconds."""
        last = status.last_projection_age_s
        return cls(lag_events=status.lag_events, lag_seconds=round(status.pending_age_s, 3),
                   last_projection_age_seconds=None if last is None else round(last, 3),
                   journaled_seq=status.journaled_seq, projected_seq=status.projected_seq,
                   journal_events=status.journaled_seq, journal_bytes=status.journal_bytes)


class PendingClock:
    """Since when events have waited for the projection, and when it last finished.

    Thread-safe: ingest calls :meth:`journaled`, the projector :meth:`taking`
    and :meth:`projected` (one projection at a time), ``/healthz`` and
    ``/metrics`` :meth:`observe`.  Times are wall-clock seconds (``time.time``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None  # the oldest wait no projection has taken yet
        self._taken: float | None = None  # the wait of the events the running projection takes
        self._last_projection: float | None = None

    def left_behind(self, journal: Journal, started_at: float) -> None:
        """At start: events a previous run journaled but did not project wait since ``started_at``."""
        if journal.last_seq() > journal.checkpoint():
            with self._lock:
                self._since = _oldest(self._since, started_at)

    def journaled(self) -> None:
        """Events were just committed to the journal (they wait from now, unless older ones do)."""
        now = time.time()
        with self._lock:
            if self._since is None:
                self._since = now

    def taking(self) -> None:
        """A projection starts: it takes every event committed so far.

        Events journaled from now on wait from their own :meth:`journaled`.
        """
        with self._lock:
            self._taken, self._since = self._since, None

    def projected(self, *, succeeded: bool) -> None:
        """The projection begun by :meth:`taking` ended; a failed one leaves its events waiting."""
        now = time.time()
        with self._lock:
            if succeeded:
                self._last_projection = now
            else:
                self._since = _oldest(self._since, self._taken)
            self._taken = None

    def observe(self, journal: Journal, journal_path: Path) -> ProjectionStatus:
        """The status now: the journal's seqs read by key, its size by ``stat``."""
        looked = time.time()
        journaled, projected = journal.last_seq(), journal.checkpoint()
        now = time.time()
        with self._lock:
            if journaled > projected:
                oldest = _oldest(self._since, self._taken)
                if oldest is None:  # journaled by another process: waiting since first seen
                    self._since = oldest = looked
                pending_age = max(now - oldest, 0.0)
            else:
                pending_age = 0.0
                # caught up: whatever was journaled before this look is projected
                if self._since is not None and self._since <= looked:
                    self._since = None
            last = self._last_projection
        return ProjectionStatus(journaled_seq=journaled, projected_seq=projected,
                                pending_age_s=pending_age, last_projection_at=last,
                                journal_bytes=journal_bytes(journal_path), observed_at=now)


def _oldest(*times: float | None) -> float | None:
    """The earliest of ``times`` that are set.

    >>> _oldest(None, 5.0, 3.0), _oldest(None, None)
    (3.0, None)
    """
    present = [t for t in times if t is not None]
    return min(present) if present else None


def journal_bytes(path: Path) -> int:
    """The size of the journal at ``path`` with its ``-wal`` file (0 for a file not there).

    The rollback journal (``-journal``) holds only a transaction in flight and
    is emptied at commit, so it is left out.
    """
    total = 0
    for file in (path, path.with_name(path.name + "-wal")):
        try:
            total += file.stat().st_size
        except FileNotFoundError:
            pass
    return total
