"""Security 4662 (an operation on a directory object): the Golden SAML DKM key read, parsed and summarised."""

from __future__ import annotations

from pathlib import Path

import orjson

from graphsiem.event_summary import summarize
from graphsiem.model import Event
from ingest.parsers.base import ParseContext
from ingest.registry import default_registry

GOLDEN_SAML = Path("otrf-security-datasets/golden_saml/WindowsEvents.json")
DKM_KEY = "8d3bca50-1d7e-11d0-a081-00aa006c33ed"  # thumbnailPhoto: where AD FS keeps its DKM key


def _events_4662(samples_dir: Path) -> list[Event]:
    registry = default_registry()
    events: list[Event] = []
    for line in (samples_dir / GOLDEN_SAML).read_bytes().splitlines():
        record = orjson.loads(line)
        if record.get("EventID") == 4662:
            events += registry.detect(record).parse(record, ParseContext(origin="golden_saml"))
    return events


def test_golden_saml_4662_names_the_object_the_access_and_the_account(samples_dir: Path) -> None:
    events = _events_4662(samples_dir)
    assert len(events) == 5
    assert {e.kind for e in events} == {"winsec:object_operation"}
    first = events[0].fields
    assert first["user.name"] == "simulandlabs\\wardog"
    assert first["user.id"] == "S-1-5-21-2490359158-13971675-3780420524-500"
    assert first["winlog.object.server"] == "DS"
    assert first["winlog.object.type"] == "%{5cb41ed0-0e4c-11d0-a286-00aa003049e2}"
    assert first["winlog.object.type_name"] == "contact"
    assert first["winlog.object.name"] == "%{9736f74f-fd37-4b02-80e8-8120a72ad6c2}"
    assert first["winlog.object.operation_type"] == "Object Access"
    assert first["winlog.object.access_mask"] == "0x10"
    assert first["winlog.object.access"] == ["Read Property"]
    assert DKM_KEY in first["winlog.object.properties"]
    assert "thumbnailPhoto" in first["winlog.object.property_names"]
    assert all(DKM_KEY in e.fields["winlog.object.properties"] for e in events[:4])


def test_golden_saml_4662_summary_says_who_read_what(samples_dir: Path) -> None:
    event = _events_4662(samples_dir)[0]
    summary = summarize(event.fields, event.kind)
    assert summary.startswith("simulandlabs\\wardog Read Property on contact %{9736f74f-")
    assert "(DS)" in summary and "thumbnailPhoto" in summary
    # without the kind, the event code reads as it
    assert summarize(event.fields) == summary


def test_an_unlisted_guid_is_kept_as_written_and_counted() -> None:
    record = {"EventID": 4662, "Channel": "Security", "Computer": "DC02.corp.example",
              "TimeGenerated": "2024-01-02T03:04:05Z", "SubjectUserName": "svc", "SubjectDomainName": "CORP",
              "ObjectServer": "DS", "ObjectType": "%{11111111-2222-3333-4444-555555555555}",
              "ObjectName": "%{66666666-7777-8888-9999-000000000000}", "AccessMask": "0x100",
              "Properties": "%%7688 {AAAAAAAA-2222-3333-4444-555555555555}"}
    (event,) = default_registry().detect(record).parse(record, ParseContext(origin="t:1"))
    assert "winlog.object.type_name" not in event.fields
    assert event.fields["winlog.object.access"] == ["Control Access"]
    assert event.fields["winlog.object.properties"] == ["aaaaaaaa-2222-3333-4444-555555555555"]
    assert "winlog.object.property_names" not in event.fields
    assert summarize(event.fields, event.kind) == (
        "corp\\svc Control Access on %{11111111-2222-3333-4444-555555555555} "
        "%{66666666-7777-8888-9999-000000000000} (DS) · 1 properties")
