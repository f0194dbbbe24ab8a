"""Batches projected while they are journaled, held until the call's IP -> host map is complete.

:class:`SpeculativeProjection` projects the pipeline's batches as they are journaled and holds the results
(:class:`ProjectedBatch`); :func:`ingest.replay.project_pending` applies them only when no answer the map
gave them has changed since, else it projects those events again from the journal.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphsiem.model import Event, Projection
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.projection import Projector

PROJECT_BATCH = 5000
"""Events a batch projects (:func:`ingest.replay.project_pending`'s default, and a speculation's)."""
HELD_ITEMS = 250_000
"""Entities + relations + sightings a :class:`SpeculativeProjection` may hold: ~240 B each
(tracemalloc, Zeek/EVE/Windows corpora), so ~60 MB, about what 20,000 Windows events take in
memory.  Past it, the call's held batches are dropped and projected again from the journal.
The corpora need 0.03 (Zeek), 0.5 (EVE) and 0.65 (Windows) items per event."""


@dataclass(slots=True)
class ProjectedBatch:
    """The projection of one batch of ``events`` journal events, the first and last of which have seqs ``first`` and ``seq``."""

    seq: int
    events: int
    projection: Projection
    first: int


class SpeculativeProjection:
    """Batches projected while they are journaled, held until the call's IP -> host map is complete.

    Sensor events must be projected with every DHCP lease of the call (see
    :mod:`ingest.pipeline`), yet re-reading them from the journal costs about
    as much as projecting them.  This projects each batch right away with a
    fork of the projector, looking IPs up through an :class:`~ingest.ipmap.IpWatch`,
    in the same batches of ``batch_size`` events as :func:`~ingest.replay.project_pending`,
    and keeps the :class:`~graphsiem.model.Projection` objects (aggregated:
    far smaller than the events).  :func:`~ingest.replay.project_pending` applies them if
    the watch saw no change to an answer it gave and the journal holds exactly
    these events after ``after_seq``; otherwise it drops them and projects
    from the journal as usual, with the original projector.

    Memory is bounded by ``budget`` held items (default :data:`HELD_ITEMS`);
    past it (or once the map has changed under it) the speculation gives up
    and frees what it held.
    """

    def __init__(
        self,
        projector: Projector,
        ipmap: IpHostMap,
        after_seq: int,
        *,
        batch_size: int | None = None,
        budget: int | None = None,
    ) -> None:
        self._ipmap = ipmap
        self._watch = ipmap.watch()
        self.projector = projector.fork(self._watch)
        self.after_seq = after_seq
        self.seq = after_seq
        self.batches: list[ProjectedBatch] = []
        self.abandoned = False
        self._chunk: list[Event] = []
        self._batch_size = PROJECT_BATCH if batch_size is None else batch_size
        self._budget = HELD_ITEMS if budget is None else budget
        self._items = 0

    def add(self, events: list[Event]) -> bool:
        """Take the next journaled events (in seq order); False once the speculation is given up."""
        if self.abandoned:
            return False
        chunk = self._chunk
        chunk.extend(events)
        self.seq += len(events)
        size = self._batch_size
        while len(chunk) >= size:
            head = chunk[:size]
            del chunk[:size]
            self._hold(head, self.seq - len(chunk))
        if self._watch.changed or self._items > self._budget:
            self.abandon()
            return False
        return True

    def _hold(self, events: list[Event], seq: int) -> None:
        projection = self.projector.project(events)
        self._items += len(projection.entities) + len(projection.relations) + len(projection.sightings)
        # this speculation's seqs are consecutive (finish() checks nobody else appended)
        self.batches.append(ProjectedBatch(seq, len(events), projection, seq - len(events) + 1))

    def abandon(self) -> None:
        """Give up: free what is held and stop watching the map."""
        self.abandoned = True
        self.batches = []
        self._chunk = []
        self._ipmap.unwatch(self._watch)

    def finish(self, journal: Journal, after_seq: int) -> list[ProjectedBatch] | None:
        """Every batch, if they are exactly what :func:`~ingest.replay.project_pending` would project now; else None."""
        if self.abandoned:
            return None
        if self._chunk:
            self._hold(self._chunk, self.seq)
            self._chunk = []
        usable = (
            not self._watch.changed
            and after_seq == self.after_seq
            and journal.last_seq() == self.seq  # nobody else appended meanwhile
        )
        batches = self.batches
        self.abandon()
        return batches if usable else None
