"""The Windows event a Zeek ``syslog`` message carries as text, read once per ingest session and message.

A sensor logs one datagram once per tap (:mod:`ingest.parsers.zeek_syslog_copies`:
Brim's ``syslog.log`` holds each message 4 times within 0.7 ms), and every copy
carries the same text, so reading the header, the text and the Windows mapping
for each copy did the same work four times (about a quarter of a Zeek corpus
record's instructions).  :func:`remembered_reading` keeps what the last
:data:`RECENT_MESSAGES` messages gave, and each later copy gets a copy of it.

What a reading depends on, so what the memory is keyed on: the message; the
context's ``default_timezone`` (an RFC 5424 stamp without a zone),
``received_at`` (a NILVALUE stamp of a live source) and ``clock`` (the
plausible-time window); the memory lives in the context's ``extras``, so one
ingest session's readings never answer another's.  Only a line with an RFC 5424
header is remembered: an RFC 3164 line's year rule reads and keeps per-file state
in the context (:mod:`ingest.parsers.syslog_time`).  Kept only are outcomes with
no side effect but the one replayed: a message that may not carry a Windows
host's text (nothing), a rendered Windows event, an antivirus detection, nothing
read from a Windows forwarder's header, or the forwarder's own ``syslog``
event (:func:`ingest.parsers.localized_windows_text.note_localized` counted
again for each copy, as a reading does).  Not kept: ``@cee:`` payloads, CEF and
LEEF, and readings that raised (they read again).  The Windows mapping
(:func:`ingest.parsers.windows_events.to_event`) touches the host-clock learner
only for a record with a clock field or a Sysmon ``UtcTime``, and a rendered
text's record (``Security``, dated by the syslog header) has neither.

Each caller gets its own event: a new :class:`~graphsiem.model.Event` with a
copy of the fields (and of any list among them), its own ``origin`` and
``raw``; the remembered event is never handed out.
"""

from __future__ import annotations

from typing import Any

from graphsiem.model import Event
from ingest.parsers.base import ParseContext
from ingest.parsers.localized_windows_text import note_localized

RECENT_MESSAGES = 64
"""Messages whose reading a session remembers (the oldest is forgotten first).  A datagram's
capture copies follow it within milliseconds, so a few are plenty; a reading forgotten is only
read again."""

_MEMORY_KEY = "zeek_syslog_carried"

Reading = tuple[Event | None, str | None]
"""A remembered outcome: the event read (None: nothing), and the text (the message after its
header) a reading passes to :func:`~ingest.parsers.localized_windows_text.note_localized`, if any."""


def _key(message: str, context: ParseContext) -> tuple[Any, ...]:
    return (message, context.default_timezone, context.received_at, context.clock)


def remembered_reading(message: str, record: Any, context: ParseContext) -> list[Event] | None:
    """What an earlier copy of ``message`` gave, as this record's own events; None when not remembered.

    Parameters
    ----------
    message : str
        The Zeek record's ``message``.
    record : dict
        The Zeek record: the event's ``raw``.
    context : ParseContext
        The ingest session's context: its ``origin`` is the event's.

    Returns
    -------
    list of Event or None
        ``[]`` or ``[event]`` as the reading gave, with the reading's side effect replayed;
        None when the message was not read in this session lately.
    """
    memory: dict[tuple[Any, ...], Reading] | None = context.extras.get(_MEMORY_KEY)
    if memory is None:
        return None
    reading = memory.get(_key(message, context))
    if reading is None:
        return None
    event, localized_text = reading
    if localized_text is not None:
        note_localized(localized_text, context.extras)
    return [] if event is None else [_own_copy(event, context.origin, record)]


def remember_reading(message: str, event: Event | None, context: ParseContext, *, localized_text: str | None) -> None:
    """Keep what reading ``message`` gave (a copy of ``event``: the caller's stays its own).

    Parameters
    ----------
    message : str
        The Zeek record's ``message``.
    event : Event or None
        The event the reading gave, before anyone changed it; None for nothing.
    context : ParseContext
        The ingest session's context (the memory is in its ``extras``).
    localized_text : str or None
        The text the reading passed to ``note_localized``, if any (passed again for each copy).
    """
    memory: dict[tuple[Any, ...], Reading] | None = context.extras.get(_MEMORY_KEY)
    if memory is None:
        memory = context.extras[_MEMORY_KEY] = {}
    memory[_key(message, context)] = (
        None if event is None else _own_copy(event, event.origin, event.raw), localized_text)
    if len(memory) > RECENT_MESSAGES:
        del memory[next(iter(memory))]


def _own_copy(event: Event, origin: str, raw: Any) -> Event:
    fields = {name: (list(value) if value.__class__ is list else value) for name, value in event.fields.items()}
    return Event(event.id, event.kind, event.ts, event.host, event.source, fields, origin, raw)
