"""The JSON shapes that carry Windows events, reduced to one common record.

Every Windows source in the corpus says the same things in a different layout:
the channel, the event id, the endpoint's name, a time and the event-data
name/value pairs.  Each ``from_*`` function here reads one layout into a
:class:`WinRecord`; :mod:`ingest.parsers.windows_events` then maps that record
to a normalised :class:`~graphsiem.model.Event` in one place, so the per-event
rules are written once for every shape.

Shapes
------
winlogbeat 6.x
    ``event_data`` (``user_data``), ``computer_name``, ``event_id``,
    ``log_name``, ``@timestamp``.  ``host.name`` is the collector: ignored.
winlogbeat 7/8
    ``winlog.event_data``, ``winlog.computer_name``, ``winlog.event_id``,
    ``winlog.channel``, ``@timestamp``.  ``host.name`` is the agent: ignored.
nxlog
    Flat: ``Hostname``, ``EventID``, ``Channel`` and the event data at the top
    level; via Logstash it gains ``@timestamp``/``@version``/``tags`` and a
    ``host`` that is the WEC collector: ignored.
sentinel
    Azure Sentinel ``SecurityEvent``/``Event`` exports: ``Computer``,
    ``TimeGenerated``, ``EventID`` (int or string), ``Channel`` or
    ``EventLog``; event data flattened at the top level, sometimes with
    ``_string``/``_dynamic`` suffixes, or packed in ``EventData`` as a JSON
    string or an XML ``<Data Name=..>`` string.
evtx_json
    evtx_dump output: ``Event.System`` (``EventID`` maybe ``{"#text": ..}``,
    ``Channel``, ``Computer``, ``TimeCreated.#attributes.SystemTime``) and
    ``Event.EventData`` or ``Event.UserData``.
cee
    ``@cee:`` JSON from Windows event-log-to-syslog agents (EvntSLog):
    ``source``, ``nteventlogtype``, ``id``, ``msg``; the time comes from the
    syslog header.

Every function raises :class:`~ingest.parsers.base.ParseError` naming what is
missing; they never copy the event data when the layout does not require it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ingest.parsers.base import ParseError
from ingest.parsers.ecs_network import _RECORD_TYPES


@dataclass(slots=True)
class WinRecord:
    """One Windows event in layout-neutral form.

    The readers build it positionally, in the order of the attributes below:
    keyword arguments cost 0.25 us a record, about 4% of the parse (measured).

    Attributes
    ----------
    channel : str
        Channel / log name as written (``""`` when the record has none).
    event_id : int
        The event id.
    computer : str | None
        The endpoint's name as written (never the collector's).
    data : Mapping
        Event-data name -> value (may be the record itself for flat shapes).
    time : object
        The record's own timestamp (zoned when the shape has one), used when
        the event data carries no Sysmon ``UtcTime``.
    message : str | None
        Rendered message text, when present.
    execution_pid : object
        Id of the process that wrote the event (``System.Execution``,
        ``ExecutionProcessID``, ``process_id``): for PowerShell events that is
        the PowerShell process itself.
    clock_field : str | None
        The field holding the host's own clock where a collector may have
        written local time (NXLog ``TimeCreated``, else ``EventTime``), for
        :mod:`ingest.host_clocks`; ``None`` for shapes that date events in UTC.
    clock_text : object
        That field's value.
    ecs : Mapping or None
        The whole record when its layout may have moved event data out to ECS
        fields (Winlogbeat 7/8, Elastic Agent: :func:`ecs_event_data`), else ``None``.
    """

    channel: str
    event_id: int
    computer: str | None
    data: Mapping[str, Any]
    time: object
    message: str | None = None
    execution_pid: object = None
    clock_field: str | None = None
    clock_text: object = None
    ecs: Mapping[str, Any] | None = None


def _event_id(value: object, shape: str) -> int:
    if isinstance(value, dict):  # evtx_dump: {"#text": 4688, "#attributes": {"Qualifiers": ..}}
        value = value.get("#text")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.strip().isdigit():
        return int(value)
    raise ParseError(f"{shape} record has no usable event id ({str(value)[:32]!r})")


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)

# -- winlogbeat ------------------------------------------------------------


def from_winlogbeat(record: Mapping[str, Any]) -> WinRecord:
    """Winlogbeat 6.x (``event_data``) or 7/8 (``winlog.*``) record."""
    winlog = record.get("winlog")
    if isinstance(winlog, dict):
        source: Mapping[str, Any] = winlog
        channel = winlog.get("channel") or winlog.get("log_name") or ""
        process = winlog.get("process")
        execution_pid = process.get("pid") if isinstance(process, dict) else None
        # Winlogbeat 7's sysmon module and Elastic Agent move event data out to
        # ECS fields: the mapping falls back to them (ecs_event_data)
        ecs: Mapping[str, Any] | None = record
    else:
        source = record
        channel = record.get("log_name") or ""
        execution_pid = record.get("process_id")
        ecs = None
    if not channel:
        channel = _provider_channel(source)
    message = record.get("message")
    data = source.get("event_data")
    if not isinstance(data, dict):
        data = source.get("user_data")
        if not isinstance(data, dict):
            data = {}
    event_id = source.get("event_id")
    computer = source.get("computer_name")
    # text and int values, nearly all of them, are taken as they are without
    # a call (_text, _event_id): three calls were ~5% of a record's parse
    return WinRecord(  # positional (see WinRecord): channel, event_id, computer, data, time, message, execution_pid
        channel if channel.__class__ is str else _text(channel) or "",
        event_id if event_id.__class__ is int else _event_id(event_id, "winlogbeat"),
        computer if computer.__class__ is str else _text(computer),
        data,
        record.get("@timestamp"),
        message if message.__class__ is str else _text(message),
        execution_pid,
        None,
        None,
        ecs,
    )


# The channel each provider of a mapped event writes to, for a record that
# names its provider but not its channel (a Winlogbeat processor that drops
# winlog.channel): these providers write the mapped events to one channel only.
_PROVIDER_CHANNELS = {
    "microsoft-windows-sysmon": "Microsoft-Windows-Sysmon/Operational",
    "microsoft-windows-security-auditing": "Security",
    "microsoft-windows-powershell": "Microsoft-Windows-PowerShell/Operational",
    "powershellcore": "PowerShellCore/Operational",
}


def _provider_channel(source: Mapping[str, Any]) -> str:
    """The channel of a record without one, from its provider (``provider_name``, 6.x ``source_name``)."""
    provider = source.get("provider_name") or source.get("source_name")
    if not isinstance(provider, str):
        return ""
    return _PROVIDER_CHANNELS.get(provider.strip().lower(), "")


def is_winlogbeat(record: Mapping[str, Any]) -> bool:
    """Cheap shape test for :func:`from_winlogbeat`."""
    winlog = record.get("winlog")
    if isinstance(winlog, dict):
        return "event_id" in winlog
    return "event_id" in record and "computer_name" in record


# -- ECS renames (Winlogbeat 7 sysmon module, Winlogbeat 8, Elastic Agent) ------
#
# These pipelines *rename* event data to ECS fields (Image -> process.executable,
# ScriptBlockText -> powershell.file.script_block_text...), so winlog.event_data
# may hold only what they left (RuleName, IntegrityLevel) or be gone.  For such
# a record the mapping reads the Sysmon names back from the ECS fields.

EcsReader = Callable[[Mapping[str, Any]], Any]


def _ecs_path(dotted: str) -> EcsReader:
    """A reader of one ECS field, nested (``{"process": {"pid": ..}}``) or flat (``"process.pid"``)."""
    parts = tuple(dotted.split("."))

    def read(record: Mapping[str, Any]) -> Any:
        value: Any = record
        for part in parts:
            if not isinstance(value, dict):
                value = None
                break
            value = value.get(part)
        return record.get(dotted) if value is None else value

    return read


def _ecs_user(prefix: str) -> EcsReader:
    """``DOMAIN\\name`` from ``<prefix>.domain`` and ``<prefix>.name`` (the Sysmon ``User`` value)."""
    read_name, read_domain = _ecs_path(prefix + ".name"), _ecs_path(prefix + ".domain")

    def read(record: Mapping[str, Any]) -> Any:
        name = read_name(record)
        if not isinstance(name, str) or not name:
            return None
        domain = read_domain(record)
        return f"{domain}\\{name}" if isinstance(domain, str) and domain and "\\" not in name else name

    return read


def _ecs_hashes(*prefixes: str) -> EcsReader:
    """A Sysmon ``Hashes`` text (``SHA256=..,MD5=..,IMPHASH=..``) from the first of ``<prefix>.hash``
    that is set (``<prefix>.pe.imphash`` too)."""
    readers = [(_ecs_path(prefix + ".hash"), _ecs_path(prefix + ".pe.imphash")) for prefix in prefixes]

    def read(record: Mapping[str, Any]) -> Any:
        for read_hashes, read_imphash in readers:
            hashes = read_hashes(record)
            pairs = [f"{alg.upper()}={value}" for alg, value in hashes.items()
                     if isinstance(value, str)] if isinstance(hashes, dict) else []
            imphash = read_imphash(record)
            if isinstance(imphash, str):
                pairs.append(f"IMPHASH={imphash}")
            if pairs:
                return ",".join(pairs)
        return None

    return read


def _ecs_initiated(record: Mapping[str, Any]) -> Any:
    """Sysmon 3 ``Initiated`` from ``network.direction`` (``egress``/``outbound`` is true)."""
    direction = _read_direction(record)
    if not isinstance(direction, str):
        return None
    direction = direction.lower()
    if direction in ("egress", "outbound"):
        return "true"
    if direction in ("ingress", "inbound"):
        return "false"
    return None


_read_direction = _ecs_path("network.direction")
_read_answers = _ecs_path("dns.answers")
_read_resolved = _ecs_path("dns.resolved_ip")


def _ecs_query_results(record: Mapping[str, Any]) -> Any:
    """Sysmon 22 ``QueryResults`` (``type:  5 name;1.2.3.4;``) from ``dns.answers`` / ``dns.resolved_ip``."""
    parts = []
    answers = _read_answers(record)
    if isinstance(answers, list):
        for answer in answers:
            data = answer.get("data") if isinstance(answer, dict) else answer
            if data is None:
                continue
            kind = answer.get("type") if isinstance(answer, dict) else None
            kind = str(kind).strip().upper() if kind is not None else ""
            # Sysmon writes a name answer with its record type's number ("type:  15 mx1.example");
            # addresses bare.  Winlogbeat 8 names the type: an MX target is no CNAME
            parts.append(str(data) if kind in ("", "A", "AAAA") else f"type:  {_sysmon_type(kind)} {data}")
    if not parts:
        resolved = _read_resolved(record)
        if isinstance(resolved, list):
            parts = [str(ip) for ip in resolved if ip is not None]
    return ";".join(parts) + ";" if parts else None


def _sysmon_type(name: str) -> str:
    """The number Sysmon writes for a DNS record type named by ECS (``MX`` -> ``15``, ``TYPE99`` -> ``99``).

    A name with no number known is written as it is: the Sysmon 22 mapping reads a
    name there as the type it names.

    >>> _sysmon_type("CNAME"), _sysmon_type("TYPE99"), _sysmon_type("15"), _sysmon_type("NEWTYPE")
    ('5', '99', '15', 'NEWTYPE')
    """
    if name.startswith("TYPE") and name[4:].isdigit():
        return name[4:]
    return _RECORD_NUMBERS.get(name, name)


_RECORD_NUMBERS = {name: str(number) for number, name in _RECORD_TYPES.items()}
"""Record type name -> its number, as Sysmon writes it."""

_read_dns_status = _ecs_path("sysmon.dns.status")

# Windows status codes of a DNS query (winerror.h, WinSock) by name: Winlogbeat's
# sysmon module and ingest pipeline replace Sysmon 22's QueryStatus code by its
# name.  Read back as the code Sysmon wrote, dns.rcode is the same whichever
# collector carried the event; a name not listed here is kept as it is written.
_DNS_STATUS_CODES = {
    "SUCCESS": "0", "ERROR_ACCESS_DENIED": "5", "ERROR_NOT_ENOUGH_MEMORY": "8", "ERROR_INVALID_DATA": "13",
    "ERROR_OUTOFMEMORY": "14", "ERROR_INVALID_NAME": "123", "ERROR_INVALID_NETNAME": "1214",
    "ERROR_CANCELLED": "1223", "ERROR_TIMEOUT": "1460", "ERROR_OBJECT_NOT_FOUND": "4312",
    "DNS_ERROR_RCODE_FORMAT_ERROR": "9001", "DNS_ERROR_RCODE_SERVER_FAILURE": "9002",
    "DNS_ERROR_RCODE_NAME_ERROR": "9003", "DNS_ERROR_RCODE_NOT_IMPLEMENTED": "9004",
    "DNS_ERROR_RCODE_REFUSED": "9005", "DNS_ERROR_RCODE_YXDOMAIN": "9006", "DNS_ERROR_RCODE_YXRRSET": "9007",
    "DNS_ERROR_RCODE_NXRRSET": "9008", "DNS_ERROR_RCODE_NOTAUTH": "9009", "DNS_ERROR_RCODE_NOTZONE": "9010",
    "DNS_ERROR_RCODE_BADSIG": "9016", "DNS_ERROR_RCODE_BADKEY": "9017", "DNS_ERROR_RCODE_BADTIME": "9018",
    "DNS_INFO_NO_RECORDS": "9501", "DNS_ERROR_BAD_PACKET": "9502", "DNS_ERROR_NO_PACKET": "9503",
    "DNS_ERROR_RCODE": "9504", "DNS_ERROR_UNSECURE_PACKET": "9505", "DNS_REQUEST_PENDING": "9506",
    "DNS_ERROR_INVALID_TYPE": "9551", "DNS_ERROR_INVALID_IP_ADDRESS": "9552", "DNS_ERROR_TRY_AGAIN_LATER": "9554",
    "DNS_ERROR_NON_RFC_NAME": "9556", "DNS_ERROR_INVALID_NAME_CHAR": "9560", "DNS_ERROR_NUMERIC_NAME": "9561",
    "DNS_ERROR_RECORD_DOES_NOT_EXIST": "9701", "DNS_ERROR_NO_TCPIP": "9851", "DNS_ERROR_NO_DNS_SERVERS": "9852",
    "WSAECONNRESET": "10054", "WSAENOBUFS": "10055", "WSAETIMEDOUT": "10060",
}


def _ecs_dns_status(record: Mapping[str, Any]) -> Any:
    """Sysmon 22 ``QueryStatus`` (a Windows status code) from ``sysmon.dns.status``, where it is its name."""
    status = _read_dns_status(record)
    if status is None or isinstance(status, dict | list):
        return None
    text = str(status)
    return _DNS_STATUS_CODES.get(text.strip().upper(), text)


def _ecs_tampering_type(record: Mapping[str, Any]) -> Any:
    """Sysmon 25 ``Type`` (``Image is replaced``) from ``message``, where Winlogbeat 8's pipeline renames it.

    It renames only into a record without a rendered message, which is many
    lines (``Process Tampering:``, ``RuleName: ...``): a message of more than
    one line is that, not the ``Type``.
    """
    message = record.get("message")
    if isinstance(message, str) and message and "\n" not in message and "\r" not in message:
        return message
    return None


def _ecs_signed(record: Mapping[str, Any]) -> Any:
    signed = _read_signed(record)
    return None if signed is None else str(signed).lower()


_read_signed = _ecs_path("file.code_signature.signed")
_read_registry_strings = _ecs_path("registry.data.strings")


def _ecs_registry_details(record: Mapping[str, Any]) -> Any:
    """Sysmon 13 ``Details`` from ``registry.data.strings`` (Winlogbeat 8's pipeline moves it there)."""
    strings = _read_registry_strings(record)
    if isinstance(strings, list):
        strings = next((value for value in strings if isinstance(value, str)), None)
    return strings if isinstance(strings, str) else None


def _ecs_context_info(record: Mapping[str, Any]) -> Any:
    """PowerShell 4103 ``ContextInfo`` (``Key = value`` lines) from the ECS fields it was parsed into."""
    lines = [f"{key} = {value}" for key, read in _CONTEXT_KEYS
             if isinstance(value := read(record), str) and value]
    return "\n".join(lines) if lines else None


_CONTEXT_KEYS = (
    ("Command Name", _ecs_path("powershell.command.name")),
    ("Host Application", _ecs_path("process.command_line")),
    ("User", _ecs_user("user")),
    ("Script Name", _ecs_path("file.path")),
)

_P = _ecs_path
_SYSMON_PROCESS = (("Image", _P("process.executable")), ("ProcessId", _P("process.pid")),
                   ("ProcessGuid", _P("process.entity_id")), ("User", _ecs_user("user")))
_FILE_PATH = (("TargetFilename", _P("file.path")),)
_FILE_HASHES = (("Hashes", _ecs_hashes("file", "process")),)  # Winlogbeat 7 writes 23's under process.hash
_SIGNATURE = (("Signature", _P("file.code_signature.subject_name")),
              ("SignatureStatus", _P("file.code_signature.status")), ("Signed", _ecs_signed))

ECS_FALLBACKS: dict[tuple[str, int], tuple[tuple[str, EcsReader], ...]] = {
    ("sysmon", 1): (
        _SYSMON_PROCESS[0],
        ("CommandLine", _P("process.command_line")),
        *_SYSMON_PROCESS[1:],
        ("CurrentDirectory", _P("process.working_directory")),
        ("ParentImage", _P("process.parent.executable")),
        ("ParentProcessId", _P("process.parent.pid")),
        ("ParentProcessGuid", _P("process.parent.entity_id")),
        ("ParentCommandLine", _P("process.parent.command_line")),
        ("OriginalFileName", _P("process.pe.original_file_name")),
        ("Hashes", _ecs_hashes("process")),
    ),
    ("sysmon", 3): (
        ("SourceIp", _P("source.ip")), *_SYSMON_PROCESS,
        ("SourcePort", _P("source.port")), ("DestinationIp", _P("destination.ip")),
        ("DestinationPort", _P("destination.port")), ("Protocol", _P("network.transport")),
        ("SourceHostname", _P("source.domain")), ("DestinationHostname", _P("destination.domain")),
        ("Initiated", _ecs_initiated),
    ),
    ("sysmon", 5): _SYSMON_PROCESS,
    ("sysmon", 6): (("ImageLoaded", _P("file.path")), ("Hashes", _ecs_hashes("file")), *_SIGNATURE),
    ("sysmon", 7): (
        ("ImageLoaded", _P("file.path")), *_SYSMON_PROCESS, ("Hashes", _ecs_hashes("file")),
        ("OriginalFileName", _P("file.pe.original_file_name")), *_SIGNATURE,
    ),
    ("sysmon", 8): (("SourceImage", _P("process.executable")), ("SourceProcessId", _P("process.pid")),
                    ("SourceProcessGuid", _P("process.entity_id")), ("SourceUser", _ecs_user("user"))),
    ("sysmon", 10): (("SourceImage", _P("process.executable")), ("SourceProcessId", _P("process.pid")),
                     ("SourceProcessGUID", _P("process.entity_id")), ("SourceUser", _ecs_user("user"))),
    ("sysmon", 11): (*_FILE_PATH, *_SYSMON_PROCESS),
    ("sysmon", 12): (("TargetObject", _P("registry.path")), *_SYSMON_PROCESS),
    ("sysmon", 13): (("TargetObject", _P("registry.path")), *_SYSMON_PROCESS, ("Details", _ecs_registry_details)),
    ("sysmon", 14): (("TargetObject", _P("registry.path")), *_SYSMON_PROCESS),
    ("sysmon", 15): (*_FILE_PATH, *_SYSMON_PROCESS, ("Hash", _ecs_hashes("file"))),
    ("sysmon", 17): (("PipeName", _P("file.name")), *_SYSMON_PROCESS),
    ("sysmon", 18): (("PipeName", _P("file.name")), *_SYSMON_PROCESS),
    ("sysmon", 19): (("User", _ecs_user("user")),),
    ("sysmon", 20): (("Destination", _P("process.executable")), ("User", _ecs_user("user"))),
    ("sysmon", 21): (("User", _ecs_user("user")),),
    ("sysmon", 22): (
        ("QueryName", _P("dns.question.name")), *_SYSMON_PROCESS,
        ("QueryResults", _ecs_query_results), ("QueryStatus", _ecs_dns_status),
    ),
    ("sysmon", 23): (*_FILE_PATH, *_SYSMON_PROCESS, *_FILE_HASHES),
    ("sysmon", 25): (*_SYSMON_PROCESS, ("Type", _ecs_tampering_type)),
    ("sysmon", 26): (*_FILE_PATH, *_SYSMON_PROCESS, *_FILE_HASHES),
    ("sysmon", 27): (*_FILE_PATH, *_SYSMON_PROCESS, *_FILE_HASHES),
    ("sysmon", 28): (*_FILE_PATH, *_SYSMON_PROCESS, *_FILE_HASHES),
    ("sysmon", 29): (*_FILE_PATH, *_SYSMON_PROCESS, *_FILE_HASHES),
    ("powershell", 4104): (
        ("ScriptBlockText", _P("powershell.file.script_block_text")),
        ("ScriptBlockId", _P("powershell.file.script_block_id")),
        ("MessageNumber", _P("powershell.sequence")), ("MessageTotal", _P("powershell.total")),
        ("Path", _P("file.path")),
    ),
    ("powershell", 4103): (("ContextInfo", _ecs_context_info),),
}
"""Per (family, event id), the Sysmon / PowerShell names and the ECS fields they are read back from;
the first name is the one whose presence in the event data says nothing was moved out."""


def ecs_event_data(
    data: Mapping[str, Any], record: Mapping[str, Any], names: tuple[tuple[str, EcsReader], ...]
) -> Mapping[str, Any]:
    """``data`` completed with the ``names`` it lacks, read from the record's ECS fields.

    Called only when the first of ``names`` is missing (a record that carries
    its event data costs one lookup).  ``data`` itself is not changed: a new
    mapping is returned when anything was found, else ``data``.

    Examples
    --------
    >>> record = {"process": {"executable": "C:\\\\a.exe", "pid": 7}, "user": {"name": "bob", "domain": "CORP"}}
    >>> data = ecs_event_data({"RuleName": "-"}, record, ECS_FALLBACKS[("sysmon", 5)])
    >>> data["Image"], data["ProcessId"], data["User"]
    ('C:\\\\a.exe', 7, 'CORP\\\\bob')
    """
    found: dict[str, Any] = {}
    for name, read in names:
        value = data.get(name)
        if value is None or value == "":
            value = read(record)
            if value is not None:
                found[name] = value
    if not found:
        return data
    return {**data, **found}


# -- nxlog -----------------------------------------------------------------


def from_nxlog(record: Mapping[str, Any]) -> WinRecord:
    """NXLog flat record (also via Logstash, whose ``host`` is the collector)."""
    created = record.get("TimeCreated")
    # The host's clock (ingest.host_clocks): TimeCreated, which some NXLog
    # setups fill with local time marked Z, else EventTime, local time with no
    # zone (NXLog behind Logstash, whose @timestamp is the collector's receipt).
    clock_field: str | None
    if created:
        clock_field, clock_text, time = "TimeCreated", created, created
    else:
        clock_text = record.get("EventTime")
        clock_field = "EventTime" if clock_text else None
        time = record.get("@timestamp")
        if time is None:
            # EventTime is local time without a zone; the caller applies the
            # configured source zone to zone-less values.
            time = clock_text or record.get("EventReceivedTime")
    channel = record.get("Channel")
    event_id = record.get("EventID")
    computer = record.get("Hostname")
    message = record.get("Message")
    # text and int values taken as they are, without a call (see from_winlogbeat)
    # positional (see WinRecord): channel, event_id, computer, data, time, message, execution_pid, clock
    return WinRecord(
        channel if channel.__class__ is str else _text(channel) or "",
        event_id if event_id.__class__ is int else _event_id(event_id, "nxlog"),
        computer if computer.__class__ is str else _text(computer),
        record,
        time,
        message if message.__class__ is str else _text(message),
        record.get("ExecutionProcessID"),
        clock_field,
        clock_text,
    )


def is_nxlog(record: Mapping[str, Any]) -> bool:
    """Cheap shape test for :func:`from_nxlog`."""
    return "EventID" in record and "Hostname" in record


# -- Azure Sentinel ----------------------------------------------------------

_SENTINEL_SUFFIXES = ("_string", "_dynamic")
_XML_DATA_RE = re.compile(
    r"""<Data(?:\s+Name=["']([^"']*)["'])?\s*(?:/>|>(.*?)</Data>)""", re.DOTALL
)


def _xml_event_data(text: str) -> dict[str, Any]:
    """Named ``<Data>`` elements of an ``EventData`` XML string.

    A regular expression, not an XML parser: the string is attacker-influenced
    and only ``<Data Name="..">value</Data>`` pairs are wanted, so no entity
    expansion or DTD processing can happen.  Unnamed ``<Data>`` values are
    kept as ``Data1``, ``Data2``...
    """
    result: dict[str, Any] = {}
    unnamed = 0
    for name, value in _XML_DATA_RE.findall(text):
        if not name:
            unnamed += 1
            name = f"Data{unnamed}"
        result[name] = html.unescape(value)
    return result


def _sentinel_event_data(value: object) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return {}
    text = value.strip()
    if text[0] in "{[":
        try:
            decoded = orjson.loads(text)
        except orjson.JSONDecodeError:
            return {}
        if isinstance(decoded, dict):
            # {"EventData": {..}} or a flat name -> value object
            inner = decoded.get("EventData", decoded)
            return inner if isinstance(inner, dict) else {}
        if isinstance(decoded, list):  # EventData_dynamic: the unnamed values in order
            return {f"Data{i}": value for i, value in enumerate(decoded, 1)}
        return {}
    if text.startswith("<"):
        return _xml_event_data(text)
    return {}


def from_sentinel(record: Mapping[str, Any]) -> WinRecord:
    """Azure Sentinel ``SecurityEvent`` / ``Event`` table row."""
    data: dict[str, Any] = {}
    for key, value in record.items():
        if key.endswith(_SENTINEL_SUFFIXES):
            key = key.rsplit("_", 1)[0]
            if key == "EventData":
                continue
        data.setdefault(key, value)
    for packed in ("EventData", "EventData_string", "EventData_dynamic"):
        if packed in record:
            for key, value in _sentinel_event_data(record[packed]).items():
                data.setdefault(key, value)
    channel = record.get("Channel") or record.get("EventLog")
    if not channel and record.get("Type") == "SecurityEvent":
        channel = "Security"
    message = record.get("RenderedDescription") or record.get("Activity")
    return WinRecord(  # positional (see WinRecord): channel, event_id, computer, data, time, message
        _text(channel) or "",
        _event_id(record.get("EventID"), "sentinel"),
        _text(record.get("Computer")),
        data,
        record.get("TimeGenerated"),
        _text(message),
    )


def is_sentinel(record: Mapping[str, Any]) -> bool:
    """Cheap shape test for :func:`from_sentinel`."""
    return "TimeGenerated" in record and "Computer" in record and "EventID" in record


# -- evtx_dump JSON ----------------------------------------------------------


def _element_text(value: object) -> object:
    """An element's ``#text``: evtx_dump writes a value split into several text
    nodes (around an escaped character, a line break) as a list of the parts."""
    if isinstance(value, list) and value and all(isinstance(part, str) for part in value):
        return "".join(value)
    return value


def _unwrap_text(value: object) -> object:
    """``{"#text": .., "#attributes": ..}`` -> its text; anything else as it is."""
    if isinstance(value, dict) and "#text" in value:
        return value["#text"]
    return value


def _data_list(values: list[Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for index, value in enumerate(values, 1):
        if isinstance(value, dict):
            attributes = value.get("#attributes")
            name = attributes.get("Name") if isinstance(attributes, dict) else None
            result[str(name) if name else f"Data{index}"] = _element_text(value.get("#text"))
        else:
            result[f"Data{index}"] = value
    return result


def _evtx_event_data(event: Mapping[str, Any]) -> dict[str, Any]:
    data = event.get("EventData")
    if isinstance(data, dict):
        if "Data" in data and len(data) <= 2:
            # unnamed <Data> elements: {"Data": {"#text": [..]}} or {"Data": [..]};
            # or named ones kept apart: [{"#attributes": {"Name": ..}, "#text": ..}]
            inner = data["Data"]
            if isinstance(inner, dict):
                inner = inner.get("#text")
            if isinstance(inner, list):
                return _data_list(inner)
            if inner is not None:
                return {"Data1": inner}
        for value in data.values():
            if value.__class__ is list or value.__class__ is dict:
                # a value split into text nodes, or given with attributes: its text
                return {key: _element_text(_unwrap_text(value)) for key, value in data.items()}
        return data
    user_data = event.get("UserData")
    if isinstance(user_data, dict):
        # <UserData><LogFileCleared ...>fields</LogFileCleared></UserData>
        for value in user_data.values():
            if isinstance(value, dict):
                return value
    return {}


def from_evtx_json(record: Mapping[str, Any]) -> WinRecord:
    """evtx_dump-style record ``{"Event": {"System": .., "EventData": ..}}``."""
    event = record.get("Event")
    if not isinstance(event, dict) or not isinstance(event.get("System"), dict):
        raise ParseError("evtx_json record has no Event.System object")
    system = event["System"]
    created = system.get("TimeCreated")
    time = None
    if isinstance(created, dict):
        attributes = created.get("#attributes")
        time = attributes.get("SystemTime") if isinstance(attributes, dict) else None
    elif isinstance(created, str):
        time = created
    execution = system.get("Execution")
    attributes = execution.get("#attributes") if isinstance(execution, dict) else None
    return WinRecord(  # positional (see WinRecord): channel, event_id, computer, data, time, message, execution_pid
        _text(system.get("Channel")) or "",
        _event_id(system.get("EventID"), "evtx_json"),
        _text(system.get("Computer")),
        _evtx_event_data(event),
        time,
        None,
        attributes.get("ProcessID") if isinstance(attributes, dict) else None,
    )


def is_evtx_json(record: Mapping[str, Any]) -> bool:
    """Cheap shape test for :func:`from_evtx_json`."""
    event = record.get("Event")
    return isinstance(event, dict) and "System" in event


# -- @cee (syslog-carried) ---------------------------------------------------


def from_cee(payload: Mapping[str, Any], time: object) -> WinRecord:
    """A Windows event carried as ``@cee:`` JSON (EvntSLog style), timed by its syslog header."""
    return WinRecord(  # positional (see WinRecord): channel, event_id, computer, data, time, message
        _text(payload.get("nteventlogtype")) or "",
        _event_id(payload.get("id"), "cee"),
        _text(payload.get("source")),
        payload,
        time,
        _text(payload.get("msg")),
    )


def is_cee_windows(payload: Mapping[str, Any]) -> bool:
    """Cheap shape test for :func:`from_cee`."""
    return "nteventlogtype" in payload and "id" in payload
