"""Elasticsearch exports: documents wrapped in their search hit, read by the parser of the document.

Two shapes carry a stored document (``_source``) inside Elasticsearch's own metadata:

* a **hit** per record: ``{"_index": ..., "_id": ..., "_source": {...}}``, as
  ``elasticdump``, ``jq -c '.hits.hits[]'`` or a scroll loop write them, one
  per NDJSON line;
* a **search response**: ``{"took": ..., "hits": {"total": ..., "hits": [hit, ...]}}``
  (``_search``, a scroll page, Kibana's "Inspect" response), one record for
  all its hits.

:class:`ElasticsearchExportParser` claims both (its sniff reads one or two
keys) and hands each ``_source`` to the parser that auto-detection picks for
it among the registry's others, so a Winlogbeat document is read by the
Windows parser, an ECS one by the ECS parser, a Zeek JSON line by the Zeek
parser, exactly as if the document had been read on its own line.  A
document no parser recognises, or a hit without ``_source``, rejects the
record with the reason (and the hit's position and ``_id``); a search
response with no hits is rejected too, as a record that holds no event.

Event ids: the pipeline derives them, as for every format, from this parser's
name (``elasticsearch``) and the record as read (its line's bytes; the
canonical text where no bytes are kept), and for a search response the hit's
position as the event index.  So re-ingesting an export adds nothing, but the
same document read unwrapped, or in an export with other metadata (another
``_score``, ``took`` or sort values), is a new event.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphsiem.model import Event
from ingest.parsers.base import (
    ParseContext,
    ParseError,
    Parser,
    ParserRegistry,
    Record,
    UnknownFormatError,
)

NAME = "elasticsearch"

_LAYOUT_LIMIT = 4096


def is_hit(record: Any) -> bool:
    """A search hit: a ``_source`` object beside ``_index`` or ``_id``.

    >>> is_hit({"_index": "winlogbeat-8", "_id": "x", "_source": {"winlog": {}}}), is_hit({"_source": "x"})
    (True, False)
    """
    return (
        isinstance(record, dict) and isinstance(record.get("_source"), dict)
        and ("_index" in record or "_id" in record)
    )


def is_search_response(record: Any) -> bool:
    """A search response: ``hits.hits`` is a list.

    >>> is_search_response({"took": 3, "hits": {"total": {"value": 0}, "hits": []}})
    True
    """
    if not isinstance(record, dict):
        return False
    hits = record.get("hits")
    return isinstance(hits, dict) and isinstance(hits.get("hits"), list)


class ElasticsearchExportParser:
    """Search hits and search responses -> the events of their documents (module docstring).

    Parameters
    ----------
    registry : ParserRegistry
        Where the documents' parsers are found (by auto-detection, this parser
        excepted); the default registry passes itself.
    """

    name = NAME
    events_carry_raw = True
    """A search response's events each carry their own hit as ``raw``: the pipeline journals that."""

    def __init__(self, registry: ParserRegistry) -> None:
        self.registry = registry
        # documents of one index share their key layout: the parser that claimed a
        # layout is asked first (its sniff still decides), as the pipeline does for records
        self._layouts: dict[tuple[str, ...], Parser] = {}

    def sniff(self, record: Record) -> bool:
        """A search hit or a search response (:func:`is_hit`, :func:`is_search_response`)."""
        return is_hit(record) or is_search_response(record)

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """The events of the record's document(s); :class:`ParseError` names the hit that failed."""
        if is_hit(record):
            assert isinstance(record, dict)
            yield from self._document(record, context, None)
            return
        if not is_search_response(record):
            raise ParseError("not an Elasticsearch hit or search response")
        assert isinstance(record, dict)
        hits = record["hits"]["hits"]
        if not hits:
            raise ParseError("an Elasticsearch search response with no hits")
        origin = context.origin
        try:
            for position, hit in enumerate(hits, 1):
                # each hit's events name it in their origin: the evidence points at the document
                context.origin = f"{origin}#hit-{position}"
                yield from self._document(hit, context, position)
        finally:
            context.origin = origin

    def _document(self, hit: Any, context: ParseContext, position: int | None) -> Iterator[Event]:
        where = "" if position is None else f"hit {position} "
        if not isinstance(hit, dict) or not isinstance(hit.get("_source"), dict):
            raise ParseError(f"Elasticsearch {where}without a _source object")
        document = hit["_source"]
        parser = self._parser_for(document)
        if parser is None:
            raise ParseError(
                f"Elasticsearch {where}(_id {str(hit.get('_id'))[:64]!r}): no parser recognises its _source "
                f"(keys {', '.join(sorted(document)[:8])})"
            )
        try:
            for event in parser.parse(document, context):
                if position is not None:
                    # a search response is one record: without its own hit as raw, each event
                    # journaled the whole response (N hits, N copies: 57 MB for 153 KB)
                    event.raw = hit
                yield event
        except ParseError as error:
            raise ParseError(f"Elasticsearch {where}(_id {str(hit.get('_id'))[:64]!r}): {error}") from None

    def _parser_for(self, document: dict[str, Any]) -> Parser | None:
        layout = tuple(document)
        parser = self._layouts.get(layout)
        if parser is not None and parser.sniff(document):
            return parser
        try:
            parser = self.registry.detect(document)
        except UnknownFormatError:
            return None
        if parser is self:
            return None  # an export inside an export: not a document
        if len(self._layouts) < _LAYOUT_LIMIT:
            self._layouts[layout] = parser
        return parser


def parsers(registry: ParserRegistry) -> list[Parser]:
    """The parsers this module provides, reading documents with ``registry``'s parsers."""
    return [ElasticsearchExportParser(registry)]
