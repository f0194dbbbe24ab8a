"""One id per Windows event whatever its export: a content id over its ``System`` key and its data.

The same event exported by Winlogbeat, NXLog, evtx_dump JSON, as ``<Event>``
XML, as Splunk's classic text or read from the ``.evtx`` file is one record of
the computer's log: its ``EventRecordID`` (Winlogbeat ``record_number`` /
``winlog.record_id``, NXLog ``RecordNumber``, ``System.EventRecordID``, the
text's ``RecordNumber=``) numbers it within its channel.  Its event id is
:func:`~ingest.event_ids.content_id` (name ``windows``, whatever the parser)
of this key in normal form, so ingesting two exports of one log adds each
event once (:mod:`ingest.event_ids`, "Content ids"):

* the channel, lower case and stripped (``Security``, ``security``);
* the computer's full name as written, lower case and stripped
  (``WS-ALPHA.corp.example`` and NXLog's ``WS-ALPHA.CORP.EXAMPLE`` are one;
  ``WS01.sales.corp`` and ``WS01.labs.corp`` are two machines);
* the record number (an integer; a text of digits is read as one);
* the event id;
* the second of the quarter hour of the record's creation time, ``(minute % 15) * 60 + second``
  as written;
* the event's kind and its fields as the parser normalised them (the mapped
  event data, or ``winlog.event_data.*`` for an unmapped event), keys sorted,
  texts without their trailing blanks (evtx_dump trims them, the ``.evtx``
  record keeps them), less what is not the event's own data: the rendered ``message`` (evtx_dump
  has none), ``host.name.original`` (the computer, above) and a PowerShell
  event's writer pid taken from the envelope (not every export keeps it).

Why the event's data: the ``System`` key alone names a slot, not an event, and
the first record in a slot won.  900 forged lines for a host's next record
number (one per second of the quarter hour) made its genuine record a
duplicate, and so did an old record after a log clear, or a machine of the same
name in another domain (red team T13 F1).  The fields are what the parsers
already agree on for every export (each shape's values read to one type and
form: ``"4242"`` and ``4242`` are the pid ``4242``), and they are what the
graph and the analytics read: a record that matches a journaled one in all of
them loses nothing when it is counted a duplicate.  A shape whose fields
differ is two events, never two events made one.

Why only that much of the time: the exports keep different parts of it.
evtx_dump writes ``SystemTime`` to the microsecond, Winlogbeat and NXLog to the
millisecond, NXLog's ``EventTime`` and Splunk's text to the second, and in
local time with no zone; the 2020-10 OTRF NXLog files label local time ``Z``.
Every zone offset is a whole number of quarter hours, and every shape keeps the
seconds (truncated), so the second of the quarter hour is the one part of the
time all of them agree on.  A shape that rounded to the millisecond would
differ in 1 record of 2,000 (a time at ``.9995`` s or later): two events, as
before content ids, never two events made one.

The same record number, fields and second of the quarter hour come back: a
cleared log, a reimaged machine or a non-persistent VDI desktop reverting to
its image every day numbers its records again, and events with few fields
(a 1102 in the same logon session, a service's 7036) repeat them.  The
journal tells such a recurrence from another export of the event by its time:
exports differ by a zone offset at most (14 h), so a content id held for a
time further away is another event, given its recurrence's id
(:mod:`ingest.journal_recurrences`, task IDS3).

Without a record number (Sentinel exports keep none, the ``@cee`` syslog
agents neither) a record keeps the id of its bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import orjson

from ingest.event_ids import content_id

NAME = "windows"
"""The name content ids of Windows events are made with: one for every parser, so every export agrees."""


def record_number(value: object) -> int | None:
    """An ``EventRecordID`` as written (an int or a text of digits) as an int; ``None`` for anything else.

    Examples
    --------
    >>> record_number(5402080), record_number("5402080"), record_number(" 7 ")
    (5402080, 5402080, 7)
    >>> record_number(None), record_number("0x10"), record_number(True), record_number(-1)
    (None, None, None, None)
    """
    if value.__class__ is int:
        return value if value >= 0 else None  # type: ignore[operator,return-value]
    if value.__class__ is str and value.isascii():  # type: ignore[union-attr]
        text = value.strip()  # type: ignore[union-attr]
        if text.isdigit() and len(text) <= 20:
            return int(text)
    return None


def quarter_hour_second(written: object, ts: float) -> int:
    """The second of the quarter hour of a record's creation time: ``(minute % 15) * 60 + second``.

    Read from the text's first ``HH:MM:SS`` (ISO 8601, ``05/12/2024 06:41:25 PM``...),
    so a time in local time, labelled with any zone or none, gives the UTC
    time's value; a time that is no such text (an epoch number) gives that of
    ``ts``, the event's UTC time.

    Examples
    --------
    >>> quarter_hour_second("2019-05-18T20:36:46.254Z", 0.0), quarter_hour_second("2019-05-18T16:36:46.2549Z", 0.0)
    (406, 406)
    >>> quarter_hour_second("05/18/2019 04:36:46 PM", 0.0), quarter_hour_second(1558211806.25, 1558211806.25)
    (406, 406)
    """
    if written.__class__ is str:
        colon = written.find(":")  # type: ignore[attr-defined]
        if colon > 0:
            minute = written[colon + 1:colon + 3]  # type: ignore[index]
            second = written[colon + 4:colon + 6]  # type: ignore[index]
            if minute.isdigit() and second.isdigit() and written[colon + 3:colon + 4] == ":":  # type: ignore[index]
                return int(minute) % 15 * 60 + int(second)
    return int(ts // 1) % 900


NO_ENVELOPE_KEYS: frozenset[str] = frozenset(("message", "host.name.original"))
"""Fields left out of every Windows content id: the rendered message and the computer as written."""
ENVELOPE_PID: frozenset[str] = NO_ENVELOPE_KEYS | {"process.pid"}
"""Those and a PowerShell event's pid when it is the envelope's ``Execution ProcessID``."""


def windows_record_id(
    channel: str,
    computer: str,
    number: int,
    event_id: int,
    written: object,
    ts: float,
    kind: str,
    fields: Mapping[str, object],
    left_out: frozenset[str] = NO_ENVELOPE_KEYS,
) -> str:
    """The content id of a Windows event: its ``System`` key, kind and fields (module docstring).

    Parameters
    ----------
    channel : str
        The channel as written.
    computer : str
        The computer's name as written (its full name: the domain is kept).
    number : int
        The record number (:func:`record_number`).
    event_id : int
        The event id.
    written : object
        The record's creation time as written (:func:`quarter_hour_second`).
    ts : float
        The event's time, for a creation time that is not text.
    kind : str
        The event's kind.
    fields : mapping
        The event's fields as the parser normalised them.
    left_out : frozenset of str
        Fields that are not the event's own data (:data:`NO_ENVELOPE_KEYS`, :data:`ENVELOPE_PID`).

    Examples
    --------
    >>> fields = {"process.executable": "notepad.exe", "message": "Process Create"}
    >>> a = windows_record_id("Security", "PC01.corp", 1, 1102, "2019-03-19T23:35:07.524202Z", 0.0, "k", fields)
    >>> a == windows_record_id("security", "pc01.CORP", 1, 1102, "2019-03-19T19:35:07.524Z", 0.0, "k",
    ...                        {"process.executable": "notepad.exe"})
    True
    >>> a == windows_record_id("Security", "PC01.corp", 1, 1102, "2019-03-19T23:35:07Z", 0.0, "k",
    ...                        {"process.executable": "evil.exe"})
    False
    >>> a == windows_record_id("Security", "PC01.labs", 1, 1102, "2019-03-19T23:35:07Z", 0.0, "k", fields)
    False
    """
    second = quarter_hour_second(written, ts)
    # a copy less the few left-out keys (C work), not a comprehension testing every key (~2.5k
    # instructions an event, callgrind); the dump sorts the keys, so their order is not the id's
    data = dict(fields)
    for name in left_out:
        data.pop(name, None)
    # a JSON array with sorted keys: no channel, host or field text can pass for another part
    # (attacker strings are data)
    key = orjson.dumps(
        (channel.strip().lower(), computer.strip().lower(), number, event_id, second, kind, data),
        option=orjson.OPT_SORT_KEYS,
    )
    # Texts without their trailing blanks: evtx_dump trims the one a .evtx record's command line
    # keeps (the corpus's certutil ParentCommandLine).  In compact JSON a blank before a quote
    # that is not escaped ends a text; one replace of the bytes costs less than stripping each value.
    # Looked for by a compiled pattern: bytes.find scans for a needle ending in '"', which JSON
    # is full of, at ~1 ns a byte; the pattern's literal search takes a third of that (measured).
    if _BLANK_QUOTE(key) is not None:
        while key.find(b' "') != -1:
            key = key.replace(b' "', b'"')
    return content_id(NAME, key)


_BLANK_QUOTE = re.compile(rb' "').search
"""Finds a blank before a quote in a content id's key: a text with trailing blanks (see above)."""
