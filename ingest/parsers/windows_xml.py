"""Windows event XML: one ``<Event>`` element, read as the ``evtx_json`` layout.

Windows writes an event as XML in many places: ``wevtutil qe Security /f:xml``,
PowerShell's ``Get-WinEvent | % { $_.ToXml() }``, Event Viewer's "Save as
XML" (an ``<Events>`` root), Windows Event Forwarding and Splunk's
``XmlWinEventLog`` (with a ``RenderingInfo`` block).  The reader
:mod:`ingest.readers.xml_events` frames each ``<Event>`` element of such a
file into a text record; :class:`WindowsXmlParser` turns that text into the
dict ``evtx_dump`` would have written for the same event
(:func:`xml_to_evtx_dict`) and hands it to the Windows mapping through
:func:`~ingest.parsers.windows_shapes.from_evtx_json`, so the XML and the
evtx_dump JSON of one event give the same normalised fields (the tests hold
them side by side).  The differences, all in the text: XML carries every
value as text where evtx_dump types numbers (the mapping normalises both,
and an unmapped event's ``winlog.event_data.*`` keeps the text, as
Winlogbeat's do), and an XML parser reads a ``CR LF`` inside a value as
``LF`` (XML 1.0, 2.11).

Element rules (those of evtx_dump): ``<Data Name="X">v</Data>`` is
``EventData.X``; unnamed ``<Data>`` elements are ``Data1``, ``Data2``... (as
the Windows mapping numbers evtx_dump's unnamed list); ``<Binary>`` is
``EventData.Binary`` (hex text); ``UserData``'s one child element holds the
fields; ``System`` attributes (``TimeCreated SystemTime``, ``Execution
ProcessID``, ``Security UserID``) are ``#attributes``.  ``RenderingInfo``'s
``Message`` becomes the record's message, which the mapping copies into
``message`` for unmapped (``windows:other``) events only.  ``Security
UserID`` stays in the dict and is not mapped to ``user.id``: it is the
identity that *wrote* the event (``S-1-5-18`` on every Sysmon event), not the
process's user.

Namespace prefixes: an element may be written prefixed (``<e:Event
xmlns:e="http://schemas.microsoft.com/win/2004/08/events/event">``, its
children ``<e:System>``...), as some collectors and XML APIs write it; names
are read without their namespace, so it reads as the unprefixed event.  An
element framed out of a root that declared its prefix (``<e:Events
xmlns:e=...>``) uses a prefix it does not declare: it is parsed inside an
element declaring each prefix it uses (only when the parse says ``unbound
prefix``, with the same parsers and limits below).

Safety: text holding a markup declaration (``<!``: a DOCTYPE, a comment,
CDATA) is parsed with :mod:`defusedxml` and DTDs forbidden, so a
``<!DOCTYPE>`` (entity declarations: billion laughs, external entities) is
rejected with its reason before any entity is expanded or fetched, and an
entity the document uses without declaring is an XML error.  Text with more
than :data:`MAX_TAGS` tags is rejected before it is parsed (the tree a parse
builds is ~200 bytes an element: ``<a/>`` a million times took 235 MB), and
nesting deeper than :data:`MAX_DEPTH` is rejected rather than walked.  Text without ``<!`` cannot
declare an entity or name a DTD, so the standard library's C parser reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XmlSyntaxError
from xml.etree.ElementTree import fromstring as _fromstring_without_dtd

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

from graphsiem.model import Event
from ingest.parsers.base import ParseContext, ParseError, Parser, Record
from ingest.parsers.windows_events import to_event
from ingest.parsers.windows_shapes import from_evtx_json

NAME = "windows_xml"

EVENT_DATA_LAYOUT = "evtx_json"
"""The Windows shape whose rules an XML event follows (event data apart from the envelope)."""

MAX_DEPTH = 32
"""Deepest element nesting read (a Windows event nests 4 deep; ``UserData`` a few more)."""

MAX_TAGS = 16_384
"""Most ``<`` (start and end tags, comments) in one event's text.  Real events hold a few dozen
elements, a few hundred at most.  An EVTX record (or the template it instantiates, kept in the same
64 KiB chunk) is at most 64 KiB of binary XML, and an element costs at least ~10 bytes there (start
token, size, name reference; end token): ~6,500 elements, ~13,000 tags.  The count is taken before
parsing, so neither a flat element list nor a deep nesting is ever built past it (a count of ``<``
bounds the depth too)."""

_AFTER_TAG = frozenset(" \t\r\n>/")
_PREFIXED_START = re.compile(r"<[A-Za-z_][\w.-]{0,31}:Event[\s>/]")
_USED_PREFIX = re.compile(r"</?([A-Za-z_][\w.-]{0,31}):|\s([A-Za-z_][\w.-]{0,31}):[A-Za-z_][\w.-]*\s*=")
_WRAPPER = "graphsiem-prefixes"


def is_event_xml(record: object) -> bool:
    """A text record that starts with an ``<Event`` start tag (not ``<Events>``), maybe prefixed (``<e:Event``).

    >>> is_event_xml('<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">')
    True
    >>> is_event_xml('<e:Event xmlns:e="http://schemas.microsoft.com/win/2004/08/events/event">')
    True
    >>> is_event_xml("<Events>"), is_event_xml("<e:EventData>"), is_event_xml("<13>Oct 11 22:14:15 host su: x")
    (False, False, False)
    """
    if not isinstance(record, str) or record[:1] != "<":
        return False
    if record.startswith("<Event"):
        return record[6:7] in _AFTER_TAG
    return _PREFIXED_START.match(record) is not None


def _declaring_undeclared(text: str) -> str | None:
    """``text`` inside an element that declares each namespace prefix its tags and attributes use,
    or None when it uses none: an element framed out of a root that declared them (``<e:Events
    xmlns:e="...">``) names prefixes it does not declare.  The names only are read (:func:`_local`),
    so the namespace each prefix is given says nothing: ``urn:graphsiem:undeclared:<prefix>``."""
    prefixes = {name for found in _USED_PREFIX.finditer(text) for name in found.groups() if name}
    prefixes -= {"xml", "xmlns"}
    if not prefixes:
        return None
    declared = "".join(f' xmlns:{name}="urn:graphsiem:undeclared:{name}"' for name in sorted(prefixes))
    return f"<{_WRAPPER}{declared}>{text}</{_WRAPPER}>"


def _local(name: str) -> str:
    """``{namespace}Name`` -> ``Name``: Windows' namespaces say nothing the element name does not."""
    local = _local_names.get(name)
    if local is None:
        local = name[name.rfind("}") + 1:] if name[:1] == "{" else name
        if len(_local_names) < 4096 and len(name) <= 256:  # names are few; junk ones are not kept
            _local_names[name] = local
    return local


_local_names: dict[str, str] = {}
"""Tag and attribute name -> local name: an event repeats a few dozen names, each a lookup here
rather than a slice (``_local`` was 13% of an XML event's parse, profiled)."""


def _attributes(element: Element) -> dict[str, str]:
    names = _local_names
    return {names.get(key) or _local(key): value for key, value in element.attrib.items()}


def _value(element: Element, depth: int) -> Any:
    """An element as evtx_dump writes it: text, ``{"#attributes", "#text"}``, children by name, or None."""
    if depth > MAX_DEPTH:
        raise ParseError(f"XML event nested deeper than {MAX_DEPTH} elements")
    if len(element) == 0:
        text = element.text
        if text is not None and not text.strip():
            text = None  # a pretty-printer's line break in an empty element (<Correlation>\n</Correlation>)
        if not element.attrib:
            return text
        value: dict[str, Any] = {"#attributes": _attributes(element)}
        if text is not None:
            value["#text"] = text
        return value
    children: dict[str, Any] = {"#attributes": _attributes(element)} if element.attrib else {}
    names = _local_names
    for child in element:
        tag = child.tag
        name = names.get(tag) or _local(tag)
        item = _value(child, depth + 1)
        if name in children:
            # a repeated element (<Keywords><Keyword>..</Keyword><Keyword>..</Keyword>): a list, as evtx_dump
            earlier = children[name]
            if isinstance(earlier, list):
                earlier.append(item)
            else:
                children[name] = [earlier, item]
        else:
            children[name] = item
    return children


def _event_data(element: Element, depth: int) -> dict[str, Any]:
    """``<EventData>``: named values by name; unnamed ones as evtx_dump lists them."""
    named: dict[str, Any] = {}
    unnamed: list[str] = []
    position = 0
    names = _local_names
    for child in element:
        tag = child.tag
        name = names.get(tag) or _local(tag)
        if name == "Data":
            position += 1
            key = child.get("Name")
            # an empty value is "" (evtx_dump's), never None: it was written, and empty
            text = child.text or ""
            if key:
                named[key] = text
            else:
                unnamed.append(text)
                named[f"Data{position}"] = text  # used only when names and no names mix
        elif name == "Binary":
            named["Binary"] = child.text or ""
        else:
            named[name] = _value(child, depth + 1)
    if unnamed and len(unnamed) == position:
        # all unnamed: evtx_dump's {"Data": {"#text": [..]}}, which the Windows mapping
        # numbers Data1, Data2... (and so does it here: one rule, in windows_shapes)
        data: dict[str, Any] = {"Data": {"#text": unnamed}}
        if "Binary" in named:
            data["Binary"] = named["Binary"]
        return data
    return named


def parse_event_xml(text: str) -> Element:
    """The root element of one XML event, parsed safely (no DTD, no entity, nothing fetched).

    Raises
    ------
    ParseError
        A DTD, an entity declaration or an external reference (refused, never
        expanded or fetched), more than :data:`MAX_TAGS` tags (refused before
        parsing), a lone surrogate (no XML character), or XML that is not well
        formed.

    Examples
    --------
    >>> parse_event_xml('<Event><System/></Event>').tag
    'Event'
    >>> parse_event_xml('<!DOCTYPE e [<!ENTITY a "b">]><Event>&a;</Event>')
    Traceback (most recent call last):
    ...
    ingest.parsers.base.ParseError: XML event with a DTD (<!DOCTYPE e>): refused, its entities are neither expanded nor fetched
    """
    tags = text.count("<")
    if tags > MAX_TAGS:
        raise ParseError(f"XML event has {tags} tags, over the limit of {MAX_TAGS}: not parsed "
                         "(a 64 KiB EVTX record renders to ~13,000 at most)")
    try:
        try:
            return _parse_safely(text)
        except XmlSyntaxError as exc:
            wrapped = _declaring_undeclared(text) if str(exc).startswith("unbound prefix") else None
            if wrapped is None:
                raise
            root = _parse_safely(wrapped)
            if len(root) != 1:
                raise
            return root[0]
    except DTDForbidden as exc:
        raise ParseError(
            f"XML event with a DTD (<!DOCTYPE {exc.name}>): refused, its entities are neither expanded nor fetched"
        ) from None
    except EntitiesForbidden as exc:
        raise ParseError(f"XML event declares entity {exc.name!r}: refused, never expanded") from None
    except ExternalReferenceForbidden as exc:
        raise ParseError(
            f"XML event refers to an external resource ({exc.system_id!r}): refused, never fetched"
        ) from None
    except XmlSyntaxError as exc:
        if str(exc).startswith("undefined entity"):
            # the DTD that would declare it stood outside the element (refused by the reader) or is refused here
            raise ParseError(
                f"XML event uses an undeclared entity ({exc}): DTDs are refused, so no entity is ever expanded"
            ) from None
        raise ParseError(f"XML event is not well formed: {exc}") from None
    except UnicodeEncodeError as exc:
        # the parser reads UTF-8: a lone surrogate (a record decoded with surrogateescape, or JSON's
        # "\ud800") has no encoding, and is no XML character either
        raise ParseError(
            f"XML event holds a lone surrogate ({exc.object[exc.start]!r} at character {exc.start}): not XML text"
        ) from None


def _parse_safely(text: str) -> Element:
    if "<!" not in text:
        # Every XML attack here (entity expansion, external entities, DTD fetches) needs a
        # markup declaration, and each of those starts "<!": text without one can declare
        # nothing, so the C parser is as safe as defusedxml's and ~1.6x faster (measured).
        return _fromstring_without_dtd(text)
    return fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)


def xml_to_evtx_dict(root: Element, *, whole: bool = True) -> tuple[dict[str, Any], str | None]:
    """The evtx_dump-style dict of an ``<Event>`` element, and its rendered message (or None).

    ``whole=False`` builds only what the Windows mapping reads
    (:func:`~ingest.parsers.windows_shapes.from_evtx_json`): of ``System``, the
    elements in :data:`SYSTEM_READ`, and no top-level element but ``System``,
    ``EventData``, ``UserData`` and the message (the parser's path: a third of an
    event's elements are ``System``'s, and each cost ~2 us to build, profiled).

    Examples
    --------
    >>> root = parse_event_xml(
    ...     '<Event><System><EventID>4104</EventID><Execution ProcessID="6620" ThreadID="1"/>'
    ...     '</System><EventData><Data Name="ScriptBlockText">Get-Date</Data></EventData>'
    ...     '<RenderingInfo Culture="en-US"><Message>Creating Scriptblock text</Message></RenderingInfo></Event>')
    >>> record, message = xml_to_evtx_dict(root)
    >>> record["Event"]["System"]["Execution"], record["Event"]["EventData"], message
    ({'#attributes': {'ProcessID': '6620', 'ThreadID': '1'}}, {'ScriptBlockText': 'Get-Date'}, 'Creating Scriptblock text')
    """
    if _local(root.tag) != "Event":
        raise ParseError(f"XML record is a <{_local(root.tag)[:64]}> element, not an <Event>")
    event: dict[str, Any] = {}
    message = None
    for child in root:
        name = _local(child.tag)
        if name == "EventData":
            event["EventData"] = _event_data(child, 2)
        elif name == "RenderingInfo":
            found = child.find("{*}Message")
            if found is not None and found.text and found.text.strip():
                message = found.text
        elif whole or name == "UserData":
            event[name] = _value(child, 2)
        elif name == "System":
            event[name] = _system(child) if len(child) else _value(child, 2)
    if not isinstance(event.get("System"), dict):
        raise ParseError("XML event has no <System> element")
    return {"Event": event}, message


SYSTEM_READ = frozenset(("Channel", "EventID", "Computer", "TimeCreated", "Execution", "EventRecordID"))
"""The ``System`` elements :func:`~ingest.parsers.windows_shapes.from_evtx_json` reads."""


def _system(element: Element) -> dict[str, Any]:
    """``<System>`` as :func:`_value` gives it, with only the :data:`SYSTEM_READ` elements."""
    system: dict[str, Any] = {}
    names = _local_names
    for child in element:
        tag = child.tag
        name = names.get(tag) or _local(tag)
        if name not in SYSTEM_READ:
            continue
        item = _value(child, 3)
        if name in system:  # repeated: a list, as _value makes it
            earlier = system[name]
            system[name] = [*earlier, item] if isinstance(earlier, list) else [earlier, item]
        else:
            system[name] = item
    return system


class WindowsXmlParser:
    """One ``<Event>`` element (text) -> its normalised event, by the Windows mapping (module docstring)."""

    name = NAME
    sniff_reads_values = False
    """Text only: no JSON object is ever claimed (:mod:`ingest.parsers.base`)."""

    def sniff(self, record: Record) -> bool:
        """A text record starting with ``<Event`` (:func:`is_event_xml`); never raises."""
        return is_event_xml(record)

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """The one normalised event of the XML text; :class:`ParseError` says what is wrong with it."""
        if not isinstance(record, str):
            raise ParseError(f"{NAME} expects the text of an <Event> element, got {type(record).__name__}")
        converted, message = xml_to_evtx_dict(parse_event_xml(record), whole=False)
        win = from_evtx_json(converted)
        win.message = message
        # The evtx_json layout's name, not ours, for the mapping's one shape test: an unmapped event's
        # data is apart from its envelope here too (EVENT_DATA_SOURCES), so no key is dropped as
        # envelope.  The event is then labelled with this parser, like every parser's events.
        event = to_event(win, source=EVENT_DATA_LAYOUT, context=context, raw=record, mapped_message=False)
        event.source = NAME
        yield event


def parsers() -> list[Parser]:
    """The parser this module provides."""
    return [WindowsXmlParser()]
