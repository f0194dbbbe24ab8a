"""``resume_projector``: the join state of the journal up to a seq, saved or learnt again."""

from __future__ import annotations

from pathlib import Path

from graphsiem.model import Event
from graphsiem.store.embedded import EmbeddedStore
from ingest import replay as replay_module
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.projection import Projector
from ingest.replay import (
    EarlyProjection,
    ProjectionSummary,
    project_batch,
    project_pending,
    resume_projector,
)

IMAGE = "C:\\t\\a.exe"


def _create(n: int) -> Event:
    return Event(id=f"c{n}", kind="sysmon:process_create", ts=float(n), host="ws-1", source="test",
                 fields={"process.executable": IMAGE, "process.command_line": f"a.exe {n}",
                         "process.guid": f"g-{n}", "process.pid": n})


def _journal(tmp_path: Path, events: list[Event]) -> Journal:
    journal = Journal(tmp_path / "journal.sqlite")
    journal.append(events)
    return journal


def test_a_journal_without_a_state_is_projected_again_up_to_the_seq(tmp_path):
    events = [_create(n) for n in range(1, 6)]
    journal = _journal(tmp_path, events)
    try:
        expected = Projector()
        expected.project(events[:3])
        resumed = resume_projector(journal, IpHostMap(), 3)
    finally:
        journal.close()
    assert resumed.join_state() == expected.join_state()
    assert ("ws-1", "g-3") in resumed._processes and ("ws-1", "g-4") not in resumed._processes
    assert resumed.errors == 0


def test_events_after_a_saved_state_are_learnt_from_the_journal(tmp_path):
    """A store that got ahead of the checkpoint (a crash between its write and the journal's)."""
    events = [_create(n) for n in range(1, 6)]
    journal = _journal(tmp_path, events)
    try:
        at_two = Projector()
        at_two.project(events[:2])
        journal.set_checkpoint(2, at_two.join_state())
        expected = Projector()
        expected.project(events)
        resumed = resume_projector(journal, IpHostMap(), 5)
    finally:
        journal.close()
    assert resumed.join_state() == expected.join_state()


def test_a_saved_state_is_taken_as_it_is(tmp_path):
    """At the checkpoint, the saved state is used and nothing is projected again."""
    events = [_create(n) for n in range(1, 4)]
    journal = _journal(tmp_path, events)
    try:
        marked = Projector()
        marked._processes[("ws-9", "g-marker")] = ("process", "marker")  # not in any event
        journal.set_checkpoint(3, marked.join_state())
        resumed = resume_projector(journal, IpHostMap(), 3)
    finally:
        journal.close()
    assert resumed._processes == {("ws-9", "g-marker"): ("process", "marker")}


def test_nothing_projected_is_a_fresh_projector(tmp_path):
    journal = _journal(tmp_path, [_create(1)])
    try:
        assert resume_projector(journal, IpHostMap(), 0).join_state() == Projector().join_state()
    finally:
        journal.close()


def _connect(n: int, guid: str) -> Event:
    return Event(id=f"n{n}", kind="sysmon:network_connect", ts=float(n), host="ws-1", source="test",
                 fields={"process.executable": IMAGE, "process.guid": guid, "destination.ip": f"203.0.113.{n}",
                         "host.ip_unknown": True})


def _connected_processes(store) -> set:
    return {r.src for r in store.iter_relations("CONNECTED") if r.src[0] == "process"}


def test_a_call_whose_early_batches_another_writer_projected_past_goes_on_from_the_journal(tmp_path):
    """Review finding: the early projector stopped at seq 2, another writer projected seq 3 (a new
    process); event 4 names that process by GUID only and must join it."""
    events = [_create(1), _create(2), _create(3), _connect(4, "g-3")]
    journal = _journal(tmp_path, events)
    store = EmbeddedStore(tmp_path / "graph")
    try:
        early = Projector()
        project_batch(early, store, events[:2], ProjectionSummary())
        journal.set_checkpoint(3)  # the other writer's checkpoint (its graph writes are not the point)
        project_pending(journal, store, early=EarlyProjection(early, 2, ProjectionSummary(events=2)))
        (full,) = [(e.type, e.key) for e in Projector().project(events[2:3]).entities if e.type == "process"]
        assert _connected_processes(store) == {full}  # not an image-only process
    finally:
        store.close()
        journal.close()


def test_nothing_to_project_reads_and_learns_nothing(tmp_path):
    """A detection's catch-up with nothing new must not project the journal again to learn joins."""
    events = [_create(n) for n in range(1, 4)]
    journal = _journal(tmp_path, events)
    store = EmbeddedStore(tmp_path / "graph")
    try:
        journal.set_checkpoint(3)  # projected, by a version that saved no join state
        kept = Projector()
        replay_module._RESUMABLE[journal.identity] = (3, kept)
        summary = project_pending(journal, store)
        assert summary.events == 0
        assert replay_module._RESUMABLE[journal.identity] == (3, kept)  # untouched: no resume ran
    finally:
        replay_module._RESUMABLE.pop(journal.identity, None)
        store.close()
        journal.close()


def test_a_small_call_on_a_big_state_leaves_the_older_state_and_still_joins(tmp_path):
    """Saving a state costs with its size: a call of a few events keeps the older one in the journal,
    and a new process learns the few events since from the journal, joining exactly the same."""
    events = [_create(n) for n in range(1, 41)]
    journal = _journal(tmp_path, events[:39])
    store = EmbeddedStore(tmp_path / "graph")
    try:
        project_pending(journal, store)  # 39 events, 78 entries (GUIDs and pids): saved
        assert journal.join_state(39)[0] == 39
        journal.append(events[39:])
        project_pending(journal, store)  # 1 event < 80 / 4: not saved again
        assert journal.join_state(40)[0] == 39 and journal.checkpoint() == 40
        live = replay_module._RESUMABLE.pop(journal.identity)[1]
        fresh = resume_projector(journal, IpHostMap(), 40)  # a new process
        assert fresh.join_state() == live.join_state() and ("ws-1", "g-40") in fresh._processes
    finally:
        store.close()
        journal.close()
