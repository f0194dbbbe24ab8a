"""CEF (ArcSight Common Event Format) payloads: ``CEF:0|vendor|product|version|sig|name|sev|ext``.

Header fields escape ``\\|`` and ``\\\\``; extension values escape ``\\=``,
``\\\\``, ``\\n`` and ``\\r``, and may hold spaces (a value runs to the next
unescaped `` key=``).  Well-known extension keys map to the normalised fields
of ``docs/fields.md``; the rest are kept as ``cef.<key>`` (custom strings
``csN`` under their ``csNLabel``: ``cef.<label>``).  The reporting device is
``observer.*`` (vendor and product from the header).

Host names: ``shost``/``dhost`` name the machine at ``src``/``dst``.  When
that address is internal (:func:`ingest.normalize.is_internal`) the name is a machine of
the fleet: ``source.hostname``/``destination.hostname``, normalised like any
host name (the IP -> host map learns ``src`` -> ``shost`` from it, as from a
Zeek Kerberos machine account); otherwise, or without an address, it is the
DNS name of an outside machine: ``source.domain``/``destination.domain``.

Times (:func:`cef_time`): ``rt``, else ``end``, ``start``, ``deviceReceiptTime``,
in any layout of the CEF standard: epoch milliseconds, or ``MMM dd [yyyy]
HH:mm:ss[.SSS] [zzz]``.  The zone is ``UTC``/``GMT``/``UT``/``Z``, an offset
(``GMT+01:00``, ``+0100``), or an IANA or fixed zone :mod:`zoneinfo` knows
(``Europe/Paris``, ``EST``); without one, ``ParseContext.default_timezone``.
A layout without a year takes the year of RFC 3164 syslog
(:mod:`ingest.parsers.syslog_time`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from ingest.normalize import (
    DIGEST_LENGTHS,
    canonical_ip,
    is_internal,
    normalize_digest,
    normalize_domain,
    normalize_host,
    normalize_url,
    normalize_user,
    parse_timestamp,
)
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog_time import yearless_time
from ingest.parsers.windows_time import checked_time

_KEY_RE = re.compile(r"(?:^|(?<=\s))([A-Za-z0-9_.\-\[\]]+)=")
_VALUE_ESCAPES = {"=": "=", "\\": "\\", "n": "\n", "r": "\r", "|": "|"}
_SLUG_RE = re.compile(r"[^a-z0-9]+")

_IP_KEYS = {"src": "source.ip", "dst": "destination.ip", "dvc": "observer.ip"}
_PORT_KEYS = {"spt": "source.port", "dpt": "destination.port"}
_TEXT_KEYS = {
    "requestMethod": "http.request.method",
    "requestClientApplication": "user_agent.original",
    "filePath": "file.path",
    "act": "event.action",
    "msg": "message",
    "cat": "rule.category",
    "outcome": "event.outcome",
    "dvchost": "observer.hostname",
}
_LOWER_KEYS = {
    "proto": "network.transport",
    "app": "network.protocol",
    "fname": "file.name",
    "sproc": "process.name",
    "dproc": "target.process.name",
}
_HASH_BY_LENGTH = {length: name for name, length in DIGEST_LENGTHS.items() if name != "imphash"}
"""CEF ``fileHash`` names no algorithm: a digest's length tells it (32 hex digits: MD5, not an imphash)."""
_TIME_KEYS = ("rt", "end", "start", "deviceReceiptTime")
_TEXT_TIME_RE = re.compile(
    r"([A-Za-z]{3}) +(\d{1,2})(?: +(\d{4}))? +(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?: +(\S+))?"
)
_OFFSET_RE = re.compile(r"(?:GMT|UTC|UT)?([+-])(\d{1,2})(?::?(\d{2}))?")
_MONTHS = {name: number for number, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_UTC_NAMES = frozenset(("UTC", "GMT", "UT", "Z"))


_PARTY_KEYS = ("src", "dst", "shost", "dhost", "request")
"""Extension keys that name a machine (or the URL a client asked for) in the traffic an event reports."""
_PROCESS_KEYS = ("sproc", "dproc", "spid", "dpid")
"""Extension keys only an endpoint product writes: its record is about its own machine."""


def _split_header(text: str) -> tuple[list[str], str]:
    """The seven header fields (unescaped) and the raw extension."""
    fields: list[str] = []
    current: list[str] = []
    index = 0
    length = len(text)
    while index < length and len(fields) < 7:
        char = text[index]
        if char == "\\" and index + 1 < length and text[index + 1] in "|\\":
            current.append(text[index + 1])
            index += 2
            continue
        if char == "|":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    if len(fields) < 7:
        raise ParseError(f"CEF header has {len(fields) + 1} of 8 pipe-separated fields")
    return fields, text[index:]


def _unescape_value(value: str) -> str:
    if "\\" not in value:
        return value
    out: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value) and value[index + 1] in _VALUE_ESCAPES:
            out.append(_VALUE_ESCAPES[value[index + 1]])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def parse_extension(text: str) -> dict[str, str]:
    """CEF extension ``k1=v1 k2=v two`` as a dict of unescaped values.

    Examples
    --------
    >>> parse_extension(r"src=10.0.0.1 msg=a b\\=c dpt=443")
    {'src': '10.0.0.1', 'msg': 'a b=c', 'dpt': '443'}
    """
    result: dict[str, str] = {}
    matches = list(_KEY_RE.finditer(text))
    for position, match in enumerate(matches):
        end = matches[position + 1].start() if position + 1 < len(matches) else len(text)
        result[match.group(1)] = _unescape_value(text[match.end():end].strip())
    return result


def split_cef(text: str) -> tuple[list[str], dict[str, str]]:
    """Header fields (version, vendor, product, version, sig id, name, severity) and extension."""
    if not text.startswith("CEF:"):
        raise ParseError("not a CEF payload (no 'CEF:' prefix)")
    header, extension = _split_header(text[4:])
    return header, parse_extension(extension)


def _zone(name: str) -> tzinfo:
    """The zone of a CEF time's ``zzz``; :class:`ParseError` when no zone has that name."""
    upper = name.upper()
    if upper in _UTC_NAMES:
        return UTC
    offset = _OFFSET_RE.fullmatch(upper)
    if offset is not None:
        hours, minutes = int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 23 or minutes > 59:
            raise ParseError(f"zone offset {name[:12]!r} out of range")
        sign = -1 if offset.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # unknown, malformed or a directory of the zone tree
        raise ParseError(f"unknown time zone {name[:40]!r}") from None


def _text_time(value: str, context: ParseContext) -> float | None:
    """``MMM dd [yyyy] HH:mm:ss[.SSS] [zzz]`` as epoch seconds; ``None`` for another layout."""
    match = _TEXT_TIME_RE.fullmatch(value)
    if match is None:
        return None
    month_name, day, year, hour, minute, second, fraction, zone_name = match.groups()
    month = _MONTHS.get(month_name.upper())
    if month is None:
        raise ParseError(f"month {month_name!r} unknown")
    zone = _zone(zone_name) if zone_name else ZoneInfo(context.default_timezone)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    clock = (int(hour), int(minute), int(second), micro)
    if year is None:
        return yearless_time(month, int(day), clock, context, zone, what="CEF date")
    try:
        return datetime(int(year), month, int(day), *clock, tzinfo=zone).astimezone(UTC).timestamp()
    except (ValueError, OverflowError) as exc:
        raise ParseError(f"invalid date: {exc}") from None


def cef_time(extension: dict[str, str], context: ParseContext) -> tuple[float | None, list[tuple[str, str, str]]]:
    """The event time of ``rt``, else ``end``, ``start``, ``deviceReceiptTime`` (module docstring).

    Returns
    -------
    ts : float or None
        Epoch seconds of the first of them that reads as a time from 1970 to
        2100; ``None`` when none does (the caller falls back to the syslog
        header's time).
    unreadable : list of (key, value, reason)
        The ones before it that did not read, in that order.

    Examples
    --------
    >>> cef_time({"rt": "Mar 01 2024 10:00:02 GMT+01:00"}, ParseContext())
    (1709283602.0, [])
    >>> cef_time({"rt": "yesterday"}, ParseContext())
    (None, [('rt', 'yesterday', "CEF rt: unrecognised time 'yesterday'")])
    """
    unreadable: list[tuple[str, str, str]] = []
    for key in _TIME_KEYS:
        value = extension.get(key)
        if not value:
            continue
        try:
            if value.isascii() and value.isdigit():
                ts = parse_timestamp(int(value), default_timezone=context.default_timezone)
            else:
                text = _text_time(value, context)
                ts = text if text is not None else parse_timestamp(value, default_timezone=context.default_timezone)
            return checked_time(ts, value, context.clock()), unreadable
        except ParseError as exc:
            unreadable.append((key, value, f"CEF {key}: {exc}"))
        except (ValueError, OverflowError):
            unreadable.append((key, value, f"CEF {key}: unrecognised time {value[:40]!r}"))
    return None, unreadable


def cef_kind(name: str) -> str:
    """``cef:<name>`` with the name slugged (``Port scan`` -> ``cef:port_scan``)."""
    slug = _SLUG_RE.sub("_", name.lower()).strip("_")[:64]
    return f"cef:{slug or 'event'}"


def cef_fields(header: list[str], extension: dict[str, str]) -> dict[str, Any]:
    """Normalised fields of a CEF event (see the module docstring)."""
    fields: dict[str, Any] = {
        "cef.version": header[0],
        "cef.vendor": header[1],
        "cef.product": header[2],
        "cef.product_version": header[3],
        "rule.id": header[4],
        "rule.name": header[5],
        "alert.severity": header[6],
    }
    if header[1]:
        fields["observer.vendor"] = header[1]
    if header[2]:
        fields["observer.product"] = header[2]
    labels = {key[:-5]: value for key, value in extension.items() if key.endswith("Label")}
    for key, value in extension.items():
        if not value or key.endswith("Label") or key in _TIME_KEYS:
            continue
        if key in _IP_KEYS:
            ip = canonical_ip(value, strict=False)
            fields[_IP_KEYS[key] if ip else f"cef.{key}"] = ip or value
        elif key in _PORT_KEYS:
            is_port = value.isascii() and value.isdigit()  # int() refuses "²"
            fields[_PORT_KEYS[key] if is_port else f"cef.{key}"] = int(value) if is_port else value
        elif key in ("shost", "dhost"):
            address = extension.get("src" if key == "shost" else "dst")
            _put_host(fields, "source" if key == "shost" else "destination", value, address)
        elif key == "request":
            try:
                fields["url.full"] = normalize_url(value)
            except ValueError:
                fields["url.original"] = value
        elif key == "fileHash":
            _put_file_hash(fields, value)
        elif key == "fsize" and value.isascii() and value.isdigit():
            fields["file.size"] = int(value)
        elif key in ("suser", "duser"):
            fields["user.name" if key == "suser" else "destination.user.name"] = normalize_user(None, value)
        elif key in _LOWER_KEYS:
            fields[_LOWER_KEYS[key]] = value.lower()
        elif key in labels:
            fields[f"cef.{labels[key]}"] = value
        elif key in _TEXT_KEYS:
            fields[_TEXT_KEYS[key]] = value
        else:
            fields[f"cef.{key}"] = value
    return fields


def _put_file_hash(fields: dict[str, Any], value: str) -> None:
    """``file.hash.<algorithm>`` from CEF ``fileHash`` when it is a digest (the shared rule, ``normalize_digest``).

    A value that is no digest of a known length (``N/A``, ``zz``) stays as
    ``cef.fileHash``, as other unread extension values do; a placeholder (all
    zeros, the empty input's digest) gives no field.
    """
    algorithm = _HASH_BY_LENGTH.get(len(value.strip()), "")
    try:
        digest = normalize_digest(algorithm, value)
    except ValueError:
        fields["cef.fileHash"] = value
        return
    if digest is not None:
        fields[f"file.hash.{algorithm}"] = digest


def _put_host(fields: dict[str, Any], side: str, value: str, address: str | None) -> None:
    """``shost``/``dhost``: an address, a fleet host's name, or an outside machine's domain (module docstring)."""
    ip = canonical_ip(value, strict=False)
    if ip is not None:
        fields.setdefault(f"{side}.ip", ip)
        return
    if is_internal(address):
        host = normalize_host(value)
        if host and canonical_ip(host, strict=False) is not None:
            fields.setdefault(f"{side}.ip", host)  # an address in another spelling (fullwidth digits)
            return
        if host:
            fields[f"{side}.hostname"] = host
            return
    try:
        domain = normalize_domain(value)
    except ValueError:
        domain = None
    fields[f"{side}.domain"] = domain or value


def is_device_view(extension: dict[str, str], fields: dict[str, Any]) -> bool:
    """Whether a CEF event is a network device's view of other machines' traffic.

    True when the extension names a party of the traffic (``src``, ``dst``,
    ``shost``, ``dhost``, or the ``request`` a client made) and no process
    (``sproc``, ``dproc``, ``spid``, ``dpid``: an endpoint product's record of
    its own machine), and the device (``observer.ip``, ``observer.name``) is
    neither end.  Such an event gets no host: the client is found through the
    IP -> host map, not pinned on the firewall or proxy that logged it.

    Examples
    --------
    >>> is_device_view({"src": "10.0.0.5", "dst": "198.51.100.7"}, {"source.ip": "10.0.0.5"})
    True
    >>> is_device_view({"src": "10.0.0.5", "sproc": "curl"}, {"source.ip": "10.0.0.5"})
    False
    >>> is_device_view({"suser": "bob"}, {})
    False
    """
    if not any(extension.get(key) for key in _PARTY_KEYS):
        return False
    if any(extension.get(key) for key in _PROCESS_KEYS):
        return False
    ends = (fields.get("source.ip"), fields.get("destination.ip"),
            fields.get("source.hostname"), fields.get("destination.hostname"))
    device = (fields.get("observer.ip"), fields.get("observer.name"))
    return not any(name is not None and name in ends for name in device)
