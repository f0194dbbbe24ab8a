"""Ingest for the API, uploads and syslog: the same pipeline as ``graphsiem ingest``.

An answer is given once the records are **journaled** (that is what accepted
means); projecting the journal into the graph happens on a background thread
that batches whatever has arrived, so the HTTP path pays only for parsing and
the journal commit.  Detection first catches the projection up
(:meth:`IngestService.catch_up`), so it always sees every accepted event.

SQLite connections belong to the thread that opened them, so each worker
thread gets its own :class:`ingest.journal.Journal` on the same file (SQLite's
locks let them interleave: a reader waits out a batch's commit).

A body is read as a stream named ``api/<request id>`` (the id answered in
``X-Request-ID``, :mod:`graphsiem.api.request_id`), so a rejected line is
``api/<id>:N``, ``N`` its line, and a JSON array's record ``api/<id>#N``: the
origin names its request, and the same bad record sent in two requests is
two kept rejections, as ``/metrics`` counts two.  CSV bodies (``text/csv``,
``text/tab-separated-values``) are read by the file reader of CSV exports
(:mod:`ingest.readers.csv_rows`), ``N`` the line a row starts on (the header
is line 1).  An upload is kept under ``<data>/uploads/<request id>/`` while
it is read, so its rejections name the request too.

Modules: :mod:`.ingest_body` (content codings, framing, file names),
:mod:`.ingest_journals` (the journals handed out), :mod:`.ingest_projector`
(the background projection); this one receives bodies, uploads and syslog
batches and answers with their report.
"""

from __future__ import annotations

import functools
import io
import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from graphsiem import paths
from graphsiem.api.context import AppContext
from graphsiem.api.disk_floor import FloorGuardedJournal, app_disk_floor
from graphsiem.api.errors import Unprocessable
from graphsiem.api.request_id import current_request_id
from graphsiem.api.schemas import AssumedYear, FormatCounts, IngestReport, Rejection
from graphsiem.api.schemas_ingest import ClockGap, LocalizedText, UnboundChannel
from graphsiem.api.services.ingest_body import (
    BODY_CODINGS,
    UnsupportedMediaType,
    check_content_encoding,
    count_csv_rows,
    count_lines,
    decode_content,
    framing,
    gunzip_sniffed,
    is_text_plain,
    safe_file_name,
    too_many,
)
from graphsiem.api.services.ingest_journals import (
    MAX_REJECTIONS_SHOWN,
    RecordingJournal,
    ThreadJournal,
)
from graphsiem.api.services.ingest_projector import BackgroundProjector
from graphsiem.api.services.projection_status import ProjectionStatus
from graphsiem.syslog_listener import SyslogMessage
from ingest.channel_hosts import key_channel, read_channel_hosts, syslog_channel
from ingest.journal import Journal
from ingest.parsers.base import UnknownFormatError, timezone_problem
from ingest.pipeline import ingest_paths, ingest_records
from ingest.pipeline_lines import ingest_lines
from ingest.readers.base import Reader
from ingest.readers.csv_rows import ANCHORS, DELIMITERS, CsvRowsReader
from ingest.readers.files import EMPTY_FILE
from ingest.readers.lines_any import TextOrJsonLinesReader, readers_for_format
from ingest.readers.streams import as_utf8
from ingest.report import IngestReport as PipelineReport

log = logging.getLogger("graphsiem.api.ingest")

__all__ = [
    "BODY_CODINGS",
    "MAX_REJECTIONS_SHOWN",
    "IngestService",
    "UnsupportedMediaType",
    "check_content_encoding",
    "decode_content",
    "safe_file_name",
]


class IngestService:
    """Journals API bodies, uploads and syslog batches; projects in the background."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._local = threading.local()
        self._journals: list[Journal] = []
        self._journals_lock = threading.Lock()
        self._data_prefix = str(ctx.settings.data_dir.resolve())
        self._projector = BackgroundProjector(ctx, self.journal)
        path = ctx.settings.channel_hosts
        # the hosts each syslog peer and ingest key may speak for (ingest.channel_hosts), read once
        self.channel_hosts = None if path is None else read_channel_hosts(path)
        ctx.journal = ThreadJournal(self)

    # -- journals -----------------------------------------------------------
    def journal(self) -> Journal:
        """This thread's journal connection."""
        journal = getattr(self._local, "journal", None)
        if journal is None:
            # ingest writes refused below the free-space floor, before the disk is full (disk_floor)
            journal = FloorGuardedJournal(self.ctx.settings.journal_path, floor=app_disk_floor(self.ctx))
            self._local.journal = journal
            with self._journals_lock:
                self._journals.append(journal)
        return journal

    # -- entry points ---------------------------------------------------------
    def ingest_body(self, body: bytes, *, fmt: str = "auto", content_type: str = "",
                    timezone: str | None = None, year: int | None = None,
                    key_id: str | None = None) -> IngestReport:
        """Ingest an HTTP body framed by ``content_type`` (or sniffed).

        ``timezone`` and ``year`` are ``graphsiem ingest``'s ``--timezone`` and
        ``--year``: the zone of zone-less timestamps (UTC when not given), the
        year of year-less ones.  A CSV export's ``X [Local Time]`` columns are
        read only in a zone given (:mod:`ingest.readers.csv_times`).
        ``key_id`` is the caller's key: the channel ``key:<id>`` the operator's table
        may bind to the hosts it speaks for (:mod:`ingest.channel_hosts`).
        A UTF-16 or UTF-32 body, with a byte-order mark or without (its first
        characters ASCII), is read as its UTF-8 text, as files are.
        """
        _check_timezone(timezone)
        if body.startswith(b"\x1f\x8b"):
            # A gzip body sent without Content-Encoding: the file reader would gunzip it by
            # its content with no bound (a 227 KB gzip of 300,000 records passed the record
            # limit), so it is decoded here, bounded, and then framed and counted as plain.
            body = gunzip_sniffed(body, self.ctx.settings.max_body_bytes)
        # before framing: the framing looks at the first byte, and orjson reads only UTF-8
        body = as_utf8(body)
        kind = framing(body, content_type)
        limit = self.ctx.settings.max_batch_records
        if kind in ("csv", "tsv"):
            delimiters = ("\t",) if kind == "tsv" else DELIMITERS
            if count_csv_rows(body, delimiters, stop_after=limit) > limit:
                raise too_many(limit)
            return self._ingest_csv(body, fmt=fmt, delimiters=delimiters, timezone=timezone, year=year,
                                    channel=key_channel(key_id))
        if kind == "lines":
            if count_lines(body) > limit:
                raise too_many(limit)
            return self._ingest_lines_body(body, fmt=fmt, is_text_plain=is_text_plain(content_type),
                                           timezone=timezone, year=year, channel=key_channel(key_id))
        payload: bytes | list[Any] = body
        if kind == "json":
            try:
                decoded = orjson.loads(body)
            except orjson.JSONDecodeError:
                decoded = None  # let the pipeline's stream reader reject the bad parts
            if isinstance(decoded, dict):
                decoded = [decoded]
            if isinstance(decoded, list):
                payload = decoded
            elif decoded is not None:
                raise Unprocessable("a JSON body must be an array of objects or one object",
                                    field="body")
        count = len(payload) if isinstance(payload, list) else count_lines(body)
        if count > limit:
            raise too_many(limit)
        if count == 0:
            return IngestReport(received=0, accepted=0, rejected=0)
        journal = RecordingJournal(self.journal())
        try:
            report = ingest_records(payload, store=None, journal=journal, format=fmt,
                                    origin=_api_origin(), default_timezone=timezone or "UTC",
                                    receipt=time.time(), channel=key_channel(key_id),
                                    channel_hosts=self.channel_hosts)
        except UnknownFormatError as exc:
            raise Unprocessable(str(exc), field="format") from None
        return self._finish(report, journal, channel="api")

    def ingest_upload(self, stream: BinaryIO, filename: str, *, fmt: str = "auto",
                      timezone: str | None = None, year: int | None = None,
                      key_id: str | None = None) -> IngestReport:
        """Store an uploaded file under ``<data>/uploads`` and ingest it (see :meth:`ingest_body`)."""
        _check_timezone(timezone)
        folder = self.ctx.settings.upload_dir / (current_request_id() or secrets.token_hex(8))
        paths.private_dir(folder)  # raw telemetry: 0700, whatever the umask (graphsiem.paths)
        target = (folder / safe_file_name(filename)).resolve()
        # Belt and braces: the sanitised name cannot escape, but check anyway.
        if not target.is_relative_to(folder.resolve()):
            raise Unprocessable("invalid file name", field="file")
        try:
            with paths.open_private(target) as out:
                shutil.copyfileobj(stream, out, length=1024 * 1024)
            return self._ingest_path(target, fmt=fmt, channel="file", timezone=timezone, year=year,
                                     sender=key_channel(key_id))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def ingest_syslog(self, messages: Sequence[str], transport: str) -> IngestReport:
        """Sink of the syslog listener: one batch of messages, each its own record.

        Each message is read as a syslog line whatever it or the others hold
        (:func:`ingest.pipeline_lines.ingest_lines`): a message the syslog parser
        refuses (JSON, a CSV header, ``<Event>``...) is one rejection with its
        reason, kept in the journal; the batch's other messages are accepted.
        Its rejections are named ``syslog-<transport>/<batch>:<N>``, ``N`` the
        message's place in the batch.

        A message's event id is derived from its bytes as received (a
        :class:`~graphsiem.syslog_listener.SyslogMessage`'s ``raw``; a plain
        ``str``'s UTF-8), not from its text: the byte ``\\xe9`` (written ``\\xe9``)
        and the text ``\\xe9``, or a CR and the text ``\\r``, are two records.
        """
        # A message is one record: embedded line breaks (possible with octet-counting)
        # are escaped as in RFC 5424 practice, as when batches were spooled to a file.
        lines = [m.replace("\r", "\\r").replace("\n", "\\n") for m in messages]
        data = [m.raw if isinstance(m, SyslogMessage) else m.encode("utf-8", "surrogatepass")
                for m in messages]
        fmt = "syslog" if "syslog" in _parser_names() else "auto"
        journal = RecordingJournal(self.journal())
        # each message's receipt time (the listener's; a plain str's: the batch's): journaled
        # with its events (ingest.receipt), and what RFC 5424 lines sent without a TIMESTAMP are dated by
        now = time.time()
        received = [getattr(m, "received_at", now) for m in messages]
        # each message's sender: the channel the operator's table may bind (ingest.channel_hosts)
        channels = [syslog_channel(getattr(m, "peer", None)) for m in messages]
        report = ingest_lines(lines, origin=f"syslog-{transport}/{secrets.token_hex(4)}", store=None,
                              journal=journal, format=fmt, received_at=now, data=data, received=received,
                              channels=channels, channel_hosts=self.channel_hosts)
        return self._finish(report, journal, channel=f"syslog-{transport}")

    # -- helpers -------------------------------------------------------------------
    def _ingest_csv(self, body: bytes, *, fmt: str, delimiters: tuple[str, ...], timezone: str | None,
                    year: int | None, channel: str | None) -> IngestReport:
        """A CSV body: read as a stream named ``api/<request id>`` by the CSV reader alone (never sniffed as text)."""
        if not body.strip():
            return IngestReport(received=0, accepted=0, rejected=0)  # as an empty body of any type
        reader = CsvRowsReader(local_timezone=timezone, delimiters=delimiters)
        return self._read_body(body, readers=[reader], fmt=fmt, timezone=timezone, year=year,
                               refusal=lambda _skipped: _not_an_export(delimiters), channel=channel)

    def _ingest_lines_body(self, body: bytes, *, fmt: str, is_text_plain: bool, timezone: str | None,
                           year: int | None, channel: str | None) -> IngestReport:
        """A body of text lines (``text/plain``, or of no type the framing knows).

        ``fmt`` given: the readers that format needs (:func:`readers_for_format`),
        never chosen by the first line.  ``text/plain`` with ``auto``: each line
        its own record, its parser detected per record (:class:`TextOrJsonLinesReader`).
        A body of no text type with ``auto`` is read as a file would be, its reader
        chosen from its first bytes.
        """
        if fmt == "auto" and is_text_plain:
            readers: list[Reader] = [TextOrJsonLinesReader()]
        else:
            readers = readers_for_format(fmt, local_timezone=timezone)
        return self._read_body(body, readers=readers, fmt=fmt, timezone=timezone, year=year,
                               refusal=lambda skipped: f"body not ingested: {skipped}", channel=channel)

    def _read_body(self, body: bytes, *, readers: list[Reader], fmt: str, timezone: str | None,
                   year: int | None, refusal: Callable[[str], str], channel: str | None) -> IngestReport:
        """``body`` read by ``readers`` as a stream named ``api/<request id>`` (rejections ``api/<id>:N``).

        A body no reader takes is a 422 whose message is ``refusal`` of the skip reason.
        """
        journal = RecordingJournal(self.journal())
        try:
            report = ingest_paths(["-"], store=None, journal=journal, format=fmt, progress=False,
                                  readers=readers, stdin=io.BytesIO(body), stdin_name=_api_origin(),
                                  flush_seconds=None, default_timezone=timezone or "UTC",
                                  reference_year=year, receipt=time.time(), channel=channel,
                                  channel_hosts=self.channel_hosts)
        except UnknownFormatError as exc:
            raise Unprocessable(str(exc), field="format") from None
        skipped = [f.skipped for f in report.files.values() if f.skipped and f.skipped != EMPTY_FILE]
        if skipped and not report.total.received:
            raise Unprocessable(refusal(skipped[0]), field="body")
        return self._finish(report, journal, channel="api")

    def _ingest_path(
        self, path: Path, *, fmt: str, channel: str, received_at: float | None = None,
        timezone: str | None = None, year: int | None = None, sender: str | None = None,
    ) -> IngestReport:
        journal = RecordingJournal(self.journal())
        # an explicit format decides the readers, not the file's first line
        readers = readers_for_format(fmt, local_timezone=timezone)
        try:
            # an upload is a live channel's: its events carry their receipt (ingest.receipt)
            report = ingest_paths([path], store=None, journal=journal, format=fmt,
                                  progress=False, received_at=received_at, readers=readers,
                                  default_timezone=timezone or "UTC", reference_year=year,
                                  receipt=time.time(), channel=sender, channel_hosts=self.channel_hosts)
        except UnknownFormatError as exc:
            raise Unprocessable(str(exc), field="format") from None
        # A file skipped for what it holds (not telemetry, no reader knows it) is a
        # client error: its bytes would go unread.  An empty one holds nothing to
        # lose: zero counts, as `graphsiem ingest` skips it with exit 0 and an empty
        # JSON or NDJSON body is answered.
        skipped = [f.skipped for f in report.files.values() if f.skipped and f.skipped != EMPTY_FILE]
        if skipped and not report.total.received:
            raise Unprocessable(f"file not ingested: {skipped[0]}", field="file")
        return self._finish(report, journal, channel=channel)

    def _finish(self, report: PipelineReport, journal: RecordingJournal, *,
                channel: str) -> IngestReport:
        total = report.total
        self.ctx.metrics.count_ingest(channel, accepted=total.accepted, rejected=total.rejected,
                                      duplicates=total.duplicates, events=total.events)
        if total.events:
            self._projector.wake()
        return IngestReport(
            received=total.received, accepted=total.accepted, rejected=total.rejected,
            duplicates=total.duplicates, events=total.events,
            rejections=[Rejection(origin=self.public_origin(o), reason=self.public_origin(r))
                        for o, r in journal.rejections],
            rejections_truncated=journal.rejected_total > len(journal.rejections),
            by_format={name: FormatCounts(received=c.received, accepted=c.accepted,
                                          rejected=c.rejected, duplicates=c.duplicates,
                                          events=c.events)
                       for name, c in report.formats.items()},
            assumed_year=_assumed_year(report),
            clock_gaps=[ClockGap(**gap) for gap in report.clock_gaps.gaps()],
            unbound_channels=[UnboundChannel(**row) for row in report.unbound_channel_rows()],
            localized_windows_text=[LocalizedText(**row) for row in report.to_dict()["localized_windows_text"]],
        )

    def public_origin(self, text: str) -> str:
        """``text`` with the data directory's absolute path replaced by ``<data>``."""
        return text.replace(self._data_prefix, "<data>")


    # -- projection ---------------------------------------------------------------
    def catch_up(self) -> int:
        """Project every journaled event into the graph now; returns how many."""
        return self._projector.catch_up()

    def projection_status(self) -> ProjectionStatus:
        """How far the graph is behind the journal (``/healthz``, ``/metrics``)."""
        return self._projector.status()

    def close(self) -> None:
        """Stop the projector after a last catch-up, and close the journals."""
        self._projector.stop()
        try:
            self.catch_up()
        except Exception:  # noqa: BLE001 - the journal keeps everything for the next start
            log.exception("final projection failed; the journal keeps the events")
        with self._journals_lock:
            for journal in self._journals:
                try:
                    journal.close()
                except Exception:  # noqa: BLE001, S110 - a connection of a finished thread
                    pass
            self._journals.clear()


def _assumed_year(report: PipelineReport) -> AssumedYear | None:
    """The CLI report's ``assumed_year``, telling an API client how to give the year (task G5)."""
    assumed = report.to_dict()["assumed_year"]
    if assumed is None:
        return None
    return AssumedYear(**{**assumed, "change_with": "the year query parameter (?year=YYYY)"})


def _api_origin() -> str:
    """The origin of a body's records: ``api/<request id>`` (``api`` outside a request)."""
    request_id = current_request_id()
    return f"api/{request_id}" if request_id else "api"


def _check_timezone(name: str | None) -> None:
    problem = None if name is None else timezone_problem(name)
    if problem is not None:
        raise Unprocessable(problem, field="timezone")


def _not_an_export(delimiters: tuple[str, ...]) -> str:
    """The 422 of a CSV body whose first line is not the header of an export read here."""
    anchors = "; ".join(f"{anchor} with {' or '.join(sorted(others))}" if others else anchor
                        for anchor, others in ANCHORS)
    split = " or ".join(repr(d) for d in delimiters)
    return (f"the CSV body's first line is not the header of an export read here (column names split "
            f"by {split}, holding one of: {anchors})")



@functools.cache
def _parser_names() -> tuple[str, ...]:
    from ingest.registry import default_registry

    return tuple(default_registry().names)
