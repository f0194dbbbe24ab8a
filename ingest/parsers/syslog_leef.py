"""LEEF (IBM QRadar Log Event Extended Format) payloads, 1.0 and 2.0.

``LEEF:1.0|Vendor|Product|Version|EventID|k1=v1<TAB>k2=v2`` and
``LEEF:2.0|Vendor|Product|Version|EventID|DelimiterCharacter|k1=v1^k2=v2``.
LEEF 2.0's delimiter is one character or its code in hex (``0x5E``, ``x5E``,
``^``); it is optional, and without it (or in 1.0) attributes are separated
by tabs.  Relays that escape control characters write a tab as ``#011``
(rsyslog) and are read so; a 1.0 payload with neither a tab nor ``#011`` is
read as CEF's space-separated ``key=value`` (a relay that turned tabs into
spaces).  Header fields may escape ``|`` and ``\\`` as CEF's do (``\\|``, ``\\\\``).

The predefined attributes map to the normalised fields CEF payloads give
(:mod:`ingest.parsers.syslog_cef`, ``docs/fields.md``): ``src``/``dst``
(``source.ip``/``destination.ip``), ``srcPort``/``dstPort``, ``proto``,
``usrName`` (``user.name``), ``identSrc`` (``source.ip`` when there is no
``src``), ``identHostName`` (the host at that address, as CEF ``shost``),
``url`` (as CEF ``request``), ``srcMAC``/``dstMAC``, ``srcBytes``/``dstBytes``,
``sev`` (``alert.severity``), ``cat`` (``rule.category``), ``policy``
(``rule.name``); the header's EventID is ``event.code``, vendor and product
``observer.*`` and ``leef.*``.  Other keys are kept as ``leef.<key>``.

Time: ``devTime`` in ``devTimeFormat`` (a Java ``SimpleDateFormat`` pattern:
``yyyy``, ``MM``, ``MMM``, ``dd``, ``HH``, ``mm``, ``ss``, ``SSS``, ``z``/``Z``/``X``;
without a zone, ``ParseContext.default_timezone``); without a format, any
layout a CEF ``rt`` may have (epoch milliseconds, ``MMM dd yyyy HH:mm:ss``,
ISO 8601).  A ``devTime`` that does not read gives way to the syslog
header's time, as a CEF ``rt`` does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ingest.normalize import canonical_ip, normalize_user
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog_cef import (
    Payload,
    cef_time,
    device_header,
    parse_extension,
    put_host,
    put_ip,
    put_number,
    put_request,
    split_header,
)
from ingest.parsers.windows_time import checked_time

_IP_KEYS = {"src": "source.ip", "dst": "destination.ip"}
_NUMBER_KEYS = {"srcPort": "source.port", "dstPort": "destination.port",
                "srcBytes": "source.bytes", "dstBytes": "destination.bytes",
                "srcPackets": "source.packets", "dstPackets": "destination.packets"}
_TEXT_KEYS = {
    "sev": "alert.severity",
    "cat": "rule.category",
    "policy": "rule.name",
    "srcMAC": "source.mac",
    "dstMAC": "destination.mac",
    "domain": "user.domain",
}
_SKIPPED = frozenset(("devTime", "devTimeFormat"))
_HEX_DELIMITER_RE = re.compile(r"(?:0?[xX]|\\x)([0-9A-Fa-f]{2,4})")
_JAVA_TOKEN_RE = re.compile(r"yyyy|yy|MMM|MM|dd|HH|hh|mm|ss|SSS|a|z+|Z+|X+|'[^']*'|[A-Za-z]+|.", re.DOTALL)
_JAVA_TO_STRPTIME = {
    "yyyy": "%Y", "yy": "%y", "MMM": "%b", "MM": "%m", "dd": "%d", "HH": "%H", "hh": "%I",
    "mm": "%M", "ss": "%S", "SSS": "%f", "a": "%p",
}


def _delimiter(spec: str) -> str | None:
    """The attribute delimiter a LEEF 2.0 header field names, or ``None`` when it names none."""
    if len(spec) == 1:
        return spec
    if spec in ("\\t", ""):
        return "\t"
    match = _HEX_DELIMITER_RE.fullmatch(spec)
    if match is None:
        return None
    code = int(match.group(1), 16)
    return chr(code) if 0 < code < 0x110000 else None


def _attributes(text: str, delimiter: str) -> dict[str, str]:
    """``key=value`` items between delimiters; an item without ``=`` belongs to the value before it."""
    pieces: dict[str, list[str]] = {}
    last: list[str] | None = None
    for item in text.split(delimiter):
        key, is_pair, value = item.partition("=")
        key = key.strip()
        if is_pair and key and " " not in key:
            last = pieces[key] = [value.strip()]
        elif last is not None and item:
            # joined once at the end: re-joining (and stripping) the growing value per item
            # took quadratic time (a 1 MB line of items without "=" took 4 s)
            last.append(item.rstrip())
    return {key: delimiter.join(parts).strip() for key, parts in pieces.items()}


def split_leef(text: str) -> tuple[list[str], dict[str, str]]:
    """Header fields (LEEF version, vendor, product, version, event id) and the attributes.

    Examples
    --------
    >>> split_leef("LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5")
    (['2.0', 'Lancope', 'StealthWatch', '1.0', '41'], {'src': '10.0.1.8', 'dst': '10.0.0.5', 'sev': '5'})
    >>> split_leef("LEEF:1.0|Microsoft|MSExchange|4.0|15345|src=10.50.1.1\\tusrName=bob")[1]
    {'src': '10.50.1.1', 'usrName': 'bob'}
    """
    if not text.startswith("LEEF:"):
        raise ParseError("not a LEEF payload (no 'LEEF:' prefix)")
    header, rest = split_header(text[5:], 5, "LEEF")
    delimiter = "\t"
    if header[0].strip().startswith("2"):
        spec, bar, after = rest.partition("|")
        chosen = _delimiter(spec) if bar and "=" not in spec else None
        if chosen is not None:
            delimiter, rest = chosen, after
    if delimiter == "\t" and "\t" not in rest:
        if "#011" in rest:
            delimiter = "#011"  # rsyslog's escape of a tab
        else:
            return header, parse_extension(rest)
    return header, _attributes(rest, delimiter)


def _java_pattern(pattern: str) -> tuple[str, bool]:
    """A ``strptime`` format for a ``SimpleDateFormat`` pattern, and whether it reads a zone."""
    out: list[str] = []
    has_zone = False
    for token in _JAVA_TOKEN_RE.findall(pattern):
        if token in _JAVA_TO_STRPTIME:
            out.append(_JAVA_TO_STRPTIME[token])
        elif token[0] in "zZX":
            out.append("%z" if token[0] != "z" else "%Z")
            has_zone = True
        elif token.startswith("'"):
            out.append(token[1:-1].replace("%", "%%") or "'")
        elif token.isalpha():
            raise ParseError(f"devTimeFormat token {token!r} not supported")
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out), has_zone


def leef_time(attributes: dict[str, str], context: ParseContext) -> tuple[float | None, list[tuple[str, str, str]]]:
    """The event time of ``devTime`` (module docstring): ``(ts or None, unreadable)`` as :func:`cef_time`.

    Examples
    --------
    >>> leef_time({"devTime": "2024-03-05 10:15:34", "devTimeFormat": "yyyy-MM-dd HH:mm:ss"}, ParseContext())
    (1709633734.0, [])
    """
    value = attributes.get("devTime")
    pattern = attributes.get("devTimeFormat")
    if not value:
        return None, []
    if not pattern:
        ts, unreadable = cef_time({"rt": value}, context)
        return ts, [("devTime", raw, reason.replace("CEF rt", "LEEF devTime")) for _, raw, reason in unreadable]
    try:
        layout, has_zone = _java_pattern(pattern)
        moment = datetime.strptime(value.strip(), layout)
        if not has_zone or moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(context.default_timezone))
        return checked_time(moment.astimezone(UTC).timestamp(), value, context.clock()), []
    except (ValueError, OverflowError, re.error):  # re.error: a layout repeating a field (yyyy yyyy)
        return None, [("devTime", value, f"LEEF devTime: {value[:40]!r} does not read as {pattern[:40]!r}")]
    except ParseError as exc:
        return None, [("devTime", value, f"LEEF devTime: {exc}")]


def leef_fields(header: list[str], attributes: dict[str, str]) -> dict[str, Any]:
    """Normalised fields of a LEEF event (see the module docstring)."""
    fields = device_header("leef", header)
    fields["event.code"] = header[4]
    for key, value in attributes.items():
        if not value or key in _SKIPPED:
            continue
        if key in _IP_KEYS:
            put_ip(fields, _IP_KEYS[key], f"leef.{key}", value)
        elif key in _NUMBER_KEYS:
            put_number(fields, _NUMBER_KEYS[key], f"leef.{key}", value)
        elif key == "proto":
            fields["network.transport"] = value.lower()
        elif key in ("usrName", "accountName", "identUsrName"):
            fields.setdefault("user.name", normalize_user(None, value))
            if key != "usrName":
                fields[f"leef.{key}"] = value
        elif key == "identSrc":
            ip = canonical_ip(value, strict=False)
            fields["leef.identSrc"] = value
            if ip is not None and not attributes.get("src"):
                fields["source.ip"] = ip
        elif key == "identHostName":
            put_host(fields, "source", value, attributes.get("src") or attributes.get("identSrc"), written_as=None)
            fields["leef.identHostName"] = value
        elif key == "url":
            put_request(fields, value, {"dpt": attributes.get("dstPort", "")})
        elif key in _TEXT_KEYS:
            fields[_TEXT_KEYS[key]] = value
        else:
            fields[f"leef.{key}"] = value
    return fields


def read_leef(message: str, context: ParseContext) -> Payload:
    """The ``leef:event`` :class:`~ingest.parsers.syslog_cef.Payload` of a ``LEEF:`` message.

    The kind is one for every LEEF event (the header's EventID is
    ``event.code``): a kind per event name would be a kind per vendor string.
    A ``devTime`` that does not read is kept as ``leef.devTime``.
    """
    header, attributes = split_leef(message)
    fields = leef_fields(header, attributes)
    ts, unreadable = leef_time(attributes, context)
    for key, value, _ in unreadable:
        fields[f"leef.{key}"] = value
    # is_device_view reads CEF's names: the parties of the traffic under them
    parties = {"src": attributes.get("src") or attributes.get("identSrc", ""), "dst": attributes.get("dst", ""),
               "shost": attributes.get("identHostName", ""), "request": attributes.get("url", "")}
    return Payload("leef:event", fields, ts, unreadable, "LEEF event without devTime", None, parties)
