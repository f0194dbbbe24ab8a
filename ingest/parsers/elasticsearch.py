"""Elasticsearch exports: documents wrapped in their search hit, read by the parser of the document.

Two shapes carry a stored document (``_source``) inside Elasticsearch's own metadata:

* a **hit** per record: ``{"_index": ..., "_id": ..., "_source": {...}}``, as
  ``elasticdump``, ``jq -c '.hits.hits[]'`` or a scroll loop write them, one
  per NDJSON line;
* a **search response**: ``{"took": ..., "hits": {"total": ..., "hits": [hit, ...]}}``
  (``_search``, a scroll page, Kibana's "Inspect" response), one framed
  record for all its hits.

:class:`ElasticsearchExportParser` claims both (its sniff reads one or two
keys) and hands each ``_source`` to the parser that auto-detection picks for
it among the registry's others, so a Winlogbeat document is read by the
Windows parser, an ECS one by the ECS parser, a Zeek JSON line by the Zeek
parser, exactly as if the document had been read on its own line.

A search response is split by :meth:`ElasticsearchExportParser.parts` (the
wrapper hook of :mod:`ingest.parsers.base`): each of its hits is a record of
its own for the pipeline, with origin ``<origin>#hit-<n>`` (``n`` from 1), so
the report counts hits, not responses, and a hit that cannot be read (no
``_source``, a document no parser recognises, an export inside an export, a
document its parser refuses) is rejected alone, with the reason (and its
``_id``) and its own text, while the response's other hits are accepted.  A
response with no hits (``hits.hits == []``, the last page of every scroll
loop) holds no event and is nothing: nothing received, nothing rejected; a
file of only such pages ingests as zero records, not as an error.  A hit
without ``_index`` or ``_id`` (``filter_path=hits.hits._source``) is read
inside a response, though the sniff does not claim it on a line of its own.

Event ids follow the pipeline's rule (:mod:`ingest.event_ids`) with this
parser's name (``elasticsearch``):

* a hit on its own line: over the line as read (scheme 2), or its canonical
  JSON (scheme 1);
* a hit of a search response: over **the hit's canonical JSON**
  (:func:`ingest.readers.ndjson.canonical_json`: sorted keys, compact) in
  both schemes, which is also the text journaled as its raw evidence; a hit
  whose document yields several events adds the event's index as usual.

So re-ingesting an export, or the same response pretty-printed or with its
keys in another order, or with another ``took``, adds nothing; two hits of a
response never share an id unless they are the same hit (same ``_index``,
``_id``, ``_source`` and metadata: the same document, kept once).  The same
document unwrapped, or returned by another search with another ``_score``
or sort values, is a new event.  (Before hits were parts, a response's ids
were over the whole response and the hit's position: a response ingested
then and again now gives its events once more.)  The journal keeps each hit
once, so a response's raw evidence is about its own size, not one copy of
the response per event.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import Any

from graphsiem.model import Event
from ingest.parsers.base import (
    ParseContext,
    ParseError,
    Parser,
    ParserRegistry,
    Record,
    UnknownFormatError,
    parse_parts,
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
    sniff_reads_values = True
    """``_source`` and ``hits.hits`` are read for their types (:mod:`ingest.parsers.base`)."""

    def __init__(self, registry: ParserRegistry) -> None:
        self.registry = registry
        # documents of one index share their key layout: the parser that claimed a
        # layout is asked first (its sniff still decides), as the pipeline does for records
        self._layouts: dict[tuple[str, ...], Parser] = {}

    def sniff(self, record: Record) -> bool:
        """A search hit or a search response (:func:`is_hit`, :func:`is_search_response`)."""
        return is_hit(record) or is_search_response(record)

    def could_claim_layout(self, keys: AbstractSet[str]) -> bool:
        """Whether some object with exactly ``keys`` is a hit or a search response, whatever its values.

        >>> parser = ElasticsearchExportParser(ParserRegistry())
        >>> parser.could_claim_layout({"_id", "_source"}), parser.could_claim_layout({"_source", "@timestamp"})
        (True, False)
        """
        return "_source" in keys and ("_index" in keys or "_id" in keys) or "hits" in keys

    def parts(self, record: Record) -> Iterator[tuple[Any, str]] | None:
        """A search response's hits, each with its origin suffix ``#hit-<n>``; ``None`` for anything else.

        The pipeline takes each hit as a record of its own (:mod:`ingest.parsers.base`);
        a hit, or a record that is neither, is parsed whole (and rejected there).

        >>> parser = ElasticsearchExportParser(ParserRegistry())
        >>> list(parser.parts({"hits": {"hits": [{"_id": "a"}, {"_id": "b"}]}}))
        [({'_id': 'a'}, '#hit-1'), ({'_id': 'b'}, '#hit-2')]
        >>> parser.parts({"_id": "a", "_source": {}}) is None, list(parser.parts({"hits": {"hits": []}}))
        (True, [])
        """
        if is_hit(record) or not is_search_response(record):
            return None
        assert isinstance(record, dict)
        return ((hit, f"#hit-{position}") for position, hit in enumerate(record["hits"]["hits"], 1))

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """The events of a hit's document; :class:`ParseError` says why a hit cannot be read.

        Given a whole search response (a caller without the pipeline's :meth:`parts`),
        the events of all its hits, each with its ``#hit-<n>`` origin; the first hit that
        cannot be read then fails the response, its reason led by ``hit-<n>: ``, and a
        response of no hits, read whole, is refused: it holds no event.
        """
        hits = self.parts(record)
        if hits is None:
            yield from self._document(record, context)
        else:
            yield from parse_parts(hits, context, self._document, "an Elasticsearch search response with no hits")

    def _document(self, hit: Any, context: ParseContext) -> Iterator[Event]:
        if not isinstance(hit, dict) or not isinstance(hit.get("_source"), dict):
            raise ParseError("Elasticsearch hit without a _source object")
        document = hit["_source"]
        parser = self._parser_for(document)
        if parser is None:
            raise ParseError(
                f"Elasticsearch hit (_id {str(hit.get('_id'))[:64]!r}): no parser recognises its _source "
                f"(keys {', '.join(sorted(document)[:8])})"
            )
        try:
            yield from parser.parse(document, context)
        except ParseError as error:
            raise ParseError(f"Elasticsearch hit (_id {str(hit.get('_id'))[:64]!r}): {error}") from None

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
        # remembered only where the parser's sniff alone gives detection's answer: a forged
        # first document of the layout must not choose the parser of the genuine ones after it
        if len(self._layouts) < _LAYOUT_LIMIT and self.registry.decides_layout(parser, document.keys()):
            self._layouts[layout] = parser
        return parser


def parsers(registry: ParserRegistry) -> list[Parser]:
    """The parsers this module provides, reading documents with ``registry``'s parsers."""
    return [ElasticsearchExportParser(registry)]
