"""Which text encoding a file's first bytes are, and bodies in memory as UTF-8.

Split from :mod:`ingest.readers.streams`, which re-exports every name here:
a UTF-16 or UTF-32 file is told by its byte-order mark or, without one, by
ASCII text's pattern of NUL bytes in its first code units
(:func:`text_encoding`); a UTF-8 byte-order mark (:data:`UTF8_BOM`) is
dropped once.  Files are transcoded as they are read
(:class:`ingest.readers.streams.Utf8Transcoder`), bodies held in memory by
:func:`as_utf8`.
"""

from __future__ import annotations

import codecs

UTF8_BOM = codecs.BOM_UTF8
"""The UTF-8 byte-order mark, which Windows PowerShell 5.1 writes first (``Out-File
-Encoding UTF8``, ``Set-Content -Encoding UTF8``).  It is dropped once, at the
start of a file or body, before any reader sees the bytes: a record's bytes, and
so its id, are then the same with and without it."""

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
