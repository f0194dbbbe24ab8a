"""EVTX reader: Windows binary event logs as evtx_dump-style JSON records.

Each event record comes out as the dict ``{"Event": {"System": .., "EventData": ..}}``
(the layout of the ``evtx_dump`` tool), with ``format_hint="evtx_json"`` so the
pipeline hands it to :mod:`ingest.parsers.windows`' ``evtx_json`` parser, and
origin ``path#<EventRecordID>``.

Library choice (measured by ``benchmarks/bench_evtx.py`` on the corpus EVTX
files): ``evtx`` (PyPI; Python bindings of the Rust ``omerbenamram/evtx``
crate, maintained, MIT/Apache) against ``python-evtx`` (pure Python, Willi
Ballenthin).  On the 2-core dev box ``evtx`` gave ~94,000 records/s as dicts
where ``python-evtx`` gave ~270 records/s rendering XML only (which would
still need an XML-to-dict step): over 300x.  ``evtx`` also reads from a
file-like object and recovers from corrupt chunks (``skip_errors``) instead
of stopping.  We use it; ``python-evtx`` is a benchmark-only install.

Corrupt records that the library skips surface as :class:`ReadError`
entries (from its ``RuntimeWarning``); an unrecoverable error ends the file
with one ``ReadError`` naming it.  Nothing is dropped silently.

A file shorter than its header's chunk count says (a copy cut off) is read
as far as it holds complete records, those of a partial last chunk too
(:mod:`ingest.readers.evtx_cut`: the library reads no record of a chunk that
is not whole), and the cut tail is one ``ReadError`` after them, naming the
last record read.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterator
from typing import BinaryIO

import orjson
from evtx import PyEvtxParser

from ingest.readers.base import RawRecord, ReadError
from ingest.readers.evtx_cut import readable_copy

EVTX_MAGIC = b"ElfFile\x00"
"""The first eight bytes of every EVTX file header."""

_SORTED = orjson.OPT_SORT_KEYS
_SPOOL_LIMIT = 16 * 1024 * 1024


SPOOL_SLACK_CHUNKS = 64
"""Chunks copied past what a compressed EVTX file's header declares: a log closed uncleanly
can hold chunks its header does not count yet."""
SPOOL_MAX_BYTES = 1 << 30
"""At most this much of a compressed EVTX file is copied to disk (1 GiB: a Windows log is 20 MiB
by default), whatever its header declares: a small ``.evtx.gz`` must not fill the disk."""


def _seekable(stream: BinaryIO) -> tuple[BinaryIO, str | None]:
    """A seekable file for the parser, which jumps between 64 KiB chunks, and why it is cut short.

    A decompressing stream (``.evtx.gz``) cannot seek cheaply, so it is copied
    to a spooled temporary file first (memory up to 16 MiB, then disk), but
    only as far as the header's chunk count (plus :data:`SPOOL_SLACK_CHUNKS`)
    and :data:`SPOOL_MAX_BYTES` allow: the rest is not read, and the reason
    says so.
    """
    try:
        if stream.seekable():
            return stream, None
    except (AttributeError, ValueError):
        pass
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_LIMIT)  # noqa: SIM115 - returned
    header = stream.read(_HEADER_SIZE)
    spool.write(header)
    chunks = int.from_bytes(header[0x2A:0x2C], "little") if header.startswith(EVTX_MAGIC) else 0
    limit = min(_HEADER_SIZE + (chunks + SPOOL_SLACK_CHUNKS) * _CHUNK_SIZE, SPOOL_MAX_BYTES)
    copied = len(header)
    while copied < limit:
        block = stream.read(min(1 << 20, limit - copied))
        if not block:
            break
        spool.write(block)
        copied += len(block)
    cut = None
    if copied >= limit and stream.read(1):
        cut = (f"compressed EVTX data goes on past {limit} bytes (the header declares {chunks} chunks): "
               "the rest is not read")
    spool.seek(0)
    return spool, cut  # type: ignore[return-value]


_HEADER_SIZE = 4096
_CHUNK_SIZE = 65536


def _truncation(stream: BinaryIO) -> str | None:
    """A reason when the file is shorter than its header's chunk count says.

    The library reads a cut-off file up to the cut without a word, so the
    records lost in the missing part would vanish silently.
    """
    start = stream.tell()
    header = stream.read(_HEADER_SIZE)
    size = stream.seek(0, 2)
    stream.seek(start)
    if len(header) < 0x2C or not header.startswith(EVTX_MAGIC):
        return None  # not an EVTX header: the parser reports it
    chunks = int.from_bytes(header[0x2A:0x2C], "little")
    expected = _HEADER_SIZE + chunks * _CHUNK_SIZE
    if size - start < expected:
        return (
            f"EVTX file truncated: header declares {chunks} chunks ({expected} bytes), "
            f"file has {size - start} bytes; records in the missing part are lost"
        )
    return None


class EvtxReader:
    """Frames an EVTX file into evtx_dump-style JSON records.

    Examples
    --------
    >>> EvtxReader().sniff(b"ElfFile\\x00" + bytes(120), "x.evtx")
    True
    """

    name = "evtx"
    format_hint = "evtx_json"

    def __init__(self, *, threads: int = 1) -> None:
        # One thread: the pipeline is the bottleneck, and ingest may run
        # several files side by side on a small machine.
        self._threads = threads

    def sniff(self, head: bytes, path: str) -> bool:
        """True when ``head`` starts with the EVTX file magic."""
        return head.startswith(EVTX_MAGIC)

    def read(self, stream: BinaryIO, path: str) -> Iterator[RawRecord | ReadError]:
        """Stream the event records of an EVTX file."""
        stream, cut = _seekable(stream)
        if cut:
            yield ReadError(f"{path}#0", cut, "")
        shortfall = _truncation(stream)
        if shortfall:
            # the complete records of a partial last chunk are read too; the tail is reported after them
            start = stream.tell()
            size = stream.seek(0, 2)
            stream.seek(start)
            stream, _ = readable_copy(stream, size)
        last: list[object] = []
        yield from self._records(stream, path, last)
        if shortfall:
            read = (f"; the complete records before the cut were read (the last is record {last[0]})" if last
                    else "; no record before the cut is complete")
            yield ReadError(f"{path}#after-{last[0]}" if last else f"{path}#0", shortfall + read, "")

    def _records(self, stream: BinaryIO, path: str, last: list[object]) -> Iterator[RawRecord | ReadError]:
        """The file's records and the errors the library reports; ``last`` gets the last record id read."""
        try:
            parser = PyEvtxParser(stream, number_of_threads=self._threads, skip_errors=True)
            records = parser.records_json()
        except (OSError, RuntimeError, ValueError) as exc:
            yield ReadError(f"{path}#0", f"not a readable EVTX file: {exc}", "")
            return
        count = 0
        while True:
            done = False
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    item = next(records)
                except StopIteration:
                    done = True
                except (OSError, RuntimeError, ValueError) as exc:
                    yield ReadError(
                        f"{path}#after-{count}", f"EVTX parse error, rest of file unread: {exc}", ""
                    )
                    return
            for warning in caught:
                yield ReadError(
                    f"{path}#after-{count}", f"EVTX record skipped: {warning.message}", ""
                )
            if done:
                return
            count += 1
            if not isinstance(item, dict):
                yield ReadError(f"{path}#after-{count - 1}", "EVTX library gave no record", "")
                continue
            last[:] = [item.get("event_record_id")]
            yield self._record(item, path)

    def _record(self, item: dict, path: str) -> RawRecord | ReadError:
        number = item.get("event_record_id")
        origin = f"{path}#{number}"
        data = item.get("data", "")
        try:
            record = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            return ReadError(origin, f"EVTX record is not valid JSON: {exc}", data[:4096])
        if not isinstance(record, dict):
            return ReadError(origin, "EVTX record is not a JSON object", data[:4096])
        text = orjson.dumps(record, option=_SORTED).decode("utf-8")
        return RawRecord(record, origin, text, format_hint=self.format_hint)
