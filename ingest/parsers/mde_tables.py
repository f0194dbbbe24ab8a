"""Microsoft Defender for Endpoint tables -> the Sysmon kinds and fields of ``docs/fields.md``.

Used by :mod:`ingest.parsers.mde`, which reads a row out of its envelope and
tells its table; each mapper here sets the fields of one row and returns its
kind.  As :mod:`ingest.parsers.ecs_endpoint` does for Elastic Defend, a row
that is the observation a Sysmon event stands for takes that Sysmon kind with
its fields in the shape the Windows parser gives Sysmon's, so the projection
and the IP -> host map treat the two alike.

Every row names the process behind it as ``InitiatingProcess*``: the created
process's parent in ``DeviceProcessEvents``, the actor everywhere else
(``process.*``).  Its parent (``InitiatingProcessParent*``) is only a name
and a pid: ``process.parent.name``/``.pid`` of an action, and
``process.parent.parent.*`` (the grandparent) of a creation.  MDE writes a
command line with every process, so each row's process is the full identity
(image and command line) a Sysmon 1 event gives, not an image-only node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ingest.normalize import (
    can_be_a_host,
    canonical_ip,
    normalize_host,
    normalize_url,
)
from ingest.parsers.ecs_endpoint import registry_path
from ingest.parsers.mde_columns import (
    CREATED,
    Fields,
    Row,
    account,
    image_path,
    json_list,
    port_of,
    put_actor,
    put_digests,
    put_initiating,
    put_process,
    text_of,
)
from ingest.parsers.sensor_fields import domain_or_none, put_url, record_type
from ingest.parsers.windows_events import EPHEMERAL_PORTS
from ingest.parsers.windows_fields import (
    basename,
    put_decoded,
    put_ip,
)
from ingest.parsers.windows_persistence import put_service, put_task

Mapper = Callable[[Row, Fields, dict[str, Any]], str]
"""``mapper(row, fields, additional) -> kind``; ``additional`` is the row's ``AdditionalFields`` object."""

GENERIC_KIND = "mde:event"
"""Every row no Sysmon kind stands for (most ``DeviceEvents`` action types, other tables)."""
NETWORK_INFO_KIND = "mde:network_info"

# -- DeviceProcessEvents ---------------------------------------------------------

def _process_created(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    """Sysmon 1: the created process; its creator (``InitiatingProcess*``) the parent."""
    put_process(fields, row, "process.", CREATED)
    put_decoded(fields, fields.get("process.command_line"))
    user = account(row, "AccountDomain", "AccountName", "AccountUpn")
    if user is not None:
        fields["user.name"] = user
    put_initiating(fields, row, "process.parent.", "process.parent.user.name")
    integrity = text_of(row, "ProcessIntegrityLevel")
    if integrity is not None:
        fields["process.integrity_level"] = integrity
    original = text_of(row, "ProcessVersionInfoOriginalFileName")
    if original is not None:
        fields["process.pe.original_file_name"] = original
    return "sysmon:process_create"


# -- DeviceNetworkEvents ---------------------------------------------------------

_CONNECTIONS = {
    "ConnectionSuccess": ("outbound", "success"), "ConnectionAttempt": ("outbound", None),
    "ConnectionRequest": ("outbound", None), "ConnectionAcknowledged": ("outbound", "success"),
    "ConnectionFailed": ("outbound", "failure"), "ConnectionFound": (None, None),
    "InboundConnectionAccepted": ("inbound", "success"),
}
"""Connection action types -> (direction, outcome); ``ConnectionFound`` (an open connection found by a
scan) says no direction: its ports tell it (:func:`_connection`), else it is read local to remote."""


def _put_port(fields: Fields, field: str, port: int | None) -> None:
    if port is not None:
        fields[field] = port


def _transport(protocol: str) -> str:
    """``Tcp``, ``TcpV4``, ``UdpV6`` -> ``tcp``, ``udp`` (Sysmon's ``Protocol`` words)."""
    lowered = protocol.strip().lower()
    return lowered[:-2] if lowered.endswith(("v4", "v6")) else lowered


def _connection(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    """Sysmon 3: ``source`` the side that opened the connection, ``host.ip`` the local end."""
    put_actor(row, fields)
    action = str(row.get("ActionType"))
    direction, outcome = _CONNECTIONS[action]
    local_port, remote_port = port_of(row, "LocalPort"), port_of(row, "RemotePort")
    if direction is None and local_port is not None and remote_port is not None:
        # an open connection a scan found: the listening end is the one below the dynamic range
        # (Sysmon 3's rule for an event that does not say who initiated it)
        if local_port < EPHEMERAL_PORTS <= remote_port:
            direction = "inbound"
        elif remote_port < EPHEMERAL_PORTS <= local_port:
            direction = "outbound"
    local, remote = "source", "destination"
    if direction == "inbound":
        local, remote = remote, local
    if direction is not None:
        fields["network.direction"] = direction
    if outcome is not None:
        fields["event.outcome"] = outcome
    put_ip(fields, local + ".ip", text_of(row, "LocalIP"))
    _put_port(fields, local + ".port", local_port)
    put_ip(fields, remote + ".ip", text_of(row, "RemoteIP"))
    _put_port(fields, remote + ".port", remote_port)
    protocol = text_of(row, "Protocol")
    if protocol is not None:
        fields["network.transport"] = _transport(protocol)
    own = fields.get(local + ".ip")
    if own is not None and can_be_a_host(own):
        fields["host.ip"] = own
    else:
        fields["host.ip_unknown"] = True  # as Sysmon 3 says it: the IP map then learns nothing
    if direction != "inbound":
        _put_remote_url(fields, text_of(row, "RemoteUrl"))
    return "sysmon:network_connect"


def _put_remote_url(fields: Fields, value: str | None) -> None:
    """``RemoteUrl``: the name (or URL) the process connected to, from the device's own lookup.

    Unlike Sysmon's ``DestinationHostname`` (a PTR its owner writes) it is the
    name the host asked for, so it is ``destination.domain`` (``domain
    RESOLVES_TO ip``); a URL is kept as ``url.full`` too.
    """
    if value is None:
        return
    if "://" in value:
        try:
            full = normalize_url(value)
        except ValueError:
            fields["url.original"] = value
            return
        fields["url.full"] = full
        value = urlsplit(full).hostname or ""
    domain = domain_or_none(value)  # None for an address: no name was asked for
    if domain is not None:
        fields["destination.domain"] = domain


# -- DeviceFileEvents, DeviceImageLoadEvents ---------------------------------------

def _put_file(fields: Fields, row: Row) -> None:
    path = image_path(text_of(row, "FolderPath"), text_of(row, "FileName"))
    if path is not None:
        fields["file.path"] = path
        fields["file.name"] = basename(path)
    put_digests(fields, "file.", row.get("SHA256"), row.get("SHA1"), row.get("MD5"))


def _file_written(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    """Sysmon 11 (created, modified, renamed: the process wrote the file at that path); with
    ``FileOriginUrl`` or ``FileOriginIP`` the mark of the web, Sysmon 15's Zone.Identifier: the
    file came from that URL or address (``file SERVED_BY url``, ``file SERVED_BY ip``)."""
    put_actor(row, fields)
    _put_file(fields, row)
    origin = text_of(row, "FileOriginUrl")
    referrer = text_of(row, "FileOriginReferrerUrl")
    if referrer is not None:
        fields["http.request.referrer"] = referrer
    put_ip(fields, "file.origin.ip", text_of(row, "FileOriginIP"))
    if origin is None:
        # an address alone is still where the file was downloaded from (a bare-IP server with no URL kept)
        return "sysmon:file_stream_create" if "file.origin.ip" in fields else "sysmon:file_create"
    put_url(fields, origin)
    return "sysmon:file_stream_create"


def _file_deleted(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    put_actor(row, fields)
    _put_file(fields, row)
    return "sysmon:file_delete"


def _image_loaded(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    put_actor(row, fields)
    _put_file(fields, row)
    return "sysmon:image_load"


# -- DeviceRegistryEvents -------------------------------------------------------------

_USER_HIVE = "HKEY_CURRENT_USER\\S-1-"


def _registry_path(path: str) -> str:
    r"""A registry path as Sysmon writes it; MDE's ``HKEY_CURRENT_USER\<SID>\...`` is a user's hive, ``HKU\<SID>``.

    >>> _registry_path("HKEY_CURRENT_USER\\S-1-5-21-1\\Software\\Run")
    'HKU\\S-1-5-21-1\\Software\\Run'
    """
    if path[:len(_USER_HIVE)].upper() == _USER_HIVE:
        return "HKU\\" + path[len("HKEY_CURRENT_USER\\"):]
    return registry_path(path)


def _registry(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    """Sysmon 13 for a value set (with its data), 12/14 for the rest; ``registry.path`` is Sysmon's
    ``TargetObject``, the key and the value name, its hive written as Sysmon writes it."""
    put_actor(row, fields)
    key = text_of(row, "RegistryKey")
    if key is not None:
        name = text_of(row, "RegistryValueName")
        fields["registry.path"] = _registry_path(key if name is None else f"{key}\\{name}")
    data = text_of(row, "RegistryValueData")
    if row.get("ActionType") == "RegistryValueSet" and key is not None:
        if data is not None:
            fields["registry.value"] = data[:4096]
        return "sysmon:registry_set"
    return "sysmon:registry_event"


# -- DeviceLogonEvents ----------------------------------------------------------------

LOGON_TYPES = {
    "interactive": 2, "network": 3, "batch": 4, "service": 5, "unlock": 7, "networkcleartext": 8,
    "newcredentials": 9, "remoteinteractive": 10, "cachedinteractive": 11, "cachedremoteinteractive": 12,
    "cachedunlock": 13,
}
"""MDE's ``LogonType`` words -> the numbers 4624 writes, so one ``winlog.logon.type`` holds both."""


UNSAID_PROTOCOLS = frozenset(("", "-", "unknown"))
"""``Protocol`` values that name no protocol (lower case)."""


def _logon_protocol(value: str | None) -> str | None:
    """DeviceLogonEvents' ``Protocol`` (``NTLM``, ``Kerberos``, ``Negotiate``) as written, stripped; None
    when it names none.

    >>> _logon_protocol(" NTLM "), _logon_protocol("Kerberos"), _logon_protocol("Unknown"), _logon_protocol(None)
    ('NTLM', 'Kerberos', None, None)
    """
    text = (value or "").strip()
    return None if text.lower() in UNSAID_PROTOCOLS else text


def _logon(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    """4624 / 4625: the account, the logon type, the remote machine's address and name, the protocol."""
    put_initiating(fields, row, "process.", "process.user.name")
    user = account(row, "AccountDomain", "AccountName", "AccountUpn")
    if user is not None:
        fields["user.name"] = user
    logon_type = text_of(row, "LogonType")
    if logon_type is not None:
        fields["winlog.logon.type"] = LOGON_TYPES.get(logon_type.replace(" ", "").lower(), logon_type)
    put_ip(fields, "source.ip", text_of(row, "RemoteIP"))
    _put_port(fields, "source.port", port_of(row, "RemotePort"))
    workstation = text_of(row, "RemoteDeviceName")
    if workstation is not None:
        fields["source.workstation"] = normalize_host(workstation) or workstation
    logon_id = text_of(row, "LogonId")
    if logon_id is not None:
        fields["winlog.logon.id"] = logon_id.strip().lower()
    package = _logon_protocol(text_of(row, "Protocol"))
    if package is not None:
        # 4625's AuthenticationPackageName: only an NTLM failure lends a DC's 4776 its address
        # (analytics.credential_companions), whatever wrote the failure
        fields["winlog.logon.authentication_package"] = package
    action = row.get("ActionType")
    if action == "LogonSuccess":
        fields["event.outcome"] = "success"
        return "winsec:logon"
    if action == "LogonFailed":
        fields["event.outcome"] = "failure"
        reason = text_of(row, "FailureReason")
        if reason is not None:
            fields["winlog.logon.failure.reason"] = reason
        return "winsec:logon_failed"
    return GENERIC_KIND  # LogonAttempted: no outcome is said


# -- DeviceEvents ---------------------------------------------------------------------

def _dns_answers(value: object) -> tuple[list[str], list[str | None]]:
    """``DnsQueryResult``: a list of objects (or their JSON text) whose result is an address or a name,
    and each answer's record type.

    An item says its type under ``DnsQueryType`` (as the rows MDE writes), ``Type`` or
    ``QueryType``, a number or a name, read as the ECS and Sysmon 22 parsers read one
    (:func:`~ingest.parsers.sensor_fields.record_type`: ``5`` -> ``CNAME``, ``15`` -> ``MX``,
    ``99`` -> ``TYPE99``).  Beside typed answers an address with none is ``A`` or ``AAAA`` by
    its form, as Sysmon writes addresses bare; a name with none is unknown (``None``).  When no
    item says a type, none is given (the caller sets no list): typing only the addresses would
    make every name a non-CNAME, where the projection's untyped rule reads a chain.

    >>> _dns_answers('[{"DnsQueryType":15,"Result":"mx1.example.net"},{"Result":"192.0.2.25"}]')
    (['mx1.example.net', '192.0.2.25'], ['MX', 'A'])
    >>> _dns_answers([{"Result": "cdn.example"}, "192.0.2.1"])
    (['cdn.example', '192.0.2.1'], [])
    """
    answers: list[str] = []
    types: list[str | None] = []
    said = False
    for item in json_list(value):
        kind = None
        if isinstance(item, dict):
            kind = next((record_type(item[key]) for key in _TYPE_KEYS if key in item), None)
            item = next((item[key] for key in _ANSWER_KEYS if isinstance(item.get(key), str)), None)
        if isinstance(item, str) and item.strip():
            text = item.strip()
            ip = canonical_ip(text, strict=False)
            answers.append(ip or text.rstrip(".").lower())
            said = said or kind is not None
            types.append(kind if kind is not None or ip is None else "AAAA" if ":" in ip else "A")
    return answers, types if said else []


_ANSWER_KEYS = ("Result", "DnsQueryResult", "IPAddress", "Address", "Data")
_TYPE_KEYS = ("DnsQueryType", "Type", "QueryType")
"""Where a ``DnsQueryResult`` item says its record type (the first present is read)."""


def _dns(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    """Sysmon 22 from ``DnsQueryResponse``: ``AdditionalFields.DnsQueryString`` and its results."""
    put_actor(row, fields)
    name = additional.get("DnsQueryString")
    if isinstance(name, str):
        domain = domain_or_none(name) or name.strip().rstrip(".").lower()
        if domain:
            fields["dns.question.name"] = domain
    answers, types = _dns_answers(additional.get("DnsQueryResult"))
    if answers:
        fields["dns.answers"] = answers
        if types:  # parallel to the answers: the projection tells a CNAME from an MX or NS target by them
            fields["dns.answer_types"] = types
    return "sysmon:dns_query"


def _powershell_command(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    """4103's observation: a command run in a PowerShell host (``AdditionalFields.Command``).

    The host is the row's process, with its full command line (its ``-enc``
    decoded), the same entity its ``ProcessCreated`` row gives.
    """
    put_actor(row, fields)
    command = additional.get("Command")
    if isinstance(command, str) and command:
        fields["powershell.command"] = command[:4096]
    return "powershell:pipeline"


def _target_process(row: Row, fields: Fields) -> None:
    put_actor(row, fields)
    put_process(fields, row, "target.process.", CREATED)


def _remote_thread(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    """Sysmon 8: the row's process created a thread in the target (``FileName``, ``ProcessId``)."""
    _target_process(row, fields)
    return "sysmon:remote_thread"


def _process_access(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    """Sysmon 10: the row's process opened the target; ``DesiredAccess`` as ``target.granted_access``."""
    _target_process(row, fields)
    access = additional.get("DesiredAccess")
    if isinstance(access, int | str) and not isinstance(access, bool):
        fields["target.granted_access"] = hex(access) if isinstance(access, int) else access
    return "sysmon:process_access"


def _installer(row: Row, fields: Fields) -> None:
    """The process that installed the service or registered the task: ``installer.process.*``, its account
    ``subject.user.name`` (as Security 4697/4698 write theirs); ``process.*`` is what will run."""
    put_initiating(fields, row, "installer.process.", "subject.user.name")


def _service_installed(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    """System 7045's observation: ``AdditionalFields`` ``ServiceName``, ``ServiceType``,
    ``ServiceStartType``, ``ServiceAccount``; the command from ``ProcessCommandLine``, else the
    image of ``FolderPath``/``FileName``."""
    _installer(row, fields)
    command = text_of(row, "ProcessCommandLine") or image_path(text_of(row, "FolderPath"), text_of(row, "FileName"))
    return put_service(
        fields, name=additional.get("ServiceName"), image_path=command,
        service_type=additional.get("ServiceType"), start_type=additional.get("ServiceStartType"),
        account=additional.get("ServiceAccount"),
    )


def _scheduled_task(updated: bool) -> Mapper:
    def mapper(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
        """Security 4698/4702's observation: ``AdditionalFields`` ``TaskName`` and ``TaskContent``
        (the definition as JSON text, an object, or the task XML)."""
        _installer(row, fields)
        return put_task(fields, name=additional.get("TaskName"), content=additional.get("TaskContent"),
                        updated=updated)

    return mapper


def _other(row: Row, fields: Fields, additional: dict[str, Any]) -> str:
    """Any other action: its process and account; its own columns stay under ``mde.*``."""
    put_actor(row, fields)
    return GENERIC_KIND


# -- dispatch -------------------------------------------------------------------------

_FILE = frozenset(("FolderPath", "FileName", "SHA256", "SHA1", "MD5"))
_CREATED_COLUMNS = frozenset((*CREATED, "AccountDomain", "AccountName", "AccountUpn"))

MAPPERS: dict[str, tuple[Mapper, frozenset[str]]] = {
    "ProcessCreated": (_process_created, _CREATED_COLUMNS | {
        "ProcessIntegrityLevel", "ProcessVersionInfoOriginalFileName"}),
    **{action: (_connection, frozenset(("LocalIP", "LocalPort", "RemoteIP", "RemotePort", "Protocol", "RemoteUrl")))
       for action in _CONNECTIONS},
    **{action: (_file_written, _FILE | {"FileOriginUrl", "FileOriginReferrerUrl", "FileOriginIP"})
       for action in ("FileCreated", "FileModified", "FileRenamed")},
    "FileDeleted": (_file_deleted, _FILE),
    "ImageLoaded": (_image_loaded, _FILE),
    **{action: (_registry, frozenset(("RegistryKey", "RegistryValueName", "RegistryValueData")))
       for action in ("RegistryValueSet", "RegistryKeyCreated", "RegistryKeyDeleted", "RegistryValueDeleted",
                      "RegistryKeyRenamed")},
    **{action: (_logon, frozenset(("AccountDomain", "AccountName", "AccountUpn", "LogonType", "RemoteIP",
                                   "RemotePort", "RemoteDeviceName", "LogonId", "FailureReason", "Protocol")))
       for action in ("LogonSuccess", "LogonFailed", "LogonAttempted")},
    "DnsQueryResponse": (_dns, frozenset(("DnsQueryString", "DnsQueryResult"))),
    "PowerShellCommand": (_powershell_command, frozenset(("Command",))),
    "CreateRemoteThreadApiCall": (_remote_thread, _CREATED_COLUMNS),
    "OpenProcessApiCall": (_process_access, _CREATED_COLUMNS | {"DesiredAccess"}),
    "ServiceInstalled": (_service_installed, frozenset((
        "ProcessCommandLine", "FolderPath", "FileName", "ServiceName", "ServiceType", "ServiceStartType",
        "ServiceAccount"))),
    "ScheduledTaskCreated": (_scheduled_task(updated=False), frozenset(("TaskName", "TaskContent"))),
    "ScheduledTaskUpdated": (_scheduled_task(updated=True), frozenset(("TaskName", "TaskContent"))),
}
"""``ActionType`` -> (mapper, the columns and ``AdditionalFields`` members it reads beside
:data:`INITIATING_COLUMNS`: the remainder leaves them out).

An action type belongs to one table (``DnsQueryResponse`` is read alike in
``DeviceEvents`` and ``DeviceNetworkEvents``); any other is :func:`_other`."""

OTHER: tuple[Mapper, frozenset[str]] = (_other, frozenset())


def mapper_of(action: object) -> tuple[Mapper, frozenset[str]]:
    """The mapper of a row's ``ActionType`` (:data:`MAPPERS`), else :data:`OTHER`."""
    if action.__class__ is not str:
        return OTHER
    return MAPPERS.get(action, OTHER)  # type: ignore[arg-type]

