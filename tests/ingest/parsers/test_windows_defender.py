"""Microsoft Defender Antivirus 1116/1117 from Windows shapes are ``av:detection`` (task Q1).

Before, they were ``windows:other``: the detected file was only text in the event data, on no
host page.  Records written for this test after Defender's event data names (``Threat Name``,
``Path`` as ``file:_...`` resources, ``Action Name``, ``Source Name``, ``Error Description``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsiem.model import Event
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.pipeline import ingest_paths
from ingest.registry import default_registry

CHANNEL = "Microsoft-Windows-Windows Defender/Operational"
HOSTILE = r"C:\Users\bob\Downloads\x'}) MATCH (n) DETACH DELETE n;file_:_y.exe"


def detection(event_id: int, path: str = r"file:_C:\Users\bob\Downloads\invoice.exe;process:_pid:4120,ProcessStart:1",
              action: str = "Quarantine") -> dict[str, Any]:
    return {"Threat Name": "Trojan:Win32/Wacatac.B!ml", "Path": path, "Action Name": action,
            "Source Name": "Real-Time Protection", "Error Description": "The operation completed successfully.",
            "Detection User": "CORP\\bob"}


def winlogbeat(event_id: int, computer: str = "WS7.corp.example", **data: Any) -> dict[str, Any]:
    return {"@timestamp": "2026-03-02T14:20:01.000Z", "agent": {"type": "winlogbeat", "version": "8.11.0"},
            "winlog": {"computer_name": computer, "event_id": str(event_id), "channel": CHANNEL,
                       "record_id": event_id, "event_data": {**detection(event_id), **data}},
            "message": "Microsoft Defender Antivirus has detected malware or other potentially unwanted software."}


def evtx_dump(event_id: int) -> dict[str, Any]:
    return {"Event": {"System": {"EventID": event_id, "Channel": CHANNEL, "Computer": "WS7.corp.example",
                                 "TimeCreated": {"#attributes": {"SystemTime": "2026-03-02T14:20:01.0Z"}},
                                 "EventRecordID": event_id},
                      "EventData": detection(event_id)}}


def parse(record: Any) -> Event:
    (event,) = default_registry().detect(record).parse(record, ParseContext(origin="t"))
    return event


@pytest.mark.parametrize("shape", [winlogbeat, evtx_dump], ids=["winlogbeat", "evtx_dump"])
@pytest.mark.parametrize("event_id", [1116, 1117])
def test_a_defender_detection_is_av_detection(shape: Any, event_id: int) -> None:
    event = parse(shape(event_id))
    assert (event.kind, event.host, event.fields["event.code"]) == ("av:detection", "ws7", str(event_id))
    fields = event.fields
    assert fields["threat.name"] == "Trojan:Win32/Wacatac.B!ml"
    assert (fields["file.path"], fields["file.name"]) == (r"C:\Users\bob\Downloads\invoice.exe", "invoice.exe")
    assert (fields["antivirus.action"], fields["antivirus.scan"]) == ("Quarantine", "Real-Time Protection")
    assert fields["antivirus.product"] == "Microsoft Defender Antivirus"
    # 1116 reports the detection; 1117 what the action came to
    assert fields.get("antivirus.result") == (None if event_id == 1116 else "The operation completed successfully.")


def test_a_detection_of_no_file_names_none() -> None:
    event = parse(winlogbeat(1116, Path="process:_pid:4120,ProcessStart:1"))
    assert event.kind == "av:detection" and "file.path" not in event.fields


def test_defender_detections_are_host_detected_file(store: GraphStore, tmp_path: Path) -> None:
    """Defender on ws7, and on ws8 a hostile path (Cypher, a ";" inside a name): data, the file on its host."""
    records = [winlogbeat(1117), winlogbeat(1116, computer="WS8.corp.example", Path="file:_" + HOSTILE)]
    path = tmp_path / "defender.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(record) for record in records) + b"\n")
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
    store.flush()
    assert report.total.rejected == 0
    detected = sorted((r.src, r.dst) for r in store.iter_relations("DETECTED"))
    assert detected == [(("host", "ws7"), ("file", r"c:\users\bob\downloads\invoice.exe")),
                        (("host", "ws8"), ("file", HOSTILE.lower()))]
