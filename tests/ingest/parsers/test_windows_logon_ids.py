"""4624 keeps ``TargetLogonId`` and 4662 ``SubjectLogonId`` in every Windows shape (task INGF item 1).

Before, both were read and dropped, so a domain controller's 4662 (the AD FS DKM key read) could not
be tied to the 4624 that opened its session (:mod:`analytics.adfs_key_reads`).  Both land in
``winlog.logon.id``, the session of the event's ``user.name``, as Sysmon 1's ``LogonId`` and MDE's
``LogonId`` do: lower-case hex text, so the XML's ``0x8f0f2cd7`` and the message's ``0x8F0F2CD7`` are
one session.  Records written for this test after Windows' event data and rendered messages.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from graphsiem.model import Event
from ingest.parsers.base import ParseContext
from ingest.parsers.syslog import parse_syslog_text
from ingest.registry import default_registry
from tests.ingest.parsers.windows_xml_render import render

LOGON = {"SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-", "SubjectLogonId": "0x0",
         "TargetUserSid": "S-1-5-21-1-2-3-1104", "TargetUserName": "eve", "TargetDomainName": "CORP",
         "TargetLogonId": "0x8F0F2CD7", "LogonType": "3", "LogonProcessName": "Kerberos",
         "AuthenticationPackageName": "Kerberos", "WorkstationName": "-",
         "LogonGuid": "{6D0A7C1B-0E4A-4B7E-9C3A-2F1E0D9C8B7A}", "TransmittedServices": "-",
         "LmPackageName": "-", "KeyLength": "0", "ProcessId": "0x0", "ProcessName": "-",
         "IpAddress": "10.1.2.5", "IpPort": "50123", "ImpersonationLevel": "%%1833"}

OPERATION = {"SubjectUserSid": "S-1-5-21-1-2-3-1104", "SubjectUserName": "eve", "SubjectDomainName": "CORP",
             "SubjectLogonId": "0x8F0F2CD7", "ObjectServer": "DS",
             "ObjectType": "%{5cb41ed0-0e4c-11d0-a286-00aa003049e2}",
             "ObjectName": "%{9736f74f-fd37-4b02-80e8-8120a72ad6c2}", "OperationType": "Object Access",
             "HandleId": "0x0", "AccessList": "%%7684\r\n", "AccessMask": "0x10",
             "Properties": "%%7684\r\n{77b5b886-944a-11d1-aebd-0000f80367c1}\r\n"
                           "{8d3bca50-1d7e-11d0-a081-00aa006c33ed}\r\n{5cb41ed0-0e4c-11d0-a286-00aa003049e2}\r\n",
             "AdditionalInfo": "-", "AdditionalInfo2": ""}

_WHEN = "2026-03-02T14:20:01.000Z"


def _evtx(event_id: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"Event": {"System": {"EventID": event_id, "Channel": "Security", "Computer": "DC01.corp.example",
                                 "TimeCreated": {"#attributes": {"SystemTime": "2026-03-02T14:20:01.0Z"}},
                                 "EventRecordID": 7},
                      "EventData": data}}


def _shapes(event_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """One event in each JSON and XML shape a Windows parser reads."""
    evtx = _evtx(event_id, data)
    return {
        "winlogbeat6": {"@timestamp": _WHEN, "beat": {"version": "6.7.0"}, "computer_name": "DC01.corp.example",
                        "event_id": event_id, "log_name": "Security", "record_number": "7", "event_data": data},
        "winlogbeat7": {"@timestamp": _WHEN, "agent": {"type": "winlogbeat", "version": "7.17.0"},
                        "winlog": {"computer_name": "DC01.corp.example", "event_id": event_id,
                                   "channel": "Security", "record_id": 7, "event_data": data}},
        "winlogbeat8": {"@timestamp": _WHEN, "agent": {"type": "winlogbeat", "version": "8.11.0"},
                        "event": {"code": str(event_id)},
                        "winlog": {"computer_name": "DC01.corp.example", "event_id": str(event_id),
                                   "channel": "Security", "record_id": 7, "event_data": data}},
        "evtx_dump": evtx,
        "xml": render(evtx, "wevtutil"),
        "nxlog": {"EventTime": "2026-03-02 09:20:01", "Hostname": "DC01.corp.example", "EventID": event_id,
                  "Channel": "Security", "@timestamp": _WHEN, "RecordNumber": 7, **data},
        "sentinel": {"TimeGenerated": _WHEN, "Computer": "DC01.corp.example", "EventID": str(event_id),
                     "Type": "SecurityEvent", "Activity": f"{event_id} - event", **data},
    }


_LOGON_EN = ("An account was successfully logged on. Subject: Security ID: S-1-0-0 Account Name: - "
             "Account Domain: - Logon ID: 0x0 Logon Information: Logon Type: 3 Restricted Admin Mode: - "
             "Virtual Account: No Elevated Token: No Impersonation Level: Impersonation "
             "New Logon: Security ID: S-1-5-21-1-2-3-1104 Account Name: eve Account Domain: CORP "
             "Logon ID: 0x8F0F2CD7 Linked Logon ID: 0x0 Network Account Name: - Network Account Domain: - "
             "Logon GUID: {6D0A7C1B-0E4A-4B7E-9C3A-2F1E0D9C8B7A} Process Information: Process ID: 0x0 "
             "Process Name: - Network Information: Workstation Name: - Source Network Address: 10.1.2.5 "
             "Source Port: 50123 Detailed Authentication Information: Logon Process: Kerberos "
             "Authentication Package: Kerberos Transited Services: - Package Name (NTLM only): - Key Length: 0 "
             "This event is generated when a logon session is created.")
_LOGON_DE = ("Ein Konto wurde erfolgreich angemeldet. Antragsteller: Sicherheits-ID: S-1-0-0 Kontoname: - "
             "Kontodomäne: - Anmelde-ID: 0x0 Anmeldeinformationen: Anmeldetyp: 3 "
             "Eingeschränkter Administratormodus: - Virtuelles Konto: Nein Erweitertes Token: Nein "
             "Identitätswechselebene: Identitätswechsel Neue Anmeldung: Sicherheits-ID: S-1-5-21-1-2-3-1104 "
             "Kontoname: eve Kontodomäne: CORP Anmelde-ID: 0x8F0F2CD7 Verknüpfte Anmelde-ID: 0x0 "
             "Netzwerk-Kontoname: - Netzwerk-Kontodomäne: - Anmelde-GUID: {6D0A7C1B-0E4A-4B7E-9C3A-2F1E0D9C8B7A} "
             "Prozessinformationen: Prozess-ID: 0x0 Prozessname: - Netzwerkinformationen: "
             "Arbeitsstationsname: - Quellnetzwerkadresse: 10.1.2.5 Quellport: 50123 "
             "Detaillierte Authentifizierungsinformationen: Anmeldeprozess: Kerberos "
             "Authentifizierungspaket: Kerberos Übertragene Dienste: - Paketname (nur NTLM): - Schlüssellänge: 0 "
             "Dieses Ereignis wird beim Erstellen einer Anmeldesitzung generiert.")
_LOGON_CLASSIC = (
    "03/02/2026 02:20:01 PM\nLogName=Security\nEventCode=4624\nEventType=0\nComputerName=DC01.corp.example\n"
    "SourceName=Microsoft Windows security auditing.\nType=Information\nRecordNumber=7\n"
    "Keywords=Audit Success\nTaskCategory=Logon\nOpCode=Info\nMessage=An account was successfully logged on.\n\n"
    "Subject:\n\tSecurity ID:\t\tS-1-0-0\n\tAccount Name:\t\t-\n\tAccount Domain:\t\t-\n\tLogon ID:\t\t0x0\n\n"
    "Logon Information:\n\tLogon Type:\t\t3\n\tRestricted Admin Mode:\t-\n\tVirtual Account:\t\tNo\n"
    "\tElevated Token:\t\tNo\n\nImpersonation Level:\t\tImpersonation\n\n"
    "New Logon:\n\tSecurity ID:\t\tS-1-5-21-1-2-3-1104\n\tAccount Name:\t\teve\n\tAccount Domain:\t\tCORP\n"
    "\tLogon ID:\t\t0x8F0F2CD7\n\tLinked Logon ID:\t\t0x0\n\tNetwork Account Name:\t-\n"
    "\tNetwork Account Domain:\t-\n\tLogon GUID:\t\t{6D0A7C1B-0E4A-4B7E-9C3A-2F1E0D9C8B7A}\n\n"
    "Process Information:\n\tProcess ID:\t\t0x0\n\tProcess Name:\t\t-\n\n"
    "Network Information:\n\tWorkstation Name:\t-\n\tSource Network Address:\t10.1.2.5\n\tSource Port:\t\t50123\n\n"
    "Detailed Authentication Information:\n\tLogon Process:\t\tKerberos\n\tAuthentication Package:\tKerberos\n"
    "\tTransited Services:\t-\n\tPackage Name (NTLM only):\t-\n\tKey Length:\t\t0")
_OPERATION_CLASSIC = (
    "03/02/2026 02:20:01 PM\nLogName=Security\nEventCode=4662\nEventType=0\nComputerName=DC01.corp.example\n"
    "SourceName=Microsoft Windows security auditing.\nType=Information\nRecordNumber=7\n"
    "Keywords=Audit Success\nTaskCategory=Directory Service Access\nOpCode=Info\n"
    "Message=An operation was performed on an object.\n\n"
    "Subject :\n\tSecurity ID:\t\tS-1-5-21-1-2-3-1104\n\tAccount Name:\t\teve\n\tAccount Domain:\t\tCORP\n"
    "\tLogon ID:\t\t0x8F0F2CD7\n\n"
    "Object:\n\tObject Server:\t\tDS\n\tObject Type:\t\t%{5cb41ed0-0e4c-11d0-a286-00aa003049e2}\n"
    "\tObject Name:\t\t%{9736f74f-fd37-4b02-80e8-8120a72ad6c2}\n\tHandle ID:\t\t0x0\n\n"
    "Operation:\n\tOperation Type:\t\tObject Access\n\tAccesses:\t\tRead Property\n\t\t\t\t\n"
    "\tAccess Mask:\t\t0x10\n\tProperties:\t\tRead Property\n\t{77b5b886-944a-11d1-aebd-0000f80367c1}\n"
    "\t{8d3bca50-1d7e-11d0-a081-00aa006c33ed}\n\t{5cb41ed0-0e4c-11d0-a286-00aa003049e2}\n\n\n"
    "Additional Information:\n\tParameter 1:\t\t-\n\tParameter 2:\t\t")


def _cee(event_id: int, data: dict[str, Any]) -> str:
    return ("<14>1 2026-03-02T14:20:01Z DC01.corp.example nxlog - - - @cee: "
            + json.dumps({"EventID": event_id, "Hostname": "DC01.corp.example", "Channel": "Security",
                          "EventTime": "2026-03-02 14:20:01", **data}))


LOGONS: dict[str, Any] = {**_shapes(4624, LOGON), "splunk_classic_text": _LOGON_CLASSIC}
LOGON_LINES = {
    "syslog_text": "<13>1 2026-03-02T14:20:01Z DC01.corp.example EvntSLog - - - " + _LOGON_EN,
    "syslog_text_german": "<13>1 2026-03-02T14:20:01Z DC01.corp.example EvntSLog - - - " + _LOGON_DE,
    "syslog_cee": _cee(4624, LOGON),
}
OPERATIONS: dict[str, Any] = {**_shapes(4662, OPERATION), "splunk_classic_text": _OPERATION_CLASSIC}
OPERATION_LINES = {"syslog_cee": _cee(4662, OPERATION)}


def parse(record: Any) -> Event:
    (event,) = default_registry().detect(record).parse(record, ParseContext(origin="t"))
    return event


def parse_line(line: str) -> Event:
    return parse_syslog_text(line, ParseContext(origin="t"))


@pytest.mark.parametrize("shape", [*LOGONS, *LOGON_LINES])
def test_every_shape_keeps_the_4624_target_logon_id(shape: str) -> None:
    event = parse(LOGONS[shape]) if shape in LOGONS else parse_line(LOGON_LINES[shape])
    assert (event.kind, event.host, event.fields["user.name"]) == ("winsec:logon", "dc01", "corp\\eve")
    assert event.fields["winlog.logon.id"] == "0x8f0f2cd7"


@pytest.mark.parametrize("shape", [*OPERATIONS, *OPERATION_LINES])
def test_every_shape_keeps_the_4662_subject_logon_id(shape: str) -> None:
    event = parse(OPERATIONS[shape]) if shape in OPERATIONS else parse_line(OPERATION_LINES[shape])
    assert (event.kind, event.host, event.fields["user.name"]) == ("winsec:object_operation", "dc01", "corp\\eve")
    assert event.fields["winlog.logon.id"] == "0x8f0f2cd7"
    assert "thumbnailPhoto" in event.fields["winlog.object.property_names"]


def test_an_unset_logon_id_is_none() -> None:
    assert "winlog.logon.id" not in parse(dict(LOGONS["nxlog"], TargetLogonId="-")).fields
    assert "winlog.logon.id" not in parse(dict(OPERATIONS["nxlog"], SubjectLogonId="")).fields
