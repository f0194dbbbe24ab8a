"""Plain text line reader (syslog and other line-oriented text)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from ingest.readers.base import RawRecord, ReadError

_CONTROL = bytes(range(0, 9)) + b"\x0b\x0c" + bytes(range(14, 32))

MAX_LINE_BYTES = 16 << 20
"""A longer line is rejected (and skipped) rather than read whole into memory."""


class TooLongLine(bytes):
    """Yielded by :func:`iter_lines` in place of a line over the limit: no bytes, only its length.

    A ``bytes`` (empty), so lines stay typed as bytes; tell it apart by its class.
    """

    length: int
    """The line's length in bytes up to its ``\n`` (a ``\r`` before it counts)."""

    @classmethod
    def of(cls, length: int) -> TooLongLine:
        line = cls()
        line.length = length
        return line


def too_long_reason(length: int, max_bytes: int) -> str:
    """The reason a line over the limit is rejected: its length and the limit."""
    return f"line too long: {length} bytes, over the limit of {max_bytes} bytes"


def iter_lines(stream: BinaryIO, max_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` pairs; a line over ``max_bytes`` comes out as a :class:`TooLongLine`.

    An over-long line is consumed in ``max_bytes`` pieces, so even a file with
    no newline at all never sits in memory.
    """
    readline = stream.readline
    number = 0
    while True:
        line = readline(max_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            yield number, TooLongLine.of(len(line) + skip_rest_of_line(readline, max_bytes))
            continue
        yield number, line


def skip_rest_of_line(readline: Callable[[int], bytes], max_bytes: int) -> int:
    """Consume the rest of an over-long line in ``max_bytes`` pieces (never all of it at once).

    Returns
    -------
    int
        The bytes consumed up to the line's ``\n`` (a ``\r`` before it counts).
    """
    skipped = 0
    while True:
        rest = readline(max_bytes)
        if not rest:
            return skipped
        if rest.endswith(b"\n"):
            return skipped + len(rest) - 1
        skipped += len(rest)


def looks_like_text(head: bytes) -> bool:
    """True when ``head`` reads as text: most of its lines are text, whatever one of them holds.

    A line (split on ``\\n``) is not text when it has a NUL, more than 1% of
    it (one byte in a short line) is another C0 control byte (tab and carriage
    return excepted), or more than 10% of it (one byte in a short line) is
    bytes that are not part of valid UTF-8.  The head is binary when more than
    half of its non-empty lines are not text: binary data (compressed,
    executable, images, random bytes) has about one control byte in nine and
    a ``\\n`` in 256, so nearly every "line" of it fails; a log has none, and
    Latin-1 text a few accented letters in a hundred.  Counting lines, not
    bytes, keeps one hostile line (700 ESC or 7,000 ``\\xff`` in a field) from
    refusing the thousands of lines around it (review RV1, item 4): that line
    is read as one record like the others (:func:`decode_line`).  A head with
    no line break is one line, judged alone.

    >>> looks_like_text(b"Nov 20 09:00:00 host sshd[1]: Failed password for jos\\xe9\\n")
    True
    >>> looks_like_text(b"a\\n" + b"\\x1b" * 700 + b"\\nb\\n"), looks_like_text(b"a\\n" + b"\\xff" * 7000 + b"\\nb\\n")
    (True, True)
    >>> looks_like_text(bytes(range(256)) * 4), looks_like_text(b"\\x00\\x01\\x02binary"), looks_like_text(b"")
    (False, False, False)

    A file that says what binary format it is, by its magic bytes, is binary whatever its
    lines hold: a SQLite database stores text rows (a GraphSIEM journal holds the very JSON
    lines it was given, so its lines would read as text):

    >>> looks_like_text(b"SQLite format 3\\x00" + b"\\x00" * 84 + b'\\n{"a": 1}\\n' * 50)
    False
    """
    if not head or head.startswith(_BINARY_MAGIC):
        return False
    # the whole head at once first (a log passes here, no per-line work): no more
    # control or non-UTF-8 bytes than one line may have
    if _is_text_line(head):
        return True
    lines = [line for line in head.split(b"\n") if line.strip(b"\r")]
    if not lines:
        return False
    binary = sum(1 for line in lines if not _is_text_line(line))
    return binary * 2 <= len(lines) and binary < len(lines)


_BINARY_MAGIC = (
    b"SQLite format 3\x00",  # SQLite (a journal, a browser's history)
    b"\x7fELF",  # executables (a PE's "MZ" could start a log line; its NUL-filled lines fail anyway)
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a",  # images
    b"PK\x03\x04", b"7z\xbc\xaf\x27\x1c", b"\xfd7zXZ\x00",  # archives (gzip is unwrapped before)
    b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x0a\x0d\x0d\x0a",  # pcap, pcapng
)
"""Magic bytes of binary formats whose content may still split into text-looking lines."""


def _is_text_line(data: bytes) -> bool:
    """Whether ``data`` reads as text: no NUL, controls at most 1%, non-UTF-8 at most 10% (one byte in a short one)."""
    if b"\x00" in data:
        return False
    controls = len(data) - len(data.translate(None, _CONTROL))
    if controls > max(1, len(data) // 100):
        return False
    # bytes that are not UTF-8: what a decode that drops them leaves out (a character
    # cut by the end of the head counts too, a few bytes at most)
    invalid = len(data) - len(data.decode("utf-8", "ignore").encode("utf-8"))
    return controls + invalid < len(data) and invalid <= max(1, len(data) // 10)


def decode_line(raw: bytes) -> tuple[str, bytes | None]:
    """A line's text, and its bytes as read when they are not valid UTF-8 (else ``None``).

    Valid UTF-8 decodes as it is.  In a line that is not, each byte that is
    not part of valid UTF-8 is written ``\\xNN`` (Python's ``backslashreplace``):
    visible, never a silent U+FFFD, and the line is still read (an attacker's
    byte does not take a record out of the graph).  The bytes as read come
    back too: the record's id hashes them, so two lines that differ only in
    such a byte never share an id.

    >>> decode_line(b"ok\\n"), decode_line(b"jos\\xe9\\n")
    (('ok', None), ('jos\\\\xe9', b'jos\\xe9'))
    """
    try:
        return raw.decode("utf-8").rstrip("\r\n"), None
    except UnicodeDecodeError:
        data = raw.rstrip(b"\r\n")
        return data.decode("utf-8", "backslashreplace"), data


class TextLinesReader:
    """Frames a text file into lines: the record and its canonical text are the line as read.

    Trailing ``\\r\\n`` is dropped and blank lines are skipped; a line that is
    not valid UTF-8 is read with its bad bytes written ``\\xNN`` and its id
    taken from its bytes as read (:func:`decode_line`).
    """

    name = "text"

    def sniff(self, head: bytes, path: str) -> bool:
        return looks_like_text(head)

    def read(self, stream: BinaryIO, path: str) -> Iterator[RawRecord | ReadError]:
        for number, raw in iter_lines(stream):
            if isinstance(raw, TooLongLine):
                yield ReadError(f"{path}:{number}", too_long_reason(raw.length, MAX_LINE_BYTES), "")
                continue
            try:
                # decoded here, not through decode_line: a call less a line (~50 ns, measured)
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                line, data = decode_line(raw)
                if line.strip():
                    yield RawRecord(line, f"{path}:{number}", line, None, None, data)
                continue
            if line.strip():
                yield RawRecord(line, f"{path}:{number}", line)
