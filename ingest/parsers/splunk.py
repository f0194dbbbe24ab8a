"""Splunk exports: events wrapped in Splunk's metadata, read by the parser of the event.

The shapes (each framed by the JSON readers: a line, an array element, or
concatenated objects):

* an **export line**: ``{"preview": false, "offset": 0, "result": {...}}``,
  as ``splunk search ... -output json`` and the REST ``/search/jobs/export``
  endpoint stream them, one per line;
* a **result**: ``{"_raw": "...", "_time": "...", "host": "...", "sourcetype": "..."}``,
  an element of a results array (``[{...}, ...]``, a saved search's JSON);
* a **results page**: ``{"results": [result, ...]}`` (REST ``.../results?output_mode=json``),
  one framed record for all its results, split into them (below);
* an **HEC payload**: ``{"time": ..., "host": ..., "sourcetype": ..., "event": {...} or "..."}``,
  what a forwarder or an HTTP Event Collector client sends; only HEC's own
  keys (``time``, ``host``, ``source``, ``sourcetype``, ``index``, ``event``,
  ``fields``) at its top, which keeps an ECS document's ``event`` object apart.

:class:`SplunkExportParser` claims these and hands the inner record to the
parser auto-detection picks among the registry's others: ``_raw`` (or a text
``event``) that is an XML event (``XmlWinEventLog``, ``<Event ...>``) goes to
:mod:`ingest.parsers.windows_xml`, one that is JSON text is decoded and read
as the object it is (Sysmon JSON, Suricata EVE, Zeek JSON...), classic
Windows event text (``WinEventLog:*``, the add-on's ``renderXml = false``
layout: a header time line, ``LogName=``..., ``Message=``) goes to
:mod:`ingest.parsers.windows_kv`, anything else is read as a text line
(syslog); an ``event`` object is read as it is.  A
``_raw`` no parser recognises rejects the record with the reason, naming the
Splunk ``sourcetype``.

A Zeek record without ``_path`` whose keys fit several logs is named by a
Zeek sourcetype (``bro:dns:json``, ``zeek_conn``, ``corelight_http``), else by
the ``source`` file (``/opt/zeek/logs/current/dns.log``), as a file name names
the log of a file read directly (``ParseContext.path_hint``).

Time: Splunk's time of the event (``_time``; HEC's ``time``) is the clock
the inner parser reads year-less dates against, so an RFC 3164 line of 2005
exported from Splunk is dated in 2005 rather than near the day of the ingest
(``--year`` still wins), and it dates a line that has no time of its own (an
RFC 5424 ``-``), as a live source's receipt time would.  A line whose date has
no zone (RFC 3164, Cisco) is read in ``--timezone`` by its parser; where that
differs from Splunk's ``_time`` by a zone offset (whole quarter hours, at most
14 h), Splunk resolved the source's zone when it indexed the line, and the event
takes Splunk's instant (``log.syslog.time_source: splunk``).  While the
inner record is parsed, Splunk's time is also in ``context.extras``
(:data:`SPLUNK_TIME`), where :mod:`ingest.parsers.windows_kv` finds it to
date a classic Windows event's zone-less header (its time rule).

A device's line that names no device (an ASA line without ``device-id``)
takes Splunk's ``host`` as ``observer.name``.

Host: Splunk's ``host`` is the host the forwarder that read the source
assigned (the machine whose log it is, or the one named by a host rule), so
where a Windows event carries no ``Computer`` it names that machine, and it
fills the event's host.  It fills nothing else: a network sensor's or
device's record of other machines' traffic has no host on purpose (it
reaches its hosts through the IP map), and there Splunk's ``host`` is the
sensor's or the syslog relay's.

Results pages: a page is split by :meth:`SplunkExportParser.parts` (the
wrapper hook of :mod:`ingest.parsers.base`): each result is a record of its
own for the pipeline, with origin ``<origin>#result-<n>`` (``n`` from 1), so
the report counts results, not pages, and a result that cannot be read is
rejected alone, with the reason and its own text, while the page's other
results are accepted.  A result of a page is read as a result even without
Splunk's own fields (``{"_raw": ...}`` alone, which a line of its own needs to
be sniffed); a row without ``_raw`` (a ``| table`` search) is refused as
such.  A page of no results (a search that matched nothing, a page past the
end) holds no event and is nothing: nothing received, nothing rejected.

Event ids: as for every format, from this parser's name (``splunk``) and the
record as read, so re-ingesting an export adds nothing, while the same event
read unwrapped is another event.  A result of a page: over the result's
canonical JSON (:func:`ingest.readers.ndjson.canonical_json`), which is also
its raw evidence, so the same page again (re-fetched, keys in another order,
another ``init_offset``) adds nothing.  (Before results were parts, a page's
ids were over the whole page and the event's position: a page ingested then
and again now gives its events once more.)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

import orjson

from graphsiem.model import Event
from ingest.host_clocks import QUARTER_HOUR, is_zone_offset
from ingest.normalize import normalize_host, parse_timestamp
from ingest.parsers.base import (
    ParseContext,
    ParseError,
    Parser,
    ParserRegistry,
    Record,
    UnknownFormatError,
    parse_parts,
    plausible_window,
)
from ingest.parsers.windows_events import HOST_SUPPLIED
from ingest.parsers.windows_xml import is_event_xml

NAME = "splunk"

HEC_KEYS = frozenset(("time", "host", "source", "sourcetype", "index", "event", "fields"))
"""The top-level keys of an HTTP Event Collector event (HEC refuses any other)."""

HOST_FILLED_SOURCES = frozenset(("windows_xml", "windows_kv", "evtx_json", "winlogbeat", "sentinel", "nxlog"))
"""Parsers whose events Splunk's ``host`` may name (module docstring: an endpoint's own log)."""

SPLUNK_TIME = "splunk_time"
"""``ParseContext.extras`` key holding Splunk's time of the event (epoch seconds) while the inner
record is parsed: a parser of zone-less text may date it by it (:mod:`ingest.parsers.windows_kv`)."""

_ZEEK_SOURCETYPES = ("bro", "zeek", "corelight")
_RESULT_MARKS = ("_time", "sourcetype", "_indextime", "_cd", "_bkt", "_serial", "_si")


def is_export_line(record: Any) -> bool:
    """An export line: a ``result`` object beside ``preview`` or ``offset``.

    >>> is_export_line({"preview": False, "offset": 0, "result": {"_raw": "x"}})
    True
    """
    return isinstance(record, dict) and isinstance(record.get("result"), dict) and (
        "preview" in record or "offset" in record or "lastrow" in record
    )


def is_result(record: Any) -> bool:
    """A search result: ``_raw`` text beside one of Splunk's own fields (``_time``, ``sourcetype``...).

    >>> is_result({"_raw": "<13>Oct 11 22:14:15 h su: x", "_time": "2024-01-01T00:00:00.000+00:00"})
    True
    """
    return (
        isinstance(record, dict) and isinstance(record.get("_raw"), str)
        and any(mark in record for mark in _RESULT_MARKS)
    )


def is_results_page(record: Any) -> bool:
    """A REST results page: ``results`` a list, beside ``preview`` or ``init_offset``."""
    return isinstance(record, dict) and isinstance(record.get("results"), list) and (
        "preview" in record or "init_offset" in record or "fields" in record
    )


def is_hec(record: Any) -> bool:
    """An HEC event: only HEC's keys, an ``event``, and Splunk's types (text ``host``, a number ``time``).

    >>> is_hec({"time": 1700000000, "host": "ws-1", "sourcetype": "XmlWinEventLog", "event": "<Event>"})
    True
    >>> is_hec({"event": {"kind": "event"}, "host": {"name": "ws-1"}})  # ECS, not HEC
    False
    """
    if not isinstance(record, dict) or "event" not in record or not record.keys() <= HEC_KEYS:
        return False
    host = record.get("host")
    if host is not None and not isinstance(host, str):
        return False
    stamp = record.get("time")
    if stamp is not None and (isinstance(stamp, bool) or not isinstance(stamp, int | float | str)):
        return False
    # a lone {"event": {...}} is too little to call it Splunk's; a text event is HEC's raw form
    return isinstance(record["event"], str) or len(record) > 1


def _inner(raw: object) -> Record | None:
    """The record inside ``_raw`` or a text ``event``: a JSON object decoded, an XML event without
    the white space (or ``<?xml?>`` declaration) before it, else the text as a text reader frames a
    line (its line ending dropped)."""
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.rstrip("\r\n")
    start = text.lstrip()[:1]
    if start == "{":
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            return text
        return value if isinstance(value, dict) else text
    if start == "<":
        xml = text.strip()
        if xml.startswith("<?xml"):
            # an event rendered with its declaration (a collector's choice): the element is the record
            xml = xml[xml.find("?>") + 2:].lstrip()
        if is_event_xml(xml):  # <Event ...>, or prefixed: <e:Event xmlns:e="...">
            return xml
    return text


class SplunkExportParser:
    """Splunk export lines, results, results pages and HEC events -> the events inside (module docstring).

    Parameters
    ----------
    registry : ParserRegistry
        Where the inner records' parsers are found (by auto-detection, the
        wrappers excepted); the default registry passes itself.
    """

    name = NAME
    sniff_reads_values = True
    """``result``, ``_raw``, ``results`` and HEC's ``event``, ``host``, ``time`` are read for their types."""

    def __init__(self, registry: ParserRegistry) -> None:
        self.registry = registry

    def sniff(self, record: Record) -> bool:
        """One of the shapes above; never raises."""
        return is_export_line(record) or is_result(record) or is_hec(record) or is_results_page(record)

    def could_claim_layout(self, keys: AbstractSet[str]) -> bool:
        """Whether some object with exactly ``keys`` is of one of the shapes, whatever its values.

        >>> parser = SplunkExportParser(ParserRegistry())
        >>> parser.could_claim_layout({"time", "host", "event"}), parser.could_claim_layout({"host", "event", "process"})
        (True, False)
        """
        return (
            "result" in keys and ("preview" in keys or "offset" in keys or "lastrow" in keys)
            or "_raw" in keys and any(mark in keys for mark in _RESULT_MARKS)
            or "event" in keys and keys <= HEC_KEYS
            or "results" in keys and ("preview" in keys or "init_offset" in keys or "fields" in keys)
        )

    def parts(self, record: Record) -> Iterator[tuple[Any, str]] | None:
        """A results page's results, each with its origin suffix ``#result-<n>``; ``None`` for anything else.

        The pipeline takes each result as a record of its own (:mod:`ingest.parsers.base`).

        >>> parser = SplunkExportParser(ParserRegistry())
        >>> list(parser.parts({"preview": False, "results": [{"_raw": "a"}, {"_raw": "b"}]}))
        [({'_raw': 'a'}, '#result-1'), ({'_raw': 'b'}, '#result-2')]
        >>> parser.parts({"_raw": "a", "_time": "1"}) is None, list(parser.parts({"preview": False, "results": []}))
        (True, [])
        """
        if not is_results_page(record) or is_export_line(record) or is_result(record):
            return None  # the shapes parse reads first keep their precedence
        assert isinstance(record, dict)
        return ((result, f"#result-{position}") for position, result in enumerate(record["results"], 1))

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """The events of the wrapped record; :class:`ParseError` names the sourcetype that failed.

        Any object that is no export line, HEC event or results page is read as a result (a
        result of a page need not carry Splunk's own fields).  Given a whole results page (a
        caller without the pipeline's :meth:`parts`), the events of all its results, each
        with its ``#result-<n>`` origin; the first result that cannot be read then fails
        the page, its reason led by ``result-<n>: ``, and a page of no results, read whole,
        is refused: it holds no event.
        """
        if not isinstance(record, dict):
            raise ParseError(f"a Splunk result or event is not a JSON object (a {type(record).__name__})")
        if is_export_line(record):
            yield from self._result(record["result"], context)
        elif is_hec(record):
            yield from self._wrapped(record, record["event"], context)
        else:
            results = self.parts(record)
            if results is None:
                yield from self._result(record, context)
            else:
                yield from parse_parts(results, context, self._result, "a Splunk results page with no results")

    def _result(self, result: Any, context: ParseContext) -> Iterator[Event]:
        if not isinstance(result, dict):
            raise ParseError(f"Splunk result is not an object (a {type(result).__name__})")
        if "_raw" not in result:
            # a `| table` or `| stats` search: fields, not events
            raise ParseError(
                f"Splunk result without _raw (fields {', '.join(sorted(map(str, result))[:8])}): "
                "export events, not a table"
            )
        yield from self._wrapped(result, result["_raw"], context)

    def _wrapped(self, wrapper: Mapping[str, Any], raw: object, context: ParseContext) -> Iterator[Event]:
        sourcetype = str(wrapper.get("sourcetype") or "unknown")[:64]
        inner = _inner(raw)
        if inner is None or inner == "":
            raise ParseError(f"Splunk event of sourcetype {sourcetype!r} is empty or not text")
        parser = self._parser_for(inner)
        if parser is None:
            raise ParseError(
                f"Splunk event of sourcetype {sourcetype!r}: no parser recognises it ({_describe(inner)})"
            )
        host = wrapper.get("host")
        file_hint, clock, received_at = context.path_hint, context.clock, context.received_at
        # the log a Zeek record without _path is of, when its keys leave it open: Splunk's
        # sourcetype names it (bro:dns:json, zeek_conn, corelight_http), else its source file
        context.path_hint = _log_hint(wrapper) or file_hint
        indexed = _splunk_time(wrapper)
        extras = context.extras
        held = extras.pop(SPLUNK_TIME, None)  # an outer wrapper's, never this record's
        if indexed is not None:
            extras[SPLUNK_TIME] = indexed
            # Splunk's time of the event stands for "now" where a parser reads a date against
            # the clock (a year-less RFC 3164 date is put in the year nearest before it, not
            # near the day of the ingest), and dates a line that has no time of its own
            context.clock = lambda: indexed
            if received_at is None:
                context.received_at = indexed
        is_line = isinstance(inner, str) and parser.name in ZONELESS_LINE_PARSERS
        # a Windows record without a computer of its own takes this host (below): not rejected
        supplies_host = isinstance(host, str) and bool(host.strip()) and HOST_SUPPLIED not in extras
        if supplies_host:
            extras[HOST_SUPPLIED] = True
        try:
            for event in parser.parse(inner, context):
                if event.host is None and isinstance(host, str):
                    if event.source in HOST_FILLED_SOURCES:
                        # the forwarder's host of an endpoint's own log (module docstring)
                        event.host = normalize_host(host)
                        if event.host is not None:
                            event.fields.setdefault("host.name.original", host)
                    elif host and "observer.name" not in event.fields and _is_device_view(event.fields):
                        # a device's line that names no device (an ASA line without device-id):
                        # Splunk's host is the device or its relay, the best name there is
                        event.fields["observer.name"] = host
                if is_line and indexed is not None:
                    _zone_from_splunk(event, indexed)
                yield event
        except ParseError as error:
            raise ParseError(f"Splunk event of sourcetype {sourcetype!r}: {error}") from None
        finally:
            context.path_hint, context.clock, context.received_at = file_hint, clock, received_at
            if supplies_host:
                extras.pop(HOST_SUPPLIED, None)
            extras.pop(SPLUNK_TIME, None)
            if held is not None:
                extras[SPLUNK_TIME] = held

    def _parser_for(self, inner: Record) -> Parser | None:
        # No memo of key layouts (elasticsearch.py keeps one): a Splunk record's inner parser is
        # found by the sniffs, which read a key or two each, and most _raw are text, which has no layout.
        try:
            parser = self.registry.detect(inner)
        except UnknownFormatError:
            return None
        if parser is self or parser.name == "elasticsearch":
            return None  # a wrapper inside a wrapper: no event of its own, and no nesting without end
        return parser


def _is_device_view(fields: Mapping[str, Any]) -> bool:
    return any(key.startswith("observer.") for key in fields)


def _zone_from_splunk(event: Event, indexed: float) -> None:
    """Date a line read in a guessed zone at Splunk's time, when the two differ by a zone offset.

    An RFC 3164 (or Cisco) date has no zone, so the line was read in ``--timezone``;
    Splunk resolved the source's zone when it indexed the line, and ``_time`` is that
    instant.  A difference of a whole number of quarter hours (every zone offset), at
    most 14 h, is the zone: the event takes Splunk's instant.  A zoned time (RFC 5424)
    agrees with Splunk's, and any other difference is not a zone, so it is left alone.

    >>> event = Event(id="", kind="syslog:message", ts=1709637340.0, host=None, source="syslog", fields={})
    >>> _zone_from_splunk(event, 1709633740.25); event.ts, event.fields["log.syslog.time_source"]
    (1709633740.25, 'splunk')
    """
    difference = event.ts - indexed
    # within a second (Splunk's milliseconds); no difference at all is a zoned time that agrees
    if abs(difference) >= QUARTER_HOUR / 2 and is_zone_offset(difference):
        event.ts = indexed
        event.fields["log.syslog.time_source"] = "splunk"

ZONELESS_LINE_PARSERS = frozenset(("syslog",))
"""Parsers of text lines whose dates may carry no zone (RFC 3164, Cisco): Splunk's ``_time`` dates them."""


def _splunk_time(wrapper: Mapping[str, Any]) -> float | None:
    """Splunk's time of the event (``_time``, ISO or epoch; HEC ``time``), when plausible, else None."""
    value = wrapper.get("_time", wrapper.get("time"))
    try:
        seconds = parse_timestamp(value)
    except (ValueError, OverflowError):
        return None
    earliest, latest = plausible_window()
    return seconds if math.isfinite(seconds) and earliest <= seconds <= latest else None


def _log_hint(wrapper: Mapping[str, Any]) -> str | None:
    """A log name hint: a Zeek sourcetype, else the source (a file path; ``udp:514`` names no log)."""
    sourcetype = wrapper.get("sourcetype")
    if isinstance(sourcetype, str) and sourcetype.lower().startswith(_ZEEK_SOURCETYPES):
        return sourcetype.replace(":", "-")
    source = wrapper.get("source")
    return source if isinstance(source, str) and source else None


def _describe(inner: Record) -> str:
    if isinstance(inner, dict):
        return f"a JSON object with keys [{', '.join(sorted(map(str, inner))[:8])}]"
    return f"text {inner[:80]!r}"


def parsers(registry: ParserRegistry) -> list[Parser]:
    """The parsers this module provides, reading inner records with ``registry``'s parsers."""
    return [SplunkExportParser(registry)]
