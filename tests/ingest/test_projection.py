"""Projection driving: each event kind's relations, batches, failures, a host slot holding an IP.

The rules have their own files, as the modules do: ``test_projection_entities``,
``_endpoint``, ``_network``, ``_names``, ``_transfers`` and ``_state``; the helpers here
(``ev``, ``edges``...) are shared by them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphsiem.model import Event, stable_hash
from ingest import projection as projection_module
from ingest.ipmap import IpHostMap
from ingest.normalize import normalize_command_line
from ingest.projection import Projector, project_events

PS = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
PS_CMD = "powershell.exe -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA="


def ev(kind: str, host: str | None = "ws-1", ts: float = 100.0, event_id: str = "e1", **fields) -> Event:
    return Event(id=event_id, kind=kind, ts=ts, host=host, source="test",
                 fields={k.replace("__", "."): v for k, v in fields.items()})


def process_key(image: str, cmd: str) -> str:
    return stable_hash(image.lower(), normalize_command_line(cmd))


def dumped(projection) -> tuple[list[str], list[str], list[str]]:
    """Every entity, relation and sighting of ``projection``, in a comparable form."""
    return (sorted(map(repr, projection.entities)), sorted(map(repr, projection.relations)),
            sorted(map(repr, projection.sightings)))


def edges(projection) -> set[tuple[str, str, str]]:
    return {(r.src[0], r.type, r.dst[0]) for r in projection.relations}


CASES = [
    (
        ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD,
           process__parent__executable="C:\\Windows\\System32\\wscript.exe",
           process__parent__command_line="wscript.exe a.vbs", user__name="corp\\bob"),
        {("host", "RAN", "process"), ("process", "SPAWNED", "process"), ("process", "RUN_AS", "user")},
    ),
    (
        ev("sysmon:network_connect", process__executable=PS, destination__ip="203.0.113.7",
           source__ip="10.0.0.5", destination__domain="cdn.example"),
        {("process", "CONNECTED", "ip"), ("host", "CONNECTED", "ip"), ("domain", "RESOLVES_TO", "ip"),
         ("host", "RAN", "process")},  # every process a host's event names ran there (task G4)
    ),
    (
        ev("sysmon:dns_query", process__executable=PS, dns__question__name="cdn.example",
           dns__answers=["203.0.113.7", "cname.example"]),
        {("process", "RESOLVED", "domain"), ("host", "RESOLVED", "domain"), ("domain", "RESOLVES_TO", "ip"),
         ("domain", "RESOLVES_TO", "domain"), ("host", "RAN", "process")},  # the CNAME
    ),
    (
        ev("sysmon:file_create", process__executable=PS, file__path="C:\\Temp\\Logo.PNG"),
        {("process", "WROTE", "file"), ("host", "RAN", "process")},
    ),
    (
        ev("sysmon:image_load", process__executable=PS, file__path="C:\\x.dll", file__hash__sha256="ab" * 32),
        {("process", "LOADED", "file"), ("host", "RAN", "process")},
    ),
    (
        ev("sysmon:process_access", process__executable="C:\\m\\mimikatz.exe",
           target__process__executable="C:\\Windows\\System32\\lsass.exe", target__granted_access="0x1010"),
        {("process", "ACCESSED", "process"), ("host", "RAN", "process")},
    ),
    (
        ev("sysmon:remote_thread", process__executable="C:\\a.exe", target__process__executable="C:\\b.exe"),
        {("process", "INJECTED", "process"), ("host", "RAN", "process")},
    ),
    (
        ev("sysmon:registry_set", process__executable="C:\\a.exe", registry__path="HKLM\\Run\\x"),
        {("process", "MODIFIED", "file"), ("host", "RAN", "process")},
    ),
    (ev("winsec:logon", user__name="corp\\bob", source__ip="10.0.0.9"),
     {("user", "LOGGED_ON", "host"), ("ip", "LOGGED_ON", "host")}),  # the account, and where it came from
    (ev("powershell:script_block", powershell__script_block_text="Write-Host  hi"), {("host", "EXECUTED", "script")}),
    (
        ev("ecs:event", url__full="http://cdn.example/a.png", url__domain="cdn.example",
           file__hash__sha256="cd" * 32, destination__ip="203.0.113.7"),
        {("host", "REQUESTED", "url"), ("url", "ON", "domain"), ("host", "DOWNLOADED", "file"),
         ("file", "SERVED_BY", "url"), ("host", "CONNECTED", "ip"), ("url", "SERVED_FROM", "ip")},
    ),
]


@pytest.mark.parametrize(("event", "expected"), CASES, ids=[c[0].kind for c in CASES])
def test_event_kinds_yield_their_relations(event, expected):
    projection = project_events([event])
    assert edges(projection) == expected
    assert all(r.evidence == ["e1"] and r.count == 1 for r in projection.relations)


def test_relations_are_aggregated_per_batch_with_all_evidence():
    events = [ev("sysmon:process_create", ts=t, event_id=f"e{t}", process__executable=PS,
                 process__command_line=PS_CMD) for t in (5.0, 1.0, 9.0)]
    (ran,) = project_events(events).relations
    assert (ran.count, ran.first_seen, ran.last_seen) == (3, 1.0, 9.0)
    assert ran.evidence == ["e5.0", "e1.0", "e9.0"]


def test_ip_in_the_host_slot_is_not_a_host_name():
    event = ev("syslog:message", host="10.9.9.9", message="hello")
    assert not [e for e in project_events([event]).entities if e.type == "host"]


def documented_fields() -> list[str]:
    """Every field name in the tables of docs/fields.md."""
    text = (Path(__file__).parents[2] / "docs" / "fields.md").read_text()
    names = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            names.update(name for name in re.findall(r"`([a-z][a-z0-9_.<>-]*)`", line.split("|")[1]))
    return sorted(name for name in names if "<" not in name)


@pytest.mark.parametrize("name", documented_fields())
def test_the_generic_rule_skips_only_events_it_has_nothing_to_read_in(name, monkeypatch):
    """The early exit of the generic rule (no field it reads) changes no projection."""
    known = ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD,
               process__guid="abc", process__pid=42)
    values = {"dns.answers": ["203.0.113.7"], "process.pid": 42, "process.guid": "abc"}
    event = Event(id="e2", kind="windows:other", ts=100.0, host="ws-1", source="test",
                  fields={name: values.get(name, "203.0.113.7" if name.endswith(".ip") else "x")})

    def project():
        return dumped(Projector().project([known, event]))

    fast = project()
    monkeypatch.setattr(projection_module, "GENERIC_KEYS", frozenset(documented_fields()))
    assert project() == fast


def test_an_ip_in_the_host_slot_is_mapped_at_each_event_time():
    """The projector remembers that a host slot holds an IP, not which host it mapped to."""
    ipmap = IpHostMap()
    ipmap.add_lease("10.9.9.9", "ws-a", 0.0, 100.0)
    ipmap.add_lease("10.9.9.9", "ws-b", 200.0, 100.0)
    events = [ev("sysmon:process_terminate", host="10.9.9.9", ts=ts, event_id=f"e{ts}", process__executable=PS,
                 process__command_line=PS_CMD) for ts in (50.0, 250.0)]
    sightings = Projector(ipmap).project(events).sightings
    assert sorted((s.host, s.first_seen) for s in sightings) == [("ws-a", 50.0), ("ws-b", 250.0)]


def test_an_event_a_rule_fails_on_is_counted_and_sights_nothing():
    """A failing rule's event is counted in errors; the next event does not sight what it touched."""
    bad = ev("sysmon:dns_query", event_id="bad", process__executable=PS, dns__question__name="cdn.example",
             dns__answers=5)
    good = ev("sysmon:process_terminate", event_id="good", process__executable="C:\\a.exe",
              process__command_line="a.exe")
    projector = Projector()

    projection = projector.project([bad, good])

    assert (projector.errors, projector.failed) == (1, ["bad"])
    assert [s.entity[0] for s in projection.sightings] == ["process"]
    assert [s.entity[1] for s in projection.sightings] == [process_key("C:\\a.exe", "a.exe")]
