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
Zeek Kerberos machine account).  Without an address it is the machine the
device names (ArcSight's Windows connector writes the 4625's computer as
``dhost``): ``*.hostname`` too, with the name as written in ``cef.shost``/
``cef.dhost``, never a domain, which the projection would read as a DNS
lookup that never happened.  Beside an outside address it is that machine's
DNS name: ``source.domain``/``destination.domain``.

Processes: ``sproc``/``spid`` are the acting process (``process.*``),
``dproc``/``dpid`` the one acted on (``target.process.*``); a path keeps its
case in ``*.executable`` and gives the lower-case basename as ``*.name``.
Custom strings labelled as a command line or parent (``cs1Label=CommandLine``,
``ParentCommandLine``, ``ParentProcessName``, ``ParentProcessId``) are
``process.command_line`` (decoded as the Windows parsers decode it),
``process.parent.*``.

URLs (:func:`put_request`): ``request`` in quotes is read without them; one
without a scheme that is clearly ``host/path`` gives ``url.domain`` and
``url.path``, and ``url.full`` only when ``dpt`` or ``app`` tells the scheme.

Times (:func:`cef_time`): ``rt``, else ``end``, ``start``, ``deviceReceiptTime``,
in any layout of the CEF standard: epoch milliseconds, or ``MMM dd [yyyy]
HH:mm:ss[.SSS] [zzz]``.  The zone is ``UTC``/``GMT``/``UT``/``Z``, an offset
(``GMT+01:00``, ``+0100``), or an IANA or fixed zone :mod:`zoneinfo` knows
(``Europe/Paris``, ``EST``); without one, ``ParseContext.default_timezone``.
A layout without a year takes the year of RFC 3164 syslog
(:mod:`ingest.parsers.syslog_time`).

The times are read in :mod:`ingest.parsers.syslog_cef_time`, the field writers
CEF shares with LEEF and Cisco ASA are :mod:`ingest.parsers.syslog_device_fields`;
this module re-exports their names.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from ingest.normalize import (
    DIGEST_LENGTHS,
    normalize_digest,
    normalize_user,
    parse_int,
)
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog_cef_time import _TIME_KEYS, cef_time
from ingest.parsers.syslog_device_fields import (
    device_header,
    put_host,
    put_ip,
    put_number,
    put_request,
)
from ingest.parsers.windows_fields import put_decoded

__all__ = [
    "Payload",
    "cef_fields",
    "cef_time",
    "device_header",
    "is_device_view",
    "parse_extension",
    "put_host",
    "put_ip",
    "put_number",
    "put_request",
    "read_cef",
    "split_cef",
    "split_header",
]

_KEY_RE = re.compile(r"(?:^|(?<=\s))([A-Za-z0-9_.\-\[\]]+)=")
_VALUE_ESCAPES = {"=": "=", "\\": "\\", "n": "\n", "r": "\r", "|": "|"}

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
}
_PROCESS_PREFIXES = {"sproc": "process", "spid": "process", "dproc": "target.process", "dpid": "target.process"}
"""CEF's source and destination process: the acting process and the one acted on (Sysmon 8/10's target)."""
_PROCESS_LABELS = {
    "commandline": "process.command_line",
    "processcommandline": "process.command_line",
    "cmdline": "process.command_line",
    "parentcommandline": "process.parent.command_line",
    "parentprocess": "process.parent.executable",
    "parentprocessname": "process.parent.executable",
    "parentimage": "process.parent.executable",
    "parentprocesspath": "process.parent.executable",
    "parentprocessid": "process.parent.pid",
    "parentpid": "process.parent.pid",
}
"""Custom-string labels (``cs1Label=CommandLine``) endpoint products give process fields under,
folded (lower case, no spaces, ``_`` or ``-``); other labels stay ``cef.<label>``."""
_LABEL_FOLD_RE = re.compile(r"[\s_\-]+")
_HASH_BY_LENGTH = {length: name for name, length in DIGEST_LENGTHS.items() if name != "imphash"}
"""CEF ``fileHash`` names no algorithm: a digest's length tells it (32 hex digits: MD5, not an imphash)."""


_PARTY_KEYS = ("src", "dst", "shost", "dhost", "request")
"""Extension keys that name a machine (or the URL a client asked for) in the traffic an event reports."""
_PROCESS_KEYS = ("sproc", "dproc", "spid", "dpid")
"""Extension keys only an endpoint product writes: its record is about its own machine."""


def split_header(text: str, count: int, what: str) -> tuple[list[str], str]:
    """The first ``count`` ``|``-separated header fields (``\\|``, ``\\\\`` unescaped) and what follows.

    Raises :class:`ParseError` naming ``what`` (``CEF``, ``LEEF``) when there are fewer.
    """
    fields: list[str] = []
    current: list[str] = []
    index = 0
    length = len(text)
    while index < length and len(fields) < count:
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
    if len(fields) < count:
        raise ParseError(f"{what} header has {len(fields) + 1} of {count + 1} pipe-separated fields")
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
    header, extension = split_header(text[4:], 7, "CEF")
    return header, parse_extension(extension)


class Payload(NamedTuple):
    """What a CEF or LEEF payload says, for the syslog parser's device-event rule."""

    kind: str
    fields: dict[str, Any]
    ts: float | None  # the payload's own time; None when it has none that reads
    unreadable: list[tuple[str, str, str]]  # (key, value, reason) of times that did not read
    missing: str  # the reason to give when neither the payload nor the header has a time
    device: str | None  # the device the payload names (CEF dvchost)
    parties: dict[str, str]  # what is_device_view reads, under CEF's names


def read_cef(message: str, context: ParseContext) -> Payload:
    """The :class:`Payload` of a ``CEF:`` message; unread times are kept as ``cef.<key>``."""
    header, extension = split_cef(message)
    fields = cef_fields(header, extension)
    ts, unreadable = cef_time(extension, context)
    for key, value, _ in unreadable:
        fields[f"cef.{key}"] = value  # kept as written beside the time that stood in
    # One kind for every CEF event: a kind made from the free-text name gave each device
    # vocabulary its own kinds, an unbounded set; the name is rule.name, the id rule.id.
    return Payload("cef:event", fields, ts, unreadable, "CEF event without rt/end/start",
                   extension.get("dvchost"), extension)



def cef_fields(header: list[str], extension: dict[str, str]) -> dict[str, Any]:
    """Normalised fields of a CEF event (see the module docstring)."""
    fields = device_header("cef", header)
    fields.update({"rule.id": header[4], "rule.name": header[5], "alert.severity": header[6]})
    labels = {key[:-5]: value for key, value in extension.items() if key.endswith("Label")}
    for key, value in extension.items():
        if not value or key.endswith("Label") or key in _TIME_KEYS:
            continue
        if key in _IP_KEYS:
            put_ip(fields, _IP_KEYS[key], f"cef.{key}", value)
        elif key in _PORT_KEYS:
            put_number(fields, _PORT_KEYS[key], f"cef.{key}", value)
        elif key in ("shost", "dhost"):
            address = extension.get("src" if key == "shost" else "dst")
            put_host(fields, "source" if key == "shost" else "destination", value, address, written_as=f"cef.{key}")
        elif key == "request":
            put_request(fields, value, extension)
        elif key == "fileHash":
            _put_file_hash(fields, value)
        elif key == "fsize" and value.isascii() and value.isdigit():
            fields["file.size"] = int(value)
        elif key in ("suser", "duser"):
            fields["user.name" if key == "suser" else "destination.user.name"] = normalize_user(None, value)
        elif key in _LOWER_KEYS:
            fields[_LOWER_KEYS[key]] = value.lower()
        elif key in _PROCESS_PREFIXES:
            _put_process(fields, _PROCESS_PREFIXES[key], key, value)
        elif key in labels:
            _put_label(fields, labels[key], value)
        elif key in _TEXT_KEYS:
            fields[_TEXT_KEYS[key]] = value
        else:
            fields[f"cef.{key}"] = value
    return fields


def _put_process(fields: dict[str, Any], prefix: str, key: str, value: str) -> None:
    """``sproc``/``dproc`` (an image path or a name) and ``spid``/``dpid`` as the Windows parsers write them.

    A path keeps its case in ``<prefix>.executable``; ``<prefix>.name`` is its
    lower-case basename.  A pid that is no number stays ``cef.<key>``.
    """
    if key.endswith("pid"):
        _put_pid(fields, f"{prefix}.pid", key, value)
        return
    if "\\" in value or "/" in value:
        fields[f"{prefix}.executable"] = value
        value = re.split(r"[\\/]", value)[-1] or value
    fields[f"{prefix}.name"] = value.lower()


def _put_pid(fields: dict[str, Any], target: str, key: str, value: str) -> None:
    """An int pid (decimal or ``0x`` hex) in ``target``; anything else stays ``cef.<key>``."""
    try:
        pid = parse_int(value)
    except ValueError:
        pid = None
    if pid is None or pid < 0:
        fields[f"cef.{key}"] = value
    else:
        fields[target] = pid


def _put_label(fields: dict[str, Any], label: str, value: str) -> None:
    """A custom string under its label: a process field when the label names one (``_PROCESS_LABELS``)."""
    target = _PROCESS_LABELS.get(_LABEL_FOLD_RE.sub("", label.lower()))
    if target is None:
        fields[f"cef.{label}"] = value
    elif target.endswith(".pid"):
        _put_pid(fields, target, label, value)
    elif target == "process.parent.executable":
        _put_process(fields, "process.parent", "parent", value)  # a bare name is no executable path
    else:
        fields[target] = value
        if target == "process.command_line":
            put_decoded(fields, value)


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
