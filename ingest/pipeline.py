"""The ingest pipeline: files or an HTTP body -> records -> events -> journal -> graph.

Order of operations (the rule for time-aware IP joins)
------------------------------------------------------
1. Every file of the call is read, parsed and **journaled** in batches of
   ``batch_size`` records (bounded memory: one batch at a time).  A batch is
   committed before its records count as accepted.  While journaling, the new
   events that bind an IP to a host (DHCP leases, endpoint network events) are
   fed to the persisted :class:`~ingest.ipmap.IpHostMap`.
2. Only then is the journal **projected** into the graph from the projection
   checkpoint on.  So a Zeek ``conn.log`` sees the DHCP leases of a
   ``dhcp.log`` given in the *same call*, whatever the file order; leases from
   earlier calls are in the persisted map.  Events of a later call do not
   re-map events already projected.

   Exception, for speed and memory: while every batch so far holds only
   endpoint events (a host name, not an IP), each batch is projected into the
   store right after its commit.  Their projection never consults the IP map,
   so it is the same as at the end; it is flushed and checkpointed with the
   rest at the end.  The first batch with a sensor event ends this, and it and
   all later events are projected at the end as described above.

   Those later batches are still projected as they are journaled, but
   speculatively (:class:`~ingest.replay.SpeculativeProjection`): the results
   are held, not stored, and applied at the end only if no IP -> host answer
   they used has changed since; otherwise (or past a memory budget) the
   events are projected again from the journal.  Either way the graph is the
   one the rule above gives.

Streams that trickle, and stopping
----------------------------------
A batch is committed when it is full, and at the end; standard input that is
a pipe or a socket (``tail -F eve.json | graphsiem ingest -``) may never
fill one nor end, so its batch is also committed once it holds records and
no batch was committed for ``flush_seconds``, even while the read waits for
bytes (:class:`~ingest.readers.streams.LiveSource` calls :meth:`_Session.pace`
between records).  Such a batch is a batch like any other: journaled, then
projected early or speculatively as above, so the journal and the graph are
those of the same records in full batches; only the dating of a host's
local-time records by Sysmon records of later batches differs
(:mod:`ingest.host_clocks`).  A :class:`StopRequest` (``graphsiem ingest`` sets
one on SIGINT and SIGTERM) ends the reading where no record is half-taken: at
a batch's commit, or a stream's read; what was parsed is committed and
projected as at the end.

Such a stream's graph follows it: once journaled events have waited
``settle_seconds`` unprojected, the session **settles** (:meth:`_Session.settle`),
a call boundary as if the ingest had ended there and a new one begun: the
speculation is settled as at the end, the store flushed and the checkpoint
advanced, and the records after it are projected early or speculatively from
the new checkpoint.  So a sensor event is mapped with the leases journaled up
to the settle that projects it, as in separate calls; a lease journaled later
does not re-map it.  A crash between settles loses nothing: the journal and
the store's projection mark are those of the last settle (or batch, for Neo4j),
and the next call catches up from there.

Ids: derived from the parser name and the record (plus the event's index when
a record yields several events), so the same record always gets the same id.
The rule is the journal's id scheme (:mod:`ingest.event_ids`): a new journal
hashes the record's bytes as read (an NDJSON line) with sha256 and keeps that
very line as the event's raw evidence; a journal that held events before
schemes existed keeps ``stable_hash(parser name, canonical text)``, so a file
ingested into it again adds nothing.

Nothing a record contains can make the pipeline raise: reader framing errors,
unknown formats and every exception from a parser become rejections naming
the record's origin and the reason; they are kept in the journal.  So does a
file chosen for reading that cannot be read at all (a damaged gzip header, an
I/O error): one rejected record, its origin the file.  Files that are not
telemetry by name or content (:func:`~ingest.readers.files.skip_reason`, an
empty file, no reader) are skipped, not rejected.

Plausible event times
---------------------
Every event's time must lie in the window from 1990-01-01 UTC to the
ingest's clock (``time.time()``, read once a batch) plus one day
(:func:`ingest.parsers.base.plausible_window`, which the parsers' own time
checks share), whatever the parser; a record with an event outside it is
rejected with a reason naming the time and the window.
A Windows ``UtcTime`` of 1601-01-01 or 9999-12-31, a Zeek ``ts`` in the year
5138, are corrupt values: one such event would date an entity's first or last
sighting centuries away and make a new domain look old.  ``time_window``
(``ingest_paths``/``ingest_records``) replaces the window, e.g. for archives
dated before 1990.
"""

from __future__ import annotations

import io
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

import orjson

from graphsiem.model import Event, epoch_to_iso
from graphsiem.store.base import GraphStore
from ingest.event_ids import AS_READ, as_read_id, canonical_text_id
from ingest.gc_tuning import fewer_collections
from ingest.host_clocks import HostClocks
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.normalize import ip_or_none
from ingest.parsers.base import (
    ParseContext,
    Parser,
    ParserRegistry,
    UnknownFormatError,
    plausible_window,
)
from ingest.progress import IngestProgress
from ingest.readers.base import RawRecord, Reader, ReadError
from ingest.readers.files import (
    STDIN_NAME,
    InputFile,
    StreamInput,
    choose_reader,
    default_readers,
    iter_inputs,
    open_binary,
    open_stream,
    path_hint,
    read_head,
    skip_reason,
    stdin_input,
)
from ingest.readers.json_stream import JsonStreamReader
from ingest.readers.ndjson import NdjsonReader, canonical_json
from ingest.readers.streams import LiveSource, live_descriptor
from ingest.registry import default_registry
from ingest.replay import (
    EarlyProjection,
    ProjectionSummary,
    SpeculativeProjection,
    project_batch,
    project_pending,
    resume_projector,
)
from ingest.report import Counts, IngestReport

BATCH_SIZE = 5000
FLUSH_SECONDS = 1.0
"""How long a batch of a stream that trickles (a pipe) waits, at most, before it is journaled."""
SETTLE_SECONDS = {"embedded": 60.0, "neo4j": 5.0}
"""How long journaled events of a live stream wait, at most, before its graph is settled, per store.

A settle of the embedded store saves the whole graph file (seconds for a graph
of millions of relations) and makes every reader load it again; Neo4j's costs
a checkpoint and the re-projection of held sensor batches whose IP map changed."""
SETTLE_DEFAULT = SETTLE_SECONDS["embedded"]
"""The period for a store of another kind: assumed to pay for a flush as the embedded store does."""
MAX_RAW_CHARS = 100_000
"""Rejected raw text kept per record (a megabyte of garbage need not be kept whole)."""

Progress = Callable[[int], None]

UNREADABLE = "unreadable"
"""The format under which a file that cannot be read at all is counted and its rejection kept."""


class StopRequest:
    """A request to stop an ingest call's reading, which a signal handler may make at any moment.

    Given to :func:`ingest_paths` (``stop=``): once :meth:`set`, the call reads
    no further record (a file from its next batch on, a pipe at its next read,
    at once when it is waiting for bytes), journals and projects the records
    it has parsed, and returns their report.  :meth:`set` only records the
    request and writes a byte to a pipe that a waiting read polls: nothing is
    cut short half-way, so the batch and the report stay consistent.  Close it
    (or use it as a context manager) to release that pipe.

    Examples
    --------
    >>> with StopRequest() as stop:
    ...     stop.set(2)
    ...     stop.is_requested, stop.signum
    (True, 2)
    """

    def __init__(self) -> None:
        self.is_requested = False
        self.signum: int | None = None
        """The signal of the first request, when a signal made it."""
        self.wake_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)

    def set(self, signum: int | None = None) -> None:
        """Ask the ingest call to stop reading (idempotent; safe in a signal handler)."""
        if not self.is_requested:
            self.signum = signum
        self.is_requested = True
        try:
            os.write(self._write_fd, b"\0")
        except OSError:  # the pipe is full (it has woken the read already) or closed
            pass

    def close(self) -> None:
        for fd in (self.wake_fd, self._write_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> StopRequest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Stopped(BaseException):  # noqa: N818 - not an error: the way out of the reading, past `except Exception`
    """Raised where the reading stops on a :class:`StopRequest`; :func:`ingest_paths` catches it."""


class _Session:
    """The state of one ingest call: the current batch and the report."""

    def __init__(
        self,
        *,
        journal: Journal,
        registry: ParserRegistry | None,
        format: str,
        default_timezone: str,
        batch_size: int,
        progress: IngestProgress | None = None,
        store: GraphStore | None = None,
        reference_year: int | None = None,
        received_at: float | None = None,
        time_window: tuple[float, float] | None = None,
        flush_seconds: float | None = None,
        settle_seconds: float | None = None,
        stop: StopRequest | None = None,
    ) -> None:
        self.started = time.perf_counter()
        # A stream's batch is journaled once it waited flush_seconds (pace); a stop
        # request ends the reading at a batch's commit (flush) or a stream's read (pace).
        self.flush_seconds = flush_seconds
        self.stop = stop
        self.flushed_at = time.monotonic()
        # A live stream's graph is settled (a call boundary, :meth:`settle`) once journaled
        # events have waited settle_seconds unprojected; only while one is read (_ingest_stream).
        self.settle_seconds = settle_seconds
        self.is_settling = False
        self.unsettled_since: float | None = None
        self.projected = ProjectionSummary()  # every settle's and the end's, summed for the report
        # The plausible event times (module docstring); the end moves with the
        # clock, read once a batch (a long ingest must not reject today's events).
        self.fixed_window = time_window
        self.earliest, self.latest = time_window or plausible_window()
        self.journal = journal
        self.registry = registry = registry or default_registry()
        self.forced: Parser | None = None if format == "auto" else registry.get(format)
        self.timezone = default_timezone
        self.batch_size = batch_size
        self.progress = progress
        self.report = IngestReport()
        self.ipmap = IpHostMap().load(journal.connection)
        self.host_clocks = HostClocks().load(journal.connection)
        # Projecting while journaling is possible only if nothing was pending before us.
        self.start_seq = journal.last_seq()
        self.store = store
        is_caught_up = journal.checkpoint() == self.start_seq
        # Early projection of endpoint batches, then speculative projection (see the module docstring).
        self.early: EarlyProjection | None = None
        self.speculation: SpeculativeProjection | None = None
        self.streaming = store is not None and is_caught_up
        self.events: list[Event] = []
        self.raw_json: list[str | bytearray] = []
        self.fields_json: list[bytes] = []
        # Per accepted record of the batch, how many events it made (its events
        # are consecutive in self.events), and the runs of records of one file
        # and format: (file counts, format counts, index of the run's first record).
        # Two tuples a record fewer than (file, format, ids) per record; flush counts a run at a time.
        self.sizes: list[int] = []
        self.runs: list[tuple[Counts, Counts, int]] = []
        self._run_file: Counts | None = None
        self._run_formats: Counts | None = None
        self.rejections: list[tuple[str, str, str, str]] = []
        self.records = 0
        self.is_as_read = journal.id_scheme == AS_READ  # which id rule (ingest.event_ids), fixed per journal
        self._shapes: dict[tuple[str, ...], Parser] = {}
        self._formats: dict[str, Counts] = {}  # the report's counts per format, without a call per record
        self._parts: dict[str, tuple[Counts, PartsHook | None]] = {}  # see _parser_entry
        self._context = ParseContext(
            default_timezone=default_timezone, reference_year=reference_year, received_at=received_at,
            host_clocks=self.host_clocks,
        )

    # -- per record ---------------------------------------------------------
    def take(
        self,
        raw: RawRecord | ReadError,
        file: Counts,
        reader_name: str,
        hint: str | None,
        part_of: Parser | None = None,
    ) -> None:
        """Parse one framed record into the batch (or reject it); commit the batch first if it is full.

        One method for the whole path of a record: each call saved is ~0.1 us a
        record (measured).  The batch is committed when the record after its
        last one arrives, or by :meth:`flush` at the end: the same batches.
        A record whose parser splits it into parts (``parts`` in
        :mod:`ingest.parsers.base`) is taken as those parts, each by a call with
        ``part_of`` the parser, which parses it without detection and never splits it again.
        """
        if self.records >= self.batch_size:
            if part_of is None:
                self.flush()
            else:
                # a part of a record already read: a stop waits for the record's last part
                # (_take_parts), else the parts after this batch would be dropped unreported
                self.commit()
        self.records += 1
        if isinstance(raw, ReadError):
            self._reject(file, self.report.format(reader_name), raw.origin, reader_name, raw.reason, raw.raw)
            return
        record = raw.record
        # The record's text, made only where it is needed: a line as read into a
        # scheme-2 journal is hashed and journaled as its bytes, and decoding a
        # 2.8 KB Windows line cost ~0.4 us (measured); a rejection decodes it.
        text: str | None = None
        if not self.is_as_read:
            if not raw.is_canonical and isinstance(record, dict):
                # a JSON line as read, into a scheme-1 journal: its id, raw and
                # rejection text are the canonical text, exactly as before schemes
                text = canonical_json(record)
            else:
                text = raw.text
        parser = self.forced
        if part_of is not None:
            parser = part_of  # a part is its wrapper's, whatever its own keys (a hit of only _source)
        elif parser is not None:
            # --format turns auto-detection off, not the parser's own check: a record
            # its sniff does not claim would be "parsed" into an empty, host-less event
            # and journaled for good (--format ecs on Suricata EVE: 5,000 of them)
            if not parser.sniff(record):
                self._reject(
                    file, self.report.format(parser.name), raw.origin, parser.name,
                    self._not_claimed(parser, record), raw.text if text is None else text,
                )
                return
        else:
            # the parser that claimed this key layout before, if its sniff agrees (see _parser_for)
            if record.__class__ is dict and not raw.format_hint:
                parser = self._shapes.get(tuple(record))
            if parser is None or not parser.sniff(record):
                try:
                    parser = self._parser_for(raw)
                except UnknownFormatError as exc:
                    self._reject(
                        file, self.report.format("unknown"), raw.origin, "unknown", str(exc),
                        raw.text if text is None else text,
                    )
                    return
        name = parser.name
        formats = self._formats.get(name)
        if formats is None:
            # a parser's first record, or any record of a parser with parts (kept out of
            # _formats, so that ordinary records pay nothing for the parts hook)
            formats, parts = self._parser_entry(parser)
            if parts is not None and part_of is None and self._take_parts(parts, parser, raw, file, reader_name, hint):
                if self.stop is not None and self.stop.is_requested:
                    raise _Stopped  # every part of the record is taken; ingest_paths commits them
                return
        # one context object, updated per record: parsers consume it while parsing
        context = self._context
        context.origin = origin = raw.origin
        context.path_hint = raw.path_hint or hint
        earliest, latest = self.earliest, self.latest
        try:
            events = list(parser.parse(record, context))
            if len(events) == 1 and _is_plain(event := events[0], earliest, latest):
                problem = None
                # serialised here, where a bad value can still reject the record
                fields_json = orjson.dumps(event.fields, default=str)
            else:
                problem = _check_events(events, earliest, latest)
                if problem is None:
                    many_fields_json = [orjson.dumps(e.fields, default=str) for e in events]
                    if len(events) == 1:  # one valid event of looser types (an int time)
                        fields_json = many_fields_json[0]
        except Exception as exc:  # noqa: BLE001 - any parser failure is a rejection, never a crash
            problem = _reason(exc)
        if problem:
            self._reject(file, formats, origin, name, problem, raw.text if text is None else text)
            return
        # The journal keeps as raw the text the id is derived from (a line as read,
        # or canonical text): no re-dump.  Scheme 2 hashes the bytes as read where
        # the reader kept them (no encode of 2.8 KB); scheme 1 hashes ``text``.
        raw_json: str | bytearray
        if not self.is_as_read:
            data = None
            raw_json = cast(str, text) if not raw.is_canonical else _raw_of(record, raw.text)
        else:
            data = raw.data
            if raw.is_canonical:
                raw_json = _raw_of(record, raw.text)
            else:
                # a line as read: its bytes, stored as the same text (a bytearray:
                # Python's sqlite3 binds bytes through a slower path)
                raw_json = bytearray(data) if data is not None else raw.text
            if data is None:
                data = raw.text.encode("utf-8", "surrogatepass")
        # From here raw_json stands for the record: nothing downstream reads
        # Event.raw (the journal stores raw_json, the projection never needs it),
        # and freeing the record now, while its memory is hot, instead of at the
        # end of the batch made Zeek JSON ingest ~8% faster per CPU second (measured).
        if formats is not self._run_formats or file is not self._run_file:
            self._start_run(file, formats)
        if len(events) == 1:  # the common case, without the loop's bookkeeping
            event = events[0]
            event.id = canonical_text_id(name, cast(str, text)) if data is None else as_read_id(name, data)
            event.raw = None
            if not event.origin:
                event.origin = origin
            if not event.source:
                event.source = name
            self.events.append(event)
            self.raw_json.append(raw_json)
            self.fields_json.append(fields_json)
            self.sizes.append(1)
            return
        self.fields_json.extend(many_fields_json)
        # each event of a record that gives several is journaled with the record's text
        # (a wrapper's part: its own, not the wrapper's; see _take_parts)
        for index, event in enumerate(events):
            event.id = (
                canonical_text_id(name, cast(str, text), index) if data is None else as_read_id(name, data, index)
            )
            if not event.origin:
                event.origin = origin
            if not event.source:
                event.source = name
            self.events.append(event)
            self.raw_json.append(raw_json)
            event.raw = None
        self.sizes.append(len(events))

    def _parser_entry(self, parser: Parser) -> tuple[Counts, PartsHook | None]:
        """The report's counts of ``parser``'s format and its ``parts`` hook, looked up once a call.

        A parser without ``parts`` is then cached in ``_formats`` (take's one lookup
        a record); one with it stays in ``_parts`` and its records come here.
        """
        name = parser.name
        entry = self._parts.get(name)
        if entry is None:
            formats = self.report.format(name)
            parts = getattr(parser, "parts", None)
            if parts is None:
                self._formats[name] = formats
            entry = self._parts[name] = (formats, parts)
        return entry

    def _take_parts(
        self, parts: PartsHook, parser: Parser, raw: RawRecord, file: Counts, reader_name: str,
        hint: str | None,
    ) -> bool:
        """Take each part of a wrapper record as a record; False when ``parser`` parses the record whole.

        A part's text (its id's input and its raw evidence, :mod:`ingest.event_ids`) is its
        canonical JSON; its origin is the record's plus the part's suffix.  A record of no
        parts (an empty scroll page) is not counted at all.  A ``parts`` that fails (a
        parser bug) rejects the record whole with the reason; the parts taken before stay.
        """
        origin, path_hint = raw.origin, raw.path_hint
        try:
            pieces = parts(raw.record)
            if pieces is None:
                return False
            pieces = iter(pieces)
        except Exception as exc:  # noqa: BLE001 - a failure to split is a rejection, never a crash
            self._reject_whole(parser, raw, file, exc)
            return True
        self.records -= 1  # the parts are the batch's records, not the record that holds them
        take = self.take
        while True:
            # only the splitting is guarded: an error of take itself (the journal's) must raise
            try:
                piece: Any = next(pieces, _END)
                if piece is _END:
                    return True
                part, suffix = piece
                text = part if part.__class__ is str else canonical_json(part)
                item = RawRecord(part, f"{origin}{suffix}", text, path_hint)
            except Exception as exc:  # noqa: BLE001 - as above
                self._reject_whole(parser, raw, file, exc)
                return True
            take(item, file, reader_name, hint, parser)

    def _reject_whole(self, parser: Parser, raw: RawRecord, file: Counts, exc: Exception) -> None:
        """Reject a record whose parser's ``parts`` failed on it (the parts taken before stay)."""
        name = parser.name
        self._reject(file, self.report.format(name), raw.origin, name, f"cannot split into parts: {_reason(exc)}", raw.text)

    def _start_run(self, file: Counts, formats: Counts) -> None:
        self.runs.append((file, formats, len(self.sizes)))
        self._run_file, self._run_formats = file, formats

    def _parser_for(self, raw: RawRecord) -> Parser:
        """The parser of a record whose key layout has none yet, or whose layout's parser refused it."""
        if raw.format_hint:
            try:
                return self.registry.get(raw.format_hint)
            except UnknownFormatError:
                pass
        record = raw.record
        parser = self.registry.detect(record)
        # Records of one source share their key layout: remember which parser
        # claimed a layout, so that take re-checks only its sniff (sniffs read keys first).
        if record.__class__ is dict and not raw.format_hint and len(self._shapes) < 4096:
            self._shapes[tuple(record)] = parser
        return parser

    def _not_claimed(self, parser: Parser, record: Any) -> str:
        """The reason a record is not the forced format's: what auto-detection would read it as."""
        try:
            found = f"it reads as {self.registry.detect(record).name} (--format auto would take it)"
        except Exception:  # noqa: BLE001 - UnknownFormatError, or a sniff that broke its promise
            found = "no parser recognises it"
        return f"not a {parser.name} record: {found}"

    def _reject(self, file: Counts, formats: Counts, origin: str, fmt: str, reason: str, raw: str) -> None:
        for counts in (file, formats, self.report.total):
            counts.received += 1
            counts.rejected += 1
        self.rejections.append((origin, fmt, reason, raw[:MAX_RAW_CHARS]))

    def finish(self, store: GraphStore | None) -> IngestReport:
        """Commit the last batch, project the journal into ``store``, close the report."""
        self.commit()
        _project(self, store)
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
            raise _Stopped
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
        return None

    def settle(self) -> None:
        """A call boundary inside a live stream: the graph catches up as if the ingest ended here.

        The batch is committed; the journal is projected as :meth:`finish`
        projects it (:func:`~ingest.replay.project_pending` with this call's
        early and speculative projections: applied, or projected again from
        the journal when an IP -> host answer they used has changed), the store
        flushed and the checkpoint advanced; the report's ``projected`` adds
        this run's.  The records after it are projected as a new call's, early
        or speculatively from the new checkpoint.  So sensor events are mapped
        with the leases journaled up to here, as separate ingest calls or the
        service's projection runs map them: a lease journaled after a settle
        does not re-map sensor events settled before it.
        """
        if self.records:
            self.commit()
        self.unsettled_since = None
        store = self.store
        if store is not None:
            _project(self, store, bar=False)
        journal = self.journal
        self.start_seq = journal.last_seq()
        self.early = self.speculation = None
        self.streaming = store is not None and journal.checkpoint() == self.start_seq

    # -- per batch ----------------------------------------------------------
    def flush(self) -> None:
        """Commit the full batch (:meth:`take`); then stop reading if a stop was requested, or settle if due."""
        self.commit()
        if self.stop is not None and self.stop.is_requested:
            raise _Stopped
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

        new = self.journal.append(
            self.events, raw_json=self.raw_json, fields_json=self.fields_json,
            rejections=self.rejections, before_commit=learn,
        )
        ipmap.saved(written)  # only observe_all, above, teaches the map: nothing else is left to save
        self.host_clocks.saved()
        if new and self.unsettled_since is None:
            self.unsettled_since = self.flushed_at  # the settle clock starts with the first new event journaled
        if self.streaming and new:
            self._project_now(new)
        total = self.report.total
        runs = self._run_bounds()
        if len(new) == len(self.events):
            # every event is new and distinct (the journal keeps one per id):
            # each record counts all its events, none is a duplicate
            for file, formats, first, end, first_event, end_event in runs:
                _add_accepted((file, formats, total), end - first, end_event - first_event)
            self._next_batch()
            return
        events = self.events
        sizes = self.sizes
        if len(events) == len(sizes) and sizes.count(1) == len(sizes):
            # One event a record (Windows, Zeek, EVE lines), some held or repeated: a record
            # is new when its event object is one the journal returned (the first of each new
            # id), counted per run in C instead of a Python loop a record (valgrind: -5.5k
            # instructions a Windows event in batches with a few duplicates)
            taken = set(map(id, new))
            is_new = list(map(taken.__contains__, map(id, events)))
            for file, formats, first, end, _, _ in runs:
                records = end - first
                fresh_records = sum(is_new[first:end])
                for counts in (file, formats, total):
                    counts.received += records
                    counts.accepted += records
                    counts.events += fresh_records
                    counts.duplicates += records - fresh_records
            self._next_batch()
            return
        fresh = {event.id for event in new}
        for file, formats, first, end, event_index, _ in runs:
            for size in self.sizes[first:end]:
                new_ids = 0
                for event in events[event_index : event_index + size]:
                    if event.id in fresh:
                        fresh.discard(event.id)  # a repeated record in the batch is not new twice
                        new_ids += 1
                event_index += size
                is_duplicate = size > 0 and not new_ids
                for counts in (file, formats, total):
                    counts.received += 1
                    counts.accepted += 1
                    counts.events += new_ids
                    counts.duplicates += is_duplicate
        self._next_batch()

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

    def _run_bounds(self) -> list[tuple[Counts, Counts, int, int, int, int]]:
        """Each run as (file, formats, first record, end record, first event, end event)."""
        sizes = self.sizes
        bounds = []
        event_index = 0
        for n, (file, formats, first) in enumerate(self.runs):
            end = self.runs[n + 1][2] if n + 1 < len(self.runs) else len(sizes)
            events = sum(sizes[first:end])
            bounds.append((file, formats, first, end, event_index, event_index + events))
            event_index += events
        return bounds

    def _project_now(self, new: list[Event]) -> None:
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
        if all(_is_endpoint_host(host) for host in {event.host for event in new}):
            assert self.store is not None
            project_batch(
                early.projector, self.store, new, early.summary, (journal.identity, done + len(new))
            )
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

    def _next_batch(self) -> None:
        if self.progress is not None:
            self.progress.batch(self.records)
        self.events, self.raw_json, self.fields_json = [], [], []
        self.sizes, self.runs, self.rejections = [], [], []
        self._run_file = self._run_formats = None
        self.records = 0
        if self.fixed_window is None:
            self.earliest, self.latest = plausible_window()


def _add_accepted(targets: tuple[Counts, Counts, Counts], records: int, events: int) -> None:
    for counts in targets:
        counts.received += records
        counts.accepted += records
        counts.events += events


def _is_endpoint_host(host: str | None) -> bool:
    """True when projecting an event of ``host`` cannot depend on IP -> host mappings (a named host)."""
    return bool(host) and ip_or_none(host) is None


def _check_events(events: list[Any], earliest: float, latest: float) -> str | None:
    """Why a parser's output is unusable (a parser bug or an implausible time), or None."""
    for event in events:
        if _is_plain(event, earliest, latest):
            continue
        problem = _check_event(event, earliest, latest)
        if problem is not None:
            return problem
    return None


def _is_plain(event: Any, earliest: float, latest: float) -> bool:
    """The fast check: an Event of exact types, as every parser makes them, at a plausible time.

    The window check also refuses NaN and infinities (every comparison with
    NaN is false), so it replaces the finiteness test ``ts - ts == 0.0``.
    """
    return (
        event.__class__ is Event
        and event.ts.__class__ is float
        and earliest <= event.ts <= latest
        and event.kind.__class__ is str
        and event.kind != ""
        and event.fields.__class__ is dict
        and (event.host is None or event.host.__class__ is str)
        and event.origin.__class__ is str
        and event.source.__class__ is str
    )


def _check_event(event: Any, earliest: float, latest: float) -> str | None:
    """The full check of one event (any types): the reason it is unusable, or None."""
    if not isinstance(event, Event):
        return f"parser returned {type(event).__name__}, not an Event"
    if not isinstance(event.ts, int | float) or isinstance(event.ts, bool) or not math.isfinite(event.ts):
        return f"event has no valid time (ts={event.ts!r})"
    if not earliest <= event.ts <= latest:
        return (
            f"event time {_time_text(event.ts)} is outside the plausible window "
            f"{_time_text(earliest)} .. {_time_text(latest)}"
        )
    if not isinstance(event.kind, str) or not event.kind:
        return "event has no kind"
    if not isinstance(event.fields, dict):
        return "event fields are not a mapping"
    if event.host is not None and not isinstance(event.host, str):
        return f"event host is a {type(event.host).__name__}, not text"
    if not isinstance(event.origin, str) or not isinstance(event.source, str):
        return "event origin/source is not text"
    return None


def _time_text(ts: float) -> str:
    """``ts`` as ISO-8601 UTC, or as the number where no calendar date can show it (past 9999)."""
    try:
        return cast(str, epoch_to_iso(ts))
    except (ValueError, OverflowError, OSError):
        return repr(ts)


PartsHook = Callable[[Any], Iterable[tuple[Any, str]] | None]
"""A wrapper parser's ``parts`` method (:mod:`ingest.parsers.base`)."""

_END = object()
"""The end of a parser's parts, for ``next`` (a part may be any JSON value, ``None`` too)."""


def _reason(exc: BaseException) -> str:
    from ingest.parsers.base import ParseError

    if isinstance(exc, ParseError):
        return str(exc) or "unparseable record"
    return f"{type(exc).__name__}: {exc}"


def _raw_of(record: Any, text: str) -> str:
    """The raw JSON of a record whose text is canonical: that text when it is the object's, else a dump."""
    return text if record.__class__ is dict and text[:1] == "{" and text[-1:] == "}" else _dump(record)


def _dump(record: Any) -> str:
    """JSON text of anything a client may send (falls back to ``repr`` for what JSON cannot hold)."""
    try:
        return orjson.dumps(record, default=str).decode("utf-8")
    except (TypeError, ValueError):
        pass
    try:
        return orjson.dumps(repr(record)[:MAX_RAW_CHARS]).decode("utf-8")
    except RecursionError:
        # A deeply nested value (a JSON body of [[[[...]]]]) defeats repr too;
        # the rejection must still be kept, so keep a description instead.
        return orjson.dumps(f"<{type(record).__name__} nested too deeply to keep>").decode()


def _progress_bar(enabled: bool | None, desc: str) -> tuple[Progress | None, Callable[[], None]]:
    """A tqdm bar on a terminal (or when forced); returns (update, close)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit=" rec", unit_scale=True, file=sys.stderr, leave=False)
    return bar.update, bar.close


def ingest_paths(
    paths: Iterable[str | Path],
    *,
    store: GraphStore | None,
    journal: Journal,
    registry: ParserRegistry | None = None,
    format: str = "auto",
    default_timezone: str = "UTC",
    progress: bool | None = None,
    readers: Sequence[Reader] | None = None,
    batch_size: int = BATCH_SIZE,
    reference_year: int | None = None,
    received_at: float | None = None,
    time_window: tuple[float, float] | None = None,
    stdin: BinaryIO | None = None,
    stdin_name: str = STDIN_NAME,
    flush_seconds: float | None = FLUSH_SECONDS,
    settle_seconds: float | None = None,
    stop: StopRequest | None = None,
) -> IngestReport:
    """Ingest files and directories: journal every accepted event, then project into ``store``.

    Parameters
    ----------
    paths : iterable of path
        Files (any supported format, gzip or not) and directories (recursive,
        through symbolic links).  Each real file is read once per call, under
        the first path it is met by; a later different spelling of it (``./f``,
        ``../dir/f``, a link) is a skipped row naming that first path.  The
        string ``"-"`` is standard input, read once, in its place
        (:func:`~ingest.readers.files.open_stream`); a file named ``-`` is ``./-``.
    store : GraphStore or None
        Where the graph projection goes; ``None`` journals only (the graph can
        be caught up later with :func:`ingest.replay.project_pending`).
    journal : Journal
        The durable event journal.
    registry : ParserRegistry, optional
        Parsers for auto-detection (default: :func:`ingest.registry.default_registry`).
    format : str
        ``"auto"`` (detect per record) or a parser name to force.
    default_timezone : str
        IANA zone for zone-less timestamps without a better source.
    progress : bool, optional
        Show a progress bar; default: when standard error is a terminal.
    reference_year : int, optional
        Year of timestamps written without one (RFC 3164 syslog), for files of
        a known year; default: the syslog parser's rule relative to now.
    received_at : float, optional
        When a live source handed the records over (the syslog listener's
        spool): RFC 5424 lines without a TIMESTAMP take it.  Files have none.
    time_window : (float, float), optional
        The plausible event times, epoch seconds from and to (inclusive); a
        record with an event outside is rejected.  Default: from
        :func:`ingest.parsers.base.plausible_window` (1990 to the clock plus a day).
    stdin : binary stream, optional
        What the path ``"-"`` reads (default ``sys.stdin.buffer``).
    stdin_name : str
        The name it goes by in the report, rejections and journal rows
        (``<stdin>:12``); event ids do not depend on it.
    flush_seconds : float or None
        When standard input is a pipe or a socket, which may trickle
        (``tail -F eve.json |``): a batch holding records is journaled (and
        projected, as any batch) once no batch was for this many seconds, even
        while the read waits for bytes; ``None``: by size and at the end only.
        Files, and a file redirected to standard input, need no clock.  Smaller
        batches journal the same events under the same ids; the one thing a
        batch boundary changes is which Sysmon records date a host's
        local-time records (:mod:`ingest.host_clocks`: those of its own batch and before).
    settle_seconds : float or None
        When standard input is a pipe or a socket and ``store`` is given: once
        journaled events have waited this many seconds unprojected, the graph
        is settled, as if the ingest ended there and a new call began
        (:meth:`_Session.settle`): the held projections are applied (or the
        events projected again), the store flushed (the embedded store saves
        its file; Neo4j has committed), the checkpoint advanced.  Other readers
        (``graphsiem detect``, the API) then see those events.  ``None``: the
        store's default (:data:`SETTLE_SECONDS`: 60 for the embedded store,
        whose flush saves the whole graph, 5 for Neo4j); ``0``: off, the graph
        catches up at the end only.  The final graph is the one without
        settles unless a lease (an IP -> host interval) is journaled after a
        settle that projected sensor events it maps: those stay mapped as
        they were at the settle, as in separate ingest calls.  Files are
        projected at the end, whatever this says.
    stop : StopRequest, optional
        Once set (a signal handler: ``graphsiem ingest`` on SIGINT and
        SIGTERM), no further record is read: the records parsed so far are
        journaled and projected, and the report of them is returned
        (``stop.is_requested`` says it is partial).  A file stops at its next
        batch, standard input at once.

    Returns
    -------
    IngestReport
        received = accepted + rejected per file, per format and in total.

    Raises
    ------
    UnknownFormatError
        When ``format`` names no registered parser (before anything is read).
    ValueError
        When ``"-"`` is named more than once, standard input is closed,
        ``flush_seconds`` is not a positive number, or ``settle_seconds`` is
        negative or not finite (before anything is read).
    """
    if flush_seconds is not None and not (math.isfinite(flush_seconds) and flush_seconds > 0):
        raise ValueError(f"flush_seconds must be a positive number of seconds or None, not {flush_seconds!r}")
    settle = settle_period(store, settle_seconds)
    readers = list(readers) if readers is not None else default_readers()
    paths = list(paths)
    files: Iterable[InputFile | StreamInput] = iter_inputs(paths, stdin_input(paths, stdin, stdin_name))
    bar = None
    if sys.stderr.isatty() if progress is None else progress:
        files = list(files)  # the bar's total is the size of every file, known before reading
        bar = IngestProgress([
            found if isinstance(found, StreamInput) else found.path
            for found in files if isinstance(found, StreamInput) or found.same_as is None
        ])
    with fewer_collections():
        session = _Session(
            journal=journal, registry=registry, format=format,
            default_timezone=default_timezone, batch_size=batch_size, progress=bar, store=store,
            reference_year=reference_year, received_at=received_at, time_window=time_window,
            flush_seconds=flush_seconds, settle_seconds=settle, stop=stop,
        )
        try:
            try:
                for found in files:
                    if stop is not None and stop.is_requested:
                        break
                    if isinstance(found, StreamInput):
                        _ingest_stream(session, found, readers)
                    elif found.same_as is None:
                        _ingest_file(session, found.path, readers)
                    elif str(found.path) != str(found.same_as):
                        # a real file read once per call, under the first name met; the
                        # other spellings are listed so the report shows where each went
                        session.report.file(path_text(found.path)).skipped = (
                            f"the same file as {path_text(found.same_as)} (read once in this call)")
            except _Stopped:
                pass  # asked to stop: what was parsed is committed, as at the end
            session.commit()  # the last batch, while the bar still shows its count
        finally:
            if bar is not None:
                bar.close()
        return session.finish(store)


def settle_period(store: GraphStore | None, settle_seconds: float | None) -> float | None:
    """The settle period of an ingest into ``store`` (``None``: no settles), ``settle_seconds`` checked.

    Parameters
    ----------
    store : GraphStore or None
        The ingest's store; without one there is no graph to settle.
    settle_seconds : float or None
        Seconds; ``None`` for the store's default (:data:`SETTLE_SECONDS`), ``0`` for none.

    Raises
    ------
    ValueError
        When ``settle_seconds`` is negative, NaN or infinite.

    Examples
    --------
    >>> settle_period(None, 5.0) is None, settle_period(None, None) is None
    (True, True)
    """
    if settle_seconds is not None and not (math.isfinite(settle_seconds) and settle_seconds >= 0):
        raise ValueError(f"settle_seconds must be a number of seconds (0: off) or None, not {settle_seconds!r}")
    if store is None or settle_seconds == 0:
        return None
    if settle_seconds is None:
        return SETTLE_SECONDS.get(getattr(store, "name", ""), SETTLE_DEFAULT)
    return float(settle_seconds)


def _ingest_file(session: _Session, path: Path, readers: Sequence[Reader]) -> None:
    bar = session.progress
    if bar is None:
        _read_file(session, path, readers)
        return
    bar.file_started(path)
    try:
        _read_file(session, path, readers)
    finally:
        bar.file_finished()


def path_text(path: Path | str) -> str:
    """``path`` as text that can be stored and printed: bytes of a file name that
    are not UTF-8 (held by Python as lone surrogates) written as ``\\xNN``.

    The journal (SQLite, UTF-8) cannot store a lone surrogate: one such name in
    a folder stopped the whole ingest with a traceback.
    """
    text = str(path)
    if text.isascii():
        return text
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def _read_file(session: _Session, path: Path, readers: Sequence[Reader]) -> None:
    display = path_text(path)
    file_report = session.report.file(display)
    reason = skip_reason(path)
    if reason is None:
        try:
            head = read_head(path)
        except OSError as exc:
            # Chosen for reading, but unreadable (a damaged gzip header, an I/O
            # error): a record lost, not a file to pass over, so it counts as
            # one rejection the totals, the journal and the exit status show.
            problem = ReadError(display, f"file cannot be read: {exc.strerror or exc}", "")
            session.take(problem, file_report.counts, UNREADABLE, None)
            return
        chosen = choose_reader(path, readers, head)
        reason = chosen.reason if chosen.reader is None else None
    if reason is not None:
        file_report.skipped = reason
        return
    reader = chosen.reader
    assert reader is not None
    file_report.reader = reader.name
    try:
        with open_binary(path) as stream:
            if session.progress is not None:
                session.progress.file_opened(_descriptor(stream))
            _take_all(session, reader, stream, display, file_report.counts, path_hint(path), "file")
    except Exception as exc:  # noqa: BLE001 - an I/O or library error opening the file
        _take_failure(session, reader, display, file_report.counts, "file", exc)


def _take_all(
    session: _Session, reader: Reader, stream: BinaryIO, display: str, counts: Counts, hint: str, noun: str
) -> None:
    """Every record ``reader`` frames from ``stream`` into the session; a read failure is one rejection."""
    take, name = session.take, reader.name  # looked up once per file, not per record
    try:
        for item in reader.read(stream, display):
            take(item, counts, name, hint)
    except Exception as exc:  # noqa: BLE001 - truncated gzip, I/O or library error mid-file
        _take_failure(session, reader, display, counts, noun, exc)


def _take_failure(session: _Session, reader: Reader, display: str, counts: Counts, noun: str, exc: Exception) -> None:
    problem = ReadError(display, f"{noun} could not be read to the end: {exc}", "")
    session.take(problem, counts, reader.name, None)


def _ingest_stream(session: _Session, source: StreamInput, readers: Sequence[Reader]) -> None:
    """Read standard input (or another stream read once): as a file, without stat, reopen or seek.

    Not judged by its name (``--source-name README.md`` still reads it): the
    user piped it.  Empty, or no reader's, it is skipped as such a file is.
    """
    display = path_text(source.name)
    file_report = session.report.file(display)
    bar = session.progress
    stream_in: BinaryIO = source.stream
    is_clocked = session.flush_seconds is not None or session.stop is not None or session.settle_seconds is not None
    fd = live_descriptor(stream_in) if is_clocked else None
    if fd is not None:
        # a pipe may trickle: read it so that its batch is journaled while no byte comes
        stop = session.stop
        stream_in = cast(BinaryIO, LiveSource(
            fd, pace=session.pace, wake_fd=None if stop is None else stop.wake_fd, pause=session.flush_seconds,
        ))
        # only a live stream settles (a file's graph is projected once, at the end, as ever)
        session.is_settling = session.settle_seconds is not None
    try:
        try:
            opened = open_stream(stream_in, display)
        except OSError as exc:  # an I/O error, a gzip stream damaged from its first bytes
            problem = ReadError(display, f"stream cannot be read: {exc.strerror or exc}", "")
            session.take(problem, file_report.counts, UNREADABLE, None)
            return
        with opened.stream as stream:
            if bar is not None:
                bar.stream_started(lambda: opened.source.consumed)
            chosen = choose_reader(display, readers, opened.head)
            if chosen.reader is None:
                file_report.skipped = chosen.reason
                return
            file_report.reader = chosen.reader.name
            hint = path_hint(Path(display))  # "conn" from --source-name conn.log; "<stdin>" names no log
            _take_all(session, chosen.reader, stream, display, file_report.counts, hint, "stream")
    finally:
        session.is_settling = False
        if bar is not None:
            bar.file_finished()


def _descriptor(stream: BinaryIO) -> int | None:
    """The descriptor of the file on disk under ``stream`` (gzip included), for the progress bar."""
    try:
        return stream.fileno()
    except (OSError, AttributeError, ValueError):
        return None


def _project(session: _Session, store: GraphStore | None, *, bar: bool = True) -> None:
    """Project what the call journaled (and anything pending before it) into ``store``; count it in the report.

    ``bar``: a progress bar on a terminal, at the end of a call; a settle's
    catch-up (:meth:`_Session.settle`) shows none.
    """
    if store is None:
        return
    update, close = _progress_bar(None if session.progress and bar else False, "project")
    try:
        summary = project_pending(
            session.journal, store, ipmap=session.ipmap, progress=update,
            early=session.early, speculation=session.speculation,
        )
    finally:
        close()
    session.projected.add(summary)
    session.report.projected = session.projected.as_dict()


def ingest_records(
    body: bytes | str | Sequence[dict[str, Any]],
    *,
    store: GraphStore | None,
    journal: Journal,
    registry: ParserRegistry | None = None,
    format: str = "auto",
    default_timezone: str = "UTC",
    origin: str = "api",
    batch_size: int = BATCH_SIZE,
    time_window: tuple[float, float] | None = None,
) -> IngestReport:
    """Ingest an HTTP body: a JSON array, NDJSON, or already-decoded JSON objects.

    Records are auto-detected per record (or ``format`` forces a parser); the
    report has one "file" named ``origin``.  See :func:`ingest_paths` for the rest.
    """
    with fewer_collections():
        return _ingest_body(
            body,
            _Session(
                journal=journal, registry=registry, format=format,
                default_timezone=default_timezone, batch_size=batch_size, store=store,
                time_window=time_window,
            ),
            store,
            origin,
        )


def _ingest_body(
    body: bytes | str | Sequence[dict[str, Any]], session: _Session, store: GraphStore | None, origin: str
) -> IngestReport:
    counts = session.report.file(origin).counts
    if isinstance(body, str):
        body = body.encode("utf-8")
    if isinstance(body, bytes | bytearray):
        reader: Reader = NdjsonReader()
        if not reader.sniff(bytes(body[:65536]), origin):
            reader = JsonStreamReader()
        session.report.file(origin).reader = reader.name
        for framed in reader.read(io.BytesIO(body), origin):
            session.take(framed, counts, reader.name, None)
    else:
        session.report.file(origin).reader = "objects"
        for number, record in enumerate(body, start=1):
            where = f"{origin}#{number}"
            if isinstance(record, dict):
                try:
                    item: RawRecord | ReadError = RawRecord(record, where, canonical_json(record))
                except (TypeError, ValueError) as exc:  # e.g. integers beyond 64 bits
                    item = ReadError(where, f"record cannot be serialised: {exc}", _dump(record))
            else:
                item = ReadError(where, f"not a JSON object (a {type(record).__name__})", _dump(record))
            session.take(item, counts, "objects", None)
    return session.finish(store)
