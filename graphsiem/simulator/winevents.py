"""Windows events (Sysmon, PowerShell, Security) as their providers write them.

A :class:`WinEvent` holds what the Windows event log holds: channel, event id,
provider, and the ``EventData`` fields as strings in schema order.  The
collectors (Winlogbeat, NXLog) only re-shape it; they never invent data.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from graphsiem.simulator.timefmt import utc_text

SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
POWERSHELL_CHANNEL = "Microsoft-Windows-PowerShell/Operational"
SECURITY_CHANNEL = "Security"
SYSTEM_CHANNEL = "System"


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    guid: str


SYSMON = Provider("Microsoft-Windows-Sysmon", "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}")
POWERSHELL = Provider("Microsoft-Windows-PowerShell", "{a0c1853b-5c40-4b15-8766-3cf1c58f985a}")
SECURITY = Provider("Microsoft-Windows-Security-Auditing", "{54849625-5478-4994-a5ba-3e3b0328c30d}")
SERVICE_CONTROL_MANAGER = Provider("Service Control Manager", "{555908d1-a6d7-4695-8e1e-26931d2012f4}")

SYSTEM_ACCOUNT = ("NT AUTHORITY", "SYSTEM", "S-1-5-18")

_TASKS = {
    1: "Process Create (rule: ProcessCreate)",
    3: "Network connection detected (rule: NetworkConnect)",
    6: "Driver loaded (rule: DriverLoad)",
    7: "Image loaded (rule: ImageLoad)",
    10: "Process accessed (rule: ProcessAccess)",
    11: "File created (rule: FileCreate)",
    22: "Dns query (rule: DnsQuery)",
}
_SYSMON_VERSIONS = {1: 5, 3: 5, 6: 4, 7: 3, 10: 3, 11: 2, 22: 5}


@dataclass(slots=True)
class WinEvent:
    """One Windows event record.

    Attributes
    ----------
    ts : float
        Event time on the endpoint's clock (skew applied), epoch seconds.
    data : dict
        ``EventData`` name -> string value, in the provider's schema order.
    account : tuple
        ``(domain, name, sid)`` of the event's user (``winlog.user`` / NXLog ``AccountName``).
    process_id : int or None
        ``System/Execution/@ProcessID``, the process that wrote the event (``winlog.process.pid`` /
        NXLog ``ExecutionProcessID``): a PowerShell event's is the PowerShell process whose engine
        ran the block, a Security event's LSASS, a Service Control Manager event's services.exe.
        None for a provider whose writer the simulation has no process of (Sysmon's own service):
        the collectors give it one stable pid per host and provider.
    audit_failure : bool
        The collectors write ``Audit Failure`` and outcome ``failure`` instead of ``Audit Success``.
    """

    ts: float
    channel: str
    event_id: int
    provider: Provider
    task: str
    opcode: str
    version: int
    level: str
    data: dict[str, str]
    account: tuple[str, str, str]
    process_id: int | None = None
    audit_failure: bool = False
    """A Security audit of a refused request (4625, a failed 4776): keyword ``Audit Failure``."""


def sysmon(ts: float, event_id: int, data: dict[str, str]) -> WinEvent:
    """A Sysmon event; ``data`` must already start with ``RuleName``/``UtcTime``."""
    return WinEvent(ts, SYSMON_CHANNEL, event_id, SYSMON, _TASKS[event_id], "Info",
                    _SYSMON_VERSIONS[event_id], "information", data, SYSTEM_ACCOUNT)


def process_create(ts: float, proc, parent, *, logon_guid: str, logon_id: str) -> WinEvent:
    """Sysmon 1 for ``proc`` (a :class:`~graphsiem.simulator.context.Proc`) spawned by ``parent``."""
    binary = proc.binary
    return sysmon(ts, 1, {
        "RuleName": "-",
        "UtcTime": utc_text(ts),
        "ProcessGuid": proc.guid,
        "ProcessId": str(proc.pid),
        "Image": proc.image,
        "FileVersion": binary.version,
        "Description": binary.description,
        "Product": binary.product,
        "Company": binary.company,
        "OriginalFileName": binary.original_file_name,
        "CommandLine": proc.command_line,
        "CurrentDirectory": proc.current_directory,
        "User": proc.user,
        "LogonGuid": logon_guid,
        "LogonId": logon_id,
        "TerminalSessionId": "0" if proc.user.startswith("NT AUTHORITY") else "1",
        "IntegrityLevel": proc.integrity,
        "Hashes": binary.hashes,
        "ParentProcessGuid": parent.guid,
        "ParentProcessId": str(parent.pid),
        "ParentImage": parent.image,
        "ParentCommandLine": parent.command_line,
        "ParentUser": parent.user,
    })


def network_connect(ts: float, proc, *, protocol: str, source_ip: str, source_port: int,
                    destination_ip: str, destination_port: int, destination_hostname: str) -> WinEvent:
    """Sysmon 3, an outbound connection initiated by ``proc``."""
    return sysmon(ts, 3, {
        "RuleName": "-",
        "UtcTime": utc_text(ts),
        "ProcessGuid": proc.guid,
        "ProcessId": str(proc.pid),
        "Image": proc.image,
        "User": proc.user,
        "Protocol": protocol,
        "Initiated": "true",
        "SourceIsIpv6": "false",
        "SourceIp": source_ip,
        "SourceHostname": "-",
        "SourcePort": str(source_port),
        "SourcePortName": "-",
        "DestinationIsIpv6": "false",
        "DestinationIp": destination_ip,
        "DestinationHostname": destination_hostname or "-",
        "DestinationPort": str(destination_port),
        "DestinationPortName": {443: "https", 80: "http", 445: "microsoft-ds"}.get(destination_port, "-"),
    })


def image_load(ts: float, proc, binary) -> WinEvent:
    """Sysmon 7, ``proc`` loaded the module ``binary``."""
    return sysmon(ts, 7, {
        "RuleName": "-",
        "UtcTime": utc_text(ts),
        "ProcessGuid": proc.guid,
        "ProcessId": str(proc.pid),
        "Image": proc.image,
        "ImageLoaded": binary.path,
        "FileVersion": binary.version,
        "Description": binary.description,
        "Product": binary.product,
        "Company": binary.company,
        "OriginalFileName": binary.original_file_name,
        "Hashes": binary.hashes,
        "Signed": "true" if binary.company != "-" else "false",
        "Signature": binary.company if binary.company != "-" else "-",
        "SignatureStatus": "Valid" if binary.company != "-" else "Unavailable",
        "User": proc.user,
    })


def driver_load(ts: float, binary) -> WinEvent:
    """Sysmon 6, the kernel loaded the driver ``binary`` (no process: the event names only the file)."""
    signed = binary.company != "-"
    return sysmon(ts, 6, {
        "RuleName": "-",
        "UtcTime": utc_text(ts),
        "ImageLoaded": binary.path,
        "Hashes": binary.hashes,
        "Signed": "true" if signed else "false",
        "Signature": binary.company if signed else "-",
        "SignatureStatus": "Valid" if signed else "Unavailable",
    })


def process_access(ts: float, proc, target, *, granted_access: str, thread_id: int) -> WinEvent:
    """Sysmon 10, ``proc`` opened a handle to ``target`` (typically LSASS)."""
    return sysmon(ts, 10, {
        "RuleName": "-",
        "UtcTime": utc_text(ts),
        "SourceProcessGUID": proc.guid,
        "SourceProcessId": str(proc.pid),
        "SourceThreadId": str(thread_id),
        "SourceImage": proc.image,
        "TargetProcessGUID": target.guid,
        "TargetProcessId": str(target.pid),
        "TargetImage": target.image,
        "GrantedAccess": granted_access,
        "CallTrace": "C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|UNKNOWN(00007FF8A1B2C3D4)",
        "SourceUser": proc.user,
        "TargetUser": target.user,
    })


def file_create(ts: float, proc, path: str) -> WinEvent:
    """Sysmon 11, ``proc`` created ``path``."""
    return sysmon(ts, 11, {
        "RuleName": "-",
        "UtcTime": utc_text(ts),
        "ProcessGuid": proc.guid,
        "ProcessId": str(proc.pid),
        "Image": proc.image,
        "TargetFilename": path,
        "CreationUtcTime": utc_text(ts),
        "User": proc.user,
    })


def dns_query(ts: float, proc, *, name: str, answers: list[str]) -> WinEvent:
    """Sysmon 22, ``proc`` resolved ``name``; answers in Sysmon's ``::ffff:a.b.c.d;`` form."""
    return sysmon(ts, 22, {
        "RuleName": "-",
        "UtcTime": utc_text(ts),
        "ProcessGuid": proc.guid,
        "ProcessId": str(proc.pid),
        "QueryName": name,
        "QueryStatus": "0",
        "QueryResults": "".join(f"::ffff:{ip};" for ip in answers),
        "Image": proc.image,
        "User": proc.user,
    })


def script_block(ts: float, *, text: str, block_id: str, path: str, account: tuple[str, str, str],
                 pid: int) -> WinEvent:
    """PowerShell 4104, a script block compiled by the engine (one part) of the process ``pid``.

    The PowerShell provider logs from inside the host process, so the event's execution pid is
    that process's (``powershell.exe``, or a renamed copy of it), as on a real endpoint.
    """
    return WinEvent(ts, POWERSHELL_CHANNEL, 4104, POWERSHELL, "Execute a Remote Command",
                    "On create calls", 1, "warning" if "IEX" in text or "-enc" in text else "verbose",
                    {"MessageNumber": "1", "MessageTotal": "1", "ScriptBlockText": text,
                     "ScriptBlockId": block_id, "Path": path},
                    account, pid)


def logon(ts: float, *, logon_type: int, target: tuple[str, str, str], target_logon_id: str,
          workstation: str, ip: str, port: int, logon_guid: str, process: tuple[str, str],
          ntlm: bool = False) -> WinEvent:
    """Security 4624, a successful logon of ``target`` (``(domain, name, sid)``); a network logon
    authenticated by Kerberos, or by NTLM (v2) with ``ntlm``."""
    package = "NTLM" if ntlm else "Kerberos" if logon_type == 3 else "Negotiate"
    pid, process_name = process
    return WinEvent(ts, SECURITY_CHANNEL, 4624, SECURITY, "Logon", "Info", 2, "information", {
        "SubjectUserSid": "S-1-5-18" if logon_type != 3 else "S-1-0-0",
        "SubjectUserName": "-" if logon_type == 3 else "SYSTEM",
        "SubjectDomainName": "-" if logon_type == 3 else "NT AUTHORITY",
        "SubjectLogonId": "0x0" if logon_type == 3 else "0x3e7",
        "TargetUserSid": target[2],
        "TargetUserName": target[1],
        "TargetDomainName": target[0],
        "TargetLogonId": target_logon_id,
        "LogonType": str(logon_type),
        "LogonProcessName": "NtLmSsp " if ntlm else "Kerberos" if logon_type == 3 else "User32 ",
        "AuthenticationPackageName": package,
        "WorkstationName": workstation,
        "LogonGuid": logon_guid,
        "TransmittedServices": "-",
        "LmPackageName": "NTLM V2" if ntlm else "-",
        "KeyLength": "0",
        "ProcessId": pid,
        "ProcessName": process_name,
        "IpAddress": ip,
        "IpPort": str(port),
        "ImpersonationLevel": "%%1833",
        "RestrictedAdminMode": "-",
        "TargetOutboundUserName": "-",
        "TargetOutboundDomainName": "-",
        "VirtualAccount": "%%1843",
        "TargetLinkedLogonId": "0x0",
        "ElevatedToken": "%%1842",
    }, SYSTEM_ACCOUNT)


def _subject(subject: tuple[str, str, str], logon_id: str) -> dict[str, str]:
    domain, name, sid = subject
    return {"SubjectUserSid": sid, "SubjectUserName": name, "SubjectDomainName": domain,
            "SubjectLogonId": logon_id}


def service_installed(ts: float, *, name: str, image_path: str, service_type: str, start_type: str,
                      account: str, installer: tuple[str, str, str]) -> WinEvent:
    """System 7045, the Service Control Manager created a service (``installer`` is the event's user)."""
    return WinEvent(ts, SYSTEM_CHANNEL, 7045, SERVICE_CONTROL_MANAGER, "None", "Info", 0, "information", {
        "ServiceName": name,
        "ImagePath": image_path,
        "ServiceType": service_type,
        "StartType": start_type,
        "AccountName": account,
    }, installer)


_SERVICE_TYPE_CODES = {"kernel mode driver": "0x1", "file system driver": "0x2", "user mode service": "0x10",
                       "user mode service (shared)": "0x20"}
_START_TYPE_CODES = {"boot start": "0", "system start": "1", "auto start": "2", "demand start": "3", "disabled": "4"}
"""7045 writes a service's type and start type as words; 4697 as the codes behind them."""


def security_service_installed(ts: float, *, name: str, image_path: str, service_type: str,
                               start_type: str, account: str, subject: tuple[str, str, str],
                               logon_id: str) -> WinEvent:
    """Security 4697, a service was installed (audited "Security System Extension"; codes, not words)."""
    return WinEvent(ts, SECURITY_CHANNEL, 4697, SECURITY, "Security System Extension", "Info", 0, "information", {
        **_subject(subject, logon_id),
        "ServiceName": name,
        "ServiceFileName": image_path,
        "ServiceType": _SERVICE_TYPE_CODES.get(service_type.lower(), service_type),
        "ServiceStartType": _START_TYPE_CODES.get(start_type.lower(), start_type),
        "ServiceAccount": account,
    }, SYSTEM_ACCOUNT)


def task_registered(ts: float, *, name: str, content: str, subject: tuple[str, str, str], logon_id: str,
                    updated: bool = False) -> WinEvent:
    """Security 4698 (created) or 4702 (updated), a scheduled task and its XML definition."""
    event_id, field = (4702, "TaskContentNew") if updated else (4698, "TaskContent")
    return WinEvent(ts, SECURITY_CHANNEL, event_id, SECURITY, "Other Object Access Events", "Info", 0,
                    "information", {**_subject(subject, logon_id), "TaskName": name, field: content},
                    SYSTEM_ACCOUNT)


TRIGGER_ELEMENTS = {
    "daily": "<CalendarTrigger><StartBoundary>{start}</StartBoundary><Enabled>true</Enabled>"
             "<ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay></CalendarTrigger>",
    "time": "<TimeTrigger><StartBoundary>{start}</StartBoundary><Enabled>true</Enabled></TimeTrigger>",
    "boot": "<BootTrigger><Enabled>true</Enabled></BootTrigger>",
    "logon": "<LogonTrigger><Enabled>true</Enabled></LogonTrigger>",
}
"""Trigger kinds a scenario may name -> their element in a task definition."""


def task_xml(*, uri: str, registered: float, author: str, user_id: str, command: str, arguments: str,
             triggers: tuple[str, ...], hidden: bool, description: str = "") -> str:
    """A task definition as 4698/4702 write it in ``TaskContent``: the Task Scheduler's XML
    (schema 1.2, CRLF line ends), its text escaped as the scheduler escapes it."""
    def text(value: str) -> str:
        return escape(value, {'"': "&quot;"})

    registered_text = utc_text(registered)
    start = registered_text[:10] + "T" + registered_text[11:19]
    info = f"<Date>{start}</Date><Author>{text(author)}</Author>"
    if description:
        info += f"<Description>{text(description)}</Description>"
    lines = [
        '<?xml version="1.0" encoding="UTF-16"?>',
        '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">',
        f"  <RegistrationInfo>{info}<URI>{text(uri)}</URI></RegistrationInfo>",
        "  <Triggers>" + "".join(TRIGGER_ELEMENTS[kind].format(start=start) for kind in triggers) + "</Triggers>",
        f'  <Principals><Principal id="Author"><UserId>{text(user_id)}</UserId>'
        "<RunLevel>HighestAvailable</RunLevel></Principal></Principals>",
        "  <Settings><MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>"
        "<DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>"
        "<StopIfGoingOnBatteries>false</StopIfGoingOnBatteries><ExecutionTimeLimit>PT1H</ExecutionTimeLimit>"
        f"<Enabled>true</Enabled><Hidden>{'true' if hidden else 'false'}</Hidden></Settings>",
        '  <Actions Context="Author"><Exec><Command>' + text(command) + "</Command>"
        + (f"<Arguments>{text(arguments)}</Arguments>" if arguments else "") + "</Exec></Actions>",
        "</Task>",
    ]
    return "\r\n".join(lines)
