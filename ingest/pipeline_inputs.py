"""The pipeline's drivers: what feeds a :class:`~ingest.pipeline_session.Session` its records.

A file (chosen by name and head, opened through gzip or a UTF-16/32
conversion), a stream read once (standard input: live when it is a pipe or a
socket, so its batch is journaled and its graph settled while no byte comes,
the graph of the files read before it settled first), or an HTTP body.  Nothing a file holds makes them raise: a file that cannot be
read at all, or read to its end, is one rejected record naming the problem;
files that are not telemetry by name or content
(:func:`~ingest.readers.files.skip_reason`, an empty file, no reader) are
skipped, not rejected.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

from ingest.pipeline_checks import dump_record
from ingest.pipeline_session import Session
from ingest.readers.base import RawRecord, Reader, ReadError
from ingest.readers.cr_endings import as_newlines, open_cr_as_newline, uses_bare_cr
from ingest.readers.files import (
    HEAD_BYTES,
    READ_BUFFER_BYTES,
    StreamInput,
    choose_reader,
    open_binary,
    open_stream,
    path_hint,
    read_head,
    skip_reason,
)
from ingest.readers.json_stream import JsonStreamReader
from ingest.readers.ndjson import NdjsonReader, own_order_json
from ingest.readers.streams import LiveSource, live_descriptor
from ingest.report import Counts, IngestReport
from ingest.write_failure import JournalWriteError

UNREADABLE = "unreadable"
"""The format under which a file that cannot be read at all is counted and its rejection kept."""


def ingest_file(session: Session, path: Path, readers: Sequence[Reader]) -> None:
    """Read the file at ``path`` into ``session`` (skipped, or one rejection, when it cannot be)."""
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


def _read_file(session: Session, path: Path, readers: Sequence[Reader]) -> None:
    display = path_text(path)
    file_report = session.report.file(display)
    reason = skip_reason(path)
    is_cr = False
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
        # only a file is split on a bare \r, never a stream or a body (ingest.readers.cr_endings)
        is_cr = uses_bare_cr(head, is_whole=len(head) < HEAD_BYTES)
        chosen = choose_reader(path, readers, as_newlines(head) if is_cr else head)
        reason = chosen.reason if chosen.reader is None else None
    if reason is not None:
        file_report.skipped = reason
        return
    reader = chosen.reader
    assert reader is not None
    file_report.reader = reader.name
    try:
        opened = open_binary(path)
        with open_cr_as_newline(opened, READ_BUFFER_BYTES) if is_cr else opened as stream:
            if session.progress is not None:
                session.progress.file_opened(_descriptor(stream))
            _take_all(session, reader, stream, display, file_report.counts, path_hint(path), "file")
    except JournalWriteError:
        raise  # the journal's disk, not the file: ends the call (ingest.write_failure)
    except Exception as exc:  # noqa: BLE001 - an I/O or library error opening the file
        _take_failure(session, reader, display, file_report.counts, "file", exc)


def _take_all(
    session: Session, reader: Reader, stream: BinaryIO, display: str, counts: Counts, hint: str, noun: str
) -> None:
    """Every record ``reader`` frames from ``stream`` into the session; a read failure is one rejection."""
    take, name = session.take, reader.name  # looked up once per file, not per record
    try:
        for item in reader.read(stream, display):
            take(item, counts, name, hint)
    except JournalWriteError:
        raise  # the journal's disk, not the file: ends the call (ingest.write_failure)
    except Exception as exc:  # noqa: BLE001 - truncated gzip, I/O or library error mid-file
        _take_failure(session, reader, display, counts, noun, exc)


def _take_failure(session: Session, reader: Reader, display: str, counts: Counts, noun: str, exc: Exception) -> None:
    problem = ReadError(display, f"{noun} could not be read to the end: {exc}", "")
    session.take(problem, counts, reader.name, None)


def ingest_stream(session: Session, source: StreamInput, readers: Sequence[Reader]) -> None:
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
        session.projection.settling(session.is_settling)
        if session.is_settling and (session.records or session.unsettled_since is not None):
            # the files named before it (graphsiem ingest fleet/ -) are read: their graph is
            # settled now, not a period into a stream that may stay silent for hours
            session.settle()
    try:
        try:
            opened = open_stream(stream_in, display)
        except OSError as exc:  # an I/O error, a gzip stream damaged from its first bytes
            problem = ReadError(display, f"stream cannot be read: {exc.strerror or exc}", "")
            session.take(problem, file_report.counts, UNREADABLE, None)
            return
        stream_out, head = opened.stream, opened.head
        # Never split on a bare \r: a stream (an HTTP body, a pipe of messages) whose one
        # message holds \r in a field would forge a second record (ingest.readers.cr_endings).
        with stream_out as stream:
            if bar is not None:
                bar.stream_started(lambda: opened.source.consumed)
            chosen = choose_reader(display, readers, head)
            if chosen.reader is None:
                file_report.skipped = chosen.reason
                return
            file_report.reader = chosen.reader.name
            hint = path_hint(Path(display))  # "conn" from --source-name conn.log; "<stdin>" names no log
            _take_all(session, chosen.reader, stream, display, file_report.counts, hint, "stream")
    finally:
        session.is_settling = False
        session.projection.settling(False)
        if bar is not None:
            bar.file_finished()


def _descriptor(stream: BinaryIO) -> int | None:
    """The descriptor of the file on disk under ``stream`` (gzip included), for the progress bar."""
    try:
        return stream.fileno()
    except (OSError, AttributeError, ValueError):
        return None


def ingest_body(body: bytes | str | Sequence[dict[str, Any]], session: Session, origin: str) -> IngestReport:
    """Take an HTTP body's records (NDJSON, a JSON array, or decoded objects) and finish the call."""
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
                    # its own key order, compact: the id of its NDJSON line (ingest.event_ids)
                    item: RawRecord | ReadError = RawRecord(
                        record, where, None, None, None, own_order_json(record), False, True)
                except (TypeError, ValueError) as exc:  # e.g. integers beyond 64 bits
                    item = ReadError(where, f"record cannot be serialised: {exc}", dump_record(record))
            else:
                item = ReadError(where, f"not a JSON object (a {type(record).__name__})", dump_record(record))
            session.take(item, counts, "objects", None)
    return session.finish()
