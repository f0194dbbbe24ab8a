"""MDE rows exported as CSV (Defender advanced hunting, Log Analytics) give the events of the same rows as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.mde import MdeParser
from ingest.pipeline import ingest_paths
from tests.ingest.parsers.export_events import file_events, row_events

FIXTURES = Path(__file__).parent / "fixtures"
EXPORTS = FIXTURES / "exports"
ROWS = list(json.loads((FIXTURES / "mde" / "advanced_hunting.json").read_text(encoding="utf-8")).values())


def test_the_defender_export_gives_the_events_of_the_advanced_hunting_rows(tmp_path):
    # every value text: numbers (ProcessId, RemotePort, ReportId), booleans, AdditionalFields as JSON text
    exported = file_events(EXPORTS / "mde_advanced_hunting.csv", tmp_path)
    assert exported == row_events(ROWS, tmp_path)
    assert len(exported) == 15  # 14 rows; the network_info row's adapter holds two addresses


def test_the_log_analytics_export_gives_the_events_of_its_json_rows(tmp_path):
    # the portal's times (3/5/2024, 10:20:00.123 AM, headers 'Timestamp [UTC]'): its JSON twin holds
    # the same instants to the millisecond, the precision the portal exports
    rows = json.loads((EXPORTS / "mde_log_analytics.json").read_text(encoding="utf-8"))
    exported = file_events(EXPORTS / "mde_log_analytics.csv", tmp_path)
    assert exported == row_events(rows, tmp_path)
    assert {kind for kind, *_ in exported} >= {"sysmon:process_create", "sysmon:network_connect"}


def test_typed_columns_read_from_text_are_the_json_values():
    row = {**ROWS[0], "FileSize": "452608", "ReportId": "-12", "IsProcessRemoteSession": "False",
           "IsLocalAdmin": "TRUE", "ProcessCreationTime": "3/5/2024, 10:20:00.123 PM"}
    (event,) = MdeParser().parse(row, ParseContext(origin="t"))
    assert event.fields["mde.FileSize"] == 452608 and event.fields["mde.ReportId"] == -12
    assert event.fields["mde.IsProcessRemoteSession"] is False and event.fields["mde.IsLocalAdmin"] is True
    assert event.fields["mde.ProcessCreationTime"] == "2024-03-05T22:20:00.1230000Z"


@pytest.mark.parametrize(("column", "text"), [
    ("FileSize", "452,608"), ("ReportId", "99999999999999999999"), ("IsLocalAdmin", "yes"),
    ("ProcessCreationTime", "05/03/2024 22:20"),
])
def test_text_that_is_not_its_columns_type_is_kept_as_text(column, text):
    (event,) = MdeParser().parse({**ROWS[0], column: text}, ParseContext(origin="t"))
    assert event.fields[f"mde.{column}"] == text


@pytest.mark.parametrize(("stamp", "expected"), [
    ("3/5/2024, 10:20:00.123 AM", 1709634000.123),
    ("3/5/2024, 12:00:00.000 AM", 1709596800.0),
    ("3/5/2024, 12:00:00 PM", 1709640000.0),
    ("Mar 5, 2024 10:20:00.123 AM", 1709634000.123),  # the Defender portal's export in a US locale
    ("Mar 5, 2024 22:20:00", 1709677200.0),
])
def test_the_portal_time_is_read_as_utc(stamp, expected):
    (event,) = MdeParser().parse({**ROWS[0], "Timestamp": stamp}, ParseContext(origin="t"))
    assert event.ts == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("stamp", ["13/03/2024, 3:40:13.988 pm", "05/03/2024 18:41:25"])
def test_a_numeric_date_that_could_be_day_first_is_refused(stamp):
    with pytest.raises(ParseError, match="unrecognised timestamp"):
        list(MdeParser().parse({**ROWS[0], "Timestamp": stamp}, ParseContext(origin="t")))


def test_an_export_of_chosen_columns_without_device_id_is_read(tmp_path):
    # | project Timestamp, DeviceName, ActionType, FileName, FolderPath, ProcessCommandLine, InitiatingProcess...
    path = tmp_path / "projected.csv"
    path.write_text(
        "Timestamp,DeviceName,ActionType,FileName,FolderPath,ProcessCommandLine,InitiatingProcessFileName\n"
        '2024-03-05T10:20:00.1234567Z,ws-0042.corp.contoso.com,ProcessCreated,cmd.exe,C:\\Windows\\System32\\cmd.exe,'
        '"cmd.exe /c ""whoami, all""",explorer.exe\n'
        "2024-03-05T10:20:01.0000000Z,ws-0042.corp.contoso.com,LogonSuccess,,,,\n", encoding="utf-8")
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)
        (event,) = journal.get(j.event.id for j in journal.iter_events())
    assert (event.kind, event.host) == ("sysmon:process_create", "ws-0042")
    assert event.fields["process.command_line"] == 'cmd.exe /c "whoami, all"'
    # a logon without DeviceId may be Defender for Identity's, about another machine: not claimed
    assert (report.total.accepted, report.total.rejected) == (1, 1)


@pytest.mark.parametrize(("action", "claimed"), [
    ("ProcessCreated", True), ("ConnectionSuccess", True), ("FileCreated", True), ("RegistryValueSet", True),
    ("ImageLoaded", True), ("DnsConnectionInspected", True),
    ("LogonSuccess", False), ("LogonFailed", False),  # IdentityLogonEvents write these too
    ("Account Password changed", False), ("LDAP query", False),  # IdentityDirectoryEvents, IdentityQueryEvents
    ("AntivirusDetection", False),  # DeviceEvents: only with DeviceId
])
def test_without_device_id_only_device_table_actions_are_claimed(action, claimed):
    row = {"Timestamp": "2024-03-05T10:00:00Z", "DeviceName": "ws-1.corp", "ActionType": action}
    assert MdeParser().sniff(row) is claimed
    assert MdeParser().sniff({**row, "DeviceId": "8f2b"})
