"""Plain text line reader (syslog and other line-oriented text)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from ingest.readers.base import RawRecord, ReadError

_CONTROL = bytes(range(0, 9)) + b"\x0b\x0c" + bytes(range(14, 32))


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
        for number, raw in enumerate(stream, start=1):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line.strip():
                continue
            yield RawRecord(line, f"{path}:{number}", line)
