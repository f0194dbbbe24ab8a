"""Byte streams under the readers: gzip member by member, UTF-16/32 text as UTF-8.

:func:`ingest.readers.files.open_binary` stacks these under a 1 MiB
``io.BufferedReader``, so every reader gets plain UTF-8 bytes whatever the file
was on disk:

* :class:`GzipMembers` decompresses gzip the way GNU gzip does: member after
  member (``cat a.gz b.gz``), zero padding between members ignored.  Unlike
  ``gzip.GzipFile`` it keeps the data of the complete members when junk
  follows them, and it raises only :class:`DamagedFileError` (an ``OSError``)
  for a damaged file, never ``EOFError``, ``zlib.error`` or ``BadGzipFile``.
* :class:`Utf8Transcoder` turns UTF-16 or UTF-32 text into UTF-8, a chunk at
  a time: text with a byte-order mark (Windows PowerShell 5.1's ``Out-File``
  and ``>`` write UTF-16LE with one), and text without one whose first code
  units are ASCII (.NET's ``Encoding.Unicode.GetBytes``, ``iconv -t UTF-16LE``),
  as :func:`text_encoding` tells.
* A UTF-8 byte-order mark (:data:`UTF8_BOM`) at the start is skipped, once:
  the readers see the same bytes as for the file without it.

Damage is raised *after* the good bytes before it have been returned: the
read that finds it returns what it decompressed, and the next read raises.  A
reader thus frames every complete line before the damage; a last line that
has no newline before the damage is lost with it (``io.BufferedReader.readline``
drops what it gathered when the raw stream raises) and the file's rejection
("could not be read to the end") covers it.
"""

from __future__ import annotations

import codecs
import io
import math
import os
import re
import select
import stat
import time
import weakref
import zlib
from collections.abc import Callable
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
"""The first two bytes of every gzip member."""

UTF8_BOM = codecs.BOM_UTF8
"""The UTF-8 byte-order mark, which Windows PowerShell 5.1 writes first (``Out-File
-Encoding UTF8``, ``Set-Content -Encoding UTF8``).  It is dropped once, at the
start of a file or body, before any reader sees the bytes: a record's bytes, and
so its id, are then the same with and without it."""

_GZIP_WBITS = 31  # zlib's gzip framing: header, deflate data, CRC-32 and length checked
_COMPRESSED_CHUNK = 8 << 10
"""Compressed bytes read, and at most given to zlib, at a time.  Measured on 423 MB of Windows NDJSON
(25 MB gzip): 4-8 KiB inflated it in 380-385 ms CPU, 16-128 KiB in 550-600 ms:
one call's output (~16x its input) no longer fits the CPU cache before it is
copied on.  ``gzip.GzipFile`` (8 KiB reads) took 395-420 ms."""
_FIRST_FEED = 256
"""Compressed bytes given to zlib first in each member (then twice as many each call)."""
_ZEROS = re.compile(rb"\x00*")
_TEXT_CHUNK = 256 << 10  # UTF-16/32 bytes decoded at a time

_BOMS = (
    # UTF-32LE's mark starts with UTF-16LE's: the longer marks are tried first
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


UNMARKED_UNITS = 8
"""Code units of ASCII text that identify UTF-16 or UTF-32 without a byte-order mark.

Telemetry starts with ASCII (``{``, ``[``, ``#``, ``<``, a date, a name), so
eight printable characters each followed (little-endian) or preceded
(big-endian) by NUL bytes are decisive: UTF-8 text has no NUL there, gzip and
EVTX (``ElfFile\\x00``) have their own magic, and a file with NULs later, or
NUL padding first (a log truncated under its writer), has no such pattern."""

SNIFF_BYTES = 4 * UNMARKED_UNITS
"""Bytes :func:`text_encoding` needs to decide (UTF-32's eight code units)."""

_UNMARKED_MIN_UNITS = 4  # a shorter text is no telemetry record: left as it is
_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r"  # the ASCII a text file starts with
_UNMARKED = (
    # (code unit width, offset of its ASCII byte, codec); UTF-32 first only for clarity:
    # its pattern has a NUL where UTF-16's has a character, so the two never both match
    (4, 0, "utf-32-le"),
    (4, 3, "utf-32-be"),
    (2, 0, "utf-16-le"),
    (2, 1, "utf-16-be"),
)


class DamagedFileError(OSError):
    """A file that cannot be read (to the end): truncated or corrupt gzip, junk after it.

    An ``OSError``, so whatever handles unreadable files handles it; the
    message names the file and the damage.

    Parameters
    ----------
    message : str
        The file's name and the damage, in words.
    damage : str
        Which damage, for callers that word it their own way (the HTTP API):
        ``"truncated"``, ``"corrupt"`` (zlib's complaint in ``detail``) or
        ``"trailing"`` (data that is not gzip from compressed byte ``at`` on).
    at : int
        For ``"trailing"``: the offset in the compressed input where the data
        that is not gzip starts.
    detail : str
        For ``"corrupt"``: zlib's error message.
    """

    def __init__(self, message: str, *, damage: str = "", at: int = 0, detail: str = "") -> None:
        super().__init__(message)
        self.damage = damage
        self.at = at
        self.detail = detail


def bom_encoding(head: bytes) -> tuple[str, int] | None:
    """The codec and mark length of a UTF-16/UTF-32 byte-order mark at the start of ``head``.

    A UTF-8 mark is not one of them: UTF-8 needs no transcoding; the stream
    drops its mark (:data:`UTF8_BOM`, :func:`as_utf8`, ``open_binary``).

    Examples
    --------
    >>> bom_encoding(b"\\xff\\xfe{\\x00")
    ('utf-16-le', 2)
    >>> bom_encoding(b"{}") is None
    True
    """
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, len(bom)
    return None


def unmarked_encoding(head: bytes) -> str | None:
    """The codec of UTF-16/UTF-32 text without a byte-order mark at the start of ``head``, if it is one.

    It is one when its first :data:`UNMARKED_UNITS` code units (at least four,
    for a shorter ``head``) are all printable ASCII, tab, CR or LF: one byte of
    that, the rest of each unit NUL.

    Examples
    --------
    >>> unmarked_encoding('{"a": 1}'.encode("utf-16-le"))
    'utf-16-le'
    >>> unmarked_encoding(b'{"a": 1}\\x00\\x00') is None
    True
    """
    if b"\x00" not in head[:2]:
        return None  # each pattern has a NUL in the first two bytes: the usual answer, at once
    for width, at, encoding in _UNMARKED:
        units = min(UNMARKED_UNITS, len(head) // width)
        if units < _UNMARKED_MIN_UNITS:
            continue
        end = units * width
        if head[at:end:width].translate(None, _TEXT_BYTES):
            continue  # a unit whose character byte is not ASCII text (or is NUL)
        zeros = bytes(units)
        if all(head[offset:end:width] == zeros for offset in range(width) if offset != at):
            return encoding
    return None


def text_encoding(head: bytes) -> tuple[str, int] | None:
    """The codec of UTF-16/UTF-32 text at the start of ``head``, and the length of its mark.

    A byte-order mark decides (:func:`bom_encoding`); without one, the pattern
    of ASCII text's first code units does (:func:`unmarked_encoding`, mark
    length 0).  ``None`` for anything else: UTF-8, binary, gzip.  Give it
    :data:`SNIFF_BYTES` bytes.

    Examples
    --------
    >>> text_encoding(b"\\xfe\\xff\\x00{")
    ('utf-16-be', 2)
    >>> text_encoding("<Event xmlns=".encode("utf-16-be"))
    ('utf-16-be', 0)
    >>> text_encoding(b"ElfFile\\x00\\x00\\x00\\x00\\x00") is None
    True
    """
    marked = bom_encoding(head)
    if marked is not None:
        return marked
    unmarked = unmarked_encoding(head)
    return None if unmarked is None else (unmarked, 0)


def as_utf8(data: bytes) -> bytes:
    """``data`` as UTF-8 when it is UTF-16/UTF-32 text (:func:`text_encoding`), else unchanged.

    For bodies held in memory (an HTTP request); files are transcoded as they
    are read, by :class:`Utf8Transcoder`.  Invalid code units become U+FFFD.

    Examples
    --------
    >>> as_utf8('[{"a": "é"}]'.encode("utf-16-le")) == '[{"a": "é"}]'.encode()
    True
    >>> as_utf8(b"<13>Jan  1 00:00:00 h app: x")
    b'<13>Jan  1 00:00:00 h app: x'

    A UTF-8 byte-order mark at the start is dropped (once), as ``open_binary`` does:

    >>> as_utf8(b'\\xef\\xbb\\xbf{"a": 1}')
    b'{"a": 1}'
    """
    if data.startswith(UTF8_BOM):
        return data[len(UTF8_BOM) :]
    found = text_encoding(data[:SNIFF_BYTES])
    if found is None:
        return data
    encoding, mark = found
    text = data[mark:].decode(encoding, "replace")
    if text.startswith("\ufeff"):  # the text's own mark after the encoding's, as Utf8Transcoder drops it
        text = text[1:]
    return text.encode("utf-8", "replace")


class _Paused(Exception):
    """A live source below paused: the read returns what it has, the stream goes on after."""


class _OverStream(io.RawIOBase):
    """A raw stream made from another one, which it closes and whose descriptor it reports."""

    def __init__(self, inner: BinaryIO | io.BufferedIOBase) -> None:
        super().__init__()
        self._inner = inner

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        """The file's descriptor on disk (the progress bar follows its offset)."""
        return self._inner.fileno()

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                super().close()


class GzipMembers(_OverStream):
    """The decompressed bytes of a gzip file, member after member.

    The one decoder of concatenated gzip members: files
    (:func:`ingest.readers.files.open_binary`) and HTTP bodies
    (``Content-Encoding``, over an ``io.BytesIO``) both read through it.

    Parameters
    ----------
    compressed : BinaryIO
        The file, positioned at its first gzip magic; closed with this stream.
    name : str
        The file's name, for error messages.
    wbits : int
        zlib's framing: 31 (the default) for gzip, members one after another
        with zero padding allowed between them; 15 (zlib) or -15 (raw deflate)
        for one stream, after which any byte is trailing data (HTTP's
        ``Content-Encoding: deflate``).
    is_live : bool
        Whether ``compressed`` is a pipe read as its bytes come
        (:class:`LiveSource`): a read returns the data decompressed so far
        rather than wait for more, and reads below with ``read1``.
    live : LiveSource, optional
        The pipe at the bottom of ``compressed`` (implies ``is_live``).  A read
        below that brings no byte while it has not ended is its pause
        (:attr:`LiveSource.is_pausing`), not the end of the input: this read
        returns 0 bytes too, and the next goes on where it stopped.  So a head
        read above may end at a pause once it has whole records, as on a plain pipe.

    Notes
    -----
    ``readinto`` raises :class:`DamagedFileError`, once the data before the
    damage has been returned, when the file ends inside a member, a member is
    corrupt (its deflate data, CRC or length), or data after a complete member
    is not gzip.

    The work is linear in the compressed size however small the members:
    zlib is given slices of the buffered input at an offset, never "the rest",
    and each member's first slice is small (:data:`_FIRST_FEED` bytes,
    doubling up to :data:`_COMPRESSED_CHUNK`), so the bytes zlib copies back
    as ``unused_data`` at a member's end stay about that member's size.  Fed
    whole 8 KiB reads, 8 MiB of empty 20-byte members took 1.2 CPU-s: each
    member copied the rest of its read.
    """

    def __init__(
        self, compressed: BinaryIO, name: str, *, wbits: int = _GZIP_WBITS, is_live: bool = False,
        live: LiveSource | None = None,
    ) -> None:
        super().__init__(compressed)
        # Live (a pipe read as it comes): one read below at a time, and none once a read has
        # output, which it returns; a file's reads stay whole (read fills 8 KiB, readinto the buffer).
        is_live = is_live or live is not None
        self._is_live = is_live
        self._live = live
        self._read = getattr(compressed, "read1", compressed.read) if is_live else compressed.read
        self._name = name
        self._wbits = wbits
        self._is_gzip = wbits == _GZIP_WBITS
        self._decompressor = zlib.decompressobj(wbits=wbits)
        self._input = b""  # the compressed bytes of the last read, decompressed up to _offset
        self._view = memoryview(self._input)
        self._offset = 0
        self._feed = _FIRST_FEED  # the next slice's size, small at each member's start
        self._read_bytes = 0  # compressed bytes read from the file so far
        self._member = 1  # the member being (or next to be) decompressed
        self._in_member = True
        self._at_end = False
        self._damage: DamagedFileError | None = None

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._damage is not None:
            raise self._damage
        view = memoryview(buffer).cast("B")
        want, filled = len(view), 0
        try:
            while filled < want and not self._at_end and self._damage is None:
                if filled and self._is_live and self._needs_read():
                    break  # what came so far, not a wait for more
                if not self._in_member:
                    self._start_member()
                elif self._offset < len(self._input) or self._refill():
                    filled = self._inflate(view, filled)
                else:
                    filled = self._drain(view, filled)
        except _Paused:
            return filled  # what came before the pause (a live read reads below once it has none, but for padding)
        if not filled and self._damage is not None:
            raise self._damage
        return filled

    def _inflate(self, view: memoryview, filled: int) -> int:
        """Decompress the input read so far into ``view`` from ``filled``; the new fill.

        It stops when ``view`` is full, the input is used up, a member ends with
        no next member's magic right after it (padding to skip, a read to make,
        junk), or the data is corrupt.  Locals, not attributes, in the loop: a
        body of tiny members goes round it once per member.
        """
        want, data, source = len(view), self._input, self._view
        offset, feed, decompressor = self._offset, self._feed, self._decompressor
        end = len(data)
        try:
            while filled < want and offset < end:
                piece = source[offset : offset + feed]
                out = decompressor.decompress(piece, want - filled)
                if out:
                    view[filled : filled + len(out)] = out
                    filled += len(out)
                if not decompressor.eof:
                    # what max_length left undone stays in the input, for the next slice
                    offset += len(piece) - len(decompressor.unconsumed_tail)
                    feed = min(2 * feed, _COMPRESSED_CHUNK)
                    continue
                offset += len(piece) - len(decompressor.unused_data)
                self._member += 1
                decompressor, feed = zlib.decompressobj(wbits=self._wbits), _FIRST_FEED
                if self._is_gzip:
                    offset = _ZEROS.match(data, offset).end()  # type: ignore[union-attr]
                    if data.startswith(GZIP_MAGIC, offset):
                        continue  # the next member, in the same read: no detour
                self._in_member = False  # _start_member looks further
                break
        except zlib.error as exc:
            self._damage = self._error(
                "corrupt", f"{self._unit()} {self._member} is corrupt ({exc})", detail=str(exc))
        self._offset, self._feed, self._decompressor = offset, feed, decompressor
        return filled

    def _drain(self, view: memoryview, filled: int) -> int:
        """At the end of the file inside a member: what zlib still holds, else the truncation.

        zlib may hold output of input it took when ``max_length`` stopped it
        (raw deflate has no trailer after its last match): it is asked for that.
        """
        try:
            out = self._decompressor.decompress(b"", len(view) - filled)
        except zlib.error as exc:
            self._damage = self._error(
                "corrupt", f"{self._unit()} {self._member} is corrupt ({exc})", detail=str(exc))
            return filled
        view[filled : filled + len(out)] = out
        if self._decompressor.eof:
            self._member += 1
            self._decompressor, self._feed = zlib.decompressobj(wbits=self._wbits), _FIRST_FEED
            self._in_member = False
        elif not out:
            self._damage = self._error(
                "truncated", f"the file ends inside {self._unit()} {self._member} (truncated)")
        return filled + len(out)

    def _refill(self, keep: bytes = b"") -> bool:
        """Read the next compressed bytes after ``keep`` (the unread end of the last read); False at the end.

        Raises :class:`_Paused`, ``keep`` kept, when the live source below paused.
        """
        data = self._read(_COMPRESSED_CHUNK)
        if not data and self._live is not None and not self._live.ended:
            self._input, self._view, self._offset = keep, memoryview(keep), 0
            raise _Paused
        self._read_bytes += len(data)
        self._input = keep + data if keep else data
        self._view = memoryview(self._input)
        self._offset = 0
        return bool(data)

    def _needs_read(self) -> bool:
        """Whether going on needs a read below: the input is used up (between members: a magic's worth)."""
        left = len(self._input) - self._offset
        return left < len(GZIP_MAGIC) if not self._in_member else left == 0

    def _start_member(self) -> None:
        """Between members: skip zero padding, then start the next member, end, or find junk."""
        while True:
            if self._is_gzip:  # zero padding, as GNU gzip skips it (tape blocks)
                self._offset = _ZEROS.match(self._input, self._offset).end()  # type: ignore[union-attr]
            if len(self._input) - self._offset >= len(GZIP_MAGIC):
                break
            rest = self._input[self._offset :]  # at most one byte: the start of a magic, or junk
            if not self._refill(rest):
                if not rest:
                    self._at_end = True
                    return
                break
        if self._is_gzip and self._input.startswith(GZIP_MAGIC, self._offset):
            self._in_member = True
            return
        # GNU gzip warns "trailing garbage ignored" and keeps the members' data, as this does
        offset = self._read_bytes - (len(self._input) - self._offset)
        if self._is_gzip:
            reason = (f"data at byte {offset} after gzip member {self._member - 1} is not gzip "
                      "(trailing garbage; the members before it were read)")
        else:
            reason = f"data at byte {offset} after the {self._unit()} (trailing garbage)"
        self._damage = self._error("trailing", reason, at=offset)

    def _unit(self) -> str:
        return "gzip member" if self._is_gzip else "deflate stream"

    def _error(self, damage: str, reason: str, *, at: int = 0, detail: str = "") -> DamagedFileError:
        return DamagedFileError(f"{self._name}: {reason}", damage=damage, at=at, detail=detail)


class Utf8Transcoder(_OverStream):
    """UTF-16 or UTF-32 text re-encoded as UTF-8, decoded a chunk at a time.

    Parameters
    ----------
    encoded : io.BufferedIOBase
        The text, positioned after its byte-order mark if it has one; closed
        with this stream.
    encoding : str
        A codec without mark handling (``"utf-16-le"``, ``"utf-32-be"``...),
        as :func:`text_encoding` names it.
    live : LiveSource, optional
        The pipe at the bottom of ``encoded``: a read below of no byte while it
        has not ended is a pause, which this read returns as 0 bytes, the
        text's end left undecided (as :class:`GzipMembers` does).

    Bytes that are not valid in ``encoding`` (a lone surrogate, a last
    character cut off) become U+FFFD, as the readers decode invalid UTF-8.
    One U+FEFF at the start of the text is dropped: text that held a mark
    before it was written as UTF-16 has two, and the UTF-8 one it would
    become is skipped for files that are UTF-8 already (``open_binary``).
    """

    def __init__(self, encoded: io.BufferedIOBase, encoding: str, *, live: LiveSource | None = None) -> None:
        super().__init__(encoded)
        self._encoded = encoded
        self._live = live
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._pending = b""  # UTF-8 bytes not yet returned, from self._position
        self._position = 0
        self._at_end = False
        self._started = False  # whether text came yet (a leading U+FEFF is dropped from the first)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while self._position >= len(self._pending):
            if self._at_end:
                return 0
            # one read of the stream below (read1), and only with nothing pending:
            # a damaged gzip under the text raises after its good bytes, losing none
            chunk = self._encoded.read1(_TEXT_CHUNK)
            if not chunk:
                if self._live is not None and not self._live.ended:
                    return 0  # a pause of the pipe below, not the end of the text
                self._at_end = True
            text = self._decoder.decode(chunk, final=self._at_end)
            if not self._started and text:
                self._started = True
                if text[0] == "\ufeff":
                    text = text[1:]
            self._pending, self._position = text.encode("utf-8", "replace"), 0
        view = memoryview(buffer).cast("B")
        count = min(len(view), len(self._pending) - self._position)
        view[:count] = self._pending[self._position : self._position + count]
        self._position += count
        return count


_LIVE_STREAMS: weakref.WeakSet[object] = weakref.WeakSet()


def mark_live(stream: BinaryIO) -> BinaryIO:
    """``stream``, marked as read as its bytes come (:func:`chunk_reader`); returned for chaining."""
    _LIVE_STREAMS.add(stream)
    return stream


def chunk_reader(stream: BinaryIO) -> Callable[[int], bytes]:
    """How a reader takes its next chunk of ``stream``: ``read1`` on a live pipe, else ``read``.

    ``read(n)`` of a buffered stream waits for ``n`` bytes or the end: on a
    pipe that trickles (:func:`mark_live`, :func:`ingest.readers.files.open_stream`)
    the records would wait for 1 MiB or the pipe's end.  ``read1(n)`` returns
    what one read below brings.  A file keeps ``read``: its chunks stay whole.
    """
    if stream in _LIVE_STREAMS:
        return stream.read1  # type: ignore[attr-defined, no-any-return]
    return stream.read


class ReadAhead(io.RawIOBase):
    """A stream whose first bytes were read ahead, to be looked at, then the stream as if untouched.

    Standard input cannot be peeked at beyond what one read brings (a pipe may
    hand over a single byte first), nor reopened after sniffing, as files are:
    the bytes read ahead are replayed before the rest.

    Parameters
    ----------
    inner : binary stream
        The stream, of which ``head`` was read.
    head : bytes
        Its first bytes, already read.
    owns_inner : bool
        Whether closing this closes ``inner`` (not so for ``sys.stdin.buffer``).

    Examples
    --------
    >>> import io
    >>> inner = io.BytesIO(b'{"a": 1}\\n{"b": 2}\\n')
    >>> stream = io.BufferedReader(ReadAhead(inner, inner.read(3)))
    >>> stream.read()
    b'{"a": 1}\\n{"b": 2}\\n'
    """

    def __init__(self, inner: BinaryIO | io.BufferedIOBase, head: bytes, *, owns_inner: bool = True) -> None:
        super().__init__()
        self._inner = inner
        self._head = memoryview(head)
        self._owns_inner = owns_inner
        self.consumed = len(head)
        """Bytes taken from ``inner`` so far (the progress bar's count for a stream)."""
        # readinto1: one read below, so a pipe's records come on as they arrive
        self._readinto = getattr(inner, "readinto1", None) or getattr(inner, "readinto", None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        if self._head:
            count = min(len(view), len(self._head))
            view[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        if self._readinto is not None:
            count = self._readinto(view)
        else:  # a stream with read() only
            data = self._inner.read(len(view))
            count = len(data)
            view[:count] = data
        self.consumed += count
        return count

    def close(self) -> None:
        if not self.closed:
            try:
                if self._owns_inner:
                    self._inner.close()
            finally:
                super().close()


def live_descriptor(stream: object) -> int | None:
    """The descriptor of ``stream`` when its bytes may come at any pace (a pipe, a socket), else ``None``.

    ``None`` for a regular file or a device (never waited on), a stream
    without a descriptor (``io.BytesIO``), and where ``select.poll`` is
    missing (Windows): those are read as they always were.
    """
    if not hasattr(select, "poll"):
        return None
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):
        return None
    return fd if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) else None


class LiveSource(io.RawIOBase):
    """A pipe or socket read as its bytes come, whose reader can act while no byte comes.

    A reader blocked in ``read()`` on a source that trickles (``tail -F
    eve.json | graphsiem ingest -``) cannot look at a clock.  Before every
    read this calls ``pace``, which may act (the pipeline journals a batch
    that has waited long enough, or raises to stop reading) and returns how
    long the wait for bytes may last before ``pace`` is due again (``None``:
    until bytes come); then it waits with ``poll`` on the descriptor and on
    ``wake_fd``, whose bytes (a signal handler's stop request) end a wait at once.

    Chosen over a reading thread feeding a queue, and measured: reading a
    million 187-byte lines that ``cat`` writes to a pipe took 76 ns of CPU a
    line through a plain ``FileIO``, 115 ns through this (a ``poll`` and a
    Python call a read) and 165-190 ns through a thread and a queue, against
    ~20-30 us a record for the rest of the ingest.  No thread is left blocked
    in ``read`` when the call stops, and ``pace`` runs in the caller's
    thread, between records.

    Parameters
    ----------
    fd : int
        The descriptor (:func:`live_descriptor`); read directly, not closed.  A
        ``BufferedReader`` over it must not have been read from: its buffered
        bytes would be skipped (``sys.stdin.buffer`` before an ingest reads it).
    pace : callable
        Called before each wait, as above.
    wake_fd : int, optional
        A descriptor that becomes readable when the wait must end (never read here).
    pause : float, optional
        While :attr:`is_pausing`, a wait of this many seconds with no byte
        ends the read with 0 bytes: a pause, not the end (:attr:`ended` stays
        false); so does a wake (:attr:`is_woken`), without calling ``pace``.
        :func:`ingest.readers.files.open_stream` reads the head that chooses
        the reader so: a trickle is not held until 64 KiB have come, and a
        stop while the head is read still leaves its whole lines to be read.
        A decoder over the source (:class:`GzipMembers`, :class:`Utf8Transcoder`)
        takes such a read for a pause only when given the source (``live``);
        without it, for the end of its input.

    Examples
    --------
    >>> import os
    >>> read_end, write_end = os.pipe()
    >>> _ = os.write(write_end, b'{"a": 1}\\n'); os.close(write_end)
    >>> source = LiveSource(read_end, pace=lambda: None)
    >>> source.read(100), source.read(100), source.ended
    (b'{"a": 1}\\n', b'', True)
    >>> os.close(read_end)
    """

    def __init__(
        self, fd: int, *, pace: Callable[[], float | None], wake_fd: int | None = None, pause: float | None = None
    ) -> None:
        super().__init__()
        self._file = io.FileIO(fd, "rb", closefd=False)
        self._pace = pace
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN | select.POLLPRI)
        self._fd = fd
        self._wake_fd = wake_fd
        if wake_fd is not None:
            self._poll.register(wake_fd, select.POLLIN)
        self.pause = pause
        self.is_pausing = False
        """Whether a wait of :attr:`pause` seconds ends a read with 0 bytes (set while reading a head)."""
        self.ended = False
        """Whether the source has ended (a read returned 0 bytes that was not a pause)."""
        self.is_woken = False
        """Whether ``wake_fd`` ended a pausing read: the head ends there, with the lines it holds."""
        self._was_woken = False

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        paused_at = None
        if self.is_pausing and self.pause is not None:
            paused_at = time.monotonic() + self.pause
        ready = self._poll.poll(0)  # bytes already there are read at once, without pace
        while not any(fd == self._fd for fd, _ in ready):
            if ready:  # woken
                if paused_at is not None:
                    self.is_woken = True
                    return 0
                if self._wake_fd is not None and self._was_woken:
                    # pace saw the wake and went on: the descriptor stays readable, so it
                    # is no longer polled (else each poll would return at once, a busy loop)
                    self._poll.unregister(self._wake_fd)
                    self._wake_fd = None
                self._was_woken = True
            wait = self._pace()
            if paused_at is not None:
                left = paused_at - time.monotonic()
                if left <= 0:
                    return 0
                wait = left if wait is None else min(wait, left)
            # poll takes milliseconds; rounded up, so that a wait is never cut short into a busy loop
            ready = self._poll.poll(None if wait is None else math.ceil(wait * 1000))
        count = self._file.readinto(buffer)
        if not count:
            self.ended = True
        return count or 0
