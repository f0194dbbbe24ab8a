"""Syslog lines: RFC 3164 and RFC 5424, with CEF, LEEF and ``@cee:`` payloads.

Framing
-------
* RFC 5424: ``<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG``; also accepted
  without ``<PRI>`` (Zeek's ``syslog.log`` strips it).
* RFC 3164: ``[<PRI>]Mmm dd hh:mm:ss HOST TAG[PID]: MSG`` with any run of
  spaces between fields (``Jun  9``) and tags like ``sshd(pam_unix)[19939]``
  (the tag is kept as written in ``log.syslog.appname``).  A line whose
  fourth token looks like a tag (``sshd[1]:``) has no HOST.
* rsyslog's high-precision variant: ``[<PRI>]2024-03-01T10:00:00.123456+01:00
  HOST TAG[PID]: MSG`` (``RSYSLOG_FileFormat``, the ``/var/log/auth.log`` of
  current Ubuntu).  Without ``<PRI>`` a line is taken for one only when a
  HOST and a TAG follow a zoned RFC 3339 time.
* Cisco ASA/FTD/PIX/FWSM (``%ASA-6-302013: MSG`` with the year written, no
  timestamp, or behind a relay's header): :mod:`ingest.parsers.syslog_asa`.
* A bare ``CEF:`` or ``LEEF:`` line (no syslog header).

Time (docs/fields.md, "Syslog time")
------------------------------------
RFC 5424 timestamps carry a zone.  A NILVALUE (``-``) timestamp, or a Cisco
line without one, takes the payload's own time (CEF ``rt``, a ``@cee``
Windows event's), else a live source's receipt time (``context.received_at``,
marked ``log.syslog.time_source: receipt``), else the line is rejected naming
the rule.  RFC 3164 dates (and Cisco's, with their year) are read in
``context.default_timezone``; the year of a year-less date is
:mod:`ingest.parsers.syslog_time`'s rule.

Payloads
--------
* ``@cee: {json}``: a Windows event (EvntSLog, or any layout of
  :mod:`ingest.parsers.windows`) becomes the Windows event an endpoint log
  gives, timed and hosted by its own time and name, else by the header's;
  other JSON is ``syslog:message`` with its ``msg``.
* A Windows event as its rendered text on one line (EvntSLog without
  ``@cee``: ``An account was successfully logged on. Subject: ...``) becomes
  the same Windows event, hosted by the HOSTNAME and timed by the header
  (:mod:`ingest.parsers.syslog_windows_text`: the Security events it knows
  by their title); any other text is read as below.
* ``CEF:0|...`` (:mod:`ingest.parsers.syslog_cef`, ``cef:event``) and
  ``LEEF:1.0|``/``2.0|`` (:mod:`ingest.parsers.syslog_leef`, ``leef:event``):
  timed by the payload, else the header; the device is ``observer.*`` and the
  host, unless the line is the device's view of other machines' traffic
  (:func:`_device_event`).
* Cisco lines are ``syslog:message``; one that names traffic (302013, 106023,
  304001...) gets its addresses (:func:`ingest.parsers.syslog_asa.asa_traffic`)
  and, the firewall's view of other machines, no host, like a CEF device view.
* Anything else: ``syslog:message``; sshd's and PAM's log-on lines are
  ``syslog:logon`` (sshd ``Accepted``) or ``syslog:logon_failed`` and give
  ``user.name``, ``source.ip``/``source.domain``, ``source.port`` and
  ``event.outcome`` (:mod:`ingest.parsers.syslog_sshd`).

:func:`parse_syslog_text` is the entry point for callers that hold a syslog
line inside another record (the Zeek parser's ``syslog`` log).

The header is read in :mod:`ingest.parsers.syslog_header`, the ``@cee``, CEF
and LEEF events built in :mod:`ingest.parsers.syslog_payloads`; this module
keeps the entry points and the plugin, and re-exports :data:`FACILITIES`,
:data:`SEVERITIES` and :data:`TIME_SOURCE`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from graphsiem.model import Event
from ingest.normalize import normalize_host
from ingest.parsers.base import ParseContext, ParseError, Record
from ingest.parsers.localized_windows_text import note_localized
from ingest.parsers.syslog_asa import CISCO_PRODUCTS, asa_traffic
from ingest.parsers.syslog_cef import read_cef
from ingest.parsers.syslog_header import (
    FACILITIES,
    SEVERITIES,
    TIME_SOURCE,
    _base_fields,
    _Header,
    _header_time,
    _parse_header,
    _without_time,
)
from ingest.parsers.syslog_leef import read_leef
from ingest.parsers.syslog_payloads import _device_event, _put_device, _windows_from_cee
from ingest.parsers.syslog_sshd import auth_fields
from ingest.parsers.syslog_windows_text import (
    may_be_windows_text,
    sent_by_windows_forwarder,
    windows_text_event,
)
from ingest.parsers.windows_time import checked_time
from ingest.parsers.zeek_syslog_carried import remember_reading, remembered_reading

__all__ = [
    "FACILITIES",
    "SEVERITIES",
    "TIME_SOURCE",
    "SyslogParser",
    "parse_syslog_text",
    "parsers",
    "windows_events_in_zeek_syslog",
]

_SNIFF_RE = re.compile(
    r"<\d{1,3}>|[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2} |\d{1,2} \d{4}-\d{2}-\d{2}T|CEF:\d"
    # rsyslog's RSYSLOG_FileFormat (/var/log/auth.log on current Ubuntu): an RFC 3339
    # time with its offset, HOST and a TAG; without <PRI>, so the whole head is checked
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:?\d{2}) +\S+ +"
    r"[^\s\[\]:]+(?:\[[^\]\s]*\])?:"
    # Cisco ASA's own date with its year, and a bare LEEF payload
    # and a Cisco line without PRI or timestamp (rejected by the time rule, with its reason)
    rf"|[A-Z][a-z]{{2}} +\d{{1,2}} \d{{4}} \d{{2}}:\d{{2}}:\d{{2}}[: ]|LEEF:\d|%(?:{CISCO_PRODUCTS})-\d-\d{{6}}:"
)


def parse_syslog_text(
    line: str,
    context: ParseContext,
    *,
    source: str = "syslog",
    raw: Record | None = None,
) -> Event:
    """The normalised event of one syslog line.

    Parameters
    ----------
    line : str
        RFC 3164/5424 line (``<PRI>`` optional), or a bare ``CEF:`` line.
    context : ParseContext
        Origin, time zone and reference year (see the module's time rule).
    source : str
        ``Event.source`` (the Zeek parser passes ``"zeek"``).
    raw : dict or str, optional
        The record to keep as evidence; defaults to ``line``.

    Raises
    ------
    ParseError
        Not a syslog line, a bad timestamp, a malformed CEF header or @cee JSON.
    """
    header, message = _parse_header(line, context)
    return _syslog_event(line, header, message, context, source, line if raw is None else raw)


def _syslog_event(
    line: str, header: _Header, message: str, context: ParseContext, source: str, evidence: Record,
    *, is_windows_text_read: bool = False,
) -> Event:
    """The event of a syslog line whose header is read (:func:`parse_syslog_text`).

    ``is_windows_text_read``: the caller already asked :func:`windows_text_event` of this header
    and message and it gave nothing, so it is not asked again.
    """
    if message.startswith("@cee:"):
        try:
            payload = orjson.loads(message[5:].strip())
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"@cee payload is not JSON: {exc}") from None
        if not isinstance(payload, dict):
            raise ParseError("@cee payload is not a JSON object")
        event = _windows_from_cee(payload, header, context, source, evidence)
        if event is not None:
            return event
        message = str(payload.get("msg", message))
    else:
        event = None if is_windows_text_read else windows_text_event(message, header, context, source, evidence)
        if event is not None:
            return event
        # German rendered text is not read: counted for the ingest report (one place: Zeek's
        # syslog records of a Windows forwarder come here too), the message kept as it is
        note_localized(message, context.extras)
    if message.startswith("CEF:"):
        return _device_event(read_cef(message, context), header, context, source, evidence)
    if message.startswith("LEEF:"):
        return _device_event(read_leef(message, context), header, context, source, evidence)
    fields = _base_fields(header)
    ts = _header_time(header, fields)
    if ts is None:
        if header.no_time:
            raise _without_time(header, "syslog message without a time of its own")
        raise ParseError(f"not a syslog line: {line[:60]!r}")
    ts = checked_time(ts, ts, context.clock())
    fields["message"] = message
    host = normalize_host(header.hostname) if header.hostname else None
    traffic = asa_traffic(header.cisco[2], message) if header.cisco is not None else None
    if traffic:
        # the firewall's view of other machines' traffic: no host (the client is found through
        # the IP -> host map), the firewall stays observer.* (as a CEF device view)
        fields.update(traffic)
        _put_device(fields, header.hostname)
        fields.pop("host.name.original", None)
        host = None
        kind = None
    else:
        kind = auth_fields(message, fields)
    return Event(
        id="", kind=kind or "syslog:message", ts=ts, host=host,
        source=source, fields=fields, origin=context.origin, raw=evidence,
    )


class SyslogParser:
    """The ``syslog`` parser plugin: text lines (str records)."""

    name = "syslog"
    sniff_reads_values = False
    """Text only: no JSON object is ever claimed (:mod:`ingest.parsers.base`)."""

    def sniff(self, record: Record) -> bool:
        """True for a line starting with ``<PRI>``, a 3164 date, a 5424 version+date or ``CEF:``."""
        return isinstance(record, str) and _SNIFF_RE.match(record) is not None

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """The one event of a syslog line."""
        if not isinstance(record, str):
            raise ParseError(f"syslog expects a text line, got {type(record).__name__}")
        yield parse_syslog_text(record, context, source=self.name)


def parsers() -> list[SyslogParser]:
    """The syslog parser plugins (one)."""
    return [SyslogParser()]


def windows_events_in_zeek_syslog(record: dict[str, Any], context: ParseContext) -> list[Event]:
    """The Windows event that a Zeek ``syslog`` record carries as ``@cee:`` JSON or as its text, if any.

    For the Zeek parser: it keeps its own ``zeek:syslog`` event (the network
    view: sender, receiver, facility) and adds this endpoint event, so the
    Windows event reaches the same host entities as an endpoint log would.
    The message is an RFC 5424 line (Zeek drops its ``<PRI>``) whose HOSTNAME
    is the Windows host.  A message that is not a well-formed ``@cee``
    Windows event nor a recognised Windows event's rendered text
    (:mod:`ingest.parsers.syslog_windows_text`) adds nothing (the
    ``zeek:syslog`` event still holds the message text).

    Examples
    --------
    >>> line = ('1 2018-03-24T08:59:37-07:00 PC-1.example EvntSLog - - - @cee: '
    ...         '{"source": "PC-1.example", "nteventlogtype": "System", "id": "7036"}')
    >>> [e.kind for e in windows_events_in_zeek_syslog({"message": line}, ParseContext())]
    ['windows:other']
    >>> line = ('1 2018-03-24T08:59:54-07:00 DC1.example EvntSLog - - - Special privileges assigned to new '
    ...         'logon. Subject: Security ID: S-1-5-18 Account Name: DC1$ Account Domain: EX Logon ID: 0x3e7 '
    ...         'Privileges: SeSecurityPrivilege')
    >>> [(e.kind, e.host, e.fields["user.name"]) for e in windows_events_in_zeek_syslog({"message": line}, ParseContext())]
    [('winsec:special_privileges', 'dc1', 'ex\\\\dc1$')]
    """
    message = record.get("message")
    if not isinstance(message, str):
        return []
    if "@cee:" in message:
        try:
            event = parse_syslog_text(message, context, source="zeek", raw=record)
        except ParseError:
            return []
        # an sshd/PAM log-on line (syslog:logon...) is the sender's, already in its own log: no event
        return [] if event.kind.startswith("syslog:") else [event]
    # a capture copy's message was read for its first copy (ingest.parsers.zeek_syslog_carried)
    remembered = remembered_reading(message, record, context)
    if remembered is not None:
        return remembered
    if not may_be_windows_text(message):
        remember_reading(message, None, context, localized_text=None)
        return []
    localized_text = None
    try:
        header, text = _parse_header(message, context)
        windows = windows_text_event(text, header, context, "zeek", record)
        if windows is None and sent_by_windows_forwarder(header):
            # a Windows host's message no module reads further (Group Policy, Task Scheduler):
            # still that host's, as the syslog reader makes it (a syslog:message of the HOSTNAME),
            # from the header already read and without reading the text for a Windows event again
            windows = _syslog_event(message, header, text, context, "zeek", record, is_windows_text_read=True)
            localized_text = text  # _syslog_event passed the text to note_localized
    except ParseError:
        return []  # undated or hostless: the zeek:syslog event keeps the text (read again for a copy)
    # kept only where the reading read no more of the context than the memory's key: an RFC 5424
    # header (an RFC 3164 line's year rule keeps per-file state), no CEF or LEEF payload
    if header.is_rfc5424 and not text.startswith(("CEF:", "LEEF:")):
        remember_reading(message, windows, context, localized_text=localized_text)
    return [] if windows is None else [windows]
