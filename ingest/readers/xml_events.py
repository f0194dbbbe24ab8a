"""Windows event XML reader: frames each ``<Event>`` element of a file into a text record.

The files: ``wevtutil qe Security /f:xml`` (events concatenated with no root
element, often no line break between them), PowerShell ``Get-WinEvent | %
{ $_.ToXml() }`` (often UTF-16LE from ``Out-File``, sometimes pretty-printed
over many lines), Event Viewer's "Save as XML" (an ``<?xml?>`` declaration
and an ``<Events>`` root).  UTF-16/32 and byte-order marks are undone before
any reader sees the file (:func:`ingest.readers.files.open_binary`); a file
whose declaration names a legacy 8-bit encoding (``windows-1252``) is decoded
by it.  A declared name that is no ASCII-compatible text encoding (Python's
``hex``, ``rot13``, ``zlib``, ``base64`` codecs, ``utf-7``, ``unicode_escape``,
EBCDIC) is ignored and the file read as UTF-8, as one with no declaration.

Framing is textual, not an XML parse of the file: from an ``<Event`` start
tag (followed by a space, ``>`` or ``/``: never ``<Events>`` or
``<EventData>``) to the next ``</Event>``.  The tags may carry a namespace
prefix (``<e:Event xmlns:e="http://schemas.microsoft.com/win/2004/08/events/event">``
... ``</e:Event>``, inside ``<e:Events>`` or not), as some collectors and
XML APIs write them; a prefix declared only on the root is declared again
by the parser (:mod:`ingest.parsers.windows_xml`).  The first element
decides: after an unprefixed one, a prefixed element is text outside any
element (rejected), as no tool writes both in one file.  So the file is read in 1 MiB
blocks and only one element is held, never the file: an element longer than
``max_event_bytes`` is a :class:`~ingest.readers.base.ReadError` with its
length and is skipped to its end tag without being kept.  An element with no
end tag before the next ``<Event`` is rejected as cut, and framing goes on
from that next one.  Between elements, an ``<?xml?>`` declaration, comments
and the ``<Events>`` root tags are expected; a ``<!DOCTYPE>`` is refused (a
DTD's entities are never read: an event that uses one is then rejected by
the parser, :mod:`ingest.parsers.windows_xml`), and any other text is
rejected with its line, once per stretch (a stretch is judged on its first
64 KiB, and past them only blank or not: a longer comment is rejected too).

Records: the element's text, ``format_hint="windows_xml"``, origin
``path#n`` (the n-th element of the file); the bytes as read are kept
(``RawRecord.data``), so a scheme-2 event id hashes the element's bytes and
re-reading the file gives the same ids (:mod:`ingest.event_ids`).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Generator, Iterator
from typing import BinaryIO

from ingest.readers.base import RawRecord, ReadError
from ingest.readers.streams import chunk_reader

FORMAT_HINT = "windows_xml"
MAX_EVENT_BYTES = 1 << 20
"""An element past this is rejected and skipped.  An EVTX record is at most 64 KiB of binary XML,
its strings UTF-16: at most 32 K characters, ~96 KiB as UTF-8, a few times that escaped (``&amp;``)
and indented, with a rendered message: a 4104 block of 32 K characters renders to ~100 KB.  1 MiB
leaves several times the largest real event, and bounds what a parse of one element may build
(:data:`ingest.parsers.windows_xml.MAX_TAGS` bounds its elements)."""

_CHUNK = 1 << 20
_PREFIX = rb"(?:[A-Za-z_][\w.-]{0,31}:)?"
"""A namespace prefix (``e:`` of ``<e:Event xmlns:e="...">``), as some collectors write: up to 32 characters."""
_START = re.compile(rb"<Event[\s>/]")
_END = re.compile(rb"</Event\s*>")
_ANY_START = re.compile(rb"<" + _PREFIX + rb"Event[\s>/]")
_ANY_END = re.compile(rb"</" + _PREFIX + rb"Event\s*>")
"""Until a file's first element, and for the rest of a file whose first element is prefixed; after
an unprefixed first element, the two above, whose literal ``<Event`` the regular expression engine
finds ~2x faster (measured: 5.2 against 9.3 us an element of the corpus' EVTX records as XML)."""
_CUT_END = re.compile(rb"</" + _PREFIX + rb"Event\s*")
_KEEP = 48
"""Bytes kept at a block's end while searching: more than the longest tag searched for (a prefix of 32
characters), split by a block boundary (an end tag whose whitespace runs past them is kept from its
``</Event``: :func:`_resume_at`)."""
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_MARKUP = re.compile(rb"<\?.*?\?>|<!--.*?-->|</?" + _PREFIX + rb"Events(?:\s[^>]*)?>|\s+", re.DOTALL)
_DECLARED = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]{1,40})[\"']")
_MAX_GAP = 64 << 10
"""Text kept between two elements to judge it; past this it is counted, not kept."""
_ASCII_PROBE = b'<?xml version="1.0"?>\r\n<Event a=\'x\'>+-\\x41\\u0041&amp;</Event>\t'
"""Markup every legacy encoding a Windows event file may declare reads unchanged (utf-7's ``+-``,
the escape codecs' ``\\x41``/``\\u0041`` and EBCDIC do not)."""
_ASCII_TEXT = _ASCII_PROBE.decode("ascii")
_UNICODE = ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")


def is_xml_events(head: bytes) -> bool:
    """Whether a file's first bytes (UTF-8, mark removed) are Windows event XML.

    The first element is ``<Event>`` or ``<Events>``; before it there may
    be only an ``<?xml?>`` declaration, comments or a ``<!DOCTYPE>`` (claimed,
    so that it is refused with its reason rather than read as text).

    >>> is_xml_events(b'<?xml version="1.0" encoding="UTF-16"?>\\r\\n<Events><Event xmlns="x">')
    True
    >>> is_xml_events(b"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>")
    True
    >>> is_xml_events(b'<e:Events xmlns:e="http://schemas.microsoft.com/win/2004/08/events/event"><e:Event>')
    True
    >>> is_xml_events(b"<EventData>"), is_xml_events(b"<13>Oct 11 22:14:15 host <Event>")
    (False, False)
    """
    text = head.lstrip()
    if not text.startswith(b"<"):
        return False
    found = _FIRST_TAG.search(text)
    if found is None or found.group(1).rpartition(b":")[2] not in (b"Event", b"Events"):
        return False
    before = text[: found.start()]
    if before and not before.startswith((b"<?", b"<!")):
        return False
    return text[found.end(): found.end() + 1] in (b" ", b"\t", b"\r", b"\n", b">", b"/", b"")


def _declared_encoding(head: bytes) -> str | None:
    """A legacy encoding the ``<?xml?>`` declaration names (None for Unicode, already UTF-8 here).

    Only a text encoding that reads ASCII as ASCII counts: framing looks for ASCII tags in the bytes.
    Any other name (unknown, a bytes-to-bytes codec such as ``hex`` or ``zlib``, ``utf-7``, EBCDIC)
    gives None: the file is read as UTF-8.

    >>> _declared_encoding(b'<?xml version="1.0" encoding="windows-1252"?>'), _declared_encoding(b'encoding="hex"')
    ('cp1252', None)
    """
    found = _DECLARED.search(head[:512])
    if found is None:
        return None
    try:
        codec = codecs.lookup(found.group(1).decode("ascii"))
        # read as the records will be: with errors replaced (idna cannot), a non-ASCII byte at the end
        if not getattr(codec, "_is_text_encoding", True) or not (_ASCII_PROBE + b"\xe9").decode(
                codec.name, "replace").startswith(_ASCII_TEXT):
            return None
    except (LookupError, ValueError, TypeError):  # unknown; or the probe is no text in it
        return None
    return None if codec.name in _UNICODE or codec.name == "ascii" else codec.name


def _resume_at(buffer: bytes, searched_from: int, hold: int) -> int:
    """Where to search for an end tag again once the next block is read.

    ``_KEEP`` bytes before the buffer's end, or earlier, from an end tag cut by the block boundary in
    its whitespace (``</Event`` and blanks up to the end, its ``>`` in the next block), when that
    holds at most ``hold`` bytes.  Only what was not searched before is looked at (linear).
    """
    keep = max(searched_from, len(buffer) - _KEEP)
    # a cut end tag is the buffer's last "</" (only blanks follow it)
    tag = buffer.rfind(b"</", searched_from)
    if 0 <= tag < keep and len(buffer) - tag <= hold and _CUT_END.fullmatch(buffer, tag):
        return tag
    return keep


class XmlEventsReader:
    """Frames the ``<Event>`` elements of a Windows event XML file (module docstring).

    Parameters
    ----------
    max_event_bytes : int
        A longer element is a :class:`ReadError` and is skipped, never held.
    block_size : int
        Bytes read at a time (1 MiB); framing does not depend on it.

    Examples
    --------
    >>> import io
    >>> data = b'<Events><Event><System/></Event><Event><System/></Event></Events>'
    >>> [(r.origin, r.record) for r in XmlEventsReader().read(io.BytesIO(data), "f.xml")]
    [('f.xml#1', '<Event><System/></Event>'), ('f.xml#2', '<Event><System/></Event>')]
    """

    name = "xml_events"

    def __init__(self, *, max_event_bytes: int = MAX_EVENT_BYTES, block_size: int = _CHUNK) -> None:
        self.max_event_bytes = max_event_bytes
        self.block_size = block_size

    def sniff(self, head: bytes, path: str) -> bool:
        """:func:`is_xml_events` of the head."""
        return is_xml_events(head)

    def read(self, stream: BinaryIO, path: str) -> Iterator[RawRecord | ReadError]:
        """The file's elements, one record each, in order; what is not one, as rejections."""
        return _Framer(stream, path, self.max_event_bytes, self.block_size).frames()


class _Framer:
    """One read of one file: a block buffer, the position in it, and the counts origins need."""

    def __init__(self, stream: BinaryIO, path: str, max_bytes: int, block_size: int = _CHUNK) -> None:
        self.read = chunk_reader(stream)  # read1 on a live pipe, read on a file
        self.path = path
        self.max_bytes = max_bytes
        self.block_size = max(block_size, 2 * _KEEP)
        self.buffer = b""
        self.eof = False
        self.number = 0  # elements met
        self.line = 1  # line of buffer[mark]: counted on, never again from the start (linear)
        self.mark = 0
        self.encoding: str | None = None
        self.gap = bytearray()  # text since the last element, up to _MAX_GAP bytes
        self.gap_size = 0
        self.gap_overflows = False  # text past _MAX_GAP that is not blank
        self.start, self.end = _ANY_START, _ANY_END  # _START, _END once the first element is unprefixed

    def _line(self, position: int) -> int:
        """The line of ``buffer[position]``; positions asked for only grow."""
        if position > self.mark:
            self.line += self.buffer.count(b"\n", self.mark, position)
            self.mark = position
        return self.line

    def _more(self, keep_from: int) -> bool:
        """Drop the buffer before ``keep_from`` and read a block; False at the end of the file."""
        self._line(keep_from)
        self.mark -= keep_from
        block = b"" if self.eof else self.read(self.block_size)
        if not block:
            self.eof = True
            self.buffer = self.buffer[keep_from:]
            return False
        self.buffer = self.buffer[keep_from:] + block
        return True

    def frames(self) -> Iterator[RawRecord | ReadError]:
        self._more(0)
        self.encoding = _declared_encoding(self.buffer)
        position = 0
        gap_line = 1
        while True:
            found = self.start.search(self.buffer, position)
            if found is None:
                keep = max(position, len(self.buffer) - _KEEP)
                self._add_gap(self.buffer[position:keep])
                if not self._more(keep):
                    self._add_gap(self.buffer)
                    yield from self._gap(gap_line)
                    return
                position = 0
                continue
            start = found.start()
            if not self.number and self.buffer.startswith(b"<Event", start):
                self.start, self.end = _START, _END  # an unprefixed file (see _ANY_START)
            self._add_gap(self.buffer[position:start])
            yield from self._gap(gap_line)
            self.number += 1
            position = yield from self._element(start)
            gap_line = self._line(position)

    def _add_gap(self, piece: bytes) -> None:
        """Keep text between elements to judge it: up to _MAX_GAP bytes, and whether any past that is not blank."""
        self.gap_size += len(piece)
        room = _MAX_GAP - len(self.gap)
        if room > 0:
            self.gap += piece[:room]
        if len(piece) > room and piece[max(room, 0):].strip():
            self.gap_overflows = True

    def _element(self, start: int) -> Generator[RawRecord | ReadError, None, int]:
        """Frame the element starting at ``buffer[start]``; returns the position after it."""
        origin = f"{self.path}#{self.number}"
        closing = self.buffer.find(b">", start, start + 4096)
        if closing > 0 and self.buffer[closing - 1: closing] == b"/":
            yield ReadError(origin, f"empty <Event/> element: no event (line {self._line(start)})",
                            self._text(self.buffer[start: closing + 1]))
            return closing + 1
        search_from = start + 6  # where an end tag may begin
        start_from = start + 1  # where the next element may begin
        while True:
            # the next <Event first, and the end tag searched only before it: searching the end tag to the
            # buffer's end for each start made '<Event>' * n quadratic (a block rescanned per element)
            following = self.start.search(self.buffer, start_from)
            end = self.end.search(self.buffer, search_from, following.start() if following else len(self.buffer))
            if end is None and following is not None:
                line = self._line(start)
                yield ReadError(
                    origin, f"<Event> element cut short: another <Event> begins before its </Event> (line {line})",
                    self._text(self.buffer[start: min(following.start(), start + 2000)]),
                )
                return following.start()
            if end is not None and end.end() - start <= self.max_bytes:
                yield self._record(self.buffer[start: end.end()], origin)
                return end.end()
            if end is not None or len(self.buffer) - start > self.max_bytes:
                return (yield from self._skip(start, origin))
            search_from = _resume_at(self.buffer, search_from, len(self.buffer)) - start
            start_from = max(start + 1, len(self.buffer) - _KEEP) - start
            line = self._line(start)
            if not self._more(start):
                yield ReadError(
                    origin, f"<Event> element cut short: the file ends before its </Event> (line {line})",
                    self._text(self.buffer[:2000]),
                )
                return len(self.buffer)
            start = 0

    def _skip(self, start: int, origin: str) -> Generator[ReadError, None, int]:
        """Consume an element over the limit to its end tag, holding a block at most."""
        line = self._line(start)
        length = 0
        search_from = start
        while True:
            end = self.end.search(self.buffer, search_from)
            if end is not None:
                length += end.end() - start
                yield ReadError(
                    origin,
                    f"<Event> element too long: {length} bytes, over the limit of {self.max_bytes} bytes (line {line})",
                    "",
                )
                return end.end()
            # an end tag's whitespace is held up to the limit, as an element is
            keep = _resume_at(self.buffer, search_from, self.max_bytes)
            length += keep - start
            if not self._more(keep):
                length += len(self.buffer)
                yield ReadError(
                    origin,
                    f"<Event> element too long: over {length} bytes with no </Event> before the end of the file, "
                    f"over the limit of {self.max_bytes} bytes (line {line})",
                    "",
                )
                return len(self.buffer)
            start = search_from = 0

    def _gap(self, line: int) -> Iterator[ReadError]:
        """The text kept since the last element: expected markup passes; a DTD or anything else is
        rejected, once for the stretch.  The stretch is then forgotten."""
        gap, size, overflows = bytes(self.gap), self.gap_size, self.gap_overflows
        self.gap.clear()
        self.gap_size, self.gap_overflows = 0, False
        if not size or not (overflows or gap.strip()):
            return
        where = f"{self.path}:{line}"
        if b"<!DOCTYPE" in gap:
            yield ReadError(
                where, "a DTD (<!DOCTYPE>) in an XML event file: refused, its entities are neither expanded "
                "nor fetched (an event that uses one is rejected)", self._text(gap[:2000]),
            )
            return
        if overflows or _MARKUP.sub(b"", gap):
            yield ReadError(
                where, f"text outside any <Event> element ({size} bytes from line {line})",
                self._text(gap[:2000]),
            )

    def _record(self, data: bytes, origin: str) -> RawRecord:
        if self.encoding is not None:
            # a legacy 8-bit file: the UTF-8 text is the record; ids hash that text
            text = data.decode(self.encoding, "replace")
            return RawRecord(text, origin, text, None, FORMAT_HINT)
        text = data.decode("utf-8", "replace")
        return RawRecord(text, origin, text, None, FORMAT_HINT, data)

    def _text(self, data: bytes) -> str:
        return data.decode(self.encoding or "utf-8", "replace")
