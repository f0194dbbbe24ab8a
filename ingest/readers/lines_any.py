"""Readers whose choice is not left to a body's first line: text bodies and explicit formats.

The default readers (:func:`ingest.readers.files.default_readers`) choose a
file's framing from its first bytes, as a file on disk must be.  Where the
sender already said what the lines are, that choice let one line decide for
all: a ``text/plain`` body or a syslog batch whose first line was ``{"a":1}``
was read as NDJSON (every syslog line after it rejected as invalid JSON), a
CSV header made every line a CSV row, an ``<Event>`` line merged the lines
after it into one XML record, and a NUL refused the whole batch as binary.
Here:

* :class:`TextOrJsonLinesReader` reads each line as its own record, whatever
  the others are: a line that is a JSON object is that object (as
  :class:`~ingest.readers.ndjson.NdjsonReader` frames it: same record, same
  id), any other line is its text (:func:`~ingest.readers.text_lines.decode_line`);
  the parser is then detected per record.  ``POST /v1/events`` with
  ``Content-Type: text/plain`` and ``format=auto``.  One exception: input
  that starts with Zeek's header block (``#separator`` ... ``#fields``) is
  Zeek TSV, read as a file of it is (its header governs the rows; a row read
  alone is no record); a lone ``#separator`` line is one line among others.  No other
  first line steers the framing (JSON, CSV, XML: review R2, item 6).
* :class:`AnyTextLinesReader` reads every line as text, a NUL, control bytes
  or JSON notwithstanding: the lines of a format that reads text (syslog).
* :func:`readers_for_format` is the reader list of an explicit ``format``.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import BinaryIO, cast

import orjson

from ingest.readers.base import RawRecord, Reader, ReadError
from ingest.readers.csv_rows import CsvRowsReader
from ingest.readers.evtx import EvtxReader
from ingest.readers.json_stream import JsonStreamReader
from ingest.readers.ndjson import NdjsonReader, line_record
from ingest.readers.text_lines import (
    MAX_LINE_BYTES,
    TextLinesReader,
    TooLongLine,
    decode_line,
    iter_lines,
    too_long_reason,
)
from ingest.readers.windows_kv_text import WindowsKvTextReader
from ingest.readers.xml_events import XmlEventsReader
from ingest.readers.zeek_tsv import ZeekTsvReader


class AnyTextLinesReader(TextLinesReader):
    """:class:`~ingest.readers.text_lines.TextLinesReader` that takes any input: every line is a text record.

    For lines already known to be text (a syslog batch, ``format=syslog``):
    a NUL or control bytes in one message make that message's record odd,
    not the batch binary.
    """

    def sniff(self, head: bytes, path: str) -> bool:
        return True


class TextOrJsonLinesReader:
    """Each line its own record: a JSON object line as NDJSON frames it, any other line as text.

    A line that starts with ``{`` but is not a JSON object is a
    :class:`~ingest.readers.base.ReadError` naming why (as NDJSON says it);
    blank lines are skipped; an over-long line is rejected unread.  Input
    that starts with a Zeek header block (``#separator``, then ``#`` lines up to
    ``#fields``) is read by :class:`~ingest.readers.zeek_tsv.ZeekTsvReader`
    instead: that header is unambiguous, and Zeek's rows mean nothing
    without it.  One line ``#separator ...`` alone steers nothing.
    """

    name = "lines"

    def sniff(self, head: bytes, path: str) -> bool:
        return True

    def read(self, stream: BinaryIO, path: str) -> Iterator[RawRecord | ReadError]:
        lines = iter_lines(stream)
        head = _zeek_header(lines)
        if head and head[-1][1].startswith(_ZEEK_FIELDS):
            # a whole Zeek header block: its #fields govern the rows, as in a Zeek file
            yield from ZeekTsvReader().read(cast(BinaryIO, _LinesAgain([raw for _, raw in head], stream)), path)
            return
        loads = orjson.loads
        for number, raw in chain(head, lines):
            origin = f"{path}:{number}"
            if isinstance(raw, TooLongLine):
                yield ReadError(origin, too_long_reason(raw.length, MAX_LINE_BYTES), "")
                continue
            if raw.lstrip()[:1] == b"{":
                try:
                    record = loads(raw)
                except orjson.JSONDecodeError as exc:
                    yield ReadError(origin, f"invalid JSON: {exc}", decode_line(raw)[0])
                    continue
                if record.__class__ is dict:
                    # NdjsonReader's record: the line's bytes (or a line not compact, its dump) its id's input
                    yield line_record(record, origin, raw.rstrip(b"\r\n"))
                    continue
            line, data = decode_line(raw)
            if line.strip():
                yield RawRecord(line, origin, line, None, None, data)


_ZEEK_HEADER = b"#separator"
"""The first line of a Zeek TSV log (what :meth:`ZeekTsvReader.sniff` looks for)."""

_ZEEK_FIELDS = b"#fields"
"""The header line that names a Zeek log's columns: without it no row can be read."""

_ZEEK_HEADER_LINES = 16
"""The most ``#`` lines read ahead looking for ``#fields`` (Zeek writes 8 header lines)."""


def _zeek_header(lines: Iterator[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """The first lines of ``lines``: a ``#separator`` line and the ``#`` lines after it up to ``#fields``.

    Read ahead only while the lines are a Zeek header; the caller reads them again
    whatever they are.  One message that starts ``#separator`` (a line an attacker
    writes into a batch) is not a header: Zeek's next lines are ``#`` lines too,
    up to ``#fields``, and a batch's next line is another sender's message.
    """
    first = next(lines, None)
    if first is None:
        return []
    head = [first]
    if not first[1].startswith(_ZEEK_HEADER):
        return head
    for item in lines:
        head.append(item)
        raw = item[1]
        if not raw.startswith(b"#") or raw.startswith(_ZEEK_FIELDS) or len(head) > _ZEEK_HEADER_LINES:
            break
    return head


class _LinesAgain:
    """``stream`` with ``lines`` (its first lines, already read) put back before it, for ``readline``."""

    def __init__(self, lines: list[bytes], stream: BinaryIO) -> None:
        self._lines = lines[::-1]
        self._stream = stream

    def readline(self, size: int = -1) -> bytes:
        return self._lines.pop() if self._lines else self._stream.readline(size)


_TEXT_FORMATS: dict[str, tuple[type[Reader], ...]] = {
    "syslog": (),
    "windows_kv": (WindowsKvTextReader,),
    "windows_xml": (XmlEventsReader,),
}
"""Parsers of text records, and the readers of their multi-line framing (tried first, by sniff)."""


def readers_for_format(fmt: str, *, local_timezone: str | None = None) -> list[Reader]:
    """The readers of input declared to be format ``fmt`` (an explicit ``--format``/``?format=``).

    A format that reads text gets its own multi-line reader when the head is
    its framing, else every line as text (:class:`AnyTextLinesReader`): never
    NDJSON, CSV or XML chosen by a first line it would reject.  A format of
    JSON records gets the structured readers whose framing the head declares
    (EVTX magic, Zeek's ``#separator``, NDJSON, a JSON document, a CSV export's header)
    and, else, :class:`TextOrJsonLinesReader`: a line that is not JSON is one
    rejection, not the reason the lines after it are read wrong.  ``auto``
    gets :func:`~ingest.readers.files.default_readers`.

    >>> [r.name for r in readers_for_format("syslog")]
    ['text']
    >>> [r.name for r in readers_for_format("suricata")][-1]
    'lines'
    """
    if fmt == "auto":
        from ingest.readers.files import default_readers

        return default_readers(local_timezone=local_timezone)
    if fmt in _TEXT_FORMATS:
        return [*(reader() for reader in _TEXT_FORMATS[fmt]), AnyTextLinesReader()]
    return [EvtxReader(), ZeekTsvReader(), NdjsonReader(), JsonStreamReader(),
            CsvRowsReader(local_timezone=local_timezone), TextOrJsonLinesReader()]
