"""Project the journal into a graph store: catch up from the checkpoint, or rebuild.

The journal is the system of record.  :func:`project_pending` projects every
event after the projection checkpoint, in journal order, then flushes the
store and advances the checkpoint: a crash between journaling and projection
is repaired by the next call.  :func:`replay` clears the store and rebuilds the
graph (and the IP -> host map) from the journal alone.

:class:`~ingest.speculative_projection.SpeculativeProjection` lets the pipeline project batches as it
journals them, before the call's IP -> host map is complete, and hold the
results: :func:`project_pending` applies them only when no answer the map gave
them has changed since (else it projects those events again from the journal),
so the graph is the same either way.

Each run goes on from the join state of the one before
(:func:`resume_projector`): it is saved with the checkpoint, so events join
events of earlier calls as they do in one replay.

Several writers may project one journal at once (the service's projector and
a CLI ingest into its data directory): each batch carries its first and last
seq, and the store compares them with its projection mark where it writes
(:mod:`graphsiem.store.batch_guard`).  A batch the graph holds already is
skipped (this run's projector still learns its joins, so its join state stays
that of every event up to its seq); when the mark falls inside a batch, the
run goes on from the mark with the journal's join state there, as a new run
would.  So every event is counted once, whoever writes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from graphsiem.model import Event, Projection
from graphsiem.store.base import GraphStore
from graphsiem.store.batch_guard import BatchOverlap
from ingest.gc_tuning import fewer_collections
from ingest.ipmap import IpHostMap, IpWatch
from ingest.journal import Journal, JournalEvent
from ingest.projection import Projector
from ingest.speculative_projection import PROJECT_BATCH, ProjectedBatch, SpeculativeProjection
from ingest.store_binding import bind

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

    def add(self, other: ProjectionSummary) -> None:
        """Count ``other``'s run in this one (a live ingest's settles, summed for its report)."""
        self.events += other.events
        self.entities += other.entities
        self.relations += other.relations
        self.sightings += other.sightings
        self.errors += other.errors

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


def resume_projector(journal: Journal, ipmap: IpHostMap | IpWatch, seq: int) -> Projector:
    """A projector with the join state of a projection of the journal up to event ``seq``.

    Events join on what earlier events taught (a Sysmon network event on the
    process its creation named, a Zeek x509 record on the server of its ssl
    record), and those may have come in an earlier ingest call.  The journal
    keeps the join state with the checkpoint (:meth:`Journal.set_checkpoint`);
    events between a saved state and ``seq`` (a store that got ahead of the
    checkpoint, a journal from before join states were kept) are projected
    again into nothing, only to learn their joins.  So the graph of many
    calls is the graph one replay of the journal makes.

    Parameters
    ----------
    journal : Journal
        The journal whose events up to ``seq`` are projected already.
    ipmap : IpHostMap or IpWatch
        The IP -> host map the projector looks sensor events up in.
    seq : int
        The last projected seq (0: nothing, a fresh projector).

    Returns
    -------
    Projector
        Ready for the events after ``seq``.
    """
    kept = _RESUMABLE.pop(journal.identity, None)
    if kept is not None and kept[0] == seq and seq > 0:
        projector = kept[1]  # this process saved its state at seq: no need to read it back
        projector.ipmap = ipmap
    else:
        projector = Projector(ipmap)
        saved = journal.join_state(seq) if seq > 0 else None
        start = saved[0] if saved is not None and projector.restore_join_state(saved[1]) else 0
        projector.state_seq = start
        if start < seq:
            for _ in _project_events(projector, _until(journal.iter_events(after_seq=start), seq), PROJECT_BATCH):
                pass  # only the join state is wanted: these events are in the graph already
    projector.errors = 0  # this run's count, not the earlier events'
    projector.failed.clear()
    return projector


_RESUMABLE: dict[str, tuple[int, Projector]] = {}
"""Per journal identity, the projector whose join state this process saved last, with its seq.

A long-lived process (the API's projection loop) goes on with it instead of
reading the state back: up to tens of MB when the join caches are full
(``docs/performance.md``).  It is taken out when used, so only one run
ever goes on from it.
"""


def _until(events: Iterable[JournalEvent], seq: int) -> Iterator[JournalEvent]:
    for item in events:
        if item.seq > seq:
            return
        yield item


def _project_events(
    projector: Projector, events: Iterable[JournalEvent], batch_size: int
) -> Iterator[ProjectedBatch]:
    """Project ``events`` in batches of ``batch_size``, one batch at a time."""
    chunk: list[Event] = []
    seq = first = 0
    for item in events:
        if not chunk:
            first = item.seq
        chunk.append(item.event)
        seq = item.seq
        if len(chunk) >= batch_size:
            yield ProjectedBatch(seq, len(chunk), projector.project(chunk), first)
            chunk = []
    if chunk:
        yield ProjectedBatch(seq, len(chunk), projector.project(chunk), first)


def project_batch(
    projector: Projector, store: GraphStore, events: list[Event], summary: ProjectionSummary,
    mark: tuple[str, int] | None = None,
) -> bool:
    """Project one batch of ``events`` into ``store`` (no flush) and count it in ``summary``.

    ``mark`` is ``(journal identity, seq of the batch's last event)``, the
    batch's seqs being consecutive: a store that writes a batch with its
    projection mark (``apply_batch``) then writes it exactly once, even when
    it is retried after a failure or another writer projected it meanwhile.

    Returns
    -------
    bool
        False when the store holds some or all of these events already
        (another writer projected them): nothing was written, and the
        caller's projector is no longer that of the graph's events; the caller
        goes on from the store's mark (:func:`project_pending` does).
    """
    journal, seq = (None, 0) if mark is None else mark
    batch = ProjectedBatch(seq, len(events), projector.project(events), seq - len(events) + 1)
    try:
        return _apply_counted(store, batch, summary, journal)
    except BatchOverlap:
        return False


def _apply_counted(store: GraphStore, batch: ProjectedBatch, summary: ProjectionSummary, journal: str | None) -> bool:
    """Write ``batch`` (with its seqs when ``journal`` names them) and count it; False when the store held it."""
    projection = batch.projection
    atomic = getattr(store, "apply_batch", None)
    if atomic is not None and journal is not None:
        if not atomic(projection, batch.seq, journal, first=batch.first):
            return False
    else:
        apply_projection(store, projection)
    summary.events += batch.events
    summary.entities += len(projection.entities)
    summary.relations += len(projection.relations)
    summary.sightings += len(projection.sightings)
    return True


def project_pending(
    journal: Journal,
    store: GraphStore,
    *,
    ipmap: IpHostMap | None = None,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    pending: Iterable[JournalEvent] | None = None,
    early: EarlyProjection | None = None,
    speculation: SpeculativeProjection | None = None,
) -> ProjectionSummary:
    """Project the events after the checkpoint into ``store``; returns what was written.

    ``pending`` lets a caller that still holds exactly those events in memory
    skip re-reading them from the journal; by default they are streamed from
    the journal.  ``early`` says which events the caller already projected
    into ``store`` (they are flushed and checkpointed here with the rest, and
    counted in the summary).  ``speculation`` holds the caller's projections
    of the events after those; they are applied when still valid (see
    :class:`SpeculativeProjection`), else the events are projected again.
    Events are projected in batches of ``batch_size`` (default :data:`PROJECT_BATCH`).
    """
    if batch_size is None:
        batch_size = PROJECT_BATCH
    with fewer_collections():
        return _project_pending(journal, store, ipmap, batch_size, progress, pending, early, speculation)


def _project_pending(
    journal: Journal,
    store: GraphStore,
    ipmap: IpHostMap | None,
    batch_size: int,
    progress: Callable[[int], None] | None,
    pending: Iterable[JournalEvent] | None,
    early: EarlyProjection | None,
    speculation: SpeculativeProjection | None,
) -> ProjectionSummary:
    summary = early.summary if early is not None else ProjectionSummary()
    last_seq = _reconcile_checkpoint(journal, store)
    if early is not None:
        if early.seq > last_seq:
            last_seq = early.seq
        elif early.seq < last_seq:
            # another writer projected past this call's early batches (they are in the
            # store, and so are the events after them): the early projector never saw
            # those events, so the journal's join state at last_seq is taken instead
            early = None
    elif speculation is None and pending is None and journal.last_seq() <= last_seq:
        return summary  # nothing to project (a detection's catch-up, a file ingested again)
    held = speculation.finish(journal, last_seq) if speculation is not None else None
    batches: Iterable[ProjectedBatch]
    if held is not None:
        assert speculation is not None
        projector = speculation.projector
        batches = held
    else:
        if ipmap is None:
            ipmap = IpHostMap().load(journal.connection)
        projector = early.projector if early is not None else resume_projector(journal, ipmap, last_seq)
        if pending is None:
            pending = journal.iter_events(after_seq=last_seq, batch=batch_size)
        batches = _project_events(projector, pending, batch_size)
    since_flush = 0
    wrote = False  # whether a batch went to the store (the embedded store then holds its write lock)
    while True:
        try:
            for batch in batches:
                wrote = True
                _apply_counted(store, batch, summary, journal.identity)
                if progress is not None:
                    progress(batch.events)
                last_seq = batch.seq
                if batch.events >= batch_size:
                    since_flush += batch_size
                    if since_flush >= FLUSH_EVERY:
                        _mark(store, last_seq)
                        store.flush()
                        # held batches were all projected before the first was applied: the
                        # projector's state is past last_seq then, so it is saved at the end only
                        _checkpoint(journal, last_seq, None if held is not None else projector)
                        since_flush = 0
        except BatchOverlap as overlap:
            # Another writer projected this batch's events up to overlap.mark meanwhile:
            # go on from there, with the join state of the events up to it, as a new run would.
            last_seq = overlap.mark
            if held is not None:
                held.clear()
                held = None
            if ipmap is None:
                ipmap = IpHostMap().load(journal.connection)
            projector = resume_projector(journal, ipmap, last_seq)
            batches = _project_events(
                projector, journal.iter_events(after_seq=last_seq, batch=batch_size), batch_size)
            continue
        break
    if held is not None:
        held.clear()  # applied: let the projections go
    summary.errors = projector.errors
    if wrote or summary.events:
        _mark(store, last_seq)
        store.flush()
        _checkpoint(journal, last_seq, projector)
        _RESUMABLE[journal.identity] = (last_seq, projector)
    return summary


STATE_SAVE_SHARE = 4
"""The join state is saved with a checkpoint once at least 1/4 as many events as it has entries
were projected since it was last saved."""


def _checkpoint(journal: Journal, seq: int, projector: Projector | None) -> None:
    """Set the checkpoint at ``seq``, with ``projector``'s join state when saving it is due.

    Saving costs in proportion to the state (up to tens of MB when the join
    caches are full), so a call that projected a handful of events does not
    pay it: the journal keeps the older state, and a process that starts from
    there learns the joins of the events since (at most a quarter of the
    state's entries) again from the journal (:func:`resume_projector`).
    """
    state = None
    if projector is not None and seq - projector.state_seq >= projector.join_entries() // STATE_SAVE_SHARE:
        state = projector.join_state()
        projector.state_seq = seq
    journal.set_checkpoint(seq, state)


def _reconcile_checkpoint(journal: Journal, store: GraphStore) -> int:
    """The checkpoint that holds for ``store``: checked and recorded by :func:`ingest.store_binding.bind`.

    Moved up to the store's own mark when the store is ahead: a store that
    records the projected seq atomically with its data (the embedded store at
    each flush, Neo4j with every batch) is ahead after a crash between its
    write and the journal's checkpoint write; re-projecting those events would
    count them twice.  Set to the journal's mark in the store when the store
    holds another graph than the one the journal recorded (a Neo4j database
    emptied or replaced); refused (:class:`~ingest.store_binding.StoreBindingError`)
    when it is another kind of store, or another journal's graph.
    """
    return bind(journal, store)


def _mark(store: GraphStore, seq: int) -> None:
    """Tell a store that keeps a mark but not per batch (no ``apply_batch``) that it holds the events up to ``seq``.

    A store with ``apply_batch`` moved its mark with each batch it wrote; ``seq``
    may be below it then (this run's last batches were another writer's).
    """
    if getattr(store, "apply_batch", None) is not None:
        return
    writer = getattr(store, "set_projection_mark", None)
    if writer is not None:
        writer(seq)


def rebuild_ipmap(journal: Journal) -> IpHostMap:
    """The IP -> host map learnt again from every journaled event, replacing the saved one.

    The saved intervals (``ip_hosts``) and waiting DHCP requests
    (``dhcp_requests``) are replaced in one transaction: a crash keeps the old
    map whole, and nothing learnt from an event no longer in the journal (a
    request whose event was removed would name a later call's ACK) outlives it.
    """
    ipmap = IpHostMap()
    for item in journal.iter_events():
        ipmap.observe(item.event)
    db = journal.connection
    db.execute("BEGIN IMMEDIATE")
    with db:  # the connection commits the transaction begun above, or rolls it back on an error
        db.execute("DELETE FROM ip_hosts")
        # made by the first write that needs it (ingest.ipmap): dropped, it is made again if needed
        db.execute("DROP TABLE IF EXISTS dhcp_requests")
        written = ipmap.write(db)
    ipmap.saved(written)
    return ipmap


def replay(journal: Journal, store: GraphStore) -> ProjectionSummary:
    """Clear ``store`` and rebuild the graph (and the IP -> host map) from the journal alone."""
    store.clear()
    ipmap = rebuild_ipmap(journal)
    journal.set_checkpoint(0)
    return project_pending(journal, store, ipmap=ipmap)
