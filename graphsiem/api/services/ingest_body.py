"""Request bodies of ``POST /v1/events``: content codings undone within a bound, framing, file names, counts.

Part of the API's ingest service (:mod:`graphsiem.api.services.ingest`, which
re-exports the public names): what is done to a body before the pipeline
reads it, and the answers (413, 415, 400) when it cannot be.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from graphsiem.api.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from ingest.readers.csv_rows import DELIMITERS, CsvRowsReader
from ingest.readers.streams import DamagedFileError, GzipMembers

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl",
                 "application/json-seq", "application/x-jsonlines")
CSV_TYPES = {"text/csv": "csv", "application/csv": "csv", "text/tab-separated-values": "tsv"}
"""Media types of CSV bodies and their framing: a header line of column names, a record per row."""


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


def gunzip_sniffed(body: bytes, limit: int) -> bytes:
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


def framing(body: bytes, content_type: str) -> str:
    """``json`` (array/object), ``ndjson``, ``csv``, ``tsv`` or ``lines``, from the type or the first byte.

    >>> framing(b"TimeGenerated,Computer", "text/csv; charset=utf-8"), framing(b"_time\\t_raw", "text/tab-separated-values")
    ('csv', 'tsv')
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if media in NDJSON_TYPES:
        return "ndjson"
    if media in CSV_TYPES:
        return CSV_TYPES[media]
    if media == "text/plain":
        return "lines"
    first = body.lstrip()[:1]
    if media == "application/json" or first == b"[":
        return "json"
    if first == b"{":
        return "ndjson"
    return "lines"


def is_text_plain(content_type: str) -> bool:
    """Whether the body was sent as ``text/plain`` (lines, each its own record).

    >>> is_text_plain("text/plain; charset=utf-8"), is_text_plain("")
    (True, False)
    """
    return content_type.split(";", 1)[0].strip().lower() == "text/plain"


def count_lines(body: bytes) -> int:
    """The lines of a text body as the readers frame them: ``\\n`` ends a line, a bare ``\\r`` never does.

    A body is never split on ``\\r`` (:mod:`ingest.readers.cr_endings`: a ``\\r`` in
    one message's field would forge a second record), so it is never counted there.

    >>> count_lines(b"a\\nb"), count_lines(b"a\\rb\\rc\\r"), count_lines(b"a\\r\\nb\\r\\n")
    (2, 1, 2)
    """
    return body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)


def count_csv_rows(body: bytes, delimiters: tuple[str, ...] = DELIMITERS, *, stop_after: int | None = None) -> int:
    """The records a CSV body gives: its rows as the CSV reader frames them, the header not counted.

    Counted by the reader's own framing (:meth:`~ingest.readers.csv_rows.CsvRowsReader.count_rows`,
    the same ``delimiters``) so the batch limit and the reader cannot disagree: a quoted value's
    line breaks are one row, a quote inside an unquoted cell (``ws"a``) is a character as Python's
    :mod:`csv` reads it, blank lines are no row, a rejected row counts as it is received.  Past
    ``stop_after`` the count stops (``stop_after + 1``): an over-limit body is not read to its end.

    >>> count_csv_rows(b'_time,_raw\\n1,"a\\nb"\\n2,"c ""q"" d"\\n'), count_csv_rows(b"_time,_raw"), count_csv_rows(b"")
    (2, 0, 0)
    """
    stream = io.BytesIO(body.removeprefix(b"\xef\xbb\xbf"))  # the file reader drops the mark too
    return CsvRowsReader(delimiters=delimiters).count_rows(stream, stop_after)


def too_many(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"batch exceeds the limit of {limit} records", field="body",
                           details=[{"field": "body", "reason": "too many records",
                                     "limit": limit}])
