"""Read evidence events back from the ingest journal as JSON-ready dicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphsiem.model import Event, epoch_to_iso


def event_to_dict(event: Event) -> dict[str, Any]:
    """An event as the API shows it: ISO time, normalised fields and the raw record."""
    return {
        "id": event.id, "kind": event.kind, "ts": epoch_to_iso(event.ts), "host": event.host,
        "source": event.source, "origin": event.origin, "fields": event.fields,
        "raw": event.raw,
    }


def events_by_id(journal: Any, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{event id: event dict}`` for the ids the journal holds (missing ids are absent)."""
    return {event.id: event_to_dict(event) for event in journal.get(list(ids))}
