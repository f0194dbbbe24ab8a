"""``/v1/keys``: API key administration (admin only; the CLI does the same)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.responses import Response

from graphsiem.api.deps import AdminCaller, Context
from graphsiem.api.errors import NotFound
from graphsiem.api.schemas import KeyCreate
from graphsiem.api.services.keys import key_name_problem
from graphsiem.api.state import ApiKey, Role
from graphsiem.model import epoch_to_iso

router = APIRouter(prefix="/v1/keys", tags=["keys"])


class KeyOut(BaseModel):
    id: str
    name: str
    role: Role
    created_at: str
    revoked_at: str | None = None


class KeyCreated(KeyOut):
    key: str


def _out(key: ApiKey) -> dict:
    return {"id": key.id, "name": key.name, "role": key.role,
            "created_at": epoch_to_iso(key.created_at), "revoked_at": epoch_to_iso(key.revoked_at)}


@router.get("", response_model=list[KeyOut], summary="List API keys (never the secrets)")
def list_keys(ctx: Context, _: AdminCaller) -> list[KeyOut]:
    return [KeyOut(**_out(k)) for k in ctx.state.list_keys()]


@router.post("", response_model=KeyCreated, status_code=201,
             summary="Create a key; the secret is in this response only")
def create_key(ctx: Context, _: AdminCaller, body: KeyCreate) -> KeyCreated:
    problem = key_name_problem(body.name)
    if problem is not None:
        # Raised as the schema's own validation errors are, so the answer is the
        # same 422 with the field named (body.name) as for a name too long.
        raise RequestValidationError([{"loc": ("body", "name"), "msg": problem, "type": "value_error"}])
    record, secret = ctx.state.create_key(role=body.role, name=body.name)
    return KeyCreated(**_out(record), key=secret)


@router.delete("/{key_id}", status_code=204, responses={404: {"description": "No such key."}},
               summary="Revoke a key")
def revoke_key(ctx: Context, _: AdminCaller,
               key_id: Annotated[str, Path(min_length=1, max_length=64)]) -> Response:
    if not ctx.state.revoke_key(key_id):
        raise NotFound(f"no API key {key_id!r}", field="key_id")
    return Response(status_code=204)
