"""``/v1/suppressions``: pivots suppressed by a benign verdict; visible and reversible."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from graphsiem.api.deps import AnalystCaller, Context
from graphsiem.api.errors import NotFound
from graphsiem.api.schemas import SuppressionOut
from graphsiem.api.services import clusters as service
from graphsiem.model import EntityType

router = APIRouter(prefix="/v1/suppressions", tags=["suppressions"])


@router.get("", response_model=list[SuppressionOut], summary="Suppressed pivots")
def list_suppressions(ctx: Context, _: AnalystCaller) -> list[SuppressionOut]:
    return service.suppressions(ctx)


@router.delete("/{pivot_type}/{pivot_key:path}", status_code=204,
               responses={404: {"description": "No such suppression."}},
               summary="Lift a suppression (the cluster's benign verdict is cleared)")
def delete_suppression(ctx: Context, caller: AnalystCaller, pivot_type: EntityType,
                       pivot_key: Annotated[str, Path(min_length=1, max_length=4096)]
                       ) -> Response:
    try:
        service.lift_suppression(ctx, pivot_type=pivot_type.value, pivot_key=pivot_key,
                                 actor=caller.actor)
    except NotFound as exc:
        # the service names the pivot as a whole, which is no parameter of this route: the
        # client named it by the path's type (valid, or it is 422) and key (review T11, F9)
        raise NotFound(exc.message, field="path.pivot_key") from None
    return Response(status_code=204)
