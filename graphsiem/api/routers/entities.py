"""``/v1/entities``: look up, expand and search entities of the graph."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from graphsiem.api.deps import AnalystCaller, Context
from graphsiem.api.routers.clusters import _epoch as epoch_of
from graphsiem.api.schemas import EntityOut, EntitySearchOut, HostEventsOut, NeighborsOut
from graphsiem.api.services import entities as service
from graphsiem.api.services import host_timeline
from graphsiem.model import EntityType
from ingest.journal_host_events import KINDS_MAX, LIMIT_MAX

router = APIRouter(prefix="/v1/entities", tags=["entities"])

Value = Annotated[str, Path(min_length=1, max_length=8192,
                            description="The entity's key or value (paths and URLs allowed); for a file "
                            "or process also an MD5, SHA-1, SHA-256 or imphash it carries, for a user "
                            "also `DOMAIN\\account`, `account@dns.domain` or the bare account.")]
_NOT_FOUND = {404: {"description": "No such entity."},
              409: {"description": "Several entities carry the digest or spell the account: "
                    "`error.details` lists them (type, key, value, matched); look one up by its key."}}


@router.get("", response_model=EntitySearchOut, summary="Search entities by value")
def search_entities(
    ctx: Context,
    _: AnalystCaller,
    q: Annotated[str, Query(min_length=1, max_length=512,
                            description="Prefix or substring of the value or key, case-insensitive; "
                            "also a whole digest of a file or process (MD5, SHA-1, SHA-256, imphash) "
                            "and a user's other spellings (`DOMAIN\\account`, UPN, bare account).")],
    type: Annotated[EntityType | None, Query(description="Only this entity type.")] = None,
    limit: Annotated[int, Query(ge=1, description="Maximum hits (capped).")] = 50,
) -> EntitySearchOut:
    return service.search(ctx, q=q, entity_type=type.value if type else None,
                          limit=min(limit, ctx.settings.search_limit_max))


# Declared before the plain look-up: ``{value:path}`` would otherwise swallow
# the ``/events`` and ``/neighbors`` suffixes.
@router.get("/host/{name}/events", response_model=HostEventsOut,
            responses={404: {"description": "The journal holds no event of the host and the graph no such host."},
                       422: {"description": "`before` is no cursor of this listing, a time has no zone, "
                             "or `until` is before `since`."}},
            summary="A host's journaled events, newest first (its timeline)")
async def get_host_events(
    ctx: Context,
    _: AnalystCaller,
    name: Annotated[str, Path(min_length=1, max_length=1024, description=(
        "The host, normalised as the ingest does (`WORKSTATION5.theshire.local` is `workstation5`)."))],
    limit: Annotated[int, Query(ge=1, description=f"Events a page lists (capped at {LIMIT_MAX:,}).")] = 100,
    before: Annotated[str | None, Query(max_length=64, description="The previous page's `next_before`: "
                                        "the next, older page.")] = None,
    since: Annotated[datetime | None, Query(description="Only events at or after this ISO-8601 time "
                                            "(event time); zone required.")] = None,
    until: Annotated[datetime | None, Query(description="Only events at or before this ISO-8601 time "
                                            "(event time); zone required.")] = None,
    kind: Annotated[list[str] | None, Query(max_length=KINDS_MAX, description=(
        f"Only events of these kinds (repeat the parameter, at most {KINDS_MAX}): `windows:other`, "
        "`sysmon:process_create`..."))] = None,
) -> HostEventsOut:
    """A host's journaled events, newest first, a page at a time (``next_before`` pages on).
    \f
    The text above the form feed is the operation's description in the OpenAPI document;
    FastAPI leaves out what follows.

    Parameters
    ----------
    ctx : AppContext
        The service (its journal; its store for a host with no event).
    name : str
        The host as typed: normalised as the ingest does.
    limit : int
        Page size, capped to :data:`ingest.journal_host_events.LIMIT_MAX`.
    before : str, optional
        The previous page's ``next_before``: only older events.
    since, until : datetime, optional
        Only events at or after ``since`` and at or before ``until`` (event time, zone required).
    kind : list of str, optional
        Only events of these kinds (at most :data:`ingest.journal_host_events.KINDS_MAX`).

    Returns
    -------
    HostEventsOut
        The page, the matching count (capped) and the next page's cursor.

    Raises
    ------
    NotFound
        The journal holds no event of the host and the graph no such host (404).
    Unprocessable
        ``before`` is no cursor of this listing, a time has no zone, or ``until`` is before ``since`` (422).
    """
    # the journal read is SQLite I/O: off the event loop
    return await run_in_threadpool(
        host_timeline.timeline, ctx, name=name, limit=limit, before=before,
        since=epoch_of("since", since), until=epoch_of("until", until), kinds=kind)


@router.get("/{entity_type}/{value:path}/neighbors", response_model=NeighborsOut,
            responses=_NOT_FOUND, summary="Neighbourhood of an entity as nodes and edges")
def get_neighbors(
    ctx: Context,
    _: AnalystCaller,
    entity_type: EntityType,
    value: Value,
    depth: Annotated[int, Query(ge=1, le=3, description="Hops to expand.")] = 1,
    limit: Annotated[int, Query(ge=1, description="Maximum neighbours in total (capped).")] = 100,
    types: Annotated[list[EntityType] | None, Query(
        description="Only neighbours of these types (repeat the parameter).")] = None,
) -> NeighborsOut:
    return service.neighbors(ctx, entity_type=entity_type.value, value=value, depth=depth,
                             limit=min(limit, ctx.settings.neighbors_limit_max),
                             types=[t.value for t in types] if types else None)


@router.get("/{entity_type}/{value:path}", response_model=EntityOut, responses=_NOT_FOUND,
            summary="Prevalence, first/last seen and hosts of one entity")
def get_entity(ctx: Context, _: AnalystCaller, entity_type: EntityType,
               value: Value) -> EntityOut:
    return service.entity_detail(ctx, entity_type=entity_type.value, value=value)
