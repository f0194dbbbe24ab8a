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
    """True when ``head`` decodes as UTF-8 (allowing a cut last character) without NULs/control bytes."""
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the 64 KiB head is still text
        if exc.start < len(head) - 4:
            return False
    sample = head[:4096]
    controls = sum(sample.count(bytes([c])) for c in _CONTROL)
    return controls <= len(sample) // 100


class TextLinesReader:
    """Frames a text file into lines: the record and its canonical text are the line as read.

    Trailing ``\\r\\n`` is dropped and blank lines are skipped; invalid UTF-8 is
    decoded with replacement characters rather than lost.
    """

    name = "text"

    def sniff(self, head: bytes, path: str) -> bool:
        return looks_like_text(head)

    def read(self, stream: BinaryIO, path: str) -> Iterator[RawRecord | ReadError]:
        for number, raw in iter_lines(stream):
            if isinstance(raw, TooLongLine):
                yield ReadError(f"{path}:{number}", too_long_reason(raw.length, MAX_LINE_BYTES), "")
                continue
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line.strip():
                continue
            yield RawRecord(line, f"{path}:{number}", line)
