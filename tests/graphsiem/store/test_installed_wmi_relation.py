"""A WMI subscription's ``host INSTALLED process`` and its names on both stores, as the projection makes them."""

from __future__ import annotations

from graphsiem.model import Event
from ingest.parsers.windows_persistence import put_service
from ingest.parsers.windows_sysmon import MAPPERS
from ingest.projection import project_events

COMMAND = "C:\\ProgramData\\Updater\\upd.exe /q"


def _consumer(event_id: str, host: str, ts: float, *, kind: str = "Command Line", destination: str = COMMAND) -> Event:
    fields: dict = {}
    data = {"Operation": "Created", "User": "CORP\\adm-jdoe", "Name": '"Updater"', "Type": kind,
            "Destination": '"' + destination.replace("\\", "\\\\") + '"'}
    return Event(event_id, MAPPERS[20](data, fields), ts, host, "winlogbeat", fields)


def _service(event_id: str, host: str, ts: float) -> Event:
    fields: dict = {}
    kind = put_service(fields, name="UpdSvc", image_path=COMMAND, service_type="user mode service")
    return Event(event_id, kind, ts, host, "winlogbeat", fields)


def _write(store, events: list[Event]) -> None:
    projection = project_events(events)
    store.upsert_entities(projection.entities)
    store.upsert_relations(projection.relations)
    store.upsert_sightings(projection.sightings)
    store.flush()


def test_consumer_installs_round_trip_with_their_mechanisms(store) -> None:
    _write(store, [_consumer("e1", "ws-a", 10.0), _consumer("e2", "ws-b", 11.0), _service("e3", "ws-c", 12.0),
                   _consumer("e4", "ws-d", 13.0, kind="Script", destination='GetObject("winmgmts:").Get("x")')])
    installed = sorted(store.iter_relations("INSTALLED"), key=lambda r: r.src)
    assert [(r.src[1], r.dst[0], r.evidence) for r in installed] == [
        ("ws-a", "process", ["e1"]), ("ws-b", "process", ["e2"]), ("ws-c", "process", ["e3"]),
        ("ws-d", "script", ["e4"])]
    process = installed[0].dst
    props = store.get_entity(*process).props
    assert (props["wmi_consumer"], props["service"], props["mechanisms"]) == (
        "Updater", "UpdSvc", ["service", "wmi_subscription"])
    assert sorted(s.host for s in store.hosts_of(*process)) == ["ws-a", "ws-b", "ws-c"]
    assert store.get_entity(*installed[3].dst).props["mechanisms"] == ["wmi_subscription"]
    assert store.counts()["relations"]["INSTALLED"] == 4
