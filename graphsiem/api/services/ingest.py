"""Ingest for the API, uploads and syslog: the same pipeline as ``graphsiem ingest``.

An answer is given once the records are **journaled** (that is what accepted
means); projecting the journal into the graph happens on a background thread
that batches whatever has arrived, so the HTTP path pays only for parsing and
the journal commit.  Detection first catches the projection up
(:meth:`IngestService.catch_up`), so it always sees every accepted event.

SQLite connections belong to the thread that opened them, so each worker
thread gets its own :class:`ingest.journal.Journal` on the same file (SQLite's
locks let them interleave: a reader waits out a batch's commit).
"""

from __future__ import annotations

import functools
import io
import logging
import re
import secrets
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from graphsiem.api.context import AppContext
from graphsiem.api.errors import ApiError, BadRequest, PayloadTooLarge, Unprocessable
from graphsiem.api.schemas import FormatCounts, IngestReport, Rejection
from graphsiem.model import Event
from ingest.journal import Journal
from ingest.parsers.base import UnknownFormatError, timezone_problem
from ingest.pipeline import ingest_paths, ingest_records
from ingest.readers.files import EMPTY_FILE
from ingest.readers.streams import DamagedFileError, GzipMembers, as_utf8
from ingest.replay import project_pending
from ingest.report import IngestReport as PipelineReport

log = logging.getLogger("graphsiem.api.ingest")

MAX_REJECTIONS_SHOWN = 100
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl",
                 "application/json-seq", "application/x-jsonlines")


class UnsupportedMediaType(ApiError):
    """415: a ``Content-Encoding`` the endpoint cannot decode."""

    status_code = 415
    code = "unsupported_media_type"


def _zstd_module() -> Any | None:
    """``zstandard`` (a dependency; an install without it still serves gzip and deflate)."""
    try:
        import zstandard
    except ImportError:
        return None
    return zstandard


def _brotli_module() -> Any | None:
    """Google's ``brotli`` (a dependency), when it can bound its output.

    ``Decompressor.process(..., output_buffer_limit=)`` came with
    ``can_accept_more_data`` (brotli 1.1): without them a small body could
    decompress to gigabytes in one call, so an older brotli leaves ``br`` a 415.
    """
    try:
        import brotli
    except ImportError:
        return None
    return brotli if hasattr(brotli.Decompressor, "can_accept_more_data") else None


BODY_CODINGS: tuple[str, ...] = (("gzip", "x-gzip", "deflate") + (("zstd",) if _zstd_module() else ())
                                 + (("br",) if _brotli_module() else ()))
"""``Content-Encoding`` values ``POST /v1/events`` decodes (``identity`` too)."""


def check_content_encoding(header: str, *, accepted: Sequence[str] = BODY_CODINGS,
                           hint: str = "") -> list[str]:
    """The codings of a ``Content-Encoding`` header, in the order they were applied.

    Raises
    ------
    UnsupportedMediaType
        A coding not in ``accepted`` (nor ``identity``), before the body is read;
        the answer names it and lists what is accepted in ``Accept-Encoding``
        (RFC 7694).
    """
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    unknown = [c for c in codings if c not in accepted]
    if unknown:
        allowed = ", ".join(("identity", *accepted))
        raise UnsupportedMediaType(
            f"Content-Encoding {', '.join(unknown)} is not supported here (accepted: {allowed})"
            + (f"; {hint}" if hint else ""),
            field="Content-Encoding", headers={"Accept-Encoding": ", ".join(accepted) or "identity"})
    return codings


def decode_content(body: bytes, header: str, *, limit: int) -> bytes:
    """``body`` with its ``Content-Encoding`` undone, never more than ``limit`` bytes of output.

    ``limit`` is the request body limit (``max_body_bytes``): the decompressed
    body is held in memory as a plain one is, so it gets the same bound, and a
    small gzip of gigabytes of zeros (a zip bomb) stops at it.  ``deflate`` is
    the zlib format (RFC 9110), or raw deflate as some clients send it;
    concatenated gzip members are all read, as ``gzip -d`` does (by the file
    reader's :class:`~ingest.readers.streams.GzipMembers`).  ``zstd`` and
    ``br`` are decoded when ``zstandard`` and ``brotli`` are installed.

    Raises
    ------
    UnsupportedMediaType
        An encoding that is not supported (415).
    PayloadTooLarge
        The decoded body exceeds ``limit`` (413, naming it).
    BadRequest
        The body is not valid data of its encoding (400): truncated, corrupt,
        or followed by junk.

    Examples
    --------
    >>> import gzip
    >>> decode_content(gzip.compress(b'{"a": 1}\\n'), "gzip", limit=1024)
    b'{"a": 1}\\n'
    """
    if not body:
        return body  # nothing was compressed: no records, as an empty plain body
    for coding in reversed(check_content_encoding(header)):
        if coding == "zstd":
            body = _unzstd(body, limit)
        elif coding == "br":
            body = _unbrotli(body, limit)
        elif coding == "deflate":
            # a zlib stream starts with a CMF/FLG pair that is a multiple of 31 (RFC 1950)
            is_zlib = len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0
            body = _inflate(body, 15 if is_zlib else -15, limit, coding)
        else:
            body = _inflate(body, 31, limit, coding)
    return body


_OUTPUT_CHUNK = 1 << 20  # decoded bytes asked for at a time


def _inflate(data: bytes, wbits: int, limit: int, coding: str) -> bytes:
    # The file reader's decoder (GzipMembers: members fed linearly, zero padding,
    # trailing data found), asked for at most limit + 1 bytes so a bomb stops there.
    # Chunks of 1 MiB joined once at the end: decoding into one growing buffer took a
    # 50 MB body from 0.10-0.12 to 0.14-0.15 CPU-s (measured), its output out of cache.
    decoded = GzipMembers(io.BytesIO(data), f"Content-Encoding: {coding}", wbits=wbits)
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := decoded.read(min(_OUTPUT_CHUNK, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise _decoded_too_large(limit, coding)
    except DamagedFileError as exc:
        if exc.damage == "trailing":
            problem = f"{len(data) - exc.at} bytes of other data after the compressed data"
        elif exc.damage == "truncated":
            problem = "the data ends early (truncated)"
        else:
            problem = f"corrupt data ({exc.detail})"
        raise _bad_coding(coding, problem) from None
    return b"".join(chunks)


def _unzstd(data: bytes, limit: int) -> bytes:
    zstandard = _zstd_module()
    assert zstandard is not None  # check_content_encoding accepts zstd only when installed
    decompressor = zstandard.ZstdDecompressor()
    # First pass: measure the output without holding it, stopping past the limit (a small
    # frame of gigabytes of zeros never decompresses whole).  The stream reader stops at
    # the end of the input without saying a frame was cut short, so it cannot decode.
    reader = decompressor.stream_reader(io.BytesIO(data), read_across_frames=True)
    size = 0
    try:
        while size <= limit:
            chunk = reader.read(min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            size += len(chunk)
    except zstandard.ZstdError as exc:
        raise _bad_coding("zstd", f"corrupt data ({exc})") from None
    if size > limit:
        raise _decoded_too_large(limit, "zstd")
    # Second pass, frame by frame: every frame must reach its end (a truncated body
    # would otherwise be accepted with its last records lost).  Its output is the
    # first pass's, so it stays within the limit.
    out = bytearray()
    pending = data
    try:
        while pending:
            frame = decompressor.decompressobj()
            out += frame.decompress(pending)
            if not frame.eof:
                raise _bad_coding("zstd", "the data ends early (truncated)")
            pending = frame.unused_data
    except zstandard.ZstdError as exc:
        raise _bad_coding("zstd", f"corrupt data ({exc})") from None
    return bytes(out)


def _unbrotli(data: bytes, limit: int) -> bytes:
    brotli = _brotli_module()
    assert brotli is not None  # check_content_encoding accepts br only when installed
    decompressor = brotli.Decompressor()
    chunks: list[bytes] = []
    size, pending = 0, data
    try:
        while True:
            # The buffer stops growing once it reaches the limit given, so one call returns
            # at most about twice that (32 KiB at least): a bomb stops near limit + 1.
            chunk = decompressor.process(pending, output_buffer_limit=min(_OUTPUT_CHUNK, limit + 1 - size))
            pending = b""  # the decoder keeps what it did not use; later calls only drain it
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise _decoded_too_large(limit, "br")
            if decompressor.is_finished():
                return b"".join(chunks)
            if not chunk:  # it waits for input the body does not have
                raise _bad_coding("br", "the data ends early (truncated)")
    except brotli.error as exc:  # corrupt, or data after the end of the stream
        raise _bad_coding("br", f"corrupt data ({exc})") from None


def _gunzip_sniffed(body: bytes, limit: int) -> bytes:
    """A body that starts with gzip's magic bytes, decoded as ``Content-Encoding: gzip`` is."""
    try:
        return _inflate(body, 31, limit, "gzip")
    except BadRequest as exc:
        raise BadRequest(exc.message.replace("(Content-Encoding: gzip)",
                                             "(sent without Content-Encoding, it starts as gzip)"),
                         field="body") from None


def _decoded_too_large(limit: int, coding: str) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the body decompressed ({coding}) exceeds the limit of {limit} bytes", field="body",
        details=[{"field": "body", "reason": "too large once decompressed", "limit": limit}])


def _bad_coding(coding: str, problem: str) -> BadRequest:
    return BadRequest(f"the body is not valid {coding} data (Content-Encoding: {coding}): {problem}",
                      field="Content-Encoding")


def safe_file_name(name: str) -> str:
    """A file name that is only a name: no directories, no dot-files, safe characters.

    Examples
    --------
    >>> safe_file_name("../../etc/passwd")
    'passwd'
    >>> safe_file_name("C:\\\\logs\\\\conn.log.gz")
    'conn.log.gz'
    >>> safe_file_name("")
    'upload'
    """
    base = re.split(r"[\\/]", name)[-1]
    base = _SAFE_NAME.sub("_", base).lstrip("._-")[:100]
    return base or "upload"


class _RecordingJournal:
    """A journal that also remembers the rejections of one call (to answer with them).

    The pipeline keeps rejections in the journal; the API must also say which
    records of *this* request were rejected and why.
    """

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self.rejections: list[tuple[str, str]] = []
        self.rejected_total = 0

    def reject(self, rejections: Iterable[tuple[str, str, str, str]]) -> int:
        rows = list(rejections)
        self._remember(rows)
        return self._journal.reject(rows)

    def append(self, events: Sequence[Event], **options: Any) -> list[Event]:
        # the pipeline hands a batch's rejections to append, to keep them in its transaction
        self._remember(options.get("rejections", ()))
        return self._journal.append(events, **options)

    def _remember(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        self.rejected_total += len(rows)
        room = MAX_REJECTIONS_SHOWN - len(self.rejections)
        self.rejections.extend((origin, reason) for origin, _, reason, _ in rows[:max(room, 0)])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._journal, name)


class IngestService:
    """Journals API bodies, uploads and syslog batches; projects in the background."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._local = threading.local()
        self._journals: list[Journal] = []
        self._journals_lock = threading.Lock()
        self._project_lock = threading.Lock()
        self._wake = threading.Event()
        # Project at start-up too: a server killed after journaling but before
        # projecting left events behind the checkpoint, and re-sent batches
        # dedupe to nothing new, so no ingest would ever wake the projector.
        self._wake.set()
        self._stop = threading.Event()
        self._data_prefix = str(ctx.settings.data_dir.resolve())
        self._projector = threading.Thread(target=self._project_loop, name="projector",
                                           daemon=True)
        # Events journaled before a crash (accepted, not yet projected) are
        # projected as soon as the service starts.
        self._wake.set()
        self._projector.start()
        ctx.journal = _ThreadJournal(self)

    # -- journals -----------------------------------------------------------
    def journal(self) -> Journal:
        """This thread's journal connection."""
        journal = getattr(self._local, "journal", None)
        if journal is None:
            journal = Journal(self.ctx.settings.journal_path)
            self._local.journal = journal
            with self._journals_lock:
                self._journals.append(journal)
        return journal

    # -- entry points ---------------------------------------------------------
    def ingest_body(self, body: bytes, *, fmt: str = "auto", content_type: str = "",
                    timezone: str = "UTC", year: int | None = None) -> IngestReport:
        """Ingest an HTTP body framed by ``content_type`` (or sniffed).

        ``timezone`` and ``year`` are ``graphsiem ingest``'s ``--timezone`` and
        ``--year``: the zone of zone-less timestamps, the year of year-less ones.
        A UTF-16 or UTF-32 body, with a byte-order mark or without (its first
        characters ASCII), is read as its UTF-8 text, as files are.
        """
        _check_timezone(timezone)
        if body.startswith(b"\x1f\x8b"):
            # A gzip body sent without Content-Encoding: the file reader would gunzip it by
            # its content with no bound (a 227 KB gzip of 300,000 records passed the record
            # limit), so it is decoded here, bounded, and then framed and counted as plain.
            body = _gunzip_sniffed(body, self.ctx.settings.max_body_bytes)
        # before framing: the framing looks at the first byte, and orjson reads only UTF-8
        body = as_utf8(body)
        kind = _framing(body, content_type)
        limit = self.ctx.settings.max_batch_records
        if kind == "lines":
            if _count_lines(body) > limit:
                raise _too_many(limit)
            return self._ingest_text(body, fmt=fmt, channel="api", name="api-body.log",
                                     timezone=timezone, year=year)
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
        count = len(payload) if isinstance(payload, list) else _count_lines(body)
        if count > limit:
            raise _too_many(limit)
        if count == 0:
            return IngestReport(received=0, accepted=0, rejected=0)
        journal = _RecordingJournal(self.journal())
        try:
            report = ingest_records(payload, store=None, journal=journal, format=fmt,
                                    origin="api", default_timezone=timezone)
        except UnknownFormatError as exc:
            raise Unprocessable(str(exc), field="format") from None
        return self._finish(report, journal, channel="api")

    def ingest_upload(self, stream: BinaryIO, filename: str, *, fmt: str = "auto",
                      timezone: str = "UTC", year: int | None = None) -> IngestReport:
        """Store an uploaded file under ``<data>/uploads`` and ingest it (see :meth:`ingest_body`)."""
        _check_timezone(timezone)
        folder = self.ctx.settings.upload_dir / secrets.token_hex(8)
        folder.mkdir(parents=True, exist_ok=True)
        target = (folder / safe_file_name(filename)).resolve()
        # Belt and braces: the sanitised name cannot escape, but check anyway.
        if not target.is_relative_to(folder.resolve()):
            raise Unprocessable("invalid file name", field="file")
        try:
            with target.open("wb") as out:
                shutil.copyfileobj(stream, out, length=1024 * 1024)
            return self._ingest_path(target, fmt=fmt, channel="file", timezone=timezone, year=year)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def ingest_syslog(self, messages: list[str], transport: str) -> IngestReport:
        """Sink of the syslog listener: one batch of messages, one per line."""
        # A message never spans lines in the spool file: embedded newlines
        # (possible with octet-counting) are escaped as in RFC 5424 practice.
        text = "\n".join(m.replace("\r", "\\r").replace("\n", "\\n") for m in messages) + "\n"
        fmt = "syslog" if "syslog" in _parser_names() else "auto"
        # the batch's receipt time (within the listener's flush interval of each
        # message's): what RFC 5424 lines sent without a TIMESTAMP are dated by
        return self._ingest_text(text.encode("utf-8"), fmt=fmt, channel=f"syslog-{transport}",
                                 name=f"syslog-{transport}.log", received_at=time.time())

    # -- helpers -------------------------------------------------------------------
    def _ingest_text(
        self, data: bytes, *, fmt: str, channel: str, name: str, received_at: float | None = None,
        timezone: str = "UTC", year: int | None = None,
    ) -> IngestReport:
        folder = self.ctx.settings.data_dir / "spool" / secrets.token_hex(8)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        try:
            path.write_bytes(data)
            return self._ingest_path(path, fmt=fmt, channel=channel, received_at=received_at,
                                     timezone=timezone, year=year)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _ingest_path(
        self, path: Path, *, fmt: str, channel: str, received_at: float | None = None,
        timezone: str = "UTC", year: int | None = None,
    ) -> IngestReport:
        journal = _RecordingJournal(self.journal())
        try:
            report = ingest_paths([path], store=None, journal=journal, format=fmt,
                                  progress=False, received_at=received_at,
                                  default_timezone=timezone, reference_year=year)
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

    def _finish(self, report: PipelineReport, journal: _RecordingJournal, *,
                channel: str) -> IngestReport:
        total = report.total
        self.ctx.metrics.count_ingest(channel, accepted=total.accepted, rejected=total.rejected)
        if total.events:
            self._wake.set()
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
        )

    def public_origin(self, text: str) -> str:
        """``text`` with the data directory's absolute path replaced by ``<data>``."""
        return text.replace(self._data_prefix, "<data>")

    # -- projection ---------------------------------------------------------------
    def catch_up(self) -> int:
        """Project every journaled event into the graph now; returns how many."""
        with self._project_lock, self.ctx.store_guard():
            return project_pending(self.journal(), self.ctx.store).events

    def _project_loop(self) -> None:
        # Projection competes with request handling for the interpreter, so it
        # waits for a pause in ingest (project_idle_s) but never lets accepted
        # events wait more than project_max_lag_s.
        settings = self.ctx.settings
        while not self._stop.is_set():
            if not self._wake.wait(timeout=1.0) or self._stop.is_set():
                continue
            first_pending = time.monotonic()
            while not self._stop.is_set():
                self._wake.clear()
                if self._stop.wait(settings.project_idle_s) or not self._wake.is_set():
                    break  # ingest went quiet (or we are stopping)
                if time.monotonic() - first_pending >= settings.project_max_lag_s:
                    break
            self._wake.clear()
            try:
                self.catch_up()
            except Exception:  # noqa: BLE001 - retried on the next wake; the journal keeps all
                log.exception("background projection failed; will retry")
                self._stop.wait(1.0)
                self._wake.set()

    def close(self) -> None:
        """Stop the projector after a last catch-up, and close the journals."""
        self._stop.set()
        self._wake.set()
        self._projector.join(timeout=10)
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


class _ThreadJournal:
    """``ctx.journal``: journal reads on whichever thread asks."""

    def __init__(self, service: IngestService) -> None:
        self._service = service

    def get(self, ids: Iterable[str]) -> list[Any]:
        """Events by id, their origins rewritten so no server path leaves the API."""
        events = self._service.journal().get(ids)
        for event in events:
            event.origin = self._service.public_origin(event.origin or "")
        return events


def _check_timezone(name: str) -> None:
    problem = timezone_problem(name)
    if problem is not None:
        raise Unprocessable(problem, field="timezone")


def _framing(body: bytes, content_type: str) -> str:
    """``json`` (array/object), ``ndjson`` or ``lines``, from the type or the first byte."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _NDJSON_TYPES:
        return "ndjson"
    if media == "text/plain":
        return "lines"
    first = body.lstrip()[:1]
    if media == "application/json" or first == b"[":
        return "json"
    if first == b"{":
        return "ndjson"
    return "lines"


def _count_lines(body: bytes) -> int:
    return body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)


def _too_many(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"batch exceeds the limit of {limit} records", field="body",
                           details=[{"field": "body", "reason": "too many records",
                                     "limit": limit}])


@functools.cache
def _parser_names() -> tuple[str, ...]:
    from ingest.registry import default_registry

    return tuple(default_registry().names)
