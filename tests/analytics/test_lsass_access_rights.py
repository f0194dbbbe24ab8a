""""LSASS memory accessed" needs a handle that can read or change LSASS's memory (task G, item 4).

svchost asking LSASS its image name (``PROCESS_QUERY_LIMITED_INFORMATION``, 0x1000) on every
host is no credential theft; mimikatz's 0x1010 is.  The rule is the projection's (the relation
is made or not), so both stores, and detection reading either, agree.
"""

from __future__ import annotations

from analytics.config import DetectionConfig
from analytics.inputs import load_inputs
from graphsiem.model import Event
from graphsiem.store.base import GraphStore
from ingest.projection import Projector

LSASS = "C:\\Windows\\System32\\lsass.exe"
SVCHOST = "C:\\Windows\\System32\\svchost.exe"
MIMIKATZ = "C:\\Users\\bob\\Downloads\\mimikatz.exe"


def _access(event_id: str, host: str, image: str, guid: str, mask: str | None, ts: float) -> Event:
    fields = {"process.executable": image, "process.guid": guid, "target.process.executable": LSASS,
              "target.process.guid": "{lsass-" + host + "}"}
    if mask is not None:
        fields["target.granted_access"] = mask
    return Event(id=event_id, kind="sysmon:process_access", ts=ts, host=host, source="test", fields=fields)


def _behaviours(store: GraphStore, events: list[Event]) -> dict[str, dict[str, float]]:
    projection = Projector().project(events)
    store.upsert_entities(projection.entities)
    store.upsert_relations(projection.relations)
    store.upsert_sightings(projection.sightings)
    store.flush()
    inputs = load_inputs(store, DetectionConfig())
    assert inputs is not None
    images = {ref: entity.props.get("image") for ref, entity in inputs.processes.items()}
    return {str(images[ref]): dict(found) for ref, found in inputs.context.behaviours.items()}


def test_only_a_handle_with_memory_rights_is_lsass_memory_accessed(store: GraphStore) -> None:
    events = [_access(f"svc-{n}", f"ws-{n}", SVCHOST, f"{{svc-{n}}}", "0x1000", 100.0 + n) for n in range(3)]
    events += [_access(f"q-{n}", f"ws-{n}", SVCHOST, f"{{svc-{n}}}", mask, 110.0 + n)
               for n, mask in enumerate(("0x1400", "0x100000", "0x1"))]
    events += [_access("mimi", "ws-1", MIMIKATZ, "{mimi}", "0x1010", 200.0)]
    found = _behaviours(store, events)
    assert found == {MIMIKATZ: {"lsass_access": 200.0}}
    # the svchost processes are still where they ran: sighted, with no ACCESSED edge
    assert all(r.src[0] == "process" for r in store.iter_relations("ACCESSED"))
    assert len(list(store.iter_relations("ACCESSED"))) == 1
    assert len(store.hosts_of("process", next(iter(
        e.key for e in store.iter_entities("process") if e.props.get("image") == SVCHOST)))) >= 1


MEMORY_MASKS = ("0x1010", "0x1410", "0x1438", "0x143a", "0x1fffff", "0x40", "0x2000000", "0x10000000",
                "0x80000000", None, "garbled")
"""mimikatz's masks, PROCESS_ALL_ACCESS, DUP_HANDLE, MAXIMUM_ALLOWED, GENERIC_ALL/READ; no mask or an unreadable one."""
QUERY_MASKS = ("0x1000", "0x1400", "0x100000", "0x101000", "0x1", "0x800", "4096")
"""Query (limited), synchronize, terminate, suspend/resume: no right over the memory."""


def test_the_mask_decides_between_accessed_and_a_sighting() -> None:
    for mask in MEMORY_MASKS:
        projection = Projector().project([_access("e1", "ws-1", MIMIKATZ, "{mimi}", mask, 100.0)])
        assert sorted(r.type for r in projection.relations) == ["ACCESSED", "RAN", "RAN"], mask
    for mask in QUERY_MASKS:
        projection = Projector().project([_access("e1", "ws-1", SVCHOST, "{svc}", mask, 100.0)])
        # no access; both processes ran on the host (task G4: the host's page leads to them)
        assert [r.type for r in projection.relations] == ["RAN", "RAN"], mask
        # svchost and lsass are still sighted on the host
        assert sorted(s.entity[0] for s in projection.sightings) == ["process", "process"], mask
