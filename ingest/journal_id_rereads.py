"""A journaled record read again with this release's parsers: the ids an ingest would give its events now.

:func:`ingest.journal_id_migration.recompute_ids` asks :class:`Rereader`, row
by row in journal order, which id each old row's event has in this release.
Three rules of this release are applied as an ingest applies them:

* **Content ids** (Zeek records, Windows events with a record number): the id
  the parser sets (:mod:`ingest.event_ids`).
* **Sorted-key ids** (:mod:`ingest.pipeline_ids`): a JSON object's event
  without a content id, on a journal of id scheme 2, is hashed by the object's
  compact dump with sorted keys (and the event's index when the record gives
  several), so the copies of one record journaled in two key orders before
  the upgrade get one id and the migration merges them.  A scheme-1 journal
  hashed the canonical (sorted) text already: its ids stay.  Text records
  (syslog lines, XML) keep their ids: their input is the text as read.
* **Syslog capture copies** (:mod:`ingest.parsers.zeek_syslog_copies`): one
  :class:`~ingest.parsers.base.ParseContext` serves the whole run, so its
  memory of recent bursts sees the rows in journal order, as the session that
  journaled them saw the records: a copy takes its burst's first record's
  content and id.  The migration keeps the bursts open with each batch's
  progress and gives them back to the resumed run's context, so a migration
  interrupted between two copies of a burst merges them as one run does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

import orjson

from ingest.event_ids import AS_READ, as_read_id
from ingest.parsers.base import ParseContext, Parser, ParserRegistry, UnknownFormatError
from ingest.readers.windows_kv_text import FORMAT_HINT as KV_TEXT_HINT
from ingest.readers.xml_events import FORMAT_HINT as XML_HINT

ROW_COLUMNS = "seq, id, kind, host, origin, source, raw, ts"
"""The ``events`` columns of a row as :class:`Rereader` reads it (in this order)."""


class Rereader:
    """Reads journaled records again with this release's parsers, in journal order.

    Parameters
    ----------
    registry : ParserRegistry
        This release's parsers.
    id_scheme : int
        The journal's id scheme (:attr:`ingest.journal.Journal.id_scheme`): sorted-key ids are scheme 2's.
    """

    def __init__(self, registry: ParserRegistry, id_scheme: int) -> None:
        self.registry = registry
        self.names = set(registry.names)
        self.is_as_read = id_scheme == AS_READ
        # one context for the run: the syslog capture-copy memory lives in its extras
        self.context = ParseContext()

    def ids(self, group: Sequence[tuple]) -> list[str | None]:
        """Per row of one record (rows of :data:`ROW_COLUMNS`), the id this release gives its event.

        None where this release does not read the record, or not into an event of the row's kind.
        """
        read = self.events(group[0])
        if read is None:
            return [None] * len(group)
        parser, record, events = read
        found: list[str | None] = []
        used: set[int] = set()
        sorted_dump: bytes | None = None
        for row in group:
            kind = row[2]
            match = next((n for n, event in enumerate(events) if n not in used and event.kind == kind), None)
            if match is None:
                found.append(None)
                continue
            used.add(match)
            event_id = events[match].id
            if not event_id:  # no content id: the id of the record as an ingest hashes it now
                if sorted_dump is None:
                    sorted_dump = self._sorted_dump(record)
                event_id = row[1] if not sorted_dump else as_read_id(
                    parser.name, sorted_dump, None if len(events) == 1 else match)
            found.append(event_id)
        return found

    def _sorted_dump(self, record: Any) -> bytes:
        """A JSON object's compact dump with sorted keys on a scheme-2 journal; else b"" (the id as journaled holds)."""
        if not self.is_as_read or record.__class__ is not dict:
            return b""
        try:
            return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # a value orjson cannot write back: the pipeline keeps the id of the bytes too
            return b""

    def events(self, row: tuple) -> tuple[Parser, Any, list[Any]] | None:
        """The parser, the record and the events this release reads from a row's journaled record (None: none)."""
        _, _, _, _, origin, source, raw, _ = row
        text = raw.decode("utf-8", "surrogatepass") if isinstance(raw, bytes) else raw
        if not text:
            return None
        record: Any = text
        if text[:1] in "{\"":  # raw is JSON: an object, or a text record (XML, Splunk's text) as a string
            try:
                record = orjson.loads(text)
            except orjson.JSONDecodeError:
                return None
        context = self.context
        context.origin = origin
        context.path_hint = file_name(origin)
        for parser in self._parsers(record, source):
            try:
                return parser, record, list(parser.parse(record, context))
            except Exception:  # noqa: BLE001, S112 - a record this release rejects keeps its id; try the next
                continue
        return None

    def _parsers(self, record: Any, source: str) -> list[Parser]:
        """The parsers that may have read ``record``: the one its events name, the text readers' hints, detection."""
        parsers = []
        for name in (source, XML_HINT, KV_TEXT_HINT):
            if name in self.names:
                parser = self.registry.get(name)
                if name == source and parser.sniff(record) or name != source and isinstance(record, str):
                    parsers.append(parser)
        try:
            parsers.append(self.registry.detect(record))
        except UnknownFormatError:
            pass
        return parsers


def file_name(origin: str) -> str | None:
    """The file an origin names (``dns.log:12``, ``dir/x.json#3``): Zeek logs without ``_path`` are named by it.

    Examples
    --------
    >>> file_name("logs/dns.log:12"), file_name("dir/x.json#3"), file_name("api")
    ('dns.log', 'x.json', 'api')
    """
    path = origin.split("#", 1)[0]
    head, colon, line = path.rpartition(":")
    if colon and line.isdigit():
        path = head
    return PurePath(path).name or None
