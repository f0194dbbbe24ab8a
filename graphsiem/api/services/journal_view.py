"""Read evidence events back from the ingest journal as JSON-ready dicts.

An event received on a live channel (the syslog listener, ``POST /v1/events``,
``/v1/files``) carries its receipt time (:data:`ingest.receipt.RECEIVED_AT`,
set by the ingest session, never by a record).  The time an event claims is
its writer's choice: a forged syslog line can be back-dated to make a campaign
look old (review R5, item 1).  So the evidence shows, beside the claimed
``ts``, when the event arrived (``received_at``) and how long after its own
time (``received_late_s``), for the analyst to weigh the claimed time.
Events of files ingested with ``graphsiem ingest`` carry no receipt: neither key.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from graphsiem.event_summary import summarize
from graphsiem.model import Event, epoch_to_iso
from ingest.receipt import RECEIVED_AT


def receipt_of(event: Event) -> dict[str, Any]:
    """``received_at`` (ISO-8601 UTC) and, when it came after its own time, ``received_late_s``.

    Empty for an event with no receipt time (a trusted file's, or a journal
    from before receipts): nothing to show.  ``received_late_s`` is receipt
    minus the event's time in seconds (milliseconds kept), only when positive:
    an event dated after its receipt (a sender's clock ahead) is not late.

    Examples
    --------
    >>> late = Event(id="e1", kind="k", ts=1000.0, host="h", source="s", fields={RECEIVED_AT: 73000.25})
    >>> receipt_of(late)
    {'received_at': '1970-01-01T20:16:40.250Z', 'received_late_s': 72000.25}
    >>> receipt_of(Event(id="e2", kind="k", ts=1000.0, host="h", source="s", fields={RECEIVED_AT: 999.0}))
    {'received_at': '1970-01-01T00:16:39.000Z'}
    >>> receipt_of(Event(id="e3", kind="k", ts=1000.0, host="h", source="s"))
    {}
    """
    received = event.fields.get(RECEIVED_AT)
    # A bool is an int: never a receipt.  Anything but a number is not one either.
    if isinstance(received, bool) or not isinstance(received, int | float) or not math.isfinite(received):
        return {}
    out: dict[str, Any] = {"received_at": epoch_to_iso(float(received))}
    late = float(received) - event.ts
    if late > 0:
        out["received_late_s"] = round(late, 3)
    return out


def event_to_dict(event: Event) -> dict[str, Any]:
    """An event as the API shows it: ISO time, normalised fields, the raw record, its receipt (:func:`receipt_of`)
    and the one-line summary the host timeline gives it (:func:`graphsiem.event_summary.summarize`)."""
    return {
        "id": event.id, "kind": event.kind, "ts": epoch_to_iso(event.ts), "host": event.host,
        "source": event.source, "origin": event.origin, "fields": event.fields,
        "raw": event.raw, **receipt_of(event), "summary": summarize(event.fields, event.kind),
    }


def events_by_id(journal: Any, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{event id: event dict}`` for the ids the journal holds (missing ids are absent)."""
    return {event.id: event_to_dict(event) for event in journal.get(list(ids))}
