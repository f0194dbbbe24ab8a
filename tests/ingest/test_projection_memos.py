"""The projection's memo tables (task F7): bounded, and never a different graph.

A GUID's placeholder key is remembered by (host, GUID, image) across batches, and a
Sysmon 10 access mask's answer by its text; both tables are bounded against input
that never repeats, and a graph projected through them is the graph projected without.
"""

from __future__ import annotations

import pytest

import ingest.projection_access as projection_access
import ingest.projection_processes as projection_processes
from graphsiem.model import Event
from ingest.projection import Projector


def _access(n: int, guid: str, target: str, mask: str, host: str = "ws-1") -> Event:
    return Event(
        f"e{n}", "sysmon:process_access", 1_700_000_000.0 + n, host, "test",
        {
            "process.executable": "C:\\Tools\\probe.exe", "process.guid": guid,
            "target.process.executable": "C:\\Windows\\System32\\lsass.exe", "target.process.guid": target,
            "target.granted_access": mask,
        },
    )


def _graph(projector: Projector, batches: list[list[Event]]) -> list[tuple]:
    rows = []
    for batch in batches:
        projection = projector.project(batch)
        rows.append((
            sorted((e.type, e.key, e.value, sorted(e.props.items())) for e in projection.entities),
            sorted((r.src, r.type, r.dst, r.first_seen, r.last_seen, r.count, r.evidence)
                   for r in projection.relations),
            sorted((s.host, s.entity, s.first_seen, s.last_seen, s.count) for s in projection.sightings),
        ))
    return rows


def test_placeholder_keys_stay_bounded_and_give_the_same_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(projection_processes, "_PROCESS_KEY_LIMIT", 10)
    batches = [[_access(b * 100 + n, f"guid-{n % 40}", f"target-{n % 7}", "0x1010") for n in range(60)]
               for b in range(3)]
    projector = Projector()
    remembered = _graph(projector, batches)
    assert 0 < len(projector._placeholder_refs) <= 11  # the older half goes past the limit
    # the same batches through projectors that start with nothing remembered, one a batch
    fresh = []
    for batch in batches:
        other = Projector()
        fresh.extend(_graph(other, [batch]))
    assert remembered == fresh


def test_access_mask_answers_are_remembered_bounded_and_right() -> None:
    projection_access._memory_access.clear()
    projector = Projector()
    for attempt in range(2):  # the second time from the table
        granted = projector.project([_access(1, "g1", "t1", "0x1010")])
        denied = projector.project([_access(2, "g2", "t2", "0x1000")])
        assert [r.type for r in granted.relations if r.type == "ACCESSED"] == ["ACCESSED"], attempt
        assert not [r for r in denied.relations if r.type == "ACCESSED"], attempt
    assert projection_access._memory_access == {"0x1010": True, "0x1000": False}
    # masks that never repeat: the table is cleared at its bound, and a long text is not held
    projector.project([_access(n, f"g{n}", f"t{n}", hex(0x1000 + n)) for n in range(3000)])
    assert len(projection_access._memory_access) <= projection_access._MASK_TEXTS
    long_mask = "0x" + "0" * 60 + "1010"
    assert [r.type for r in projector.project([_access(9, "g9", "t9", long_mask)]).relations
            if r.type == "ACCESSED"] == ["ACCESSED"]
    assert long_mask not in projection_access._memory_access
