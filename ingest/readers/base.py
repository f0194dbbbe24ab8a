"""Reader plugins: frame a file (or an HTTP body) into records for the parsers.

A reader sees the first bytes of a (decompressed) file to ``sniff`` it and then
``read``s records from a binary stream.  Each record comes with its origin
(``path:line`` or ``path#n``) and its text, from which the pipeline derives the
stable event id (:mod:`ingest.event_ids`): the line as read where the reader
reads lines, else the canonical JSON text.  A record the reader cannot even frame (a line that is
not JSON) comes out as a :class:`ReadError`, which the pipeline rejects with
its reason while reading on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

from ingest.parsers.base import Record


@dataclass(slots=True)
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
        where the reader has no per-record text (pretty-printed JSON, EVTX).
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
    """

    record: Record
    origin: str
    text: str
    path_hint: str | None = None
    format_hint: str | None = None
    data: bytes | None = None
    is_canonical: bool = True


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
