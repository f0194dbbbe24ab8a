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

The encodings are told in :mod:`ingest.readers.streams_text` (:func:`text_encoding`,
:func:`as_utf8`), pipes read as they come in :mod:`ingest.readers.streams_live`
(:class:`LiveSource`, :class:`ReadAhead`, :func:`chunk_reader`); this module
re-exports their names and keeps the two decoders.
"""

from __future__ import annotations

import codecs
import io
import re
import zlib
from typing import BinaryIO

from ingest.readers.streams_live import (
    LiveSource,
    ReadAhead,
    chunk_reader,
    live_descriptor,
    mark_live,
)
from ingest.readers.streams_text import (
    SNIFF_BYTES,
    UNMARKED_UNITS,
    UTF8_BOM,
    as_utf8,
    bom_encoding,
    text_encoding,
    unmarked_encoding,
)

__all__ = [
    "GZIP_MAGIC",
    "SNIFF_BYTES",
    "UNMARKED_UNITS",
    "UTF8_BOM",
    "DamagedFileError",
    "GzipMembers",
    "LiveSource",
    "ReadAhead",
    "Utf8Transcoder",
    "as_utf8",
    "bom_encoding",
    "chunk_reader",
    "live_descriptor",
    "mark_live",
    "text_encoding",
    "unmarked_encoding",
]

GZIP_MAGIC = b"\x1f\x8b"
"""The first two bytes of every gzip member."""

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

