"""Events for the journal's tests (``tests/ingest/test_journal*.py``)."""

from __future__ import annotations

from graphsiem.model import Event


def make(event_id: str, ts: float = 1.0, **fields) -> Event:
    """An ECS event ``event_id`` of host ``ws-1``, its raw record naming it."""
    return Event(id=event_id, kind="ecs:event", ts=ts, host="ws-1", source="ecs",
                 fields=fields, origin=f"f:{event_id}", raw={"id": event_id})
