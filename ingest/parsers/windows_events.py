"""Windows event id -> normalised fields: the one mapping behind every Windows shape.

:mod:`ingest.parsers.windows_shapes` reads each JSON layout into a
:class:`~ingest.parsers.windows_shapes.WinRecord`; :func:`to_event` turns that
into a :class:`~graphsiem.model.Event` with the fields and kinds of
``docs/fields.md``.

Covered: Sysmon 1, 3, 5, 7, 8, 10, 11, 12/13/14, 22, 23; Security 4624, 4625,
4672, 4688; PowerShell 4103, 4104.  Every other event is kept as
``windows:other`` with the common fields (code, channel, host, message).

Time rule
---------
1. Sysmon ``UtcTime`` (``YYYY-MM-DD HH:MM:SS.mmm``, UTC by definition) when the
   event data has one;
2. otherwise the record's own timestamp: ``@timestamp`` (Winlogbeat),
   ``TimeCreated``/``@timestamp`` (NXLog), ``TimeGenerated`` (Sentinel),
   ``System.TimeCreated.SystemTime`` (evtx), the syslog header (``@cee``);
   these carry a zone;
3. a zone-less value (NXLog ``EventTime``) is read in
   ``context.default_timezone``.

Known limit: the 2020-10 OTRF NXLog files label local time as ``Z`` in
``TimeCreated``; only their Sysmon events (rule 1) get the true UTC time.

Host rule: the endpoint (``computer_name``, ``Hostname``, ``Computer``,
``System.Computer``, ``@cee`` ``source``), normalised by
:func:`ingest.normalize.normalize_host`, never the collector; the name as
written is kept in ``host.name.original``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from graphsiem.model import Event
from ingest.normalize import (
    canonical_ip,
    decode_powershell_command,
    is_unset,
    normalize_domain,
    normalize_host,
    parse_int,
    parse_timestamp,
    split_hashes,
)
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.windows_shapes import WinRecord

Fields = dict[str, Any]
Data = Mapping[str, Any]

# -- small value helpers -------------------------------------------------------


def _get(data: Data, *keys: str) -> Any:
    """The first present, set value among ``keys`` (shapes spell some names differently)."""
    for key in keys:
        value = data.get(key)
        if value is not None and not is_unset(value):
            return value
    return None


def _basename(path: str) -> str:
    return path.rsplit("\\", 1)[-1].rsplit("/", 1)[-1].lower()


def _guid(value: object) -> str:
    return str(value).strip().strip("{}").lower()


def _pid(value: object, name: str) -> int | None:
    if value.__class__ is int:
        return value  # type: ignore[return-value]
    if value.__class__ is str and value.isdigit() and value.isascii():
        return int(value)  # the common case, without parse_int's checks
    try:
        return parse_int(value)
    except ValueError as exc:
        raise ParseError(f"{name}: {exc}") from None


def _user(domain: object, name: object) -> str | None:
    """``domain\\name`` lower case; a name that already holds the domain is kept whole."""
    if name is None or is_unset(name):
        return None
    text = str(name).strip()
    if "\\" in text or domain is None or is_unset(domain):
        return text.lower()
    return f"{domain}\\{text}".lower()


def _put_process(
    fields: Fields,
    prefix: str,
    data: Data,
    image_key: str,
    pid_key: str,
    guid_keys: tuple[str, ...],
    command_key: str | None = None,
) -> None:
    """``<prefix>executable/name/pid/guid[/command_line]`` from one process's keys."""
    image = _get(data, image_key)
    if image is not None:
        image = str(image)
        fields[prefix + "executable"] = image
        fields[prefix + "name"] = _basename(image)
    pid = _pid(data.get(pid_key), pid_key)
    if pid is not None:
        fields[prefix + "pid"] = pid
    guid = _get(data, *guid_keys)
    if guid is not None:
        fields[prefix + "guid"] = _guid(guid)
    if command_key is not None:
        command = _get(data, command_key)
        if command is not None:
            fields[prefix + "command_line"] = str(command)


def _put_hashes(fields: Fields, prefix: str, value: object) -> None:
    if value is None or is_unset(value):
        return
    for algorithm, digest in split_hashes(str(value)).items():
        fields[f"{prefix}hash.{algorithm}"] = digest


# A session's PowerShell host command line repeats in every 4103 event and in
# its children's parent command lines; decoding a multi-KB stager each time
# dominated the parse cost of such files.  Bounded: at most 1024 entries.
_decode_cached = lru_cache(maxsize=1024)(decode_powershell_command)


def _put_decoded(fields: Fields, command: object) -> None:
    if command is None:
        return
    text = str(command)
    # cheap guard: every -enc/-EncodedCommand spelling has "-e"/"/e" in some case
    if "-e" not in text and "/e" not in text and "-E" not in text and "/E" not in text:
        return
    decoded = _decode_cached(text)
    if decoded is not None:
        fields["process.command_line_decoded"] = decoded


def _put_file(fields: Fields, path: object) -> None:
    if path is None or is_unset(path):
        return
    text = str(path)
    fields["file.path"] = text
    fields["file.name"] = _basename(text)


def _put_user(fields: Fields, user: str | None) -> None:
    if user is not None:
        fields["user.name"] = user


def _put_ip(fields: Fields, key: str, value: object) -> None:
    # Lenient: a malformed address is not a reason to lose the event; the raw
    # record keeps what was written.
    if value is None:
        return
    ip = canonical_ip(str(value), strict=False)
    if ip is not None:
        fields[key] = ip


def _put_port(fields: Fields, key: str, value: object) -> None:
    try:
        port = parse_int(value)
    except ValueError:
        return
    if port is not None:
        fields[key] = port


@lru_cache(maxsize=65536)
def _domain(name: str) -> str | None:
    """Normalised domain or ``None`` when malformed (cached: few names, many queries)."""
    try:
        return normalize_domain(name)
    except ValueError:
        return None


def _sysmon_process(fields: Fields, data: Data) -> None:
    _put_process(fields, "process.", data, "Image", "ProcessId", ("ProcessGuid",))
    _put_user(fields, _user(None, _get(data, "User")))


# -- Sysmon --------------------------------------------------------------------


def _sysmon_1(data: Data, fields: Fields) -> str:
    _put_process(fields, "process.", data, "Image", "ProcessId", ("ProcessGuid",), "CommandLine")
    _put_process(
        fields,
        "process.parent.",
        data,
        "ParentImage",
        "ParentProcessId",
        ("ParentProcessGuid",),
        "ParentCommandLine",
    )
    _put_decoded(fields, fields.get("process.command_line"))
    _put_hashes(fields, "process.", data.get("Hashes"))
    _put_user(fields, _user(None, _get(data, "User")))
    directory = _get(data, "CurrentDirectory")
    if directory is not None:
        fields["process.working_directory"] = str(directory)
    integrity = _get(data, "IntegrityLevel")
    if integrity is not None:
        fields["process.integrity_level"] = str(integrity)
    return "sysmon:process_create"


def _sysmon_3(data: Data, fields: Fields) -> str:
    _sysmon_process(fields, data)
    protocol = _get(data, "Protocol")
    if protocol is not None:
        fields["network.transport"] = str(protocol).lower()
    _put_ip(fields, "source.ip", _get(data, "SourceIp"))
    _put_port(fields, "source.port", _get(data, "SourcePort"))
    _put_ip(fields, "destination.ip", _get(data, "DestinationIp"))
    _put_port(fields, "destination.port", _get(data, "DestinationPort"))
    hostname = _get(data, "DestinationHostname")
    if hostname is not None:
        domain = _domain(str(hostname))
        if domain is not None:
            fields["destination.domain"] = domain
    initiated = _get(data, "Initiated")
    if initiated is not None:
        fields["network.direction"] = (
            "outbound" if str(initiated).lower() in ("true", "1") else "inbound"
        )
    return "sysmon:network_connect"


def _sysmon_5(data: Data, fields: Fields) -> str:
    _sysmon_process(fields, data)
    return "sysmon:process_terminate"


def _sysmon_7(data: Data, fields: Fields) -> str:
    _sysmon_process(fields, data)
    _put_file(fields, _get(data, "ImageLoaded"))
    _put_hashes(fields, "file.", data.get("Hashes"))
    return "sysmon:image_load"


def _source_and_target(data: Data, fields: Fields) -> None:
    _put_process(
        fields, "process.", data, "SourceImage", "SourceProcessId",
        ("SourceProcessGuid", "SourceProcessGUID"),
    )
    _put_process(
        fields, "target.process.", data, "TargetImage", "TargetProcessId",
        ("TargetProcessGuid", "TargetProcessGUID"),
    )
    _put_user(fields, _user(None, _get(data, "SourceUser", "User")))


def _sysmon_8(data: Data, fields: Fields) -> str:
    _source_and_target(data, fields)
    return "sysmon:remote_thread"


def _sysmon_10(data: Data, fields: Fields) -> str:
    _source_and_target(data, fields)
    access = _get(data, "GrantedAccess")
    if access is not None:
        fields["target.granted_access"] = str(access)
    return "sysmon:process_access"


def _sysmon_11(data: Data, fields: Fields) -> str:
    _sysmon_process(fields, data)
    _put_file(fields, _get(data, "TargetFilename"))
    return "sysmon:file_create"


def _registry(data: Data, fields: Fields) -> None:
    _sysmon_process(fields, data)
    target = _get(data, "TargetObject")
    if target is not None:
        fields["registry.path"] = str(target)
    action = _get(data, "EventType")
    if action is not None:
        fields["event.action"] = str(action)


def _sysmon_12_14(data: Data, fields: Fields) -> str:
    _registry(data, fields)
    return "sysmon:registry_event"


def _sysmon_13(data: Data, fields: Fields) -> str:
    _registry(data, fields)
    details = _get(data, "Details")
    if details is not None:
        fields["registry.value"] = str(details)
    return "sysmon:registry_set"


def _dns_answers(value: str) -> list[str]:
    """Sysmon ``QueryResults``: ``type:  5 cname;::ffff:1.2.3.4;`` -> names and canonical IPs."""
    answers = []
    for part in value.split(";"):
        part = part.strip()
        if not part:
            continue
        if part.startswith("type:"):
            # "type:  5 alias.example" -> the name after the record type number
            pieces = part[5:].split(None, 1)
            if len(pieces) == 2:
                answers.append(pieces[1].strip().rstrip(".").lower())
            continue
        answers.append(canonical_ip(part, strict=False) or part)
    return answers


def _sysmon_22(data: Data, fields: Fields) -> str:
    _sysmon_process(fields, data)
    name = _get(data, "QueryName")
    if name is not None:
        domain = _domain(str(name)) or str(name).strip().rstrip(".").lower()
        if domain:
            fields["dns.question.name"] = domain
    status = _get(data, "QueryStatus")
    if status is not None:
        fields["dns.rcode"] = str(status)
    results = _get(data, "QueryResults")
    if results is not None:
        fields["dns.answers"] = _dns_answers(str(results))
    return "sysmon:dns_query"


def _sysmon_23(data: Data, fields: Fields) -> str:
    _sysmon_process(fields, data)
    _put_file(fields, _get(data, "TargetFilename"))
    _put_hashes(fields, "file.", data.get("Hashes"))
    return "sysmon:file_delete"


# -- Security --------------------------------------------------------------------


def _logon(data: Data, fields: Fields) -> None:
    _put_user(fields, _user(_get(data, "TargetDomainName"), _get(data, "TargetUserName")))
    logon_type = _get(data, "LogonType")
    if logon_type is not None:
        try:
            fields["winlog.logon.type"] = parse_int(logon_type)
        except ValueError:
            fields["winlog.logon.type"] = str(logon_type)
    _put_ip(fields, "source.ip", _get(data, "IpAddress"))
    _put_port(fields, "source.port", _get(data, "IpPort"))
    workstation = _get(data, "WorkstationName")
    if workstation is not None:
        fields["source.workstation"] = normalize_host(str(workstation)) or str(workstation)
    _put_process(fields, "process.", data, "ProcessName", "ProcessId", ())


def _security_4624(data: Data, fields: Fields) -> str:
    _logon(data, fields)
    fields["event.outcome"] = "success"
    return "winsec:logon"


def _security_4625(data: Data, fields: Fields) -> str:
    _logon(data, fields)
    fields["event.outcome"] = "failure"
    return "winsec:logon_failed"


def _security_4672(data: Data, fields: Fields) -> str:
    _put_user(fields, _user(_get(data, "SubjectDomainName"), _get(data, "SubjectUserName")))
    return "winsec:special_privileges"


def _security_4688(data: Data, fields: Fields) -> str:
    _put_process(fields, "process.", data, "NewProcessName", "NewProcessId", (), "CommandLine")
    _put_process(
        fields, "process.parent.", data, "ParentProcessName", "ProcessId", (),
    )
    _put_decoded(fields, fields.get("process.command_line"))
    # The target subject is the new process's account when it differs from the creator.
    user = _user(_get(data, "TargetDomainName"), _get(data, "TargetUserName"))
    if user is None:
        user = _user(_get(data, "SubjectDomainName"), _get(data, "SubjectUserName"))
    _put_user(fields, user)
    return "winsec:process_create"


# -- PowerShell --------------------------------------------------------------------


def _context_info(text: str) -> dict[str, str]:
    """4103 ``ContextInfo``: ``Key = value`` lines."""
    result = {}
    for line in text.splitlines():
        key, sep, value = line.partition(" = ")
        if sep:
            result[key.strip()] = value.strip()
    return result


def _powershell_4103(data: Data, fields: Fields) -> str:
    context = _context_info(str(_get(data, "ContextInfo") or ""))
    command = context.get("Command Name")
    if command:
        fields["powershell.command"] = command
    application = context.get("Host Application")
    if application:
        # Kept apart from process.command_line on purpose: it is written
        # differently from the Sysmon/4688 command line of the same process
        # (quotes, spacing), and would make a second process entity.
        fields["powershell.host_application"] = application
        _put_decoded(fields, application)
    _put_user(fields, _user(None, context.get("User")))
    script = context.get("Script Name")
    if script:
        _put_file(fields, script)
    payload = _get(data, "Payload")
    if payload is not None:
        fields["powershell.payload"] = str(payload)
    return "powershell:pipeline"


def _powershell_4104(data: Data, fields: Fields) -> str:
    text = _get(data, "ScriptBlockText")
    if text is not None:
        fields["powershell.script_block_text"] = str(text)
    block_id = _get(data, "ScriptBlockId")
    if block_id is not None:
        fields["powershell.script_block_id"] = _guid(block_id)
    for key, name in (("MessageNumber", "powershell.message_number"),
                      ("MessageTotal", "powershell.message_total")):
        number = _pid(data.get(key), key)
        if number is not None:
            fields[name] = number
    _put_file(fields, _get(data, "Path"))
    return "powershell:script_block"


# -- dispatch --------------------------------------------------------------------

Mapper = Callable[[Data, Fields], str]

_MAPPERS: dict[tuple[str, int], Mapper] = {
    ("sysmon", 1): _sysmon_1,
    ("sysmon", 3): _sysmon_3,
    ("sysmon", 5): _sysmon_5,
    ("sysmon", 7): _sysmon_7,
    ("sysmon", 8): _sysmon_8,
    ("sysmon", 10): _sysmon_10,
    ("sysmon", 11): _sysmon_11,
    ("sysmon", 12): _sysmon_12_14,
    ("sysmon", 13): _sysmon_13,
    ("sysmon", 14): _sysmon_12_14,
    ("sysmon", 22): _sysmon_22,
    ("sysmon", 23): _sysmon_23,
    ("security", 4624): _security_4624,
    ("security", 4625): _security_4625,
    ("security", 4672): _security_4672,
    ("security", 4688): _security_4688,
    ("powershell", 4103): _powershell_4103,
    ("powershell", 4104): _powershell_4104,
}

# Event ids that name their channel even when a record omits it (Sentinel rows
# without ``Channel``); Sysmon ids are small integers shared with other
# providers, so they are never guessed.
_FAMILY_BY_ID = {4624: "security", 4625: "security", 4672: "security", 4688: "security",
                 4103: "powershell", 4104: "powershell"}

_family_cache: dict[str, str] = {}


def _family(channel: str, event_id: int) -> str:
    if not channel:
        return _FAMILY_BY_ID.get(event_id, "")
    family = _family_cache.get(channel)
    if family is None:
        lowered = channel.lower()
        if "sysmon" in lowered:
            family = "sysmon"
        elif lowered == "security":
            family = "security"
        elif lowered == "microsoft-windows-powershell/operational":
            family = "powershell"
        else:
            family = lowered
        if len(_family_cache) < 4096:  # channels are few; bound it against junk input
            _family_cache[channel] = family
    return family


def _fast_utc(text: str, *, require_zone: bool) -> float | None:
    """``YYYY-MM-DD[ T]HH:MM:SS[.fff][Z]`` as UTC epoch seconds, without the general parser.

    Sysmon ``UtcTime`` has no ``Z`` and is UTC by definition; a record time
    takes this path only when it ends in ``Z`` (``require_zone``).  Anything
    else returns ``None`` and goes to :func:`ingest.normalize.parse_timestamp`.
    """
    end = len(text)
    if end < 19 or text[4] != "-" or text[10] not in " T" or text[13] != ":":
        return None
    if text[-1] in "Zz":
        end -= 1
    elif require_zone:
        return None
    midnight = _midnight(text[:10])
    try:
        hour, minute, second = int(text[11:13]), int(text[14:16]), int(text[17:19])
    except ValueError:
        return None
    if midnight is None or hour > 23 or minute > 59 or second > 60:
        return None
    seconds = midnight + hour * 3600 + minute * 60 + second
    if end == 19:
        return float(seconds)
    digits = text[20:end]
    if text[19] != "." or not digits.isdigit():
        return None
    return seconds + int(digits) / 10 ** len(digits)


_midnights: dict[str, float] = {}


def _midnight(day: str) -> float | None:
    """Epoch seconds of ``YYYY-MM-DD`` 00:00 UTC, memoised (events cluster on few days)."""
    value = _midnights.get(day)
    if value is None:
        try:
            value = datetime(int(day[0:4]), int(day[5:7]), int(day[8:10]), tzinfo=UTC).timestamp()
        except ValueError:
            return None
        if len(_midnights) < 65536:
            _midnights[day] = value
    return value


_LATEST = 4102444800.0  # 2100-01-01: later times are corrupt or mis-scaled values


def event_time(data: Data, record_time: object, default_timezone: str) -> float:
    """Epoch seconds by the module's time rule (Sysmon ``UtcTime`` first)."""
    utc = data.get("UtcTime")
    if isinstance(utc, str) and utc and not is_unset(utc):
        fast = _fast_utc(utc, require_zone=False)
        if fast is not None:
            return fast
        try:
            return parse_timestamp(utc, default_timezone="UTC")
        except ValueError:
            pass  # fall back to the record's own time
    if record_time is None or is_unset(record_time):
        raise ParseError("no timestamp (UtcTime, @timestamp, TimeCreated or TimeGenerated)")
    ts = _fast_utc(record_time, require_zone=True) if isinstance(record_time, str) else None
    if ts is not None:
        return ts
    try:
        ts = parse_timestamp(record_time, default_timezone=default_timezone)
    except (ValueError, OverflowError) as exc:
        raise ParseError(f"bad timestamp: {exc}") from None
    if not (math.isfinite(ts) and 0.0 <= ts < _LATEST):
        raise ParseError(f"timestamp out of range: {str(record_time)[:40]!r}")
    return ts


def to_event(
    win: WinRecord,
    *,
    source: str,
    context: ParseContext,
    raw: dict[str, Any] | str | None,
) -> Event:
    """The normalised event of one Windows record.

    Parameters
    ----------
    win : WinRecord
        The record in layout-neutral form.
    source : str
        Name of the parser that read it (``Event.source``).
    context : ParseContext
        Origin and default time zone.
    raw : dict or str
        The original record, kept as evidence.

    Raises
    ------
    ParseError
        No usable timestamp, or a malformed process id.
    """
    data = win.data
    fields: Fields = {"event.code": str(win.event_id), "event.channel": win.channel}
    computer = win.computer
    host = None
    if computer:
        fields["host.name.original"] = computer
        host = normalize_host(computer)
    family = _family(win.channel, win.event_id)
    mapper = _MAPPERS.get((family, win.event_id))
    kind = "windows:other"
    if mapper is not None:
        try:
            kind = mapper(data, fields)
            if family == "powershell" and "process.pid" not in fields:
                # the writer of a PowerShell event is the PowerShell process:
                # its pid lets the projection tie the script to that process
                try:
                    pid = parse_int(win.execution_pid)
                except ValueError:
                    pid = None  # an envelope detail: not worth losing the event
                if pid is not None:
                    fields["process.pid"] = pid
        except ParseError as exc:
            raise ParseError(f"{win.channel or 'Windows'} event {win.event_id}: {exc}") from None
    if win.message:
        fields["message"] = win.message
    ts = event_time(data, win.time, context.default_timezone)
    return Event(
        id="", kind=kind, ts=ts, host=host, source=source, fields=fields,
        origin=context.origin, raw=raw,
    )
