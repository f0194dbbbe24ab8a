"""One id per Windows event whatever its export: a content id over the event's ``System`` key.

The same event exported by Winlogbeat, NXLog, evtx_dump JSON, as ``<Event>``
XML, as Splunk's classic text or read from the ``.evtx`` file is one record of
the computer's log: its ``EventRecordID`` (Winlogbeat ``record_number`` /
``winlog.record_id``, NXLog ``RecordNumber``, ``System.EventRecordID``, the
text's ``RecordNumber=``) numbers it within its channel.  Its event id is
:func:`~ingest.event_ids.content_id` (name ``windows``, whatever the parser)
of this key in normal form, so ingesting two exports of one log adds each
event once (:mod:`ingest.event_ids`, "Content ids"):

* the channel, lower case and stripped (``Security``, ``security``);
* the computer as the host model names it (:func:`ingest.normalize.normalize_host`:
  ``WORKSTATION5.theshire.local`` and ``WORKSTATION5`` are one);
* the record number (an integer; a text of digits is read as one);
* the event id;
* the second of the quarter hour of the record's creation time, ``(minute % 15) * 60 + second``
  as written.

Why only that much of the time: the exports keep different parts of it.
evtx_dump writes ``SystemTime`` to the microsecond, Winlogbeat and NXLog to the
millisecond, NXLog's ``EventTime`` and Splunk's text to the second, and in
local time with no zone; the 2020-10 OTRF NXLog files label local time ``Z``.
Every zone offset is a whole number of quarter hours, and every shape keeps the
seconds (truncated), so the second of the quarter hour is the one part of the
time all of them agree on.  A shape that rounded to the millisecond would
differ in 1 record of 2,000 (a time at ``.9995`` s or later): two events, as
before content ids, never two events made one.

Why the time at all: a record number is unique within a channel's log only
until the log is cleared; then it starts again at 1 (the corpus's
``DE_1102_security_log_cleared.evtx``: its 1102 is record 1).  Two events of
one computer and channel with one record number and event id are then told
apart by their time unless they fall on the same second of the quarter hour
(1 pair in 900).  Without a record number (Sentinel exports keep none, the
``@cee`` syslog agents neither) a record keeps the id of its bytes.
"""

from __future__ import annotations

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


def windows_record_id(channel: str, host: str, number: int, event_id: int, written: object, ts: float) -> str:
    """The content id of a Windows event: its channel, host, record number, event id and time (module docstring).

    Parameters
    ----------
    channel : str
        The channel as written.
    host : str
        The computer, normalised (:func:`ingest.normalize.normalize_host`).
    number : int
        The record number (:func:`record_number`).
    event_id : int
        The event id.
    written : object
        The record's creation time as written (:func:`quarter_hour_second`).
    ts : float
        The event's time, for a creation time that is not text.

    Examples
    --------
    >>> a = windows_record_id("Security", "pc01", 1, 1102, "2019-03-19T23:35:07.524202Z", 0.0)
    >>> a == windows_record_id("security", "pc01", 1, 1102, "2019-03-19T19:35:07.524Z", 0.0)
    True
    >>> a == windows_record_id("Security", "pc01", 1, 1102, "2019-03-20T23:35:08.524202Z", 0.0)
    False
    """
    second = quarter_hour_second(written, ts)
    # a JSON array: no channel or host text can pass for another field (attacker strings are data)
    key = orjson.dumps((channel.strip().lower(), host, number, event_id, second))
    return content_id(NAME, key)
