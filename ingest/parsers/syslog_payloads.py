"""Syslog payloads that are events of their own: ``@cee`` Windows events, CEF and LEEF device events.

Split from :mod:`ingest.parsers.syslog`: an ``@cee`` payload in one of the
Windows layouts becomes the Windows event an endpoint log gives
(:func:`_windows_from_cee`); a CEF or LEEF payload becomes a device event,
hosted by the device or, for its view of other machines' traffic, by none
(:func:`_device_event`).
"""

from __future__ import annotations

from typing import Any

from graphsiem.model import Event
from ingest.normalize import UNSET_TEXT, canonical_ip, normalize_host
from ingest.parsers.base import ParseContext, ParseError, Record
from ingest.parsers.syslog_cef import Payload, is_device_view
from ingest.parsers.syslog_header import (
    TIME_SOURCE,
    _base_fields,
    _Header,
    _header_time,
    _without_time,
)
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
