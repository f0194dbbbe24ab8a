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
* ``CEF:0|...`` (:mod:`ingest.parsers.syslog_cef`, ``cef:event``) and
  ``LEEF:1.0|``/``2.0|`` (:mod:`ingest.parsers.syslog_leef`, ``leef:event``):
  timed by the payload, else the header; the device is ``observer.*`` and the
  host, unless the line is the device's view of other machines' traffic
  (:func:`_device_event`).
* Cisco lines are ``syslog:message``; one that names traffic (302013, 106023,
  304001...) gets its addresses (:func:`ingest.parsers.syslog_asa.asa_traffic`)
  and, the firewall's view of other machines, no host, like a CEF device view.
* Anything else: ``syslog:message``; sshd's and PAM's log-on lines give
  ``user.name``, ``source.ip``/``source.domain``, ``source.port`` and
  ``event.outcome`` (:mod:`ingest.parsers.syslog_sshd`).

:func:`parse_syslog_text` is the entry point for callers that hold a syslog
line inside another record (the Zeek parser's ``syslog`` log).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from graphsiem.model import Event
from ingest.normalize import (
    UNSET_TEXT,
    canonical_ip,
    normalize_host,
    parse_timestamp,
)
from ingest.parsers.base import ParseContext, ParseError, Record
from ingest.parsers.syslog_asa import (
    CISCO_PRODUCTS,
    CiscoTag,
    asa_traffic,
    cisco_head,
    dated_time,
    put_cisco_tag,
    split_cisco_tag,
)
from ingest.parsers.syslog_cef import Payload, is_device_view, read_cef
from ingest.parsers.syslog_leef import read_leef
from ingest.parsers.syslog_sshd import auth_fields
from ingest.parsers.syslog_time import yearless_time
from ingest.parsers.windows_events import to_event
from ingest.parsers.windows_shapes import (
    from_cee,
    from_evtx_json,
    from_nxlog,
    from_sentinel,
    from_winlogbeat,
    is_cee_windows,
    is_evtx_json,
    is_nxlog,
    is_sentinel,
    is_winlogbeat,
)
from ingest.parsers.windows_time import checked_time

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}

_PRI_RE = re.compile(r"<(\d{1,3})>")
_RFC5424_RE = re.compile(r"(\d{1,2}) +(\S+) +(\S+) +(\S+) +(\S+) +(\S+) ?")
_RFC3164_RE = re.compile(
    # Cisco ASA/FTD write the year ("Mar 05 2024 10:15:33") and, without a device id, a ":" after the time
    r"([A-Z][a-z]{2}) +(\d{1,2}) +(?:(\d{4}) +)?(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?:? +(.*)", re.DOTALL
)
_ISO_HEAD_RE = re.compile(r"(\d{4}-\d{2}-\d{2}T\S+) +(.*)", re.DOTALL)
_TAG_RE = re.compile(r"([^\s\[\]:]+(?:\([^)\s]*\))?)(?:\[([^\]\s]*)\])?: ?(.*)", re.DOTALL)
_SD_PARAM_RE = re.compile(r'([^\s=\]"]+)="((?:[^"\\]|\\.)*)"')
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
class _Header:
    """What the syslog header said; fields are ``None`` when absent or ``-``."""

    __slots__ = ("ts", "no_time", "is_receipt_time", "hostname", "appname", "procid", "msgid",
                 "pri", "structured", "cisco")

    def __init__(self) -> None:
        self.ts: float | None = None
        self.no_time: str | None = None  # why the header has no time (NILVALUE, a Cisco line without one)
        self.cisco: CiscoTag | None = None  # product, level, message id of a %ASA-6-302013 tag
        self.is_receipt_time = False  # then ts is a live source's receipt time (context.received_at)
        self.hostname: str | None = None
        self.appname: str | None = None
        self.procid: str | None = None
        self.msgid: str | None = None
        self.pri: int | None = None
        self.structured: dict[str, str] = {}


def _nil(value: str) -> str | None:
    return None if value == "-" else value


TIME_SOURCE = "log.syslog.time_source"
"""Set to ``"receipt"`` when an event's time is the receipt time of a live source (NILVALUE TIMESTAMP)."""


def _header_time(header: _Header, fields: dict[str, Any]) -> float | None:
    """The header's time for an event without one of its own; ``fields`` say when it is a receipt time."""
    if header.is_receipt_time:
        fields[TIME_SOURCE] = "receipt"
    return header.ts


def _without_time(header: _Header, what: str) -> ParseError:
    """The rejection of a line whose event has no time, naming the rule."""
    if header.no_time:
        return ParseError(
            f"{what}, and {header.no_time}: a file has no "
            "receipt time to stamp it with (docs/fields.md, Syslog time)"
        )
    return ParseError(f"{what} and without a syslog timestamp")


def _structured_data(text: str, header: _Header) -> str:
    """Consume RFC 5424 STRUCTURED-DATA; return the message after it."""
    if text.startswith("-"):
        return text[2:] if text.startswith("- ") else text[1:]
    index = 0
    while index < len(text) and text[index] == "[":
        end = index + 1
        while end < len(text) and text[end] != "]":
            end += 2 if text[end] == "\\" else 1  # skip escaped \] \" \\
        element = text[index + 1:end]
        sd_id, _, params = element.partition(" ")
        for name, value in _SD_PARAM_RE.findall(params):
            header.structured[f"syslog.sd.{sd_id}.{name}"] = re.sub(r"\\(.)", r"\1", value)
        index = end + 1
    rest = text[index:]
    return rest[1:] if rest.startswith(" ") else rest


def _split_tag(text: str, header: _Header) -> str:
    if text.startswith(("CEF:", "LEEF:")):
        return text  # "host CEF:0|..." carries no tag; "CEF" is not a program name
    if text.startswith(": "):
        text = text[2:]  # Cisco "Mar 05 2024 10:15:33 fw01 : %ASA-..." (logging device-id)
    cisco = split_cisco_tag(text)
    if cisco is not None:
        # the message id is no program name: it goes to event.code, not the appname
        header.cisco, message = cisco
        return message
    match = _TAG_RE.match(text)
    if match is None:
        return text
    header.appname, pid, message = match.group(1), match.group(2), match.group(3)
    header.procid = pid or None
    return message


def _rfc5424_cisco_tag(message: str, header: _Header) -> str:
    """A Cisco tag an RFC 5424 relay kept: as APP-NAME (``fw01 %ASA-6-302013 - - Built ...``) or
    at the head of MSG after a NIL APP-NAME (``fw01 - - - %ASA-6-302013: Built ...``).

    The tag goes to ``event.code`` and ``observer.*`` as in the RFC 3164 layouts; it is no program
    name, so APP-NAME is dropped.  Any other APP-NAME keeps its MSG as it is.
    """
    app = header.appname
    if app is None:
        tagged = message
    elif app.startswith("%"):
        tagged = f"{app}: {message}"
    else:
        return message
    cisco = split_cisco_tag(tagged)
    if cisco is None:
        return message
    header.cisco, message = cisco
    header.appname = None
    return message


def _parse_header(line: str, context: ParseContext) -> tuple[_Header, str]:
    """Header fields and the message text of a syslog line."""
    header = _Header()
    text = line.rstrip("\r\n")
    pri = _PRI_RE.match(text)
    if pri is not None:
        header.pri = int(pri.group(1))
        if header.pri > 191:
            raise ParseError(f"syslog PRI {header.pri} out of range (0-191)")
        text = text[pri.end():]
    if text.startswith(("CEF:", "LEEF:")):
        return header, text
    cisco = cisco_head(text)
    if cisco is not None:
        # "<166>%ASA-6-302013: ..." (no "logging timestamp"): a live source's receipt time, or rejected
        header.no_time = "the Cisco line has no timestamp (the device's 'no logging timestamp')"
        header.ts = context.received_at
        header.is_receipt_time = header.ts is not None
        header.hostname, tagged = cisco
        return header, _split_tag(tagged, header)
    rfc5424 = _RFC5424_RE.match(text)
    if rfc5424 is not None and (
        rfc5424.group(2) == "-" or rfc5424.group(2)[:1].isdigit() and "T" in rfc5424.group(2)
    ):
        _, stamp, host, app, procid, msgid = rfc5424.groups()
        if stamp == "-":
            # the payload may still carry a time (CEF rt, @cee); else a live source's receipt time
            header.no_time = "the RFC 5424 TIMESTAMP is NILVALUE ('-')"
            header.ts = context.received_at
            header.is_receipt_time = header.ts is not None
        else:
            try:
                header.ts = parse_timestamp(stamp, default_timezone=context.default_timezone)
            except (ValueError, OverflowError) as exc:
                raise ParseError(f"RFC 5424 timestamp: {exc}") from None
        header.hostname, header.appname = _nil(host), _nil(app)
        header.procid, header.msgid = _nil(procid), _nil(msgid)
        message = _structured_data(text[rfc5424.end():], header).removeprefix("\ufeff")
        return header, _rfc5424_cisco_tag(message, header)
    rfc3164 = _RFC3164_RE.match(text)
    if rfc3164 is not None:
        month = _MONTHS.get(rfc3164.group(1))
        if month is None:
            raise ParseError(f"RFC 3164 month {rfc3164.group(1)!r} unknown")
        clock = (int(rfc3164.group(4)), int(rfc3164.group(5)), int(rfc3164.group(6)), 0)
        if rfc3164.group(3) is None:
            header.ts = yearless_time(month, int(rfc3164.group(2)), clock, context)
        else:
            header.ts = dated_time(int(rfc3164.group(3)), month, int(rfc3164.group(2)), clock, context)
        rest = rfc3164.group(7)
    else:
        iso = _ISO_HEAD_RE.match(text)  # rsyslog high-precision 3164 variant
        if iso is None:
            raise ParseError(f"not a syslog line: {line[:60]!r}")
        try:
            header.ts = parse_timestamp(iso.group(1), default_timezone=context.default_timezone)
        except (ValueError, OverflowError) as exc:
            raise ParseError(f"syslog timestamp: {exc}") from None
        rest = iso.group(2)
    host, _, after = rest.partition(" ")
    if host.endswith(":") or "[" in host or not after or host.startswith("%"):
        return header, _split_tag(rest, header)  # no HOST field: the tag comes first
    header.hostname = host
    return header, _split_tag(after.lstrip(" "), header)


def _base_fields(header: _Header) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if header.hostname:
        fields["log.syslog.hostname"] = header.hostname
        fields["host.name.original"] = header.hostname
    if header.appname:
        fields["log.syslog.appname"] = header.appname
    if header.procid:
        fields["log.syslog.procid"] = header.procid
    if header.msgid:
        fields["log.syslog.msgid"] = header.msgid
    if header.pri is not None:
        fields["log.syslog.facility"] = FACILITIES[header.pri >> 3]
        fields["log.syslog.severity"] = SEVERITIES[header.pri & 7]
    if header.cisco is not None:
        put_cisco_tag(fields, header.cisco, SEVERITIES)
    fields.update(header.structured)
    return fields


_CEE_SHAPES = (
    (is_cee_windows, lambda payload: from_cee(payload, None)),
    (is_evtx_json, from_evtx_json),
    (is_winlogbeat, from_winlogbeat),
    (is_sentinel, from_sentinel),
    (is_nxlog, from_nxlog),
)
"""The Windows layouts an ``@cee`` payload may have, EvntSLog first, then the
endpoint layouts in the order of :func:`ingest.parsers.windows.parsers`."""


def _windows_from_cee(
    payload: dict[str, Any], header: _Header, context: ParseContext, source: str, raw: Record
) -> Event | None:
    """The Windows event of an ``@cee`` payload, or ``None`` when it is not one.

    The payload's own time and endpoint name come first; the syslog header's
    time and hostname stand in when the payload has none (EvntSLog never
    writes a time; an NXLog ``@cee`` line may leave out ``EventTime``).
    """
    for is_shape, read_shape in _CEE_SHAPES:
        if is_shape(payload):
            win = read_shape(payload)
            break
    else:
        return None
    has_no_time = win.time is None or (isinstance(win.time, str) and win.time in UNSET_TEXT)
    is_header_time = has_no_time and header.ts is not None
    if is_header_time:
        win.time, has_no_time = header.ts, False
    if not win.computer:
        win.computer = header.hostname
    try:
        event = to_event(win, source=source, context=context, raw=raw)
    except ParseError as exc:
        if has_no_time:  # a Sysmon UtcTime would still have timed it: say what failed
            raise _without_time(header, f"@cee Windows event: {exc}") from None
        raise
    if is_header_time:
        _header_time(header, event.fields)
    return event


def _device_event(payload: Payload, header: _Header, context: ParseContext, source: str, evidence: Record) -> Event:
    """A CEF or LEEF event: timed by its payload, else the header; hosted by the device or not at all.

    The device is ``dvchost`` (for an endpoint product, the endpoint), else
    the syslog HOSTNAME.  When ``dvchost`` names it, the HOSTNAME is the
    relay's (an ArcSight SmartConnector's) and stays ``log.syslog.hostname``;
    ``host.name.original`` is ``dvchost`` as written.  A network device's
    view of other machines' traffic (:func:`is_device_view`) has no host: the
    projection's sensor rule finds the client through the IP -> host map; the
    device stays in ``observer.*``.
    """
    fields = _base_fields(header)
    fields.update(payload.fields)
    ts, unreadable, device = payload.ts, payload.unreadable, payload.device
    if ts is None:
        ts = _header_time(header, fields)
        if ts is None:
            raise _without_time(header, unreadable[0][2] if unreadable else payload.missing)
        if unreadable and not header.is_receipt_time:
            fields[TIME_SOURCE] = "header"
    ts = checked_time(ts, ts, context.clock())
    if device:
        fields["host.name.original"] = device
    else:
        device = header.hostname
    host = _put_device(fields, device)
    if is_device_view(payload.parties, fields):
        fields.pop("host.name.original", None)
        host = None
    return Event(
        id="", kind=payload.kind, ts=ts, host=host,
        source=source, fields=fields, origin=context.origin, raw=evidence,
    )


def _put_device(fields: dict[str, Any], device: str | None) -> str | None:
    """The device's normalised name (``observer.name``), or its address (``observer.ip``)."""
    device_name = normalize_host(device) if device else None
    if device_name and canonical_ip(device_name, strict=False) is None:
        fields["observer.name"] = device_name
    elif device_name:
        fields.setdefault("observer.ip", device_name)  # a HOSTNAME written as an address
    return device_name


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
    evidence = line if raw is None else raw
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
    else:
        auth_fields(message, fields)
    return Event(
        id="", kind="syslog:message", ts=ts, host=host,
        source=source, fields=fields, origin=context.origin, raw=evidence,
    )


class SyslogParser:
    """The ``syslog`` parser plugin: text lines (str records)."""

    name = "syslog"

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
    """The Windows event that a Zeek ``syslog`` record carries as ``@cee:`` JSON, if any.

    For the Zeek parser: it keeps its own ``zeek:syslog`` event (the network
    view: sender, receiver, facility) and adds this endpoint event, so the
    Windows event reaches the same host entities as an endpoint log would.
    A message that is not a well-formed ``@cee`` Windows event adds nothing
    (the ``zeek:syslog`` event still holds the message text).

    Examples
    --------
    >>> line = ('1 2018-03-24T08:59:37-07:00 PC-1.example EvntSLog - - - @cee: '
    ...         '{"source": "PC-1.example", "nteventlogtype": "System", "id": "7036"}')
    >>> [e.kind for e in windows_events_in_zeek_syslog({"message": line}, ParseContext())]
    ['windows:other']
    """
    message = record.get("message")
    if not isinstance(message, str) or "@cee:" not in message:
        return []
    try:
        event = parse_syslog_text(message, context, source="zeek", raw=record)
    except ParseError:
        return []
    return [] if event.kind == "syslog:message" else [event]
