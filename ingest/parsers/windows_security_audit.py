"""Security and System audit events -> normalised fields: a log cleared (1102, 104), an object accessed
(4663), a connection the Windows Filtering Platform permitted (5156).

Mappers of :mod:`ingest.parsers.windows_events`, beside :mod:`ingest.parsers.windows_security`:

* 1102 (Security log cleared) and System 104 (another log cleared) are ``windows:log_cleared``: the
  account that cleared it (``UserData/LogFileCleared/SubjectUserName`` + ``SubjectDomainName``,
  ``user.id`` its SID) and, for 104, the log's name (``winlog.cleared_channel``).
* 4663 is ``winsec:object_access``: the process (``ProcessName``, ``ProcessId``), its account (the
  subject), the object's type (``winlog.object.type``) and the access mask it used
  (``winlog.object.access_mask``, lower-case hex text); a ``File`` object is ``file.path``/``file.name``,
  a ``Key`` is ``registry.path`` (as written, ``\\REGISTRY\\MACHINE\\...``), any other
  ``winlog.object.name``.
* 5156 is ``winsec:network_connect``, a process's connection as Sysmon 3 is: ``process.executable``
  the ``Application`` as written (a device path, ``\\device\\harddiskvolume2\\...``: the volume's
  drive letter is not in the event, so the projection joins it to its process by host, pid and
  image name, :meth:`ingest.projection_entities.EntityBuilders._process`), ``process.pid`` (from
  ``ProcessID``, or ``ProcessId`` as NXLog via Logstash writes it), the ends, ``network.direction`` (``%%14592`` inbound, ``%%14593`` outbound) and
  ``network.transport`` (6 tcp, 17 udp).  ``SourceAddress`` is the connection's initiator in both
  directions, as Sysmon 3's source is (the OTRF corpus: an inbound connection's source is the
  remote client), so the projection's Sysmon 3 rule finds the peer; no ``host.ip`` (the IP map
  does not learn from 5156).
"""

from __future__ import annotations

from ingest.parsers.windows_fields import (
    Data,
    Fields,
    Mapper,
    process_setter,
    put_file,
    put_ip,
    put_port,
    value_of,
)
from ingest.parsers.windows_security import _SUBJECT, _put_account

__all__ = ["SECURITY_AUDIT_MAPPERS", "SYSTEM_AUDIT_MAPPERS"]

LOG_CLEARED = "windows:log_cleared"

_DIRECTIONS = {"%%14592": "inbound", "inbound": "inbound", "%%14593": "outbound", "outbound": "outbound"}
"""5156 ``Direction``: the message-table codes as the event data holds them, or their rendered words."""
_TRANSPORTS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp"}
"""5156 ``Protocol`` (an IANA protocol number) -> ``network.transport`` as Sysmon 3 words it."""

_put_object_process = process_setter("process.", "ProcessName", "ProcessId")
_put_wfp_process = process_setter("process.", "Application", "ProcessID")
_put_wfp_process_id = process_setter("process.", "Application", "ProcessId")
"""5156 as NXLog via Logstash writes it (empire_launcher_vbs): ``ProcessId``, the pid all other events spell so."""


def _log_cleared(data: Data, fields: Fields) -> str:
    _put_account(fields, data, _SUBJECT)
    channel = value_of(data, "Channel")
    if channel is not None and str(channel).strip():
        fields["winlog.cleared_channel"] = str(channel).strip()
    return LOG_CLEARED


def _security_4663(data: Data, fields: Fields) -> str:
    _put_object_process(fields, data)
    _put_account(fields, data, _SUBJECT)
    object_type = str(value_of(data, "ObjectType") or "").strip()
    if object_type:
        fields["winlog.object.type"] = object_type
    mask = value_of(data, "AccessMask")
    if mask is not None and str(mask).strip():
        fields["winlog.object.access_mask"] = str(mask).strip().lower()
    name = value_of(data, "ObjectName")
    if name is None or not str(name).strip():
        return "winsec:object_access"
    if object_type.lower() == "file":
        put_file(fields, name)
    elif object_type.lower() == "key":
        fields["registry.path"] = str(name)
    else:
        fields["winlog.object.name"] = str(name)
    return "winsec:object_access"


def _security_5156(data: Data, fields: Fields) -> str:
    _put_wfp_process(fields, data)
    if "process.pid" not in fields:  # without its pid a 5156 joins no process: a node of its own
        _put_wfp_process_id(fields, data)
    direction = value_of(data, "Direction")
    if direction is not None:
        word = _DIRECTIONS.get(str(direction).strip().lower())
        if word is not None:
            fields["network.direction"] = word
    protocol = value_of(data, "Protocol")
    if protocol is not None:
        text = str(protocol).strip()
        fields["network.transport"] = _TRANSPORTS.get(text, text.lower())
    # Source and Dest are the connection's initiator and responder, as Sysmon 3 writes them: an
    # inbound connection's remote end is the source (MORDORDC's dns.exe, inbound: Source
    # 172.18.39.5:63162, Dest 172.18.38.5:53, its own).  No host.ip: the IP map learns a host's
    # addresses from Sysmon 3, not from this event (an inbound broadcast's destination is the
    # subnet's broadcast address).
    put_ip(fields, "source.ip", value_of(data, "SourceAddress"))
    put_port(fields, "source.port", value_of(data, "SourcePort"))
    put_ip(fields, "destination.ip", value_of(data, "DestAddress"))
    put_port(fields, "destination.port", value_of(data, "DestPort"))
    return "winsec:network_connect"


SECURITY_AUDIT_MAPPERS: dict[int, Mapper] = {1102: _log_cleared, 4663: _security_4663, 5156: _security_5156}
"""Security event id -> mapper, for the events of this module."""

SYSTEM_AUDIT_MAPPERS: dict[int, Mapper] = {104: _log_cleared}
"""System event id -> mapper (the Eventlog service's "log cleared")."""
