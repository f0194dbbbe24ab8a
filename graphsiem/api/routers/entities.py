"""``/v1/entities``: look up, expand and search entities of the graph."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from graphsiem.api.deps import AnalystCaller, Context
from graphsiem.api.schemas import EntityOut, EntitySearchOut, NeighborsOut
from graphsiem.api.services import entities as service
from graphsiem.model import EntityType

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
# the ``/neighbors`` suffix.
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
