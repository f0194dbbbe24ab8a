"""The per-batch half of an ingest session: a batch committed to the journal, counted, paced and settled.

:class:`BatchCommits` is the base of :class:`ingest.pipeline_session.Session`,
which fills the batch a record at a time (:meth:`~ingest.pipeline_session.Session.take`).
Here the batch is journaled (:meth:`BatchCommits.commit`) with what its events
teach the IP map and the host clocks, in one transaction; its records are
counted as accepted, or as rejected (:meth:`BatchCommits._reject`, taken back
when the disk refuses the batch); a live stream's batch is committed once it
waited (:meth:`BatchCommits.pace`) and the graph settled between batches
(:meth:`BatchCommits.settle`).  The state itself is made by the session's
``__init__``; the names below say which parts of it this half reads.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import orjson

from graphsiem.model import Event
from ingest.host_clocks import HostClocks
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.journal_clock_gaps import write_clock_gaps
from ingest.parsers.base import plausible_window
from ingest.pipeline_checks import MAX_RAW_CHARS
from ingest.pipeline_counts import count_committed
from ingest.pipeline_stop import Stopped, StopRequest
from ingest.progress import IngestProgress
from ingest.report import Counts, IngestReport
from ingest.write_failure import STORAGE_ERRORS, JournalWriteError

if TYPE_CHECKING:
    from ingest.pipeline_projection import CallProjection


class BatchCommits:
    """Commit, count, pace and settle the batch an ingest session fills (the session's base class)."""

    # made by Session.__init__ (its comments say what each holds)
    started: float
    flush_seconds: float | None
    stop: StopRequest | None
    flushed_at: float
    settle_seconds: float | None
    is_settling: bool
    unsettled_since: float | None
    fixed_window: tuple[float, float] | None
    earliest: float
    latest: float
    journal: Journal
    progress: IngestProgress | None
    report: IngestReport
    ipmap: IpHostMap
    projection: CallProjection
    host_clocks: HostClocks
    events: list[Event]
    raw_json: list[str | bytearray]
    fields_json: list[bytes]
    sizes: list[int]
    aliases: dict[int, str | tuple[str, ...]]
    content_ids: set[int]
    runs: list[tuple[Counts, Counts, int]]
    _run_file: Counts | None
    _run_formats: Counts | None
    rejections: list[tuple[str, str, str, str]]
    rejected_in: list[tuple[Counts, Counts]]
    records: int

    def _reject(self, file: Counts, formats: Counts, origin: str, fmt: str, reason: str, raw: str) -> None:
        """Count a record as received and rejected in its file, its format and the total; keep it with the reason."""
        for counts in (file, formats, self.report.total):
            counts.received += 1
            counts.rejected += 1
        self.rejections.append((origin, fmt, reason, raw[:MAX_RAW_CHARS]))
        self.rejected_in.append((file, formats))


    def finish(self) -> IngestReport:
        """Commit the last batch, project the journal into the store (or count what it did not take), close the report."""
        self.commit()
        self.projection.end(self.report, self.progress)
        self.report.seconds = time.perf_counter() - self.started
        return self.report

    def pace(self) -> float | None:
        """Before a stream waits for bytes: stop if asked, commit a batch that waited long enough, settle.

        Returns how long the wait may last before this is due again (``None``:
        until bytes come).  The batch is committed when it holds records and no
        commit came for ``flush_seconds``; then the next record starts the
        clock again.  Called between records (:class:`~ingest.readers.streams.LiveSource`),
        so a commit here is one of a smaller batch: the same events and ids.
        While a live stream settles, the graph is settled (:meth:`settle`) once
        journaled events have waited ``settle_seconds`` unprojected; an idle
        pipe with nothing left to settle waits for bytes with no timeout.
        """
        if self.stop is not None and self.stop.is_requested:
            raise Stopped
        wait = None
        if self.records and self.flush_seconds is not None:
            wait = self.flushed_at + self.flush_seconds - time.monotonic()
            if wait <= 0:
                self.commit()
                wait = None
        if self.is_settling:
            settle_wait = self._settle_if_due()
            if settle_wait is not None and (wait is None or settle_wait < wait):
                wait = settle_wait
        return wait

    def _settle_if_due(self) -> float | None:
        """Settle when journaled events have waited ``settle_seconds``; else how long until they will have."""
        since, period = self.unsettled_since, self.settle_seconds
        if since is None or period is None:
            return None  # nothing journaled since the last settle: no clock runs
        wait = since + period - time.monotonic()
        if wait > 0:
            return wait
        self.settle()
        return None if self.unsettled_since is None else period  # a failed settle is tried again

    def settle(self) -> None:
        """A call boundary inside a live stream: the graph catches up as if the ingest ended here.

        The batch is committed, then the projection settles
        (:meth:`ingest.pipeline_projection.CallProjection.settle`): the journal is
        projected as at the end, the store flushed, the checkpoint advanced,
        and the records after it are projected as a new call's.
        """
        if self.records:
            self.commit()
        self.unsettled_since = None
        if not self.projection.settle(self.report):
            # the store did not take it (down, or held by another writer): again a period on
            self.unsettled_since = time.monotonic()

    # -- per batch ----------------------------------------------------------
    def flush(self) -> None:
        """Commit the full batch (:meth:`take`); then stop reading if a stop was requested, or settle if due."""
        self.commit()
        if self.stop is not None and self.stop.is_requested:
            raise Stopped
        if self.is_settling:
            self._settle_if_due()  # a stream that never pauses reaches pace seldom: settle between batches too

    def commit(self) -> None:
        """Commit the batch to the journal, then count its records as accepted."""
        self.flushed_at = time.monotonic()
        ipmap = self.ipmap
        written: list[str] = []
        self._settle_clocks()

        def learn(new: list[Event]) -> None:
            # The IP -> host intervals the new events teach are saved in their
            # transaction, with the batch's rejections: one commit a batch instead
            # of up to three, each waiting for an fsync (~1.5 ms here, measured).
            ipmap.observe_all(new)
            written.extend(ipmap.write(self.journal.connection))
            self.host_clocks.write(self.journal.connection)
            write_clock_gaps(self.journal.connection, self.report.clock_gaps)  # kept per host (ingest.journal_clock_gaps)

        try:
            new = self.journal.append(
                self.events, raw_json=self.raw_json, fields_json=self.fields_json,
                rejections=self.rejections, before_commit=learn, aliases=self.aliases, content_ids=self.content_ids,
            )
        except STORAGE_ERRORS as exc:
            # the disk refused the batch (full, read-only): not a record's fault, so not
            # a rejection; the readers let this through (ingest.write_failure)
            self._uncount_rejections()
            raise JournalWriteError(self.journal.path, exc, self.records) from exc
        ipmap.saved(written)  # only observe_all, above, teaches the map: nothing else is left to save
        self.host_clocks.saved()
        if new and self.unsettled_since is None:
            self.unsettled_since = self.flushed_at  # the settle clock starts with the first new event journaled
        projection = self.projection
        if projection.streaming and new:
            projection.committed(new)
        count_committed(self.report.total, self.runs, self.sizes, self.events, new)
        self._next_batch()

    def _uncount_rejections(self) -> None:
        """Take the batch's rejections out of the report: the failed commit did not keep them.

        The report then counts what was journaled (received = accepted +
        rejected, per file, per format and in total); the batch's records are
        reported apart, as not journaled (:class:`~ingest.write_failure.JournalWriteError`).
        """
        total = self.report.total
        for file, formats in self.rejected_in:
            for counts in (file, formats, total):
                counts.received -= 1
                counts.rejected -= 1
        self.rejections, self.rejected_in = [], []

    def _settle_clocks(self) -> None:
        """Date the batch's records that waited for their host's clock (:mod:`ingest.host_clocks`)."""
        changed = self.host_clocks.settle((self.earliest, self.latest))
        if not changed:
            return
        where = {id(event): index for index, event in enumerate(self.events)}
        for event in changed:
            index = where.get(id(event))
            if index is not None:  # else its record was rejected after parsing
                self.fields_json[index] = orjson.dumps(event.fields, default=str)

    def _next_batch(self) -> None:
        if self.progress is not None:
            self.progress.batch(self.records)
        self.events, self.raw_json, self.fields_json = [], [], []
        self.sizes, self.runs, self.rejections, self.rejected_in = [], [], [], []
        self.aliases = {}
        self.content_ids = set()
        self._run_file = self._run_formats = None
        self.records = 0
        if self.fixed_window is None:
            self.earliest, self.latest = plausible_window()
