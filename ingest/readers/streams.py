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
import zlib
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
"""Compressed bytes given to zlib at a time.  Measured on 423 MB of Windows NDJSON
(25 MB gzip): 4-8 KiB inflated it in 380-385 ms CPU, 16-128 KiB in 550-600 ms:
one call's output (~16x its input) no longer fits the CPU cache before it is
copied on.  ``gzip.GzipFile`` (8 KiB reads) took 395-420 ms."""
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
    """


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

    Parameters
    ----------
    compressed : BinaryIO
        The file, positioned at its first gzip magic; closed with this stream.
    name : str
        The file's name, for error messages.

    Notes
    -----
    ``readinto`` raises :class:`DamagedFileError`, once the data before the
    damage has been returned, when the file ends inside a member, a member is
    corrupt (its deflate data, CRC or length), or data after a complete member
    is not gzip.
    """

    def __init__(self, compressed: BinaryIO, name: str) -> None:
        super().__init__(compressed)
        self._name = name
        self._decompressor = zlib.decompressobj(wbits=_GZIP_WBITS)
        self._input = b""  # compressed bytes read but not yet decompressed
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
        while filled < want and not self._at_end and self._damage is None:
            if not self._in_member:
                self._start_member()
                continue
            if not self._input:
                self._input = self._read()
                if not self._input:
                    self._damage = self._error(f"the file ends inside gzip member {self._member} (truncated)")
                    break
            try:
                out = self._decompressor.decompress(self._input, want - filled)
            except zlib.error as exc:
                self._damage = self._error(f"gzip member {self._member} is corrupt ({exc})")
                break
            view[filled : filled + len(out)] = out
            filled += len(out)
            if self._decompressor.eof:
                self._input = self._decompressor.unused_data
                self._decompressor = zlib.decompressobj(wbits=_GZIP_WBITS)
                self._in_member = False
                self._member += 1
            else:
                self._input = self._decompressor.unconsumed_tail
        if not filled and self._damage is not None:
            raise self._damage
        return filled

    def _read(self) -> bytes:
        data = self._inner.read(_COMPRESSED_CHUNK)
        self._read_bytes += len(data)
        return data

    def _start_member(self) -> None:
        """Between members: skip zero padding, then start the next member, end, or find junk."""
        while True:
            self._input = self._input.lstrip(b"\x00")
            if len(self._input) >= len(GZIP_MAGIC):
                break
            more = self._read()
            if not more:
                if not self._input:
                    self._at_end = True
                    return
                break
            self._input += more
        if self._input.startswith(GZIP_MAGIC):
            self._in_member = True
            return
        # GNU gzip warns "trailing garbage ignored" and keeps the members' data, as this does
        offset = self._read_bytes - len(self._input)
        self._damage = self._error(
            f"data at byte {offset} after gzip member {self._member - 1} is not gzip "
            "(trailing garbage; the members before it were read)"
        )

    def _error(self, reason: str) -> DamagedFileError:
        return DamagedFileError(f"{self._name}: {reason}")


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

    Bytes that are not valid in ``encoding`` (a lone surrogate, a last
    character cut off) become U+FFFD, as the readers decode invalid UTF-8.
    One U+FEFF at the start of the text is dropped: text that held a mark
    before it was written as UTF-16 has two, and the UTF-8 one it would
    become is skipped for files that are UTF-8 already (``open_binary``).
    """

    def __init__(self, encoded: io.BufferedIOBase, encoding: str) -> None:
        super().__init__(encoded)
        self._encoded = encoded
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
