"""A host's timeline: its journaled events, newest first (``GET /v1/entities/host/{name}/events``).

The graph holds aggregated relations; a host whose events name no process,
user or address (service-state events, review T9 F1) has an entity page with
nothing on it, and no host page says what happened on it in order.  The
journal, the system of record, holds every accepted event with its host, so
this reads it (:mod:`ingest.journal_host_events`): both graph stores answer
alike.  The store is asked only whether a host with no journaled event is
known there (a host named by other machines' events: an empty timeline, not
a 404).
"""

from __future__ import annotations

from typing import Any

from graphsiem.api.context import AppContext
from graphsiem.api.errors import NotFound, Unprocessable
from graphsiem.api.schemas import HostEventRow, HostEventsOut, MappedHost
from graphsiem.api.schemas_ingest import KeptClockGap
from graphsiem.api.services.evidence_hosts import mapped_host_out
from graphsiem.api.services.journal_view import receipt_of
from graphsiem.event_summary import summarize
from graphsiem.model import Event, epoch_to_iso
from ingest.ipmap_evidence import mapped_hosts
from ingest.journal_clock_gaps import kept_clock_gaps
from ingest.journal_host_events import LIMIT_MAX, HostFilter, has_events, host_events, parse_cursor
from ingest.journal_sid_names import named_account, sid_names
from ingest.normalize_hosts import normalize_host


def timeline(ctx: AppContext, *, name: str, limit: int, before: str | None = None,
             since: float | None = None, until: float | None = None,
             kinds: list[str] | None = None) -> HostEventsOut:
    """The newest events of the host ``name`` spells (normalised as the ingest does), a page at a time.

    Parameters
    ----------
    ctx : AppContext
        The service (its journal; its store for a host with no event).
    name : str
        The host as typed: ``WORKSTATION5.theshire.local`` is ``workstation5``.
    limit : int
        Page size, capped to :data:`ingest.journal_host_events.LIMIT_MAX`.
    before : str, optional
        The previous page's ``next_before``: only older events.
    since, until : float, optional
        Only events from ``since`` to ``until`` (epoch seconds, both inclusive).
    kinds : list of str, optional
        Only events of these kinds.

    Raises
    ------
    NotFound
        When the journal holds no event of the host and the graph has no such host.
    Unprocessable
        When ``before`` is no cursor of this listing, or ``until`` is before ``since``.
    """
    host = normalize_host(name)
    if not host:
        raise NotFound(f"{name[:200]!r} is no host name (it normalises to nothing)", field="name")
    cursor = None
    if before is not None:
        try:
            cursor = parse_cursor(before)
        except ValueError as exc:
            raise Unprocessable(str(exc), field="before") from None
    if since is not None and until is not None and until < since:
        raise Unprocessable("until is before since: no event can match", field="until")
    db = _journal_database(ctx)
    where = HostFilter(since=since, until=until, kinds=tuple(dict.fromkeys(kinds or ())))
    if db is None:
        found = None
    else:
        found = host_events(db, host, limit=min(limit, LIMIT_MAX), before=cursor, where=where)
    if found is None or (found.total == 0 and not has_events(db, host)):
        _require_known(ctx, name, host)
    if found is None:
        return HostEventsOut(host=host, items=[], total=0, total_capped=False, next_before=None)
    public = ctx.ingest.public_origin
    mapped = _mapped_intervals(db, host, [event for event in found.events if event.id in found.mapped_ids])
    accounts = sid_names(db, (event.fields.get("user.name") for event in found.events))
    items = [HostEventRow(id=event.id, ts=epoch_to_iso(event.ts) or "", kind=event.kind,
                          source=event.source, origin=public(event.origin or ""),
                          summary=summarize(named_account(event.fields, accounts), event.kind),
                          received_at=receipt_of(event).get("received_at"),
                          tied="ip_map" if event.id in found.mapped_ids else "reported",
                          mapped=mapped.get(event.id, []))
             for event in found.events]
    # the host's own clock against a sensor's, as its latest ingest measured it (ingest.journal_clock_gaps)
    gaps = [KeptClockGap.of(gap) for gap in kept_clock_gaps(db, host=host)]
    return HostEventsOut(host=host, items=items, total=found.total, total_capped=found.total_capped,
                         next_before=found.next_cursor.text() if found.next_cursor else None, clock_gaps=gaps)


def _mapped_intervals(db: Any, host: str, events: list[Event]) -> dict[str, list[MappedHost]]:
    """For the page's events tied by the map: the map's interval of each of their addresses that was ``host``'s."""
    found = mapped_hosts(db, events) if events else {}
    return {event_id: [mapped_host_out(m) for m in ends if m.host == host] for event_id, ends in found.items()}


def _require_known(ctx: AppContext, name: str, host: str) -> None:
    """Nothing when the graph has the host (named by other machines' events); else 404 saying so."""
    with ctx.store_guard():
        entity = ctx.store.get_entity("host", host)
    if entity is None:
        shown = f"{name[:200]!r}" + (f" (normalised {host!r})" if host != name else "")
        raise NotFound(f"no host {shown}: the journal holds no event of it and the graph no such host",
                       field="name")


def _journal_database(ctx: AppContext) -> Any:
    """This thread's connection to the journal database, or None when the service has no ingest."""
    ingest: Any = ctx.ingest
    return ingest.journal().connection if ingest is not None else None
