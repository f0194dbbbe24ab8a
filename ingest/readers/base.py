"""Reader plugins: frame a file (or an HTTP body) into records for the parsers.

A reader sees the first bytes of a (decompressed) file to ``sniff`` it and then
``read``s records from a binary stream.  Each record comes with its origin
(``path:line`` or ``path#n``) and its text, from which the pipeline derives the
stable event id (:mod:`ingest.event_ids`): the line as read where the reader
reads lines, a JSON object re-serialised compactly in its own key order where it
has no line (an array element), else the canonical JSON text.  A record the reader cannot even frame (a line that is
not JSON) comes out as a :class:`ReadError`, which the pipeline rejects with
its reason while reading on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

from ingest.parsers.base import Record


class RawRecord:
    """One framed record.

    Attributes
    ----------
    record : dict | str
        A decoded JSON object, or a text line.
    origin : str
        ``"path:line"`` or ``"path#n"``.
    text : str
        Text of the record, from which the stable event id is derived: the
        line as read (NDJSON, text lines; without the line ending), or the
        JSON re-dumped with sorted keys (:func:`~ingest.readers.ndjson.canonical_json`)
        where the reader has no per-record text (EVTX, CSV rows).
        A reader that keeps the line's bytes may pass ``text=None``: it is then
        decoded from ``data`` when first asked for (the pipeline hashes and
        journals the bytes of a line as read, so it seldom asks).
    path_hint : str | None
        Log name from the file (Zeek ``#path`` or ``conn`` from ``conn.log``).
    format_hint : str | None
        Parser name when the reader knows it (Zeek TSV rows -> ``"zeek"``).
    data : bytes | None
        ``text`` as the UTF-8 bytes read, when the reader has them (NDJSON):
        scheme-2 ids hash them without encoding ``text`` again.
    is_canonical : bool
        False when ``record`` is a JSON object and ``text`` is its line as read
        rather than its canonical text: a journal on id scheme 1 then derives
        the id (and keeps the raw text) from ``canonical_json(record)``.
    is_redumped : bool
        True when ``data`` is the JSON object re-serialised compactly in its own
        key order (:func:`~ingest.readers.ndjson.own_order_json`: an array
        element, one of concatenated or pretty-printed objects, an API object),
        not bytes as read: the same bytes as the record's compact NDJSON line, so
        both framings give one id (:mod:`ingest.event_ids`).  Releases before
        hashed such a record's canonical text: on a journal they wrote to, that
        id is the event's alias.
    read_as : bytes | None
        The line as read when it was not compact (spaces between tokens,
        ``\\u003c`` escapes: :func:`~ingest.readers.ndjson.line_record`):
        ``data`` is then the line's compact dump in its own key order, the id's
        input (with ``is_redumped``), and ``read_as`` the raw evidence journaled;
        releases before hashed it as read, which on a journal they wrote to is
        the event's alias.  ``None`` for every other record.
    """

    # A plain class rather than a dataclass: ``text`` is a property that decodes
    # ``data`` on demand.  Decoding every 2.8 KB Windows line cost ~0.4 us a
    # record, for text the pipeline needs only to reject a record.
    __slots__ = ("record", "origin", "_text", "path_hint", "format_hint", "data", "is_canonical",
                 "is_redumped", "read_as")

    def __init__(
        self,
        record: Record,
        origin: str,
        text: str | None,
        path_hint: str | None = None,
        format_hint: str | None = None,
        data: bytes | None = None,
        is_canonical: bool = True,
        is_redumped: bool = False,
        read_as: bytes | None = None,
    ) -> None:
        if text is None and data is None:
            raise ValueError(f"{origin}: a record needs its text or its bytes")
        self.record = record
        self.origin = origin
        self._text = text
        self.path_hint = path_hint
        self.format_hint = format_hint
        self.data = data
        self.is_canonical = is_canonical
        self.is_redumped = is_redumped
        self.read_as = read_as

    @property
    def text(self) -> str:
        """The record's text (decoded from :attr:`data`, or a line's :attr:`read_as`, on first use when the reader gave none)."""
        text = self._text
        if text is None:
            read = self.data if self.read_as is None else self.read_as  # a rejection keeps the line as read
            assert read is not None  # checked in __init__
            text = self._text = read.decode("utf-8")
        return text

    def _fields(self) -> tuple[object, ...]:
        return (self.record, self.origin, self.text, self.path_hint, self.format_hint, self.data, self.is_canonical,
                self.is_redumped, self.read_as)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RawRecord):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        return (
            f"RawRecord(record={self.record!r}, origin={self.origin!r}, text={self.text!r}, "
            f"path_hint={self.path_hint!r}, format_hint={self.format_hint!r}, data={self.data!r}, "
            f"is_canonical={self.is_canonical!r}, is_redumped={self.is_redumped!r}, read_as={self.read_as!r})"
        )


@dataclass(slots=True)
class ReadError:
    """A record that could not be framed: kept and reported as rejected."""

    origin: str
    reason: str
    raw: str


@runtime_checkable
class Reader(Protocol):
    """A file-framing plugin."""

    name: str

    def sniff(self, head: bytes, path: str) -> bool:
        """Could a file starting with ``head`` (first 64 KiB, decompressed) be mine?"""

    def read(self, stream: BinaryIO, path: str) -> Iterator[RawRecord | ReadError]:
        """Stream the records of the file; never hold the whole file in memory."""
