"""Sysmon 20 (a WMI consumer created): the command a command-line consumer will run, in every shape.

Each record goes through the real pipeline into a journal and an embedded store
(:class:`tests.ingest.parsers.test_windows_variants.Ingested`).  The fixtures are made here after
Sysmon's own rendering of a consumer (its properties as MOF strings: quoted, backslashes and quotes
escaped) in the shapes a collector writes: Winlogbeat 7 keeping the event data, Winlogbeat's sysmon
module renaming ``Destination`` to ``process.executable``, NXLog, evtx_dump JSON, a Sentinel ``Event``
row, Windows event XML and classic text.
"""

from __future__ import annotations

import html
from typing import Any

import pytest

from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.windows_kv import parse_text
from ingest.parsers.windows_wmi import mof_text
from ingest.pipeline import ingest_paths
from tests.ingest.parsers.test_windows_variants import (
    ENCODED,
    STAGER,
    SYSMON,
    _sysmon,
    _winlogbeat,
    ingest_into,
)

POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
COMMAND = f"powershell.exe -NoP -NonI -W Hidden -enc {ENCODED}"
UPDATER = 'C:\\ProgramData\\Updater\\upd.exe /q "C:\\ProgramData\\Updater\\cfg.ini"'


def _mof(text: str) -> str:
    """``text`` as Sysmon writes a WMI string property: in quotes, ``\\`` and ``"`` escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


CONSUMER = {"EventType": "WmiConsumerEvent", "Operation": "Created", "User": "CORP\\adm-jdoe",
            "Name": _mof("Updater"), "Type": "Command Line", "Destination": _mof(UPDATER)}


@pytest.fixture
def ingest(tmp_path):
    yield from ingest_into(tmp_path)


def _nxlog(data: dict[str, Any]) -> dict[str, Any]:
    return {"EventTime": "2024-03-05 10:16:00", "Hostname": "WS-0043.corp.example.com", "EventID": 20,
            "SourceName": "Microsoft-Windows-Sysmon", "Channel": SYSMON, "Severity": "INFO",
            "UtcTime": "2024-03-05 10:16:00.250", "SourceModuleName": "eventlog",
            "SourceModuleType": "im_msvistalog", **data}


def _evtx(data: dict[str, Any]) -> dict[str, Any]:
    return {"Event": {"System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                                 "EventID": 20, "Channel": SYSMON, "Computer": "WS-0044.corp.example.com",
                                 "TimeCreated": {"#attributes": {"SystemTime": "2024-03-05T10:17:00.000000Z"}}},
                      "EventData": {"UtcTime": "2024-03-05 10:17:00.000", **data}}}


def _sentinel(data: dict[str, Any]) -> dict[str, Any]:
    """An ``Event`` table row: Sysmon's data packed in ``EventData`` XML."""
    items = "".join(f'<Data Name="{key}">{html.escape(value)}</Data>' for key, value in
                    {"UtcTime": "2024-03-05 10:18:00.000", **data}.items())
    return {"TimeGenerated": "2024-03-05T10:18:00Z", "Computer": "WS-0045.corp.example.com", "EventID": 20,
            "EventLog": SYSMON, "Source": "Microsoft-Windows-Sysmon", "Type": "Event",
            "EventData": f'<DataItem type="System.XmlData" time="x" sourceHealthServiceId="y">'
                         f'<EventData xmlns="http://schemas.microsoft.com/win/2004/08/events/event">{items}</EventData>'
                         f"</DataItem>"}


def _sysmon_module(data: dict[str, Any]) -> dict[str, Any]:
    """Winlogbeat 7's sysmon module: ``Destination`` and ``User`` renamed to ECS fields."""
    kept = {key: value for key, value in data.items() if key not in ("Destination", "User")}
    # another record than _sysmon's (record 1): one record number in two layouts is one event (test_export_ids)
    return _winlogbeat(20, {"UtcTime": "2024-03-05 10:15:30.120", **kept}, record_id=2,
                       process={"executable": data["Destination"]}, user={"name": "adm-jdoe", "domain": "CORP"})


def test_mof_strings_are_read_back_and_other_text_is_kept() -> None:
    assert mof_text(_mof(UPDATER)) == UPDATER
    assert mof_text(" " + _mof("Updater")) == "Updater"
    assert mof_text(UPDATER) == UPDATER  # not quoted: another collector's rendering, as it is
    assert mof_text('"a\\qb"') == "a\\qb"  # a backslash before anything else is no escape


def test_a_command_line_consumer_in_every_shape_gives_the_process_it_will_run(ingest) -> None:
    got = ingest(_sysmon(20, **CONSUMER), _sysmon_module(CONSUMER), _nxlog(CONSUMER), _evtx(CONSUMER),
                 _sentinel(CONSUMER))
    assert [event.kind for event in got.events] == ["sysmon:wmi_consumer"] * 5
    for event in got.events:
        assert event.fields["process.executable"] == "C:\\ProgramData\\Updater\\upd.exe", event.source
        assert event.fields["process.command_line"] == UPDATER, event.source
        assert event.fields["process.name"] == "upd.exe"
        assert event.fields["wmi.consumer.type"] == "Command Line"


def test_a_consumer_running_bare_powershell_is_the_system_binary_with_its_payload_decoded(ingest) -> None:
    got = ingest(_sysmon(20, **{**CONSUMER, "Destination": _mof(COMMAND)}))
    [event] = got.events
    # CreateProcess finds a program named without its folder on the PATH: Sysmon 1 gives the full image
    assert event.fields["process.executable"] == POWERSHELL
    assert event.fields["process.command_line"] == COMMAND
    assert event.fields["process.command_line_decoded"] == STAGER


def test_a_script_consumer_runs_no_command_line(ingest) -> None:
    script = 'Set objShell = CreateObject("WScript.Shell")\nobjShell.Run "C:\\Users\\Public\\a.exe"'
    got = ingest(_sysmon(20, **{**CONSUMER, "Type": "Script", "Destination": _mof(script)}))
    [event] = got.events
    assert not any(name.startswith("process.") for name in event.fields)
    assert event.fields["wmi.consumer.destination"] == _mof(script)


def test_a_consumer_as_windows_event_xml_through_the_pipeline(tmp_path) -> None:
    data = "".join(f"<Data Name='{key}'>{html.escape(value)}</Data>"
                   for key, value in {"UtcTime": "2024-03-05 10:14:02.123", **CONSUMER}.items())
    path = tmp_path / "events.xml"
    path.write_text("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
                    "<Provider Name='Microsoft-Windows-Sysmon'/><EventID>20</EventID>"
                    "<TimeCreated SystemTime='2024-03-05T10:14:02.1234567Z'/><EventRecordID>7</EventRecordID>"
                    f"<Channel>{SYSMON}</Channel><Computer>WS-0042.corp.example.com</Computer></System>"
                    f"<EventData>{data}</EventData></Event>", encoding="utf-8")
    with EmbeddedStore(tmp_path / "graph") as store, Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
        [event] = [item.event for item in journal.iter_events()]
        assert report.total.accepted == 1
        assert event.fields["process.command_line"] == UPDATER
        assert len(list(store.iter_relations("INSTALLED"))) == 1


def test_a_consumer_as_classic_text_reads_its_command() -> None:
    text = ("03/05/2024 10:16:00 AM\nLogName=Microsoft-Windows-Sysmon/Operational\nEventCode=20\nEventType=4\n"
            "ComputerName=WS-0042.corp.example.com\nSourceName=Microsoft-Windows-Sysmon\nType=Information\n"
            "RecordNumber=12\nKeywords=None\nTaskCategory=WmiEventConsumer activity detected (rule: WmiEvent)\n"
            "OpCode=Info\nMessage=WmiEventConsumer activity detected:\nRuleName: -\nEventType: WmiConsumerEvent\n"
            "UtcTime: 2024-03-05 10:16:00.250\nOperation: Created\nUser: CORP\\adm-jdoe\n"
            f"Name:  {_mof('Updater')}\nType: Command Line\nDestination:  {_mof(UPDATER)}")
    event = parse_text(text, ParseContext(origin="t"))
    assert event.kind == "sysmon:wmi_consumer"
    assert event.fields["process.command_line"] == UPDATER
