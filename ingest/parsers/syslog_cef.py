"""CEF (ArcSight Common Event Format) payloads: ``CEF:0|vendor|product|version|sig|name|sev|ext``.

Header fields escape ``\\|`` and ``\\\\``; extension values escape ``\\=``,
``\\\\``, ``\\n`` and ``\\r``, and may hold spaces (a value runs to the next
unescaped `` key=``).  Well-known extension keys map to the normalised fields
of ``docs/fields.md``; the rest are kept as ``cef.<key>`` (custom strings
``csN`` under their ``csNLabel``: ``cef.<label>``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ingest.normalize import canonical_ip, normalize_domain, normalize_url, parse_timestamp
from ingest.parsers.base import ParseError

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
    "suser": "user.name",
    "duser": "destination.user.name",
}
_HASH_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256"}
_TIME_KEYS = ("rt", "end", "start", "deviceReceiptTime")
_TIME_FORMATS = ("%b %d %Y %H:%M:%S.%f", "%b %d %Y %H:%M:%S")


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


def cef_time(extension: dict[str, str], default_timezone: str) -> float | None:
    """Event time from ``rt``/``end``/``start`` (epoch ms or ``MMM dd yyyy HH:mm:ss``)."""
    for key in _TIME_KEYS:
        value = extension.get(key)
        if not value:
            continue
        if value.isascii() and value.isdigit():
            return parse_timestamp(int(value), default_timezone=default_timezone)
        for layout in _TIME_FORMATS:
            try:
                moment = datetime.strptime(value, layout)
            except ValueError:
                continue
            return parse_timestamp(moment.isoformat(), default_timezone=default_timezone)
        try:
            return parse_timestamp(value, default_timezone=default_timezone)
        except ValueError:
            raise ParseError(f"CEF {key}: unrecognised time {value[:40]!r}") from None
    return None


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
            _put_host(fields, "source" if key == "shost" else "destination", value)
        elif key == "request":
            try:
                fields["url.full"] = normalize_url(value)
            except ValueError:
                fields["url.original"] = value
        elif key == "fileHash":
            algorithm = _HASH_BY_LENGTH.get(len(value), "unknown")
            fields[f"file.hash.{algorithm}"] = value.lower()
        elif key == "fsize" and value.isascii() and value.isdigit():
            fields["file.size"] = int(value)
        elif key in _LOWER_KEYS:
            fields[_LOWER_KEYS[key]] = value.lower()
        elif key in labels:
            fields[f"cef.{labels[key]}"] = value
        elif key in _TEXT_KEYS:
            fields[_TEXT_KEYS[key]] = value
        else:
            fields[f"cef.{key}"] = value
    return fields


def _put_host(fields: dict[str, Any], side: str, value: str) -> None:
    ip = canonical_ip(value, strict=False)
    if ip is not None:
        fields.setdefault(f"{side}.ip", ip)
        return
    try:
        domain = normalize_domain(value)
    except ValueError:
        domain = None
    fields[f"{side}.domain"] = domain or value
