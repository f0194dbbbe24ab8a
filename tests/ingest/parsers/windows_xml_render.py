"""Test helper: an evtx_dump-style record written back as Windows event XML, as Windows' tools write it.

Used to build XML/JSON pairs of the same event for :mod:`ingest.parsers.windows_xml`'s
tests.  Styles:

``wevtutil``
    ``wevtutil qe /f:xml``: single-quoted attributes, empty elements self-closed, no
    line breaks, a ``RenderingInfo`` block when a message is given.
``toxml``
    PowerShell's ``EventLogRecord.ToXml()``: double quotes, compact.
``pretty``
    the same indented over many lines (an XML pretty-printer, Event Viewer's view).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

NAMESPACE = "http://schemas.microsoft.com/win/2004/08/events/event"
STYLES = ("wevtutil", "toxml", "pretty")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # Windows writes booleans in lower case
    if isinstance(value, list):
        return "".join(map(str, value))
    return str(value)


def _attrs(attributes: dict[str, Any], style: str) -> str:
    if style == "wevtutil":
        return "".join(f" {name}='{escape(_text(value), {chr(39): '&apos;'})}'" for name, value in attributes.items())
    return "".join(f" {name}={quoteattr(_text(value))}" for name, value in attributes.items())


def _element(name: str, value: Any, style: str, depth: int) -> str:
    pad = "\n" + "  " * depth if style == "pretty" else ""
    if isinstance(value, list):
        return "".join(_element(name, item, style, depth) for item in value)
    attributes: dict[str, Any] = {}
    children: list[str] = []
    text = None
    if isinstance(value, dict):
        attributes = value.get("#attributes") or {}
        text = value.get("#text")
        for key, child in value.items():
            if key not in ("#attributes", "#text"):
                children.append(_element(key, child, style, depth + 1))
    elif value is not None:
        text = value
    opening = f"{pad}<{name}{_attrs(attributes, style)}"
    if children:
        return f"{opening}>{''.join(children)}{pad}</{name}>"
    if text is None:
        return f"{opening}/>" if style != "toxml" else f"{opening}></{name}>"
    return f"{opening}>{escape(_text(text))}</{name}>"


def _event_data(data: dict[str, Any], style: str) -> str:
    pad = "\n    " if style == "pretty" else ""
    items = []
    for name, value in data.items():
        if name == "Binary":
            items.append(f"{pad}<Binary>{escape(_text(value))}</Binary>")
        elif value is None or value == "":
            items.append(f"{pad}<Data Name={quoteattr(name)}/>" if style == "wevtutil"
                         else f"{pad}<Data Name={quoteattr(name)}></Data>")
        else:
            items.append(f"{pad}<Data Name={quoteattr(name)}>{escape(_text(value))}</Data>")
    indent = "\n  " if style == "pretty" else ""
    return f"{indent}<EventData>{''.join(items)}{indent}</EventData>"


def render(record: dict[str, Any], style: str = "toxml", message: str | None = None) -> str:
    """The XML of an evtx_dump record ``{"Event": {"System": .., "EventData"|"UserData": ..}}``."""
    event = record["Event"]
    quote = "'" if style == "wevtutil" else '"'
    parts = [f"<Event xmlns={quote}{NAMESPACE}{quote}>", _element("System", event["System"], style, 1)]
    if "EventData" in event:
        parts.append(_event_data(event["EventData"], style))
    if "UserData" in event:
        parts.append(_element("UserData", event["UserData"], style, 1))
    if message is not None:
        pad = "\n  " if style == "pretty" else ""
        parts.append(f"{pad}<RenderingInfo Culture='en-US'><Message>{escape(message)}</Message>"
                     f"<Level>Information</Level></RenderingInfo>")
    parts.append("\n</Event>" if style == "pretty" else "</Event>")
    return "".join(parts)
