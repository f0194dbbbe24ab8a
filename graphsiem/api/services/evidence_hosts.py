"""Evidence events read back from the journal with the host the IP -> host map says each sensor record was.

A Zeek or Suricata record names no host (``host`` null); the ingest tied it to
one of the cluster's hosts through the IP -> host map when it projected it.
The cluster detail, its case bundle and ``GET /v1/evidence`` answer that host
beside the record (:class:`~graphsiem.api.schemas.MappedHost`, review T11 F10),
read with one look-up per page (:mod:`ingest.ipmap_evidence`); the event
itself stays as recorded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from graphsiem.api.context import AppContext
from graphsiem.api.schemas import MappedHost
from graphsiem.api.services.address_map import SOURCE_WORDS
from graphsiem.api.services.journal_view import event_to_dict
from graphsiem.model import epoch_to_iso
from ingest import ipmap_evidence
from ingest.ipmap_evidence import mapped_hosts


def evidence_with_hosts(ctx: AppContext, ids: Sequence[str]) -> tuple[dict[str, dict[str, Any]], dict[str, list[MappedHost]]]:
    """The journaled events of ``ids`` and, for those naming no host, the hosts the map held for them.

    Parameters
    ----------
    ctx : AppContext
        The application (its journal and the map's database).
    ids : sequence of str
        Event ids of one evidence page.

    Returns
    -------
    events : dict
        ``{event id: event dict}`` (:func:`~graphsiem.api.services.journal_view.event_to_dict`);
        ids the journal does not hold are absent.
    mapped : dict
        ``{event id: [MappedHost, ...]}`` for the events the map ties to a host, source first.
    """
    if ctx.journal is None or not ids:
        return {}, {}
    events = ctx.journal.get(list(ids))
    found = mapped_hosts(_map_database(ctx), events)
    mapped = {event_id: [mapped_host_out(m) for m in hosts] for event_id, hosts in found.items()}
    return {event.id: event_to_dict(event) for event in events}, mapped


def mapped_host_out(found: ipmap_evidence.MappedHost) -> MappedHost:
    """The API's form of one answer of the map (:class:`ingest.ipmap_evidence.MappedHost`)."""
    return MappedHost(host=found.host, mapped_from=found.side, ip=found.ip, source=found.source,
                      how=SOURCE_WORDS.get(found.source, found.source),
                      start=epoch_to_iso(found.start) or "", end=epoch_to_iso(found.end) or "")


def _map_database(ctx: AppContext) -> sqlite3.Connection | None:
    """This thread's connection to the journal database, where the map (``ip_hosts``) lives; None without one."""
    ingest: Any = ctx.ingest
    if ingest is not None:
        connection: sqlite3.Connection = ingest.journal().connection
        return connection
    return getattr(ctx.journal, "connection", None)  # a context built around a bare Journal
