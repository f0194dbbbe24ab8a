"""The embedded store keeps its edges by relation type, so one type's read skips the rest (task AV2).

A detection's window read (``relations_active("DETECTED", ...)``) scanned all ~50,000 edges of the
demo graph for the handful (or none) of ``DETECTED`` ones.  The index is kept on write, on a
snapshot load and on another instance's flush; each read answers from it alone.
"""

from __future__ import annotations

from graphsiem.model import Relation
from graphsiem.store.embedded import EmbeddedStore


def _rel(rel_type: str, host: str, dst: tuple[str, str], first: float, last: float, eid: str) -> Relation:
    return Relation(("host", host), rel_type, dst, first, last, 1, [eid])


RAN = [_rel("RAN", f"ws-{i}", ("process", f"p{i}"), 10.0, 20.0, f"r{i}") for i in range(50)]
DETECTED = [_rel("DETECTED", "ws-1", ("file", "c:\\upd.exe"), 100.0, 110.0, "d1"),
            _rel("DETECTED", "ws-2", ("file", "c:\\upd.exe"), 300.0, 310.0, "d2")]


def _index(store: EmbeddedStore) -> dict[str, set[tuple[str, str, str]]]:
    return {rel_type: set(edges) for rel_type, edges in store._edges_of_type.items()}


def test_the_type_index_is_kept_on_write_load_and_another_instances_flush(tmp_path) -> None:
    reader = EmbeddedStore(tmp_path)  # loaded empty: learns the edges from the writer's flush
    with EmbeddedStore(tmp_path) as writer:
        writer.upsert_relations(RAN)
        assert "DETECTED" not in _index(writer)  # none: a DETECTED read has nothing to look at
        writer.upsert_relations(DETECTED + DETECTED[:1])  # a merge adds no second entry
        written = _index(writer)
    assert written["DETECTED"] == {("host:ws-1", "DETECTED", "file:c:\\upd.exe"),
                                   ("host:ws-2", "DETECTED", "file:c:\\upd.exe")}
    assert len(written["RAN"]) == 50

    assert [r.src for r in reader.relations_active("DETECTED", 200.0, 400.0)] == [("host", "ws-2")]
    assert _index(reader) == written
    assert _index(EmbeddedStore(tmp_path)) == written  # a fresh load of the snapshot
    assert {r.src[1] for r in reader.iter_relations("DETECTED")} == {"ws-1", "ws-2"}
    assert reader.relations_active("ALERTED", 0.0, 1e9) == []
    assert len(list(reader.iter_relations())) == 52
