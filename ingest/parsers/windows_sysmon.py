"""Sysmon event data -> normalised fields: process, image, registry, pipe, WMI and tampering events.

The mappers of :mod:`ingest.parsers.windows_events` for Sysmon 1, 5, 6, 7, 8,
10, 12/13/14, 17/18, 19/20/21 and 25, and the helpers the other Sysmon mappers
share (:data:`sysmon_process`, :func:`put_optional`): file events are in
:mod:`ingest.parsers.windows_sysmon_files`, network and DNS events in
:mod:`ingest.parsers.windows_sysmon_network`.  Each mapper sets ``fields`` from
the event data and returns the event kind.
"""

from __future__ import annotations

from collections.abc import Callable

from ingest.normalize import UNSET_TEXT, parse_int
from ingest.parsers.windows_fields import (
    Data,
    Fields,
    Mapper,
    decoded_command,
    first_set,
    normalize_guid,
    process_setter,
    put_decoded,
    put_file,
    put_hashes,
    put_user,
    user_name,
    value_of,
)
from ingest.parsers.windows_wmi import put_consumer_command

__all__ = ["MAPPERS", "OptionalValues", "int_or_text", "process_and", "put_optional", "sysmon_process", "text_value"]


# The process and account of most Sysmon events, set by one call.
sysmon_process = process_setter("process.", "Image", "ProcessId", ("ProcessGuid",), user_key="User")


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
    put_optional(fields, data, _PROCESS_OPTIONAL)
    parent_user = user_name(None, data.get("ParentUser"))
    if parent_user is not None:
        fields["process.parent.user.name"] = parent_user
    return "sysmon:process_create"


text_value = str  # itself, not a function calling it: one Python call less per optional value


def lower_text(value: object) -> object:
    return str(value).strip().lower()


def int_or_text(value: object) -> object:
    try:
        return parse_int(value)
    except ValueError:
        return str(value)


def true_or_false(value: object) -> object:
    return value if isinstance(value, bool) else str(value).strip().lower() == "true"


OptionalValues = tuple[tuple[str, str, Callable[[object], object]], ...]
"""Optional Sysmon values kept as fields: (event-data name, field, conversion)."""

_PROCESS_OPTIONAL: OptionalValues = (
    ("OriginalFileName", "process.pe.original_file_name", text_value),
    # its version resource: Windows' own binaries say the host's release (analytics.host_os_versions)
    ("FileVersion", "process.pe.file_version", text_value),
    ("LogonId", "winlog.logon.id", lower_text),
    ("LogonGuid", "winlog.logon.guid", normalize_guid),
    ("TerminalSessionId", "process.terminal_session_id", int_or_text),
)
_IMAGE_OPTIONAL: OptionalValues = (
    ("OriginalFileName", "file.pe.original_file_name", text_value),
    ("Signed", "file.code_signature.signed", true_or_false),
    ("Signature", "file.code_signature.subject_name", text_value),
    ("SignatureStatus", "file.code_signature.status", text_value),
)


def put_optional(fields: Fields, data: Data, names: OptionalValues) -> None:
    """The optional values of ``names`` that the event data sets (Sysmon writes some only by config)."""
    for key, field, convert in names:
        value = data.get(key)
        if value is not None and not (value.__class__ is str and value in UNSET_TEXT):
            fields[field] = convert(value)


def _sysmon_5(data: Data, fields: Fields) -> str:
    sysmon_process(fields, data)
    return "sysmon:process_terminate"


def _sysmon_7(data: Data, fields: Fields) -> str:
    sysmon_process(fields, data)
    put_file(fields, data.get("ImageLoaded"))
    put_hashes(fields, "file.", data.get("Hashes"))
    put_optional(fields, data, _IMAGE_OPTIONAL)
    return "sysmon:image_load"


def _sysmon_6(data: Data, fields: Fields) -> str:
    # a driver has no process in the event: the kernel loads it
    put_file(fields, data.get("ImageLoaded"))
    put_hashes(fields, "file.", data.get("Hashes"))
    put_optional(fields, data, _IMAGE_OPTIONAL)
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


def _registry(data: Data, fields: Fields) -> None:
    sysmon_process(fields, data)
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


_PIPE: OptionalValues = (("PipeName", "pipe.name", text_value),)


def process_and(kind: str, names: OptionalValues) -> Mapper:
    """A mapper of a Sysmon event that is its process and a few values (``names``) as fields."""

    def mapper(data: Data, fields: Fields) -> str:
        sysmon_process(fields, data)
        put_optional(fields, data, names)
        return kind

    return mapper


def _wmi(data: Data, fields: Fields, names: OptionalValues) -> None:
    put_user(fields, user_name(None, data.get("User")))
    put_optional(fields, data, names)


_WMI_OPERATION = ("Operation", "event.action", text_value)
_WMI_FILTER: OptionalValues = (
    _WMI_OPERATION, ("EventNamespace", "wmi.namespace", text_value),
    ("Name", "wmi.filter.name", text_value), ("Query", "wmi.filter.query", text_value),
)
_WMI_CONSUMER: OptionalValues = (
    _WMI_OPERATION, ("Name", "wmi.consumer.name", text_value), ("Type", "wmi.consumer.type", text_value),
    ("Destination", "wmi.consumer.destination", text_value),
)
_WMI_BINDING: OptionalValues = (
    _WMI_OPERATION, ("Consumer", "wmi.consumer.name", text_value), ("Filter", "wmi.filter.name", text_value),
)
_TAMPERING: OptionalValues = (("Type", "event.action", text_value),)  # "Image is replaced", "Image is locked for access"
_RAW_READ_DEVICE: OptionalValues = (("Device", "file.path", text_value),)
"""Sysmon 9's volume (``\\Device\\HarddiskVolume3``): the file a process read past the file system."""


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
    put_consumer_command(fields)  # what it will run, as its Sysmon 1 will key it
    return "sysmon:wmi_consumer"


def _sysmon_21(data: Data, fields: Fields) -> str:
    _wmi(data, fields, _WMI_BINDING)
    return "sysmon:wmi_binding"


MAPPERS: dict[int, Mapper] = {
    1: _sysmon_1,
    5: _sysmon_5,
    6: _sysmon_6,
    7: _sysmon_7,
    8: _sysmon_8,
    9: process_and("sysmon:raw_access_read", _RAW_READ_DEVICE),
    10: _sysmon_10,
    12: _sysmon_12_14,
    13: _sysmon_13,
    14: _sysmon_12_14,
    17: process_and("sysmon:pipe_created", _PIPE),
    18: process_and("sysmon:pipe_connected", _PIPE),
    19: _sysmon_19,
    20: _sysmon_20,
    21: _sysmon_21,
    25: process_and("sysmon:process_tampering", _TAMPERING),
}
"""Sysmon event id -> mapper, for the events of this module."""
