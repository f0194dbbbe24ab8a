"""How the events of one ingest call reach the graph: :class:`CallProjection`.

Early, speculatively, at a live stream's settles and at the end, in the order
of operations :mod:`ingest.pipeline` describes.

A store that does not take the graph
------------------------------------
The journal is written first, so a store that fails (Neo4j unreachable, its
session expired, the embedded store's write lock held by another writer past
its timeout: each a :class:`~graphsiem.store.base.StoreError`) loses nothing:
the call goes on journaling, writes nothing more to the store, and the next
settle, a period later, projects everything since the store's last good
checkpoint, as a new call would.  One warning names the store and the error
when it starts failing, and one when it takes the graph again; the attempts
in between are silent.  Before each settle and at the end the store is asked
whether it answers (:func:`store_problem`: one round trip to Neo4j), so a
server that is down costs a refused connection a period, not the driver's
30 s of retries during which the pipe would not be read.  When the store
still fails at the end, the report says how many journaled events the graph
is behind (:attr:`~ingest.report.IngestReport.graph_pending`); an ingest
call after that (of the same input: nothing is journaled twice) projects them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from graphsiem.model import Event
from graphsiem.store.base import GraphStore, StoreError
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.normalize import ip_or_none
from ingest.progress import IngestProgress
from ingest.replay import (
    EarlyProjection,
    ProjectionSummary,
    project_batch,
    project_pending,
    resume_projector,
)
from ingest.report import IngestReport
from ingest.speculative_projection import SpeculativeProjection

__all__ = ["CallProjection", "store_problem"]

logger = logging.getLogger("ingest.pipeline")  # the name its warnings always had

Progress = Callable[[int], None]


class CallProjection:
    """How the events an ingest call journals reach the graph: early, speculatively, at settles, at the end.

    The order of operations of :mod:`ingest.pipeline`, told of each batch's
    new events after their commit (:meth:`committed`), of each settle
    (:meth:`settle`) and of the end (:meth:`end`).

    Parameters
    ----------
    journal : Journal
        The call's journal.
    store : GraphStore or None
        Where the graph goes (``None``: the call journals only).
    ipmap : IpHostMap
        The map the call's commits teach; sensor events are projected with it.
    """

    def __init__(self, journal: Journal, store: GraphStore | None, ipmap: IpHostMap) -> None:
        self.journal, self.store, self.ipmap = journal, store, ipmap
        self.projected = ProjectionSummary()  # every settle's and the end's, summed for the report
        self.holds_writes = False
        """Whether batches are held until the settle even when they could go to the store at once
        (:meth:`settling`)."""
        self.failure: str | None = None
        """The store's error while it does not take the graph (one line), ``None`` while it does."""
        self._begin()

    def settling(self, live: bool) -> None:
        """Tell the projection a live stream that settles starts (``True``) or ends (``False``).

        A store that ``locks_until_flush`` (the embedded store) takes its write
        lock at its first write and keeps it until its flush, and other writers (the API's projector, another ingest)
        wait for it 30 s at most: endpoint batches written at once would hold it
        from one settle to the next (60 s by default).  While a live stream
        settles into it, every batch is held (projected speculatively, as sensor
        batches are) and written at the settle, so the lock is held only while
        a settle writes.
        """
        self.holds_writes = live and getattr(self.store, "locks_until_flush", False)

    def _begin(self) -> None:
        """Start a call's projection: early, then speculative, from the journal's end (see :mod:`ingest.pipeline`)."""
        journal = self.journal
        self.start_seq = journal.last_seq()
        self.early: EarlyProjection | None = None
        self.speculation: SpeculativeProjection | None = None
        # Projecting while journaling is possible only if nothing was pending before us.
        self.streaming = self.store is not None and journal.checkpoint() == self.start_seq

    def catch_up(self, report: IngestReport, progress: IngestProgress | None = None) -> None:
        """Project what the call journaled (and anything pending before it) into the store; count it in ``report``.

        ``progress``: the call's bar, when it shows one (a second bar then shows the projection).

        Raises
        ------
        StoreError
            When the store fails; :meth:`settle` and :meth:`end` take that in their stride.
        """
        store = self.store
        if store is None:
            return
        update, close = _progress_bar(None if progress is not None else False, "project")
        try:
            summary = project_pending(
                self.journal, store, ipmap=self.ipmap, progress=update,
                early=self.early, speculation=self.speculation,
            )
        finally:
            close()
        self.projected.add(summary)
        self.early = None  # counted: a later catch-up of this call starts from the new checkpoint
        report.projected = self.projected.as_dict()

    def settle(self, report: IngestReport) -> bool:
        """A call boundary: catch up as at the end, then go on as a new call from the new checkpoint.

        :func:`~ingest.replay.project_pending` applies the held speculation, or
        projects those events again from the journal when an IP -> host answer
        they used has changed; it flushes the store and advances the
        checkpoint.  So sensor events are mapped with the leases journaled up
        to here, as separate ingest calls or the service's projection runs map
        them: a lease journaled after a settle does not re-map sensor events
        settled before it.  Returns whether the store took the settle
        (``False``: it did not answer or failed, see the module docstring; the
        journal keeps the events for the next one).
        """
        if self._caught_up(report) is not None:
            return False
        self._begin()
        return True

    def end(self, report: IngestReport, progress: IngestProgress | None = None) -> None:
        """Project the call's journal at its end (:meth:`catch_up`), or say in ``report`` how far behind it the graph stays.

        When the store does not take it, ``report.graph_pending`` is the count
        of journaled events after the projection checkpoint: not known to be
        in the graph (the store cannot be asked for its own mark).
        """
        if self.store is None or self._caught_up(report, progress) is None:
            return
        journal = self.journal
        report.graph_pending = max(0, journal.last_seq() - journal.checkpoint())
        report.projected = self.projected.as_dict()

    def _caught_up(self, report: IngestReport, progress: IngestProgress | None = None) -> str | None:
        """:meth:`catch_up` unless the store does not answer; ``None`` when it took it, else why it did not."""
        store = self.store
        try:
            problem = None if store is None else store_problem(store)
            if problem is None:
                self.catch_up(report, progress)
        except StoreError as exc:
            problem = str(exc)
        if problem is None:
            self._store_back()
        else:
            self._store_failed(problem)
        return problem

    def committed(self, new: list[Event]) -> None:
        """Project a journaled batch: into the store while all are endpoint events, else speculatively."""
        journal = self.journal
        early = self.early
        speculation = self.speculation
        done = speculation.seq if speculation is not None else early.seq if early is not None else self.start_seq
        if journal.checkpoint() != self.start_seq or journal.last_seq() != done + len(new):
            # another writer appended or projected meanwhile: project from the journal at the end
            self._stop_streaming()
            return
        if speculation is not None:
            if not speculation.add(new):
                self._stop_streaming()
            return
        if early is None:
            early = self.early = EarlyProjection(resume_projector(journal, self.ipmap, done), done, ProjectionSummary())
        # a batch names a handful of hosts: each is checked once, not once per event (~0.1 us an event)
        if not self.holds_writes and all(_is_endpoint_host(host) for host in {event.host for event in new}):
            assert self.store is not None  # streaming needs a store
            try:
                taken = project_batch(
                    early.projector, self.store, new, early.summary, (journal.identity, done + len(new))
                )
            except StoreError as exc:
                # journaled already: the next settle (or the end) projects it from the store's mark
                self._store_failed(str(exc))
                return
            if not taken:
                # another writer projected (some of) these events: the end goes on from its mark
                self._drop_early()
                return
            early.seq = done + len(new)
            return
        speculation = self.speculation = SpeculativeProjection(early.projector, self.ipmap, done)
        if not speculation.add(new):
            self._stop_streaming()

    def _stop_streaming(self) -> None:
        self.streaming = False
        if self.speculation is not None:
            self.speculation.abandon()
            self.speculation = None

    def _store_failed(self, problem: str) -> None:
        """The store did not take a write or a settle: project nothing more until one succeeds.

        The early projection is dropped with its counts kept (its batches are
        in the store, each with its mark): its projector may have learnt joins
        from events the store did not take, so the next catch-up resumes one
        from the journal at the store's mark instead.  Warned once an outage.
        """
        self._drop_early()
        problem = " ".join(problem.split())  # the driver's messages span lines: one line on stderr
        if self.failure is None:
            logger.warning(
                "graph store %s cannot take the graph: %s; the journal keeps every record, and the graph is "
                "brought up to it once the store takes it again (a later settle of this ingest, or the next ingest)",
                _store_name(self.store), problem,
            )
        self.failure = problem

    def _drop_early(self) -> None:
        """Stop projecting while journaling; the early batches' counts are kept, and the next catch-up resumes at the store's mark."""
        if self.early is not None:
            self.projected.add(self.early.summary)
            self.early = None
        self._stop_streaming()

    def _store_back(self) -> None:
        if self.failure is not None:
            self.failure = None
            logger.warning("graph store %s takes the graph again: caught up with the journal", _store_name(self.store))


def store_problem(store: GraphStore) -> str | None:
    """Why ``store`` does not answer now (one attempt, no retries), or ``None`` when it does.

    A store's ``unreachable_reason`` when it has one (Neo4j: the driver's
    error, one round trip), else its ``ping``.

    Examples
    --------
    >>> import tempfile
    >>> from graphsiem.store.embedded import EmbeddedStore
    >>> store = EmbeddedStore(tempfile.mkdtemp())
    >>> store_problem(store) is None
    True
    >>> store.close(); store_problem(store)
    'it does not answer'
    """
    reason = getattr(store, "unreachable_reason", None)
    if reason is not None:
        return reason()  # type: ignore[no-any-return]
    return None if store.ping() else "it does not answer"


def _store_name(store: GraphStore | None) -> str:
    """The store's kind, and where it is when it says (``neo4j at bolt://...``)."""
    name = getattr(store, "name", type(store).__name__)
    where = getattr(store, "uri", None)
    return f"{name} at {where}" if where else str(name)


def _is_endpoint_host(host: str | None) -> bool:
    """True when projecting an event of ``host`` cannot depend on IP -> host mappings (a named host)."""
    return bool(host) and ip_or_none(host) is None


def _progress_bar(enabled: bool | None, desc: str) -> tuple[Progress | None, Callable[[], None]]:
    """A tqdm bar on a terminal (or when forced); returns (update, close)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit=" rec", unit_scale=True, file=sys.stderr, leave=False)
    return bar.update, bar.close
