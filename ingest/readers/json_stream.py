"""Streaming reader for JSON documents that are not one object per line.

Handles one JSON array (``jq -s`` output, pretty-printed or not), one
pretty-printed object, and several pretty-printed objects concatenated
(``evtx_dump -o json``).  The file is decoded incrementally through a bounded
window (``json.JSONDecoder.raw_decode`` from the current position), so a 2 GB
array never sits in memory: only the element being decoded does.

``evtx_dump -o json`` prints a ``Record <id>`` line before each object unless
given ``--dont-show-record-number`` (``omerbenamram/evtx``,
``src/bin/evtx_dump.rs``): such a line is skipped where it stands between two
top-level objects, never inside an object or an array.

A malformed element is skipped to its own end when its brackets close (outside
strings) before the next element: a compact array (an API body, ``jq -c -s``)
has no line to resume at, and an element nested deeper than Python's stack
(valid JSON a collector passes on) made every element after it vanish
uncounted (red team T17).  Otherwise reading resumes at the next line that
opens an object.

An element's bytes for its id (:mod:`ingest.event_ids`) are the object
re-serialised compactly in its own key order, not its pretty-printed text: the
same as its NDJSON line when that is compact, so framing changes no id.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import BinaryIO

from ingest.readers.base import RawRecord, ReadError
from ingest.readers.ndjson import own_order_json
from ingest.readers.streams import chunk_reader

_WHITESPACE = " \t\r\n"
_CHUNK = 1 << 20
MAX_RECORD_CHARS = 64 << 20
"""A single element larger than this is rejected instead of growing the window further."""


_RECORD_LINE = re.compile(r"Record \d{1,20}[ \t\r]{0,8}(?:\n|\Z)")
"""evtx_dump's line before each record: ``Record 74514`` (a 64-bit record id has at most 20 digits)."""
_RECORD_LINE_HEAD = re.compile(rb"Record \d{1,20}[ \t\r]{0,8}\n[ \t\r\n]*\{")
_MAX_RECORD_LINE = 64
"""Characters looked at for a ``Record`` line: more than the longest one (36) with its newline."""


def _significant(head: bytes) -> bytes:
    return head.lstrip(b" \t\r\n\xef\xbb\xbf")


_LONGEST_LITERAL = len("-Infinity")
_BRACKET_OR_STRING = re.compile(r'"(?:[^"\\]+|\\.)*(?P<closed>")?|[\[\]{}]', re.DOTALL)
"""A JSON string (escapes included) or a bracket: what :meth:`_JsonWindow._value_end` counts."""
_SPACES = re.compile(r"[ \t\r\n]*")
_AFTER_ELEMENT = frozenset(",]{R")
"""What may follow an element: the next one, the array's end, a concatenated object, an evtx_dump line."""


def _may_be_truncated(exc: json.JSONDecodeError, available: int) -> bool:
    """Could more input fix this error?  Only if it is near the window's end or in an open string.

    "Near" is within the longest bare literal: ``nul`` cut from ``null`` by the
    window's end fails as "Expecting value" at its first letter, which read a
    valid element with a ``null``, ``true`` or ``false`` across a 1 MiB
    boundary as invalid JSON.
    """
    return exc.pos >= available - _LONGEST_LITERAL or exc.msg.startswith("Unterminated string")


class JsonStreamReader:
    """Frames a JSON array or a sequence of concatenated JSON objects into records.

    Every element must be a JSON object; anything else becomes a
    :class:`ReadError` naming the element number and line.
    """

    name = "json"

    def sniff(self, head: bytes, path: str) -> bool:
        start = _significant(head)
        return start[:1] in (b"[", b"{") or _RECORD_LINE_HEAD.match(start) is not None

    def read(self, stream: BinaryIO, path: str) -> Iterator[RawRecord | ReadError]:
        return _JsonWindow(stream, path).records()


class _JsonWindow:
    """The decoding state: a text window over the stream and a position in it."""

    def __init__(self, stream: BinaryIO, path: str) -> None:
        self.stream = stream
        self.read = chunk_reader(stream)  # a live pipe's elements as they come, not at 1 MiB
        self.path = path
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self.buffer = ""
        self.pos = 0
        # Line numbers are counted forward from the last position asked about,
        # not from the window's start each time: counting up to 2 MB of window per
        # element took 90% of the reading time of a pretty-printed array (~330 us
        # a 3 KB Windows element; measured).
        self.counted_to = 0  # a buffer position whose line number is known
        self.counted_line = 1  # the line number at buffer[counted_to]
        self.eof = False
        self.scanner = json.JSONDecoder()

    # -- window management --------------------------------------------------
    def _fill(self) -> bool:
        """Read one more chunk; False at end of file."""
        if self.eof:
            return False
        chunk = self.read(_CHUNK)
        if not chunk:
            self.eof = True
            self.buffer += self.decoder.decode(b"", final=True)
            return False
        if self.pos > _CHUNK:  # drop what has been consumed, keep line numbers right
            if self.counted_to < self.pos:
                self._line_at(self.pos)  # the known line number moves up to the cut
            self.counted_to -= self.pos
            self.buffer = self.buffer[self.pos :]
            self.pos = 0
        self.buffer += self.decoder.decode(chunk)
        return True

    def _peek(self) -> str:
        """The next non-whitespace character ('' at end of input)."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._fill():
                return ""

    def _skip_record_line(self) -> bool:
        """Skip an evtx_dump ``Record <id>`` line at ``pos``; False (and nothing skipped) if there is none."""
        while True:
            end = self.buffer.find("\n", self.pos, self.pos + _MAX_RECORD_LINE)
            if end != -1 or len(self.buffer) - self.pos >= _MAX_RECORD_LINE or not self._fill():
                break
        # \Z is the end of the input here: the window holds the line's newline, or
        # more than the longest Record line, or everything up to the end of the file
        match = _RECORD_LINE.match(self.buffer, self.pos)
        if match is None:
            return False
        self.pos = match.end()
        return True

    def _line_at(self, pos: int) -> int:
        """The line number of ``buffer[pos]``; counts only from the last position asked about."""
        if pos < self.counted_to:  # behind it (an element's first line after an error's): count back
            return self.counted_line - self.buffer.count("\n", pos, self.counted_to)
        self.counted_line += self.buffer.count("\n", self.counted_to, pos)
        self.counted_to = pos
        return self.counted_line

    # -- decoding -----------------------------------------------------------
    def _decode_value(self) -> tuple[object, str] | ReadError:
        """Decode the value at ``pos``, reading more input while it is incomplete."""
        start = self.pos
        while True:
            try:
                value, end = self.scanner.raw_decode(self.buffer, start)
            except json.JSONDecodeError as exc:
                if _may_be_truncated(exc, len(self.buffer)) and (
                    len(self.buffer) - start < MAX_RECORD_CHARS and self._fill()
                ):
                    start = self.pos  # _fill may have shifted the window
                    continue
                return self._resync(start, f"invalid JSON: {exc.msg} (line {self._line_at(exc.pos)})")
            except RecursionError:
                # [[[[...]]]] deeper than Python's stack: a rejection, not a crash.
                return self._resync(start, f"invalid JSON: nested too deeply (line {self._line_at(start)})")
            text = self.buffer[start:end]
            self.pos = end
            return value, text

    def _value_end(self) -> int | None:
        """Where the bracketed value at ``pos`` ends, its brackets matched outside strings.

        None when they do not match, do not close within :data:`MAX_RECORD_CHARS` of input, or
        close before something no element is followed by: then where the element ends is not
        known.  More input may be read; the window keeps everything from ``pos``, the value's start.
        """
        if self.buffer[self.pos : self.pos + 1] not in ("[", "{"):
            return None
        open_brackets: list[str] = []
        at = self.pos
        while True:
            for match in _BRACKET_OR_STRING.finditer(self.buffer, at):
                token = match.group()
                if token[0] == '"':
                    if match.group("closed") is None:
                        break  # a string the window's end cuts: matched again once more is read
                elif token in "[{":
                    open_brackets.append("]" if token == "[" else "}")
                elif not open_brackets or open_brackets.pop() != token:
                    return None
                elif not open_brackets:
                    return self._element_end(match.end())
                at = match.end()
            else:
                at = len(self.buffer)
            if len(self.buffer) - self.pos >= MAX_RECORD_CHARS:
                return None
            before = self.pos
            if not self._fill():
                return None
            at -= before - self.pos  # the window may have dropped what came before pos

    def _element_end(self, end: int) -> int | None:
        """``end`` if what follows it (spaces aside) may follow an element, else None."""
        follows = _SPACES.match(self.buffer, end).end()  # type: ignore[union-attr]
        while follows == len(self.buffer):
            before = self.pos
            if not self._fill():
                return end  # the input ends: the array's own check says whether it was closed
            end -= before - self.pos
            follows = _SPACES.match(self.buffer, end).end()  # type: ignore[union-attr]
        return end if self.buffer[follows] in _AFTER_ELEMENT else None

    def _resync(self, start: int, reason: str) -> ReadError:
        """Skip a malformed element at ``start`` (``pos``): to its end when its brackets match, else to
        the next line that opens an object."""
        end = self._value_end()
        start = self.pos  # reading on may have moved the window
        raw = self.buffer[start : start + 2000]
        if end is not None:
            self.pos = end
            return ReadError(f"{self.path}#{self._element + 1}", reason, raw)
        next_object = self.buffer.find("\n{", start + 1)
        nested = self.buffer.find("\n  {", start + 1)
        candidates = [p for p in (next_object, nested) if p != -1]
        self.pos = min(candidates) + 1 if candidates else len(self.buffer)
        if not candidates:
            self.eof = True  # nothing recognisable follows: stop after reporting
        return ReadError(f"{self.path}#{self._element + 1}", reason, raw)

    def records(self) -> Iterator[RawRecord | ReadError]:
        self._element = 0
        first = self._peek()
        in_array = first == "["
        if in_array:
            self.pos += 1
        while True:
            char = self._peek()
            if char == "":
                if in_array:
                    yield ReadError(f"{self.path}#{self._element + 1}", "unterminated JSON array", "")
                return
            if in_array and char == "]":
                self.pos += 1
                tail = self._peek()
                if tail == "[":  # several arrays concatenated: keep going
                    self.pos += 1
                    continue
                if tail:
                    yield ReadError(
                        f"{self.path}#{self._element + 1}",
                        f"unexpected data after the JSON array (line {self._line_at(self.pos)})",
                        self.buffer[self.pos : self.pos + 200],
                    )
                return
            if char == ",":
                self.pos += 1
                continue
            if char == "R" and not in_array and self._skip_record_line():
                continue
            line = self._line_at(self.pos)
            decoded = self._decode_value()
            self._element += 1
            origin = f"{self.path}#{self._element}"
            if isinstance(decoded, ReadError):
                yield decoded
                if self.eof and self.pos >= len(self.buffer):
                    return
                continue
            value, text = decoded
            if not isinstance(value, dict):
                yield ReadError(
                    origin, f"element is not a JSON object (a {type(value).__name__}, line {line})", text[:2000]
                )
                continue
            try:
                # re-serialised compactly in its own key order: the bytes of its compact NDJSON
                # line, so the record has one id whichever way it is framed (ingest.event_ids)
                data = own_order_json(value)
            except (TypeError, ValueError) as exc:  # integers beyond 64 bits
                yield ReadError(origin, f"element cannot be serialised: {exc} (line {line})", text[:2000])
                continue
            yield RawRecord(value, origin, None, None, None, data, False, True)
