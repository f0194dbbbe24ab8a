"""4625 keeps which protocol refused the log-on, in every Windows shape (task CRED6 item 1).

Before, a 4625's ``AuthenticationPackageName`` and ``LogonProcessName`` were read and dropped, so the
credential companions (:mod:`analytics.credential_companions`) could not tell an NTLM failure (the
same try as a DC's 4776) from a Kerberos or Negotiate one.  Records written for this test after
Windows' 4625 event data and its rendered message (English and German), one event in each shape.
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

DATA = {"SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-", "SubjectLogonId": "0x0",
        "TargetUserSid": "S-1-0-0", "TargetUserName": "alice", "TargetDomainName": "CORP",
        "Status": "0xC000006D", "FailureReason": "%%2313", "SubStatus": "0xC000006A", "LogonType": "3",
        "LogonProcessName": "NtLmSsp ", "AuthenticationPackageName": "NTLM", "WorkstationName": "KALI",
        "TransmittedServices": "-", "LmPackageName": "-", "KeyLength": "0", "ProcessId": "0x0",
        "ProcessName": "-", "IpAddress": "203.0.113.9", "IpPort": "0"}

_EVTX = {"Event": {"System": {"EventID": 4625, "Channel": "Security", "Computer": "SRV01.corp.example",
                              "TimeCreated": {"#attributes": {"SystemTime": "2026-03-02T14:20:01.0Z"}},
                              "EventRecordID": 7},
                   "EventData": DATA}}

_EN = ("An account failed to log on. Subject: Security ID: S-1-0-0 Account Name: - Account Domain: - "
       "Logon ID: 0x0 Logon Type: 3 Account For Which Logon Failed: Security ID: S-1-0-0 Account Name: alice "
       "Account Domain: CORP Failure Information: Failure Reason: Unknown user name or bad password. "
       "Status: 0xC000006D Sub Status: 0xC000006A Process Information: Caller Process ID: 0x0 "
       "Caller Process Name: - Network Information: Workstation Name: KALI Source Network Address: 203.0.113.9 "
       "Source Port: 0 Detailed Authentication Information: Logon Process: NtLmSsp Authentication Package: NTLM "
       "Transited Services: - Package Name (NTLM only): - Key Length: 0 "
       "This event is generated when a logon request fails.")
_DE = ("Fehler beim Anmelden eines Kontos. Antragsteller: Sicherheits-ID: S-1-0-0 Kontoname: - "
       "Kontodomäne: - Anmelde-ID: 0x0 Anmeldetyp: 3 Konto, für das die Anmeldung fehlgeschlagen ist: "
       "Sicherheits-ID: S-1-0-0 Kontoname: alice Kontodomäne: CORP Fehlerinformationen: "
       "Fehlerursache: %%2313 Status: 0xC000006D Unterstatus: 0xC000006A Prozessinformationen: "
       "Aufrufprozess-ID: 0x0 Aufrufprozessname: - Netzwerkinformationen: Arbeitsstationsname: KALI "
       "Quellnetzwerkadresse: 203.0.113.9 Quellport: 0 Detaillierte Authentifizierungsinformationen: "
       "Anmeldeprozess: NtLmSsp Authentifizierungspaket: NTLM Durchlaufene Dienste: - "
       "Paketname (nur NTLM): - Schlüssellänge: 0 "
       "Dieses Ereignis wird generiert, wenn eine Anmeldeanforderung fehlschlägt.")
_CLASSIC = (
    "03/02/2026 02:20:01 PM\nLogName=Security\nEventCode=4625\nEventType=0\nComputerName=SRV01.corp.example\n"
    "SourceName=Microsoft Windows security auditing.\nType=Information\nRecordNumber=7\n"
    "Keywords=Audit Failure\nTaskCategory=Logon\nOpCode=Info\nMessage=An account failed to log on.\n\n"
    "Subject:\n\tSecurity ID:\t\tS-1-0-0\n\tAccount Name:\t\t-\n\tAccount Domain:\t\t-\n\tLogon ID:\t\t0x0\n\n"
    "Logon Type:\t\t\t3\n\nAccount For Which Logon Failed:\n\tSecurity ID:\t\tS-1-0-0\n\tAccount Name:\t\talice\n"
    "\tAccount Domain:\t\tCORP\n\nFailure Information:\n\tFailure Reason:\t\tUnknown user name or bad password.\n"
    "\tStatus:\t\t\t0xC000006D\n\tSub Status:\t\t0xC000006A\n\nProcess Information:\n\tCaller Process ID:\t0x0\n"
    "\tCaller Process Name:\t-\n\nNetwork Information:\n\tWorkstation Name:\tKALI\n"
    "\tSource Network Address:\t203.0.113.9\n\tSource Port:\t\t0\n\nDetailed Authentication Information:\n"
    "\tLogon Process:\t\tNtLmSsp \n\tAuthentication Package:\tNTLM\n\tTransited Services:\t-\n"
    "\tPackage Name (NTLM only):\t-\n\tKey length:\t\t0")

RECORDS: dict[str, Any] = {
    "winlogbeat6": {"@timestamp": "2026-03-02T14:20:01.000Z", "beat": {"version": "6.7.0"},
                    "computer_name": "SRV01.corp.example", "event_id": 4625, "log_name": "Security",
                    "record_number": "7", "event_data": DATA},
    "winlogbeat7": {"@timestamp": "2026-03-02T14:20:01.000Z", "agent": {"type": "winlogbeat", "version": "7.17.0"},
                    "winlog": {"computer_name": "SRV01.corp.example", "event_id": 4625, "channel": "Security",
                               "record_id": 7, "event_data": DATA}},
    "winlogbeat8": {"@timestamp": "2026-03-02T14:20:01.000Z", "agent": {"type": "winlogbeat", "version": "8.11.0"},
                    "event": {"code": "4625", "outcome": "failure"},
                    "winlog": {"computer_name": "SRV01.corp.example", "event_id": "4625", "channel": "Security",
                               "record_id": 7, "event_data": DATA},
                    "message": "An account failed to log on."},
    "evtx_dump": _EVTX,
    "xml": render(_EVTX, "wevtutil"),
    "nxlog": {"EventTime": "2026-03-02 09:20:01", "Hostname": "SRV01.corp.example", "EventID": 4625,
              "Channel": "Security", "@timestamp": "2026-03-02T14:20:01.000Z", "RecordNumber": 7, **DATA},
    "sentinel": {"TimeGenerated": "2026-03-02T14:20:01.000Z", "Computer": "SRV01.corp.example", "EventID": "4625",
                 "Type": "SecurityEvent", "Activity": "4625 - An account failed to log on.", **DATA},
    "splunk_classic_text": _CLASSIC,
}

SYSLOG_LINES = {
    "syslog_text": "<13>1 2026-03-02T14:20:01Z SRV01.corp.example EvntSLog - - - " + _EN,
    "syslog_text_german": "<13>1 2026-03-02T14:20:01Z SRV01.corp.example EvntSLog - - - " + _DE,
    "syslog_cee": ("<14>1 2026-03-02T14:20:01Z SRV01.corp.example nxlog - - - @cee: "
                   + json.dumps({"EventID": 4625, "Hostname": "SRV01.corp.example", "Channel": "Security",
                                 "EventTime": "2026-03-02 14:20:01", **DATA})),
}


def parse(record: Any) -> Event:
    (event,) = default_registry().detect(record).parse(record, ParseContext(origin="t"))
    return event


def parse_line(line: str) -> Event:
    return parse_syslog_text(line, ParseContext(origin="t"))


@pytest.mark.parametrize("shape", [*RECORDS, *SYSLOG_LINES])
def test_every_shape_keeps_the_package_and_the_logon_process(shape: str) -> None:
    event = parse(RECORDS[shape]) if shape in RECORDS else parse_line(SYSLOG_LINES[shape])
    assert (event.kind, event.host) == ("winsec:logon_failed", "srv01")
    fields = event.fields
    assert (fields["winlog.logon.authentication_package"], fields["winlog.logon.logon_process"]) == ("NTLM", "NtLmSsp")
    assert (fields["winlog.logon.failure.status"], fields["winlog.logon.failure.sub_status"]) == (
        "0xc000006d", "0xc000006a")


def test_a_kerberos_failure_says_kerberos_and_an_unsaid_package_is_none() -> None:
    kerberos = dict(RECORDS["nxlog"], AuthenticationPackageName="Kerberos", LogonProcessName="Kerberos")
    assert parse(kerberos).fields["winlog.logon.authentication_package"] == "Kerberos"
    unsaid = dict(RECORDS["nxlog"], AuthenticationPackageName="-", LogonProcessName=["NtLmSsp "])
    fields = parse(unsaid).fields
    assert "winlog.logon.authentication_package" not in fields and fields["winlog.logon.logon_process"] == "NtLmSsp"
