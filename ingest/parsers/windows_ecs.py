"""Event data read back from the ECS fields a pipeline renamed it to.

Winlogbeat 7's sysmon module, Winlogbeat 8 and Elastic Agent *rename* event
data to ECS fields (``Image`` -> ``process.executable``, ``ScriptBlockText`` ->
``powershell.file.script_block_text``...), so ``winlog.event_data`` may hold
only what they left (``RuleName``, ``IntegrityLevel``) or be gone.  For such a
record (:attr:`~ingest.parsers.windows_shapes.WinRecord.ecs`) the mapping of
:mod:`ingest.parsers.windows_events` reads the Sysmon and PowerShell names
back from the ECS fields: :data:`ECS_FALLBACKS` says which, per event, and
:func:`ecs_event_data` reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ingest.parsers.sensor_fields import RECORD_TYPES

__all__ = ["ECS_FALLBACKS", "EcsReader", "ecs_event_data"]

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


_RECORD_NUMBERS = {name: str(number) for number, name in RECORD_TYPES.items()}
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
        ("FileVersion", _P("process.pe.file_version")),
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
