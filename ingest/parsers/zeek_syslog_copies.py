"""Capture copies in Zeek's ``syslog.log``: one datagram seen several times is one record.

A sensor that sees a datagram on several taps or SPAN ports logs it once per
sighting: the WRCCDC 2018 ``syslog.log`` (brim sample) holds every message of
flow ``CBs8sZ2kIbw2QgSdy4`` four times, at ``.365638``, ``.365640``,
``.365646`` and ``.365648``: same uid, same addresses and ports, same
message, microseconds apart.  Each copy carried the same Windows event, and
the Zeek ids (:func:`ingest.event_ids.content_id` of the record's values)
differ only by ``ts``, so one 4776 was counted four times (the kramer
credential finding said 112 attempts for 28 messages).

The rule: a ``syslog`` record whose values other than ``ts`` equal those of
the first record of its burst (same uid, ``id.*``, proto, facility, severity
and message) and whose ``ts`` is within :data:`COPY_WINDOW` of that first
record's is a capture copy: the parser gives it the first record's content,
so its events take the first record's ids and the journal counts it as a
duplicate.  In that corpus the copies of one datagram lie within 0.7 ms of
each other (591 bursts of 4, the widest 0.70 ms), and the closest genuine
re-sends of one text in one flow are 11 ms apart (an account's repeated
failures rendered to the same second): a window of 2 ms keeps those apart.

Why this does not reopen the forged-duplicate attack (red team T13 F1): a
record becomes a copy only of one whose every value but the time is equal,
message included, so a forged line can only "hide" a genuine line that is
the same text from the same flow within 2 ms; the event it carries is then
the forged one's, equal in every field.  A copy seen before its burst's first
record (a reader that does not keep time order) starts a burst of its own:
two events, as before this rule, never two events made one.

A Windows event carried with its ``EventRecordID`` (an NXLog ``@cee``
payload) needs no window: its id is the Windows content id
(:mod:`ingest.parsers.windows_record_ids`), the same in every copy and in the
endpoint's own export.

The memory is per ingest session (``ParseContext.extras``) and bounded:
copies follow each other within milliseconds, so the last
:data:`REMEMBERED` bursts are plenty; a burst forgotten is only a copy kept.
"""

from __future__ import annotations

from typing import Any

import orjson

from ingest.parsers.base import ParseContext

COPY_WINDOW = 0.002
"""Seconds after a burst's first record within which an equal record is a capture copy of it."""

REMEMBERED = 1024
"""Bursts remembered per ingest session (the oldest is forgotten first)."""

_MEMORY_KEY = "zeek_syslog_copies"


def first_copy_content(
    kind: str, ts: float, fields: dict[str, Any], content: bytes, context: ParseContext
) -> bytes:
    """The content whose ids a ``syslog`` record's events take: its burst's first record's, else its own.

    Parameters
    ----------
    kind : str
        The record's kind (``zeek:syslog``).
    ts : float
        The record's time (epoch seconds, rounded to the microsecond).
    fields : dict
        The record's ``zeek.*`` values (its time left out).
    content : bytes
        The record's own content (:func:`ingest.parsers.zeek._content`).
    context : ParseContext
        The ingest session's context: its ``extras`` keep the recent bursts.

    Returns
    -------
    bytes
        ``content`` of the burst's first record when this record is a capture copy of it, else ``content``.

    Examples
    --------
    >>> context = ParseContext()
    >>> fields = {"zeek.uid": "C1", "zeek.message": "1 2018-03-24T09:06:26-07:00 PC EvntSLog - - - hi"}
    >>> first = first_copy_content("zeek:syslog", 10.000001, fields, b"first", context)
    >>> first_copy_content("zeek:syslog", 10.000301, fields, b"second", context)
    b'first'
    >>> first_copy_content("zeek:syslog", 10.020001, fields, b"later", context)
    b'later'
    """
    memory: dict[bytes, tuple[float, bytes]] | None = context.extras.get(_MEMORY_KEY)
    if memory is None:
        memory = context.extras[_MEMORY_KEY] = {}
    key = orjson.dumps((kind, fields), default=str, option=orjson.OPT_SORT_KEYS)
    burst = memory.get(key)
    if burst is not None and 0.0 <= ts - burst[0] <= COPY_WINDOW:
        return burst[1]
    memory.pop(key, None)  # re-inserted last: eviction goes by the newest burst
    memory[key] = (ts, content)
    if len(memory) > REMEMBERED:
        del memory[next(iter(memory))]
    return content


def remembered_bursts(context: ParseContext) -> list[list[Any]]:
    """The bursts ``context`` remembers, oldest first, as JSON-ready lists (see :func:`remember_bursts`).

    A run that reads a journal again in parts (the id migration, resumed after an
    interruption) keeps them with its progress, so a copy read after the resumption
    still finds its burst's first record, as in one run.

    Examples
    --------
    >>> context, again = ParseContext(), ParseContext()
    >>> fields = {"zeek.uid": "C1", "zeek.message": "hi"}
    >>> _ = first_copy_content("zeek:syslog", 10.0, fields, b"first", context)
    >>> remember_bursts(again, orjson.loads(orjson.dumps(remembered_bursts(context))))
    >>> first_copy_content("zeek:syslog", 10.001, fields, b"second", again)
    b'first'
    """
    memory: dict[bytes, tuple[float, bytes]] = context.extras.get(_MEMORY_KEY) or {}
    # latin-1 maps every byte to one character and back: the key and content bytes as they were
    return [[key.decode("latin-1"), ts, content.decode("latin-1")] for key, (ts, content) in memory.items()]


def remember_bursts(context: ParseContext, saved: list[list[Any]]) -> None:
    """Give ``context`` the bursts :func:`remembered_bursts` returned, in their order (the eviction order)."""
    context.extras[_MEMORY_KEY] = {
        str(key).encode("latin-1"): (float(ts), str(content).encode("latin-1")) for key, ts, content in saved}
