"""Windows event id -> normalised fields: the one mapping behind every Windows shape.

:mod:`ingest.parsers.windows_shapes` reads each JSON layout into a
:class:`~ingest.parsers.windows_shapes.WinRecord`; :func:`to_event` turns that
into a :class:`~graphsiem.model.Event` with the fields and kinds of
``docs/fields.md``.  Value setters live in :mod:`ingest.parsers.windows_fields`
and the time rule below in :mod:`ingest.parsers.windows_time`.

Covered: Sysmon 1, 3, 5, 6, 7, 8, 10, 11, 12/13/14, 15, 17/18, 19/20/21, 22,
23, 25, 26, 27/28, 29; Security 4624, 4625, 4672, 4688; PowerShell 4103, 4104
(Windows PowerShell and PowerShell 7's ``PowerShellCore/Operational``).  Every
other event is kept as ``windows:other`` with the common fields (code,
channel, host, message) and its event data, bounded, as
``winlog.event_data.<Name>`` (:func:`~ingest.parsers.windows_fields.keep_event_data`).

ECS fallback: Winlogbeat 7's sysmon module, Winlogbeat 8 and Elastic Agent
rename Sysmon and PowerShell event data to ECS fields; when a record's event
data lacks the first name its event reads (``Image``, ``ScriptBlockText``...),
the names are read back from those fields
(:data:`~ingest.parsers.windows_shapes.ECS_FALLBACKS`); a record that kept its
event data pays one lookup.

Message rule
------------
The rendered ``message`` is copied into ``fields`` only for ``windows:other``
events, where it is the one readable account of what happened.  A mapped
event's message restates its event data, which the structured fields hold
normalised and the raw record (always journaled, returned with the event by
the API and shown in the evidence table) holds verbatim, message included; a
second copy was a third of the fields' bytes.  The ``@cee`` syslog path still
asks for it (``mapped_message=True``): its ``msg`` is a short first line.

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

4. an NXLog record without ``UtcTime`` whose host's clock was learnt from
   its Sysmon records (:mod:`ingest.host_clocks`): ``TimeCreated``, else
   ``EventTime``, minus the learnt offset (``event.timezone``).  The 2020-10
   OTRF NXLog files label local time as ``Z`` in ``TimeCreated``, and NXLog
   behind Logstash has only a zone-less ``EventTime`` beside the collector's
   late ``@timestamp``: their Security and PowerShell events get their host's
   true time this way.

Host rule: the endpoint (``computer_name``, ``Hostname``, ``Computer``,
``System.Computer``, ``@cee`` ``source``), normalised by
:func:`ingest.normalize.normalize_host`, never the collector; the name as
written is kept in ``host.name.original``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from graphsiem.model import Event
from ingest.normalize import (
    UNSET_TEXT,
    can_be_a_host,
    canonical_ip,
    is_internal,
    normalize_domain,
    normalize_host,
    normalize_url,
    parse_int,
)
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.sensor_fields import domain_or_none
from ingest.parsers.windows_fields import (
    EVENT_DATA_SOURCES,
    Data,
    Fields,
    decoded_command,
    first_set,
    keep_event_data,
    normalize_guid,
    parse_pid,
    process_setter,
    put_decoded,
    put_file,
    put_hashes,
    put_ip,
    put_port,
    put_user,
    user_name,
    value_of,
)
from ingest.parsers.windows_shapes import ECS_FALLBACKS, EcsReader, WinRecord, ecs_event_data
from ingest.parsers.windows_time import event_time, wall_seconds

__all__ = ["event_time", "to_event"]


# The process and account of most Sysmon events, set by one call.
_sysmon_process = process_setter("process.", "Image", "ProcessId", ("ProcessGuid",), user_key="User")


# -- Sysmon --------------------------------------------------------------------

_put_created = process_setter("process.", "Image", "ProcessId", ("ProcessGuid",), "CommandLine")
_put_creator = process_setter(
    "process.parent.", "ParentImage", "ParentProcessId", ("ParentProcessGuid",), "ParentCommandLine"
)


def _sysmon_1(data: Data, fields: Fields) -> str:
    _put_created(fields, data)
    _put_creator(fields, data)
    put_decoded(fields, fields.get("process.command_line"))
    put_hashes(fields, "process.", data.get("Hashes"))
    put_user(fields, user_name(None, data.get("User")))
    directory = value_of(data, "CurrentDirectory")
    if directory is not None:
        fields["process.working_directory"] = str(directory)
    integrity = value_of(data, "IntegrityLevel")
    if integrity is not None:
        fields["process.integrity_level"] = str(integrity)
    _put_optional(fields, data, _PROCESS_OPTIONAL)
    parent_user = user_name(None, data.get("ParentUser"))
    if parent_user is not None:
        fields["process.parent.user.name"] = parent_user
    return "sysmon:process_create"


_text_value = str  # itself, not a function calling it: one Python call less per optional value


def _lower_text(value: object) -> object:
    return str(value).strip().lower()


def _int_or_text(value: object) -> object:
    try:
        return parse_int(value)
    except ValueError:
        return str(value)


def _true_or_false(value: object) -> object:
    return value if isinstance(value, bool) else str(value).strip().lower() == "true"


Optional = tuple[tuple[str, str, Callable[[object], object]], ...]
"""Optional Sysmon values kept as fields: (event-data name, field, conversion)."""

_PROCESS_OPTIONAL: Optional = (
    ("OriginalFileName", "process.pe.original_file_name", _text_value),
    ("LogonId", "winlog.logon.id", _lower_text),
    ("LogonGuid", "winlog.logon.guid", normalize_guid),
    ("TerminalSessionId", "process.terminal_session_id", _int_or_text),
)
_IMAGE_OPTIONAL: Optional = (
    ("OriginalFileName", "file.pe.original_file_name", _text_value),
    ("Signed", "file.code_signature.signed", _true_or_false),
    ("Signature", "file.code_signature.subject_name", _text_value),
    ("SignatureStatus", "file.code_signature.status", _text_value),
)


def _put_optional(fields: Fields, data: Data, names: Optional) -> None:
    """The optional values of ``names`` that the event data sets (Sysmon writes some only by config)."""
    for key, field, convert in names:
        value = data.get(key)
        if value is not None and not (value.__class__ is str and value in UNSET_TEXT):
            fields[field] = convert(value)


def _sysmon_3(data: Data, fields: Fields) -> str:
    _sysmon_process(fields, data)
    protocol = value_of(data, "Protocol")
    if protocol is not None:
        fields["network.transport"] = str(protocol).lower()
    put_ip(fields, "source.ip", value_of(data, "SourceIp"))
    put_port(fields, "source.port", value_of(data, "SourcePort"))
    put_ip(fields, "destination.ip", value_of(data, "DestinationIp"))
    put_port(fields, "destination.port", value_of(data, "DestinationPort"))
    for name_field, ptr_field in _PTR_FIELDS:
        hostname = value_of(data, name_field)
        if hostname is not None:
            # A reverse (PTR) lookup of the address, whose owner writes it: it is
            # no name the host asked for, so it is not destination.domain.
            ptr = domain_or_none(str(hostname))
            if ptr is not None:
                fields[ptr_field] = ptr
    initiated = value_of(data, "Initiated")
    if initiated is not None:
        initiated = str(initiated).lower() in ("true", "1")
        fields["network.direction"] = "outbound" if initiated else "inbound"
    local = _local_side(data, fields, initiated)
    if local is not None and can_be_a_host(local):
        fields["host.ip"] = local
    else:
        # said, so that the IP map tells "not told" from an event journaled before
        # this rule (no host.ip either), for which it keeps the rule of then
        fields["host.ip_unknown"] = True
    return "sysmon:network_connect"


_PTR_FIELDS = (("SourceHostname", "source.ptr"), ("DestinationHostname", "destination.ptr"))

EPHEMERAL_PORTS = 49152
"""First port of the dynamic range (IANA, Windows since Vista): a port below it is taken to listen."""


def _local_side(data: Data, fields: Fields, initiated: bool | None) -> str | None:
    """The address of the event's own host in a Sysmon 3 connection, or ``None`` when it cannot be told.

    Sysmon writes the two ends as it found them in the socket, not as client
    and server: for a connection it did not initiate, the local end is
    ``Source`` in some events and ``Destination`` in others.  The rule (``docs/fields.md``):

    1. the one side whose ``SourceHostname``/``DestinationHostname`` names the
       event's computer (short names equal, and the domains too when both
       are written), unless rule 2 picks the other side;
    2. else, for ``Initiated`` true, the source; for false, the side whose port
       is below :data:`EPHEMERAL_PORTS` while the other's is not (the
       listening end); when both sides name the computer, the address they
       share if rule 2 picks none;
    3. else none.
    """
    source_ip = fields.get("source.ip")
    destination_ip = fields.get("destination.ip")
    by_role = None
    if initiated:
        by_role = source_ip
    elif initiated is not None:
        source_port, destination_port = fields.get("source.port"), fields.get("destination.port")
        if source_port is not None and destination_port is not None:
            if source_port < EPHEMERAL_PORTS <= destination_port:
                by_role = source_ip
            elif destination_port < EPHEMERAL_PORTS <= source_port:
                by_role = destination_ip
    computer = fields.get("host.name.original")
    source_named = _names_computer(value_of(data, "SourceHostname"), computer)
    destination_named = _names_computer(value_of(data, "DestinationHostname"), computer)
    if source_named != destination_named:
        named = source_ip if source_named else destination_ip
        # The remote end's name is a PTR record its owner writes: a name that
        # contradicts the connection's own roles proves nothing either way, and
        # alone it is taken only for an internal address (an outside one naming
        # our computer is a crafted PTR that would map the attacker's IP to us)
        if by_role is not None:
            return named if by_role == named else None
        return named if is_internal(named) else None
    if by_role is None and source_named and source_ip == destination_ip:
        return source_ip  # a loopback or self connection, both ends named
    return by_role


def _names_computer(hostname: object, computer: object) -> bool:
    """Whether a Sysmon 3 host name is the event's computer: short names equal, domains too when both have one."""
    if hostname is None or not computer:
        return False
    return _is_computer_name(str(hostname), str(computer))


@lru_cache(maxsize=4096)  # a host's connections repeat the same few (name, computer) pairs
def _is_computer_name(hostname: str, computer: str) -> bool:
    name, computer = hostname.strip().rstrip("."), computer.strip().rstrip(".")
    short = normalize_host(name)
    if short is None or short != normalize_host(computer) or canonical_ip(short, strict=False) is not None:
        return False
    _, _, domain = name.partition(".")
    _, _, computer_domain = computer.partition(".")
    # "HR001.evil.example" (a PTR the remote end wrote) is not HR001.shire.com
    return not (domain and computer_domain) or domain.lower() == computer_domain.lower()


def _sysmon_5(data: Data, fields: Fields) -> str:
    _sysmon_process(fields, data)
    return "sysmon:process_terminate"


def _sysmon_7(data: Data, fields: Fields) -> str:
    _sysmon_process(fields, data)
    put_file(fields, data.get("ImageLoaded"))
    put_hashes(fields, "file.", data.get("Hashes"))
    _put_optional(fields, data, _IMAGE_OPTIONAL)
    return "sysmon:image_load"


def _sysmon_6(data: Data, fields: Fields) -> str:
    # a driver has no process in the event: the kernel loads it
    put_file(fields, data.get("ImageLoaded"))
    put_hashes(fields, "file.", data.get("Hashes"))
    _put_optional(fields, data, _IMAGE_OPTIONAL)
    return "sysmon:driver_load"


_put_source = process_setter("process.", "SourceImage", "SourceProcessId", ("SourceProcessGuid", "SourceProcessGUID"))
_put_target = process_setter(
    "target.process.", "TargetImage", "TargetProcessId", ("TargetProcessGuid", "TargetProcessGUID")
)


def _source_and_target(data: Data, fields: Fields) -> None:
    _put_source(fields, data)
    _put_target(fields, data)
    put_user(fields, user_name(None, first_set(data, "SourceUser", "User")))


def _sysmon_8(data: Data, fields: Fields) -> str:
    _source_and_target(data, fields)
    return "sysmon:remote_thread"


def _sysmon_10(data: Data, fields: Fields) -> str:
    _source_and_target(data, fields)
    access = value_of(data, "GrantedAccess")
    if access is not None:
        fields["target.granted_access"] = str(access)
    trace = value_of(data, "CallTrace")
    if trace is not None:
        # the source thread's stack: an UNKNOWN(...) frame is code outside any module (injected)
        fields["process.call_trace"] = str(trace)
    return "sysmon:process_access"


def _sysmon_11(data: Data, fields: Fields) -> str:
    _sysmon_process(fields, data)
    put_file(fields, data.get("TargetFilename"))
    return "sysmon:file_create"


def _registry(data: Data, fields: Fields) -> None:
    _sysmon_process(fields, data)
    target = value_of(data, "TargetObject")
    if target is not None:
        fields["registry.path"] = str(target)
    action = value_of(data, "EventType")
    if action is not None:
        fields["event.action"] = str(action)


def _sysmon_12_14(data: Data, fields: Fields) -> str:
    _registry(data, fields)
    return "sysmon:registry_event"


def _sysmon_13(data: Data, fields: Fields) -> str:
    _registry(data, fields)
    details = value_of(data, "Details")
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
    name = value_of(data, "QueryName")
    if name is not None:
        domain = domain_or_none(str(name)) or str(name).strip().rstrip(".").lower()
        if domain:
            fields["dns.question.name"] = domain
    status = value_of(data, "QueryStatus")
    if status is not None:
        fields["dns.rcode"] = str(status)
    results = value_of(data, "QueryResults")
    if results is not None:
        fields["dns.answers"] = _dns_answers(str(results))
    return "sysmon:dns_query"


def _file_with_hashes(data: Data, fields: Fields) -> None:
    _sysmon_process(fields, data)
    put_file(fields, data.get("TargetFilename"))
    put_hashes(fields, "file.", data.get("Hashes"))


def _sysmon_23(data: Data, fields: Fields) -> str:
    _file_with_hashes(data, fields)
    return "sysmon:file_delete"


def _sysmon_26(data: Data, fields: Fields) -> str:
    _file_with_hashes(data, fields)  # as 23, the file not archived
    return "sysmon:file_delete_detected"


def _sysmon_27(data: Data, fields: Fields) -> str:
    _file_with_hashes(data, fields)
    return "sysmon:file_block_executable"


def _sysmon_28(data: Data, fields: Fields) -> str:
    _file_with_hashes(data, fields)
    return "sysmon:file_block_shredding"


def _sysmon_29(data: Data, fields: Fields) -> str:
    _file_with_hashes(data, fields)  # a new file with a PE header: a dropped executable
    return "sysmon:file_executable_detected"


_ZONE_VALUES = re.compile(r"(?:^|\s)(ZoneId|ReferrerUrl|HostUrl)=(\S+)", re.IGNORECASE)
_STREAM_CONTENTS_CHARS = 4096


def _sysmon_15(data: Data, fields: Fields) -> str:
    """A named stream created (``file:stream``); ``Hash`` is the stream's content's.

    For ``Zone.Identifier`` (the mark of the web a browser or mail client
    writes beside what it saved) the entity is the file itself, with the URL
    it came from (``HostUrl``); the stream's hash is the mark's, kept apart so
    that two downloads from one URL are not one file.  Any other stream is its
    own file entity, known by its content's hash (a payload hidden in a stream).
    """
    _sysmon_process(fields, data)
    target = value_of(data, "TargetFilename")
    if target is None:
        return "sysmon:file_stream_create"
    path, stream = _split_stream(str(target))
    if stream is not None:
        fields["file.stream.name"] = stream
    contents = value_of(data, "Contents")
    if stream is not None and stream.lower() == "zone.identifier":
        put_file(fields, path)
        put_hashes(fields, "file.stream.", data.get("Hash"))
        if contents is not None:
            _put_zone(fields, str(contents))
    else:
        put_file(fields, str(target))
        put_hashes(fields, "file.", data.get("Hash"))
    if contents is not None:
        fields["file.stream.contents"] = str(contents)[:_STREAM_CONTENTS_CHARS]
    return "sysmon:file_stream_create"


def _split_stream(target: str) -> tuple[str, str | None]:
    """``C:\\d\\a.exe:Zone.Identifier[:$DATA]`` -> (``C:\\d\\a.exe``, ``Zone.Identifier``); a drive's colon is no stream."""
    if target.upper().endswith(":$DATA"):
        target = target[:-6]
    cut = target.rfind(":")
    if cut <= 1 or "\\" in target[cut:] or "/" in target[cut:]:
        return target, None
    return target[:cut], target[cut + 1:] or None


def _put_zone(fields: Fields, contents: str) -> None:
    """``ZoneId``, ``HostUrl`` (the download's URL) and ``ReferrerUrl`` of a Zone.Identifier mark."""
    for name, value in _ZONE_VALUES.findall(contents):
        name = name.lower()
        if name == "zoneid":
            fields["file.zone_id"] = _int_or_text(value)
        elif name == "referrerurl":
            fields["http.request.referrer"] = value
        elif "url.full" not in fields and "url.original" not in fields:
            try:
                full = normalize_url(value)
            except ValueError:
                # no web URL (about:internet, a local path): kept as written
                fields["url.original"] = value
                continue
            fields["url.full"] = full
            domain = normalize_domain(urlsplit(full).hostname)
            if domain:
                fields["url.domain"] = domain


_PIPE: Optional = (("PipeName", "pipe.name", _text_value),)


def _process_and(kind: str, names: Optional) -> Mapper:
    """A mapper of a Sysmon event that is its process and a few values (``names``) as fields."""

    def mapper(data: Data, fields: Fields) -> str:
        _sysmon_process(fields, data)
        _put_optional(fields, data, names)
        return kind

    return mapper


def _wmi(data: Data, fields: Fields, names: Optional) -> None:
    put_user(fields, user_name(None, data.get("User")))
    _put_optional(fields, data, names)


_WMI_OPERATION = ("Operation", "event.action", _text_value)
_WMI_FILTER: Optional = (_WMI_OPERATION, ("EventNamespace", "wmi.namespace", _text_value),
                         ("Name", "wmi.filter.name", _text_value), ("Query", "wmi.filter.query", _text_value))
_WMI_CONSUMER: Optional = (_WMI_OPERATION, ("Name", "wmi.consumer.name", _text_value),
                           ("Type", "wmi.consumer.type", _text_value),
                           ("Destination", "wmi.consumer.destination", _text_value))
_WMI_BINDING: Optional = (_WMI_OPERATION, ("Consumer", "wmi.consumer.name", _text_value),
                          ("Filter", "wmi.filter.name", _text_value))
_TAMPERING: Optional = (("Type", "event.action", _text_value),)  # "Image is replaced", "Image is locked for access"


def _sysmon_19(data: Data, fields: Fields) -> str:
    _wmi(data, fields, _WMI_FILTER)
    return "sysmon:wmi_filter"


def _sysmon_20(data: Data, fields: Fields) -> str:
    _wmi(data, fields, _WMI_CONSUMER)
    destination = fields.get("wmi.consumer.destination")
    # CommandLineEventConsumer ("Command Line"): the command WmiPrvSE starts
    if destination is not None and "script" not in fields.get("wmi.consumer.type", "").lower():
        decoded = decoded_command(destination)
        if decoded is None and len(destination) > 1 and destination[0] == destination[-1] == '"':
            decoded = decoded_command(destination[1:-1])  # Sysmon quotes the whole property
        if decoded is not None:
            fields["wmi.consumer.destination_decoded"] = decoded
    return "sysmon:wmi_consumer"


def _sysmon_21(data: Data, fields: Fields) -> str:
    _wmi(data, fields, _WMI_BINDING)
    return "sysmon:wmi_binding"


# -- Security --------------------------------------------------------------------

_put_logon_process = process_setter("process.", "ProcessName", "ProcessId")


def _logon(data: Data, fields: Fields) -> None:
    put_user(fields, user_name(value_of(data, "TargetDomainName"), value_of(data, "TargetUserName")))
    logon_type = value_of(data, "LogonType")
    if logon_type is not None:
        try:
            fields["winlog.logon.type"] = parse_int(logon_type)
        except ValueError:
            fields["winlog.logon.type"] = str(logon_type)
    put_ip(fields, "source.ip", value_of(data, "IpAddress"))
    put_port(fields, "source.port", value_of(data, "IpPort"))
    workstation = value_of(data, "WorkstationName")
    if workstation is not None:
        fields["source.workstation"] = normalize_host(str(workstation)) or str(workstation)
    _put_logon_process(fields, data)


def _security_4624(data: Data, fields: Fields) -> str:
    _logon(data, fields)
    fields["event.outcome"] = "success"
    return "winsec:logon"


def _security_4625(data: Data, fields: Fields) -> str:
    _logon(data, fields)
    fields["event.outcome"] = "failure"
    # why it failed: 0xc000006a is a wrong password for a real account, 0xc0000064 an
    # account that does not exist (a spray's tell), 0xc0000234 a locked-out account
    for name, key in (("Status", "status"), ("SubStatus", "sub_status"), ("FailureReason", "reason")):
        value = value_of(data, name)
        if isinstance(value, list):  # a shape that gives each value as a list of one
            value = " ".join(str(item) for item in value)
        if value is not None and str(value).strip():
            text = str(value).strip()
            fields["winlog.logon.failure." + key] = text.lower() if text[:2] in ("0x", "0X") else text
    return "winsec:logon_failed"


def _security_4672(data: Data, fields: Fields) -> str:
    put_user(fields, user_name(value_of(data, "SubjectDomainName"), value_of(data, "SubjectUserName")))
    privileges = value_of(data, "PrivilegeList")
    if privileges is not None:
        # one privilege per line in the event, separated by tabs and newlines (or a list)
        names = [str(name) for name in privileges] if isinstance(privileges, list) else str(privileges).split()
        names = [name for text in names for name in text.split()]
        if names:
            fields["winlog.privileges"] = names
    return "winsec:special_privileges"


_put_new_process = process_setter("process.", "NewProcessName", "NewProcessId", (), "CommandLine")
_put_new_parent = process_setter("process.parent.", "ParentProcessName", "ProcessId")


def _security_4688(data: Data, fields: Fields) -> str:
    _put_new_process(fields, data)
    _put_new_parent(fields, data)
    put_decoded(fields, fields.get("process.command_line"))
    # The target subject is the new process's account when it differs from the creator.
    user = user_name(value_of(data, "TargetDomainName"), value_of(data, "TargetUserName"))
    if user is None:
        user = user_name(value_of(data, "SubjectDomainName"), value_of(data, "SubjectUserName"))
    put_user(fields, user)
    return "winsec:process_create"


# -- PowerShell --------------------------------------------------------------------


_CONTEXT_KEYS = frozenset(("Command Name", "Host Application", "User", "Script Name"))
"""The ``ContextInfo`` lines :func:`_powershell_4103` reads (of the sixteen or so it has)."""


def _context_info(text: str) -> dict[str, str]:
    """4103 ``ContextInfo``: the ``Key = value`` lines of :data:`_CONTEXT_KEYS` (the last of a key wins)."""
    result = {}
    for line in text.splitlines():
        key, sep, value = line.partition(" = ")
        if sep:
            key = key.strip()
            if key in _CONTEXT_KEYS:  # the other values are not stripped and kept for nothing
                result[key] = value.strip()
    return result


def _powershell_4103(data: Data, fields: Fields) -> str:
    context = _context_info(str(value_of(data, "ContextInfo") or ""))
    command = context.get("Command Name")
    if command:
        fields["powershell.command"] = command
    application = context.get("Host Application")
    if application:
        # Kept apart from process.command_line on purpose: it is written
        # differently from the Sysmon/4688 command line of the same process
        # (quotes, spacing), and would make a second process entity.
        fields["powershell.host_application"] = application
        put_decoded(fields, application)
    put_user(fields, user_name(None, context.get("User")))
    script = context.get("Script Name")
    if script:
        put_file(fields, script)
    payload = value_of(data, "Payload")
    if payload is not None:
        fields["powershell.payload"] = str(payload)
    return "powershell:pipeline"


def _powershell_4104(data: Data, fields: Fields) -> str:
    text = value_of(data, "ScriptBlockText")
    if text is not None:
        fields["powershell.script_block_text"] = str(text)
    block_id = value_of(data, "ScriptBlockId")
    if block_id is not None:
        fields["powershell.script_block_id"] = normalize_guid(block_id)
    for key, name in (("MessageNumber", "powershell.message_number"),
                      ("MessageTotal", "powershell.message_total")):
        number = parse_pid(data.get(key), key)
        if number is not None:
            fields[name] = number
    put_file(fields, value_of(data, "Path"))
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
    ("sysmon", 6): _sysmon_6,
    ("sysmon", 15): _sysmon_15,
    ("sysmon", 17): _process_and("sysmon:pipe_created", _PIPE),
    ("sysmon", 18): _process_and("sysmon:pipe_connected", _PIPE),
    ("sysmon", 19): _sysmon_19,
    ("sysmon", 20): _sysmon_20,
    ("sysmon", 21): _sysmon_21,
    ("sysmon", 25): _process_and("sysmon:process_tampering", _TAMPERING),
    ("sysmon", 26): _sysmon_26,
    ("sysmon", 27): _sysmon_27,
    ("sysmon", 28): _sysmon_28,
    ("sysmon", 29): _sysmon_29,
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

# Windows PowerShell 5.1 and PowerShell 7 (pwsh) write the same 4103/4104 events.
_POWERSHELL_CHANNELS = frozenset(("microsoft-windows-powershell/operational", "powershellcore/operational"))

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
        elif lowered in _POWERSHELL_CHANNELS:
            family = "powershell"
        else:
            family = lowered
        if len(_family_cache) < 4096:  # channels are few; bound it against junk input
            _family_cache[channel] = family
    return family


# (channel, event id) -> ("event.code" text, mapper or None, is a PowerShell event,
# is a Sysmon event).  A stream repeats a few dozen pairs, so the channel's family,
# the mapper and str(event_id) are found once per pair, not once per event.
# Bounded like _family_cache: event ids are attacker-influenced.
# The fifth item is the pair's ECS fallback (ingest.parsers.windows_shapes.ECS_FALLBACKS).
Route = tuple[str, Mapper | None, bool, bool, tuple[tuple[str, EcsReader], ...] | None]
_routes: dict[tuple[str, int], Route] = {}


def _route(channel: str, event_id: int) -> Route:
    key = (channel, event_id)
    route = _routes.get(key)
    if route is None:
        family = _family(channel, event_id)
        # a channel's family does not depend on the event id; without a channel
        # it is guessed from the id, never as Sysmon (see _FAMILY_BY_ID)
        route = (str(event_id), _MAPPERS.get((family, event_id)), family == "powershell",
                 family == "sysmon", ECS_FALLBACKS.get((family, event_id)))
        if len(_routes) < 4096:
            _routes[key] = route
    return route


def to_event(
    win: WinRecord,
    *,
    source: str,
    context: ParseContext,
    raw: dict[str, Any] | str | None,
    mapped_message: bool = True,
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
    mapped_message : bool
        Copy the rendered message into ``fields`` for mapped kinds too; it is
        always copied for ``windows:other`` (see the message rule above).

    Raises
    ------
    ParseError
        No usable timestamp, or a malformed process id.
    """
    data = win.data
    channel = win.channel
    # the route of a pair seen before without a call (_route finds a new one)
    code, mapper, is_powershell, is_sysmon, fallback = _routes.get((channel, win.event_id)) or _route(
        channel, win.event_id
    )
    if fallback is not None and win.ecs is not None and fallback[0][0] not in data:
        # a Winlogbeat 7 sysmon module / Elastic Agent record: its event data was
        # renamed to ECS fields (one lookup for a record that kept it)
        data = ecs_event_data(data, win.ecs, fallback)
    fields: Fields = {"event.code": code, "event.channel": channel}
    computer = win.computer
    host = None
    if computer:
        fields["host.name.original"] = computer
        host = normalize_host(computer)
    kind = "windows:other"
    if mapper is not None:
        try:
            kind = mapper(data, fields)
            if is_powershell and "process.pid" not in fields:
                # the writer of a PowerShell event is the PowerShell process:
                # its pid lets the projection tie the script to that process
                try:
                    pid = parse_int(win.execution_pid)
                except ValueError:
                    pid = None  # an envelope detail: not worth losing the event
                if pid is not None:
                    fields["process.pid"] = pid
        except ParseError as exc:
            raise ParseError(f"{channel or 'Windows'} event {win.event_id}: {exc}") from None
    if kind == "windows:other":
        if win.message:
            fields["message"] = win.message
        if data:
            keep_event_data(fields, data, flat=source not in EVENT_DATA_SOURCES)
    elif mapped_message and win.message:
        fields["message"] = win.message
    ts = event_time(data, win.time, context.default_timezone)
    # positional (id, kind, ts, host, source, fields, origin, raw): keywords cost 0.25 us a record
    event = Event("", kind, ts, host, source, fields, context.origin, raw)
    clock_field = win.clock_field
    if clock_field is not None and host is not None and (clocks := context.host_clocks) is not None:
        # The host's clock (ingest.host_clocks), here rather than in a function of
        # its own: it runs for every NXLog record (~0.1 us a record, measured).
        utc_text = data.get("UtcTime")
        if utc_text is None:  # dated by the host's clock
            clocks.date(event, clock_field, win.clock_text)
        elif (
            utc_text.__class__ is str
            and is_sysmon  # only Sysmon's UtcTime is UTC by definition: another channel's field proves nothing
            and clocks.is_due(host, clock_field, utc_text)
        ):
            utc = wall_seconds(utc_text)
            if utc is not None and utc == ts:  # dated by a valid UtcTime: it teaches the clock
                clocks.observe(host, clock_field, win.clock_text, utc)
    return event
