"""Security 1102/4663/5156 and System 104 are mapped and projected; a Windows record without its computer
is rejected with the reason (task G, item 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphsiem.model import Event, Projection
from ingest.parsers.base import ParseContext, ParseError
from ingest.projection import Projector
from ingest.readers.evtx import EvtxReader
from ingest.registry import default_registry

REGISTRY = default_registry()


def evtx_record(event_id: int, data: dict[str, Any], *, channel: str = "Security", computer: str = "PC01.example.corp",
                user_data: str | None = None) -> dict[str, Any]:
    system = {"EventID": event_id, "Channel": channel, "Computer": computer,
              "TimeCreated": {"#attributes": {"SystemTime": "2019-03-19T23:35:07.524202Z"}}}
    body = {"UserData": {user_data: data}} if user_data else {"EventData": data}
    return {"Event": {"System": system, **body}}


def parse(record: dict[str, Any]) -> Event:
    (event,) = REGISTRY.detect(record).parse(record, ParseContext())
    return event


def project(*records: dict[str, Any]) -> Projection:
    events = []
    for number, record in enumerate(records):
        event = parse(record)
        event.id = f"w{number}"
        events.append(event)
    return Projector().project(events)


def relations(projection: Projection) -> set[tuple[str, str, str]]:
    """Each relation's ends by key, a process by its type (its key is a digest)."""
    def end(ref: tuple[str, str]) -> str:
        return "process" if ref[0] == "process" else ref[1]

    return {(end(r.src), r.type, end(r.dst)) for r in projection.relations}


SUBJECT = {"SubjectUserSid": "S-1-5-21-1587066498-1489273250-1035260531-1106", "SubjectUserName": "user01",
           "SubjectDomainName": "EXAMPLE", "SubjectLogonId": "0x17dad"}


def test_a_cleared_log_names_its_account_on_the_host() -> None:
    security = parse(evtx_record(1102, SUBJECT, user_data="LogFileCleared"))
    system = parse(evtx_record(104, {**SUBJECT, "Channel": "System"}, channel="System", user_data="LogFileCleared"))
    assert (security.kind, system.kind) == ("windows:log_cleared", "windows:log_cleared")
    assert security.fields["user.name"] == "example\\user01"
    assert security.fields["user.id"] == SUBJECT["SubjectUserSid"]
    assert system.fields["winlog.cleared_channel"] == "System"
    projection = project(evtx_record(1102, SUBJECT, user_data="LogFileCleared"))
    assert {(s.host, s.entity) for s in projection.sightings} == {("pc01", ("user", "example\\user01"))}


def _object(object_type: str, name: str, mask: str) -> dict[str, Any]:
    return evtx_record(4663, {**SUBJECT, "ObjectServer": "Security", "ObjectType": object_type, "ObjectName": name,
                              "AccessMask": mask, "ProcessId": "0x5a8",
                              "ProcessName": "C:\\Windows\\System32\\notepad.exe"})


def test_object_access_writes_deletes_or_only_sights_by_its_mask() -> None:
    path = "C:\\Users\\user01\\secret.txt"
    ran = ("pc01", "RAN", "process")  # every process a host's event names ran there (task G4)
    assert relations(project(_object("File", path, "0x2"))) == {
        ("process", "WROTE", path.lower()), ("process", "RUN_AS", "example\\user01"), ran}
    assert ("process", "DELETED", path.lower()) in relations(project(_object("File", path, "0x10000")))
    read = project(_object("File", path, "0x1"))
    assert relations(read) == {("process", "RUN_AS", "example\\user01"), ran}
    assert ("file", path.lower()) in {s.entity for s in read.sightings}
    key = "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"
    assert ("process", "MODIFIED", key.lower()) in relations(project(_object("Key", key, "0x2")))
    assert relations(project(_object("Key", key, "0x1"))) == {("process", "RUN_AS", "example\\user01"), ran}


def _connection(direction: str, source: str, source_port: str, destination: str, destination_port: str) -> dict:
    return evtx_record(5156, {"ProcessID": 2204, "Application": "\\device\\harddiskvolume2\\windows\\system32\\dns.exe",
                              "Direction": direction, "SourceAddress": source, "SourcePort": source_port,
                              "DestAddress": destination, "DestPort": destination_port, "Protocol": 17},
                       computer="MORDORDC.theshire.local")


def test_a_permitted_connection_is_the_process_s_connection_as_sysmon_3() -> None:
    # as the OTRF corpus has it: WORKSTATION5 asking the DC's DNS server, inbound; the source is the client
    inbound = _connection("%%14592", "172.18.39.5", "63162", "172.18.38.5", "53")
    event = parse(inbound)
    assert event.kind == "winsec:network_connect"
    assert (event.fields["network.direction"], event.fields["network.transport"]) == ("inbound", "udp")
    assert "host.ip" not in event.fields  # the IP map does not learn from 5156
    assert relations(project(inbound)) == {("172.18.39.5", "CONNECTED", "process"),
                                           ("172.18.39.5", "CONNECTED", "mordordc"), ("mordordc", "RAN", "process")}
    outbound = _connection("%%14593", "172.18.38.5", "49446", "40.90.4.205", "53")
    assert relations(project(outbound)) == {("process", "CONNECTED", "40.90.4.205"),
                                            ("mordordc", "CONNECTED", "40.90.4.205"), ("mordordc", "RAN", "process")}


@pytest.mark.parametrize("computer", ["", "  ", "-"])
def test_a_windows_record_without_its_computer_is_rejected_with_the_reason(computer: str) -> None:
    nxlog = {"EventTime": "2024-03-05 05:00:09", "Hostname": computer, "EventID": 4624, "Channel": "Security",
             "TargetUserName": "alice", "TargetDomainName": "CORP", "LogonType": "10", "IpAddress": "10.1.2.3"}
    for record in (nxlog, evtx_record(4624, {"TargetUserName": "alice"}, computer=computer)):
        with pytest.raises(ParseError, match="Security event 4624 names no computer"):
            parse(record)


def test_evtx_attack_samples_defense_evasion_relates_its_events(samples_dir: Path) -> None:
    path = samples_dir / "evtx-attack-samples" / "Defense Evasion" / "DE_1102_security_log_cleared.evtx"
    events = []
    with path.open("rb") as stream:
        for number, item in enumerate(EvtxReader().read(stream, str(path))):
            event = parse(item.record)
            event.id = f"d{number}"
            events.append(event)
    kinds = {event.kind for event in events}
    assert {"windows:log_cleared", "winsec:object_access", "winsec:network_connect"} <= kinds
    projection = Projector().project(events)
    types = {r.type for r in projection.relations}
    assert {"CONNECTED", "RUN_AS"} <= types
    assert ("pc01", ("user", "example\\user01")) in {(s.host, s.entity) for s in projection.sightings}
