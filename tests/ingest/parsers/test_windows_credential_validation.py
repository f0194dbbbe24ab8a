"""Security 4776 from every Windows shape is the syslog text's ``winsec:credential_validation`` (task K2).

Before, only the EvntSLog text path mapped 4776; a Winlogbeat, evtx_dump, NXLog or Sentinel record
(and Splunk's classic text) kept it as ``windows:other``, so the same spray read from a DC's Windows
logs made no ``VALIDATED_AT`` edge.  Records written for this test after Windows' 4776 event data
(``PackageName``, ``TargetUserName``, ``Workstation``, ``Status``) and its rendered message.
"""

from __future__ import annotations

from typing import Any

import pytest

from graphsiem.model import Event
from ingest.parsers.base import ParseContext
from ingest.registry import default_registry

DATA = {"PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", "TargetUserName": "Alice",
        "Workstation": "YYGRHABRVPZNN8LB", "Status": "0xC000006A"}

RECORDS: dict[str, Any] = {
    "winlogbeat": {"@timestamp": "2026-03-02T14:20:01.000Z", "agent": {"type": "winlogbeat", "version": "8.11.0"},
                   "winlog": {"computer_name": "DC01.corp.example", "event_id": "4776", "channel": "Security",
                              "record_id": 7, "event_data": DATA},
                   "message": "The computer attempted to validate the credentials for an account."},
    "evtx_dump": {"Event": {"System": {"EventID": 4776, "Channel": "Security", "Computer": "DC01.corp.example",
                                       "TimeCreated": {"#attributes": {"SystemTime": "2026-03-02T14:20:01.0Z"}},
                                       "EventRecordID": 7},
                            "EventData": DATA}},
    "nxlog": {"EventTime": "2026-03-02 09:20:01", "Hostname": "DC01.corp.example", "EventID": 4776,
              "Channel": "Security", "@timestamp": "2026-03-02T14:20:01.000Z", **DATA},
    # a Sentinel row without its Channel: 4776 names the Security channel
    "sentinel": {"TimeGenerated": "2026-03-02T14:20:01.000Z", "Computer": "DC01.corp.example", "EventID": "4776",
                 "Type": "SecurityEvent", "Activity": "4776 - The computer attempted to validate", **DATA},
    "splunk_classic_text": (
        "03/02/2026 02:20:01 PM\nLogName=Security\nEventCode=4776\nEventType=0\nComputerName=DC01.corp.example\n"
        "SourceName=Microsoft Windows security auditing.\nType=Information\nRecordNumber=7\n"
        "Keywords=Audit Failure\nTaskCategory=Credential Validation\nOpCode=Info\n"
        "Message=The computer attempted to validate the credentials for an account.\n\n"
        "Authentication Package:\tMICROSOFT_AUTHENTICATION_PACKAGE_V1_0\nLogon Account:\tAlice\n"
        "Source Workstation:\tYYGRHABRVPZNN8LB\nError Code:\t0xC000006A"),
}


def parse(record: Any) -> Event:
    registry = default_registry()
    (event,) = registry.detect(record).parse(record, ParseContext(origin="t"))
    return event


@pytest.mark.parametrize("shape", list(RECORDS))
def test_every_shape_gives_the_credential_validation(shape: str) -> None:
    event = parse(RECORDS[shape])
    assert (event.kind, event.host) == ("winsec:credential_validation", "dc01")
    fields = event.fields
    assert (fields["event.code"], fields["user.name"], fields["source.workstation"]) == (
        "4776", "alice", "yygrhabrvpznn8lb")
    assert (fields["event.outcome"], fields["winlog.logon.failure.status"]) == ("failure", "0xc000006a")


@pytest.mark.parametrize(("status", "outcome"), [("0x0", "success"), (0, "success"), ("0xc0000064", "failure"),
                                                 ("junk", None)])
def test_the_error_code_is_the_outcome(status: object, outcome: str | None) -> None:
    record = dict(RECORDS["nxlog"], Status=status)
    event = parse(record)
    assert event.kind == "winsec:credential_validation"  # an unreadable code states no outcome, nothing else
    fields = event.fields
    assert fields.get("event.outcome") == outcome
    assert fields.get("winlog.logon.failure.status") == (status if outcome == "failure" else None)
