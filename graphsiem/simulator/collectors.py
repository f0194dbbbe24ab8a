"""Collector shapes: the same Windows event as Winlogbeat 8 and as NXLog (flat JSON) ship it.

Winlogbeat 8 (``winlogbeat`` ``file``/``logstash`` output, no ingest pipeline):
``winlog.*`` with ``event_data`` values as strings, ``winlog.event_id`` and
``record_id`` as strings, ``@timestamp`` ISO-8601 UTC.  The ``message`` field is
dropped, as many deployments do with ``drop_fields`` to halve the volume.

NXLog ``im_msvistalog`` with ``to_json()``: one flat object, ``EventData``
fields at top level next to NXLog's own (``Hostname``, ``EventID`` as an int,
``Keywords`` as a signed int64), ``EventTime``/``EventReceivedTime`` in the
collector's local zone with no zone marker.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from graphsiem.simulator.fleet import Host
from graphsiem.simulator.randomness import rng_for, windows_guid
from graphsiem.simulator.timefmt import iso_ms, utc_text
from graphsiem.simulator.winevents import SECURITY, SERVICE_CONTROL_MANAGER, SYSMON, WinEvent

WINLOGBEAT_VERSION = "8.11.1"
_OS = {"build": "19045.3693", "family": "windows", "kernel": "10.0.19041.3693 (WinBuild.160101.0800)",
       "name": "Windows 10 Enterprise", "platform": "windows", "type": "windows", "version": "10.0"}
_SERVER_OS = {**_OS, "build": "20348.2113", "name": "Windows Server 2022 Datacenter",
              "kernel": "10.0.20348.2113 (WinBuild.160101.0800)"}
# 0x8000000000000000 (Sysmon), Audit Success, Classic (the Service Control Manager)
_KEYWORDS = {SYSMON.name: -9223372036854775808, SECURITY.name: -9214364837600034816,
             SERVICE_CONTROL_MANAGER.name: -9187343239835811840}
_AUDIT_FAILURE_KEYWORDS = -9218868437227405312
"""0x8010000000000000, Audit Failure (a 4625, a refused 4776)."""
_SECURITY_TASKS = {4624: 12544, 4625: 12544, 4697: 12289, 4698: 12804, 4702: 12804, 4776: 14336}
"""Security event id -> its audit subcategory number (NXLog ``Task``): Logon, Security System
Extension, Other Object Access Events, Credential Validation."""
_SERVER_GROUPS = ("servers", "domain_controllers")


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_text(ts: float, zone: str) -> str:
    """NXLog's ``EventTime``: local wall-clock time, seconds, no zone."""
    if zone == "UTC":
        return utc_text(float(int(ts)))[:19]
    return datetime.fromtimestamp(ts, tz=_zone(zone)).strftime("%Y-%m-%d %H:%M:%S")


@lru_cache(maxsize=65536)
def _agent(short: str) -> tuple[str, str, str]:
    rng = rng_for(0, "agent", short)
    return windows_guid(rng)[1:-1], windows_guid(rng)[1:-1], windows_guid(rng)[1:-1]


def _service_pid(host: Host, provider: str) -> tuple[int, int]:
    rng = rng_for(host.index, "service-pid", provider)
    return rng.randrange(400, 9000, 4), rng.randrange(400, 12000, 4)


def _writer(event: WinEvent, host: Host) -> tuple[int, int]:
    """``(pid, thread id)`` of the process that wrote ``event``: the one the event names (a
    PowerShell block's is the PowerShell process that ran it), else the provider's service
    process, one per host (Sysmon's)."""
    pid, thread = _service_pid(host, event.provider.name)
    return (pid if event.process_id is None else event.process_id), thread


def to_winlogbeat(event: WinEvent, host: Host, record_id: int, shipped: float) -> dict[str, Any]:
    """The Winlogbeat 8 document of ``event`` from ``host``."""
    agent_id, ephemeral_id, machine_id = _agent(host.short)
    pid, thread = _writer(event, host)
    winlog: dict[str, Any] = {
        "api": "wineventlog",
        "channel": event.channel,
        "computer_name": host.computer_name,
        "event_data": event.data,
        "event_id": str(event.event_id),
        "opcode": event.opcode,
        "process": {"pid": pid, "thread": {"id": thread}},
        "provider_guid": event.provider.guid,
        "provider_name": event.provider.name,
        "record_id": str(record_id),
        "task": event.task,
        "version": event.version,
    }
    if event.provider is SECURITY:
        winlog["keywords"] = ["Audit Failure" if event.audit_failure else "Audit Success"]
    else:
        if event.provider is SERVICE_CONTROL_MANAGER:
            winlog["keywords"] = ["Classic"]
        domain, name, sid = event.account
        winlog["user"] = {"domain": domain, "identifier": sid, "name": name, "type": "User"}
    document: dict[str, Any] = {
        "@timestamp": iso_ms(event.ts),
        "agent": {"ephemeral_id": ephemeral_id, "id": agent_id, "name": host.upper,
                  "type": "winlogbeat", "version": WINLOGBEAT_VERSION},
        "ecs": {"version": "8.0.0"},
        "event": {"action": event.task, "code": str(event.event_id), "created": iso_ms(shipped),
                  "kind": "event", "provider": event.provider.name},
        "host": {"architecture": "x86_64", "hostname": host.short, "id": machine_id,
                 "name": host.short, "os": _SERVER_OS if host.group in _SERVER_GROUPS else _OS},
        "log": {"level": event.level},
        "winlog": winlog,
    }
    if event.provider is SECURITY:
        document["event"]["outcome"] = "failure" if event.audit_failure else "success"
    return document


def _nxlog_task(event: WinEvent) -> int:
    if event.provider is SECURITY:
        return _SECURITY_TASKS.get(event.event_id, 12544)
    if event.provider is SYSMON:
        return event.event_id
    return 0 if event.provider is SERVICE_CONTROL_MANAGER else 2


def to_nxlog(event: WinEvent, host: Host, record_id: int, shipped: float, zone: str) -> dict[str, Any]:
    """The flat NXLog JSON object of ``event`` from ``host``."""
    pid, thread = _writer(event, host)
    domain, name, sid = event.account
    is_audit = event.provider is SECURITY
    severity = "WARNING" if event.level == "warning" else "INFO"
    record: dict[str, Any] = {
        "EventTime": local_text(event.ts, zone),
        "Hostname": host.computer_name,
        "Keywords": _AUDIT_FAILURE_KEYWORDS if event.audit_failure else _KEYWORDS.get(event.provider.name, 0),
        "EventType": ("AUDIT_FAILURE" if event.audit_failure else "AUDIT_SUCCESS") if is_audit else severity,
        "SeverityValue": 3 if severity == "WARNING" else 2,
        "Severity": severity,
        "EventID": event.event_id,
        "SourceName": event.provider.name,
        "ProviderGuid": event.provider.guid.upper(),
        "Version": event.version,
        "Task": _nxlog_task(event),
        "OpcodeValue": 0 if event.opcode == "Info" else 15,
        "RecordNumber": record_id,
        "ExecutionProcessID": pid,
        "ThreadID": thread,
        "Channel": event.channel,
        "Category": event.task,
        "Opcode": event.opcode,
    }
    if not is_audit:
        record.update({"Domain": domain, "AccountName": name, "UserID": sid, "AccountType": "User"})
    for key, value in event.data.items():
        # EventData is set after the envelope: 7045's AccountName (the service's account) replaces
        # the envelope's AccountName (the installer), so the record says what the service runs as.
        record[key] = value
    record["EventReceivedTime"] = local_text(shipped, zone)
    record["SourceModuleName"] = "eventlog"
    record["SourceModuleType"] = "im_msvistalog"
    return record
