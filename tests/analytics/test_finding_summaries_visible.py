"""The summaries of host, antivirus and credential findings write hidden characters as codes (T14).

A fan-out cluster's summary does (review U2 #7, analytics.explain.summary); the findings ranked beside
the clusters built theirs elsewhere and passed a raw U+202E in an image name, a threat's file name or a
sprayed account's name on to the API, the contract JSON, webhooks and tickets, where
``invoice\\u202egpj.exe`` reads as ``invoiceexe.jpg``.
"""

from __future__ import annotations

from analytics.antivirus_finding_words import summary as antivirus_summary
from analytics.antivirus_findings import ThreatFinding
from analytics.credential_spray import CredentialFinding
from analytics.credential_words import summary as credential_summary
from analytics.host_finding_words import host_cluster, host_record
from analytics.host_findings import group_by_host, hits_of_events

BIDI = "\u202e"
SHOWN = "invoice\\u202egpj.exe"


def test_a_host_findings_summary_writes_a_bidi_override_in_the_image_name_as_its_code():
    image = f"C:\\Users\\Public\\invoice{BIDI}gpj.exe"
    access = ("e1", "sysmon:process_access", 100.0,
              {"process.executable": image, "process.guid": "g1", "target.granted_access": "0x1010",
               "target.process.executable": "C:\\Windows\\System32\\lsass.exe"})
    finding = group_by_host(hits_of_events("pc-1", [access]))[0]
    summary = host_cluster(finding, host_record(finding), []).explanation.summary
    assert BIDI not in summary and SHOWN in summary
    assert host_record(finding)["hits"][0]["image"] == image  # the record keeps the text as read


def test_an_antivirus_findings_summary_writes_a_bidi_override_in_the_file_as_its_code():
    finding = ThreatFinding("file:x", f"C:\\Users\\bob\\invoice{BIDI}gpj.exe")
    record = {"hosts_total": 1, "risk_reason": "not remediated on some host", "hosts": [], "files_total": 1,
              "products": [], "carried_hosts_total": 0}
    summary = antivirus_summary(finding, record)
    assert BIDI not in summary and SHOWN in summary


def test_a_credential_findings_summary_writes_a_bidi_override_in_a_sprayed_account_as_its_code():
    finding = CredentialFinding("ws-1", {"password_spray": ["a"]}, 0.0, 60.0, [], other_validators=["ws-2"],
                                merged_by=[{"ground": "shared_accounts", "values": [f"invoice{BIDI}gpj.exe", "b"],
                                            "total": 12, "start": "2026-11-02T10:02:00Z", "end": "2026-11-02T10:09:00Z"}])
    record = {"workstations_total": 0, "source_ips_total": 1, "accounts_total": 12, "outcomes": []}
    summary = credential_summary(finding, record)
    assert BIDI not in summary and SHOWN in summary
