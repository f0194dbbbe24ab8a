"""Project the journal into a graph store: catch up from the checkpoint, or rebuild.

The journal is the system of record.  :func:`project_pending` projects every
event after the projection checkpoint, in journal order, then flushes the
store and advances the checkpoint: a crash between journaling and projection
is repaired by the next call.  :func:`replay` clears the store and rebuilds the
graph (and the IP -> host map) from the journal alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from graphsiem.model import Event, Projection
from graphsiem.store.base import GraphStore
from ingest.gc_tuning import fewer_collections
from ingest.ipmap import IpHostMap
from ingest.journal import Journal, JournalEvent
from ingest.projection import Projector

PROJECT_BATCH = 5000
FLUSH_EVERY = 200_000
"""Events projected between store flushes (and checkpoint advances) in long runs."""


@dataclass(slots=True)
class ProjectionSummary:
    """What a projection run wrote (counts of batch items, before store merging)."""

    events: int = 0
    entities: int = 0
    relations: int = 0
    sightings: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "events": self.events,
            "entities": self.entities,
            "relations": self.relations,
            "sightings": self.sightings,
            "errors": self.errors,
        }


def apply_projection(store: GraphStore, projection: Projection) -> None:
    """Upsert one aggregated batch (entities first so relation endpoints carry values)."""
    if projection.entities:
        store.upsert_entities(projection.entities)
    if projection.relations:
        store.upsert_relations(projection.relations)
    if projection.sightings:
        store.upsert_sightings(projection.sightings)


@dataclass(slots=True)
class EarlyProjection:
    """Events a caller already projected into a store (not yet flushed), in journal order.

    The pipeline projects batches of endpoint events as it journals them (see
    :mod:`ingest.pipeline`); :func:`project_pending` then goes on from ``seq``
    with the same ``projector`` (its join state) and flushes everything once.
    """

    projector: Projector
    seq: int
    summary: ProjectionSummary


def project_batch(projector: Projector, store: GraphStore, events: list[Event], summary: ProjectionSummary) -> None:
    """Project one batch of ``events`` into ``store`` (no flush) and count it in ``summary``."""
    projection = projector.project(events)
    apply_projection(store, projection)
    summary.events += len(events)
    summary.entities += len(projection.entities)
    summary.relations += len(projection.relations)
    summary.sightings += len(projection.sightings)


def project_pending(
    journal: Journal,
    store: GraphStore,
    *,
    ipmap: IpHostMap | None = None,
    batch_size: int = PROJECT_BATCH,
    progress: Callable[[int], None] | None = None,
    pending: Iterable[JournalEvent] | None = None,
    early: EarlyProjection | None = None,
) -> ProjectionSummary:
    """Project the events after the checkpoint into ``store``; returns what was written.

    ``pending`` lets a caller that still holds exactly those events in memory
    (the pipeline, for small ingests) skip re-reading them from the journal;
    by default they are streamed from the journal.  ``early`` says which
    events the caller already projected into ``store`` (they are flushed and
    checkpointed here with the rest, and counted in the summary).
    """
    with fewer_collections():
        return _project_pending(journal, store, ipmap, batch_size, progress, pending, early)


def _project_pending(
    journal: Journal,
    store: GraphStore,
    ipmap: IpHostMap | None,
    batch_size: int,
    progress: Callable[[int], None] | None,
    pending: Iterable[JournalEvent] | None,
    early: EarlyProjection | None,
) -> ProjectionSummary:
    if ipmap is None:
        ipmap = IpHostMap().load(journal.connection)
    projector = early.projector if early is not None else Projector(ipmap)
    summary = early.summary if early is not None else ProjectionSummary()
    chunk: list[Event] = []
    last_seq = _reconcile_checkpoint(journal, store)
    if early is not None and early.seq > last_seq:
        last_seq = early.seq
    since_flush = 0
    if pending is None:
        pending = journal.iter_events(after_seq=last_seq, batch=batch_size)

    def apply() -> None:
        project_batch(projector, store, chunk, summary)
        if progress is not None:
            progress(len(chunk))
        chunk.clear()

    for item in pending:
        chunk.append(item.event)
        last_seq = item.seq
        if len(chunk) >= batch_size:
            apply()
            since_flush += batch_size
            if since_flush >= FLUSH_EVERY:
                _mark(store, last_seq)
                store.flush()
                journal.set_checkpoint(last_seq)
                since_flush = 0
    if chunk:
        apply()
    summary.errors = projector.errors
    if summary.events:
        _mark(store, last_seq)
        store.flush()
        journal.set_checkpoint(last_seq)
    return summary


def _reconcile_checkpoint(journal: Journal, store: GraphStore) -> int:
    """The checkpoint, moved up to the store's own mark when the store is ahead.

    A store that records the projected seq atomically with its data (the
    embedded store) is ahead after a crash between its flush and the journal's
    checkpoint write; re-projecting those events would count them twice.
    """
    checkpoint = journal.checkpoint()
    reader = getattr(store, "projection_mark", None)
    stored = reader() if reader is not None else None
    if stored is not None and stored > checkpoint:
        journal.set_checkpoint(stored)
        return int(stored)
    return checkpoint


def _mark(store: GraphStore, seq: int) -> None:
    writer = getattr(store, "set_projection_mark", None)
    if writer is not None:
        writer(seq)


def rebuild_ipmap(journal: Journal) -> IpHostMap:
    """The IP -> host map learnt again from every journaled event (and saved)."""
    ipmap = IpHostMap()
    for item in journal.iter_events():
        ipmap.observe(item.event)
    ipmap.save(journal.connection)
    return ipmap


def replay(journal: Journal, store: GraphStore) -> ProjectionSummary:
    """Clear ``store`` and rebuild the graph from the journal alone."""
    store.clear()
    journal.connection.execute("DELETE FROM ip_hosts")
    ipmap = rebuild_ipmap(journal)
    journal.set_checkpoint(0)
    return project_pending(journal, store, ipmap=ipmap)
