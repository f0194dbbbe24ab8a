"""Antivirus detections and other Windows text in syslog (task Q1): read, and on the sender host.

Symantec Endpoint Protection's ``Security Risk Found!`` / ``Virus Found!`` text, sent by EvntSLog,
becomes ``av:detection`` with the threat, file, action, result and scan; a Windows forwarder's line
no module reads further (Group Policy) still belongs to its HOSTNAME, through the Zeek reader too.
"""

from __future__ import annotations

import pytest

from ingest.parsers.base import ParseContext
from ingest.parsers.syslog import parse_syslog_text
from ingest.parsers.zeek import parsers as zeek_parsers

HEAD = "1 2018-03-24T09:07:13-07:00 Kramer.jerry.land EvntSLog - - - "
SEP_RISK = (r"Security Risk Found! Trojan Horse in File: C:\Windows\yfHMhijb.exe by: Auto-Protect scan. "
            "Action: Quarantine succeeded : Access denied. Action Description: The file was quarantined successfully.")
SEP_VIRUS = (r"Virus Found!Virus name: W32.Downadup.B in File: D:\Users\bob\Downloads\setup.exe by: Scheduled scan. "
             "Action: Cleaned by Deletion. Action Description: The file was deleted successfully.")
GROUP_POLICY = "Group Policy is trying to discover the Domain Controller information."


def zeek_events(message: str) -> list:
    record = {"_path": "syslog", "ts": 1521911833.0, "uid": "C1", "id.orig_h": "10.47.22.25", "id.orig_p": 58947,
              "id.resp_h": "10.47.2.153", "id.resp_p": 514, "proto": "udp", "facility": "LOCAL0",
              "severity": "ERR", "message": message}
    return list(zeek_parsers()[0].parse(record, ParseContext()))


@pytest.mark.parametrize("read", [lambda line: parse_syslog_text(line, ParseContext()),
                                  lambda line: zeek_events(line)[1]], ids=["syslog", "zeek"])
def test_a_symantec_risk_is_a_detection_on_the_sender(read) -> None:
    event = read(HEAD + SEP_RISK)
    assert (event.kind, event.host) == ("av:detection", "kramer")
    fields = event.fields
    assert fields["threat.name"] == "Trojan Horse"
    assert fields["file.path"] == r"C:\Windows\yfHMhijb.exe" and fields["file.name"] == "yfHMhijb.exe"
    assert (fields["antivirus.action"], fields["antivirus.result"]) == ("Quarantine succeeded", "Access denied")
    assert fields["antivirus.scan"] == "Auto-Protect"
    assert fields["antivirus.product"] == "Symantec Endpoint Protection"


def test_a_symantec_virus_with_its_name_label_and_no_result() -> None:
    event = parse_syslog_text(HEAD + SEP_VIRUS, ParseContext())
    assert event.kind == "av:detection"
    assert event.fields["threat.name"] == "W32.Downadup.B"
    assert event.fields["file.path"] == r"D:\Users\bob\Downloads\setup.exe"
    assert event.fields["antivirus.action"] == "Cleaned by Deletion"
    assert "antivirus.result" not in event.fields
    assert event.fields["antivirus.scan"] == "Scheduled"


def test_an_attackers_file_name_is_data() -> None:
    """A file name holding the layout's words and Cypher stays the path: it cannot move the action."""
    path = r"C:\Users\x\Action x'}) MATCH (n) DETACH DELETE n in File by Manual.exe"
    event = parse_syslog_text(HEAD + SEP_RISK.replace(r"C:\Windows\yfHMhijb.exe", path), ParseContext())
    assert event.kind == "av:detection"
    assert event.fields["file.path"] == path
    assert event.fields["threat.name"] == "Trojan Horse"
    assert event.fields["antivirus.action"] == "Quarantine succeeded"


@pytest.mark.parametrize("text", ["Scan Complete: Risks: 0 Scanned: 183387 Files/Folders/Drives Omitted: 0",
                                  "Security Risk Found! but nothing follows the layout"])
def test_other_symantec_text_is_no_detection(text: str) -> None:
    event = parse_syslog_text(HEAD + text, ParseContext())
    assert (event.kind, event.host) == ("syslog:message", "kramer")


def test_a_windows_forwarders_other_text_is_on_its_host_through_zeek() -> None:
    events = zeek_events("1 2018-03-24T09:01:30-07:00 PC-newman.jerry.land EvntSLog - - - " + GROUP_POLICY)
    assert [(e.kind, e.host) for e in events] == [("zeek:syslog", None), ("syslog:message", "pc-newman")]
    assert events[1].fields["message"] == GROUP_POLICY
    assert events[1].id != events[0].id


def test_a_line_of_another_program_adds_no_host_event_through_zeek() -> None:
    """Only a Windows forwarder's HOSTNAME is taken for the sender: sshd's lines stay the sensor's."""
    events = zeek_events("1 2018-03-24T09:01:30-07:00 web01 sshd 42 - - Connection closed by 10.0.0.1")
    assert [(e.kind, e.host) for e in events] == [("zeek:syslog", None)]
