"""``resume_projector``: the join state of the journal up to a seq, saved or learnt again."""

from __future__ import annotations

from pathlib import Path

from graphsiem.model import Event
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.projection import Projector
from ingest.replay import resume_projector

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
