"""A scheduled task's definition read safely: its ``Exec`` actions, principal, triggers and author.

The task XML of Security 4698/4702 and MDE's JSON rendering of it (``AdditionalFields``) are
read by :func:`parse_task_content` without executing or fetching anything: ``defusedxml``
refuses a DTD, entities and external references, and the text, its nesting and its elements
are bounded (:data:`TASK_CONTENT_CHARS`, :data:`TASK_DEPTH`, :data:`TASK_ELEMENTS`); a
definition refused raises :class:`TaskContentError` saying why.  The fields a task's event
gets from it are :func:`ingest.parsers.windows_persistence.put_task`'s.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import orjson
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError as XmlParseError
from defusedxml.ElementTree import iterparse

TASK_CONTENT_CHARS = 65536
"""Longest task definition read (real ones are 1-4 KB; the raw record keeps a longer one whole)."""
TASK_DEPTH = 16
"""Deepest element nesting read in a task XML (a real one is 4 deep)."""
TASK_ELEMENTS = 4096
"""Elements read in a task XML.  Windows' own limits fit: 48 triggers (a monthly ``CalendarTrigger``
of every day and month is about 50 elements), 32 actions, the settings; a real task has 30-100.
Each element costs about 1 us to read, so a definition refused for its size stops within a few ms."""
TASK_ACTIONS = 32
"""``Exec`` actions read of one task: Windows' own limit (a real task has one or two); more are
counted in ``task.actions_dropped``."""
TASK_TRIGGERS = 16
"""Trigger kinds kept of one task."""
NAME_CHARS = 1024
"""Characters kept of a service or task name."""


def bounded_text(value: object, limit: int | None = NAME_CHARS) -> str | None:
    """``value`` as stripped text, at most ``limit`` characters (None: whole, for a command), or None."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(value).strip()
    if not text or text == "-":
        return None
    return text if limit is None else text[:limit]


@dataclass(slots=True)
class TaskDefinition:
    """What a task definition says: its ``Exec`` actions, principal, triggers and author."""

    actions: list[tuple[str, str]] = field(default_factory=list)
    """(command, arguments) of each ``Exec`` action, at most :data:`TASK_ACTIONS`."""
    actions_dropped: int = 0
    """``Exec`` actions past :data:`TASK_ACTIONS`, not read."""
    user: str | None = None
    triggers: list[str] = field(default_factory=list)
    author: str | None = None
    hidden: bool | None = None


class TaskContentError(ValueError):
    """A task definition refused: the message says why (DTD, too deep, too long, not XML...)."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _SmallReads(io.StringIO):
    """A text source read :data:`_XML_READ_CHARS` at a time: ``iterparse`` parses what it read before
    it yields, so a refused definition stops after a few KB instead of after 16 KB of elements."""

    def read(self, size: int | None = -1) -> str:
        return super().read(_XML_READ_CHARS if size is None or size < 0 else min(size, _XML_READ_CHARS))


_XML_READ_CHARS = 2048


def _from_xml(text: str) -> TaskDefinition:
    task = TaskDefinition()
    path: list[str] = []
    elements = 0
    exec_parts: dict[str, str] = {}
    try:
        # forbid_dtd: a DOCTYPE at all is refused (entity expansion, external fetches)
        for event, element in iterparse(_SmallReads(text), events=("start", "end"), forbid_dtd=True):
            name = _local(element.tag)
            if event == "start":
                path.append(name)
                elements += 1
                if len(path) > TASK_DEPTH:
                    raise TaskContentError(f"task XML nested deeper than {TASK_DEPTH}")
                if elements > TASK_ELEMENTS:
                    raise TaskContentError(f"task XML of more than {TASK_ELEMENTS} elements")
                continue
            parent = path[-2] if len(path) > 1 else ""
            value = (element.text or "").strip()
            if parent == "Exec" and name in ("Command", "Arguments"):
                exec_parts[name] = value
            elif name == "Exec":
                if exec_parts.get("Command"):
                    if len(task.actions) < TASK_ACTIONS:
                        task.actions.append((exec_parts["Command"], exec_parts.get("Arguments", "")))
                    else:
                        task.actions_dropped += 1
                exec_parts = {}
            elif name == "UserId" and parent == "Principal" and task.user is None and value:
                task.user = value
            elif parent == "Triggers" and len(task.triggers) < TASK_TRIGGERS and name not in task.triggers:
                task.triggers.append(name)
            elif name == "Author" and parent == "RegistrationInfo" and value:
                task.author = value
            elif name == "Hidden" and parent == "Settings":
                task.hidden = value.lower() == "true"
            path.pop()
            element.clear()  # nothing is kept of an element read
    except DefusedXmlException as exc:
        raise TaskContentError(f"task XML refused: {type(exc).__name__}") from None
    except XmlParseError as exc:
        raise TaskContentError(f"task XML not well formed: {exc}") from None
    return task


def _items(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _from_json(text: str | dict[str, Any]) -> TaskDefinition:
    if isinstance(text, str):
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise TaskContentError(f"task JSON not well formed: {exc}") from None
    else:
        parsed = text
    if not isinstance(parsed, dict):
        raise TaskContentError("task JSON is not an object")
    inner = parsed.get("Task")
    root: dict[str, Any] = inner if isinstance(inner, dict) else parsed
    task = TaskDefinition()
    actions = root.get("Actions")
    if isinstance(actions, dict):
        for item in _items(actions.get("Exec")):
            if isinstance(item, dict):
                command = bounded_text(item.get("Command"), None)
                if command and len(task.actions) >= TASK_ACTIONS:
                    task.actions_dropped += 1
                elif command:
                    task.actions.append((command, bounded_text(item.get("Arguments"), None) or ""))
    principals = root.get("Principals")
    if isinstance(principals, dict):
        for principal in _items(principals.get("Principal")):
            if isinstance(principal, dict) and (user := bounded_text(principal.get("UserId"))):
                task.user = user
                break
    triggers = root.get("Triggers")
    if isinstance(triggers, dict):
        task.triggers = [str(kind)[:64] for kind in list(triggers)[:TASK_TRIGGERS]]
    info = root.get("RegistrationInfo")
    if isinstance(info, dict):
        task.author = bounded_text(info.get("Author"))
    settings = root.get("Settings")
    if isinstance(settings, dict) and "Hidden" in settings:
        task.hidden = str(settings["Hidden"]).lower() == "true"
    return task


def parse_task_content(content: object) -> TaskDefinition:
    """A task definition from its XML (4698/4702) or JSON (MDE) text, or its JSON object.

    Raises
    ------
    TaskContentError
        Longer than :data:`TASK_CONTENT_CHARS`, a DTD or entity, nested deeper than
        :data:`TASK_DEPTH` or more than :data:`TASK_ELEMENTS` elements, not well formed.

    Examples
    --------
    >>> parse_task_content("<Task><Actions><Exec><Command>a.exe</Command></Exec></Actions></Task>").actions
    [('a.exe', '')]
    """
    if isinstance(content, dict):
        return _from_json(content)
    if not isinstance(content, str):
        raise TaskContentError("no task definition")
    if len(content) > TASK_CONTENT_CHARS:
        raise TaskContentError(f"task definition longer than {TASK_CONTENT_CHARS} characters")
    text = content.lstrip("\ufeff \t\r\n")
    if text.startswith(("{", "[")):
        return _from_json(text)
    if text.startswith("<"):
        return _from_xml(text)
    raise TaskContentError("task definition is neither XML nor JSON")
