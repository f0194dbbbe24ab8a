"""A CSV export's lines for :func:`csv.reader`, a row at a time and bounded (:mod:`ingest.readers.csv_rows`).

The csv reader pulls lines; :class:`RowLines` hands them over one ``readline`` at a time, knows the line a
row started on, keeps its first :data:`RAW_TEXT_BYTES` (a rejection's raw text) and its quote count, stops a
row past the record limit (:class:`RecordTooLong`) and skips the rest of it without holding it, to the end
of the line where its quoted value closes.
"""

from __future__ import annotations

from collections import deque
from typing import Any, BinaryIO


class RecordTooLong(Exception):
    """Raised from inside the csv reader's line source: the row passed the record limit."""


RAW_TEXT_BYTES = 4096
"""Bytes of a rejected row kept as its raw text (the row itself may be megabytes)."""


class RowLines:
    """The file's lines as text for :func:`csv.reader`, tracking the current row.

    The csv reader asks for a line when it starts a row or a quoted value
    runs on; this knows where the row started, keeps its first bytes (a
    rejection's raw text) and its quote count (where a quoted value closes),
    and stops a row at ``max_bytes``.
    """

    __slots__ = (
        "_stream", "_readline", "_max_bytes", "number", "start", "size", "quotes", "head", "line_ended",
        "row", "_replay",
    )

    def __init__(self, stream: BinaryIO, max_bytes: int) -> None:
        self._stream = stream
        self._readline = stream.readline
        self._max_bytes = max_bytes
        self.number = 0
        """Lines read so far."""
        self.start = 0
        """The line the current row started on (0 before its first)."""
        self.size = 0
        self.quotes = 0
        self.head = bytearray()
        self.line_ended = True
        self.row: list[bytes] = []
        """The current row's lines as read (at most ``max_bytes`` and a line), for :meth:`replay`."""
        self._replay: deque[bytes] = deque()

    def new_row(self) -> None:
        self.start = self.size = self.quotes = 0
        self.head.clear()
        self.row.clear()

    def replay(self) -> None:
        """Read the current row's lines after its first again, as rows of their own.

        A quote opened on a row's first line and never closed (a damaged or hand-edited
        export) made the csv reader take every later line into that row; the lines are
        counted again from the row's second.
        """
        self._replay.extendleft(reversed(self.row[1:]))
        self.number = self.start

    def __iter__(self) -> RowLines:
        return self

    def __next__(self) -> str:
        raw = self._replay.popleft() if self._replay else self._readline(self._max_bytes - self.size + 1)
        if not raw:
            raise StopIteration
        self.row.append(raw)
        self.line_ended = raw.endswith(b"\n")
        self.number += self.line_ended
        if not self.start:
            self.start = self.number + (not self.line_ended)
        self.size += len(raw)
        self.quotes += raw.count(b'"')
        if len(self.head) < RAW_TEXT_BYTES:
            self.head += raw[: RAW_TEXT_BYTES - len(self.head)]
        if self.size > self._max_bytes:
            raise RecordTooLong
        return raw.decode("utf-8", "replace")

    def skip_row(self) -> int:
        """Consume the rest of an over-long row, never holding it: to the end of the line where its
        open quoted value (if any) has closed.  Returns the row's length in bytes."""
        size, is_quoted = self.size, self.quotes % 2 == 1
        if not (self.line_ended and not is_quoted):
            peek = getattr(self._stream, "peek", None)
            if peek is None:
                size += self._skip_by_lines(is_quoted)
            else:
                size += self._skip_by_chunks(peek, is_quoted)
        self.new_row()
        return size

    def _skip_by_chunks(self, peek: Any, is_quoted: bool) -> int:
        # hop from quote to quote through the buffered bytes (a C search each): a value of
        # 100 MB of short lines is not a million readline calls
        skipped = 0
        while chunk := peek(1):
            position, end = 0, -1
            while True:
                quote = chunk.find(b'"', position)
                if not is_quoted:
                    newline = chunk.find(b"\n", position)
                    if newline >= 0 and (quote < 0 or newline < quote):
                        end = newline + 1
                        break
                if quote < 0:
                    break
                is_quoted, position = not is_quoted, quote + 1
            taken = len(chunk) if end < 0 else end
            self.number += chunk.count(b"\n", 0, taken)
            self._stream.read(taken)
            skipped += taken
            if end >= 0:
                break
        return skipped

    def _skip_by_lines(self, is_quoted: bool) -> int:
        skipped = 0
        line_ended = self.line_ended
        while not (line_ended and not is_quoted):
            rest = self._readline(self._max_bytes)
            if not rest:
                break
            skipped += len(rest)
            is_quoted ^= rest.count(b'"') % 2 == 1
            line_ended = rest.endswith(b"\n")
            self.number += line_ended
        return skipped

    def raw_text(self) -> str:
        """The current row's first :data:`RAW_TEXT_BYTES` as read, for a rejection."""
        return self.head.decode("utf-8", "replace").rstrip("\r\n")
