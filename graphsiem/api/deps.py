"""Request dependencies: the application context and API-key authentication.

Keys travel as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.  A
missing, unknown or revoked key is 401; a valid key whose role may not use a
route is 403.  ``admin`` may use every route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from graphsiem.api.context import AppContext
from graphsiem.api.errors import Forbidden, Unauthorized
from graphsiem.api.state import ApiKey, Role

# auto_error=False: we raise our own 401 with the error body of errors.py.
_bearer = HTTPBearer(auto_error=False, description="API key as a Bearer token.")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key header.")


# The dependencies are ``async``: FastAPI runs sync dependencies on a worker
# thread, and three thread hops per request cost more than the work itself
# (one primary-key read in SQLite).
async def get_context(request: Request) -> AppContext:
    """The :class:`AppContext` built by ``create_app``."""
    return request.app.state.ctx


Context = Annotated[AppContext, Depends(get_context)]


@dataclass(slots=True, frozen=True)
class Principal:
    """Who is calling: the key's id, name and role (used for the audit trail)."""

    key_id: str
    name: str
    role: Role

    @property
    def actor(self) -> str:
        return f"{self.name} ({self.key_id})"


async def authenticate(
    ctx: Context,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header_key: Annotated[str | None, Security(_header)],
) -> Principal:
    """The caller's key, or 401 naming what is wrong with it."""
    secret = bearer.credentials if bearer is not None else header_key
    if not secret:
        raise Unauthorized("missing API key (Authorization: Bearer <key> or X-API-Key)")
    # No in-process cache: a key revoked by ``graphsiem keys revoke`` (another
    # process) must stop working on the next request.  The lookup is one
    # primary-key read in SQLite.
    key: ApiKey | None = ctx.state.verify_key(secret)
    if key is None:
        raise Unauthorized("invalid API key")
    if key.is_revoked:
        raise Unauthorized("revoked API key")
    return Principal(key_id=key.id, name=key.name, role=key.role)


def require(*roles: Role):
    """A dependency admitting callers whose role is in ``roles`` (or admin)."""
    allowed = frozenset(roles) | {Role.ADMIN}
    names = ", ".join(sorted(r.value for r in allowed))

    async def _check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"role {principal.role.value!r} may not do this (needs one of: {names})")
        return principal

    return _check


IngestCaller = Annotated[Principal, Depends(require(Role.INGEST))]
AnalystCaller = Annotated[Principal, Depends(require(Role.ANALYST))]
AdminCaller = Annotated[Principal, Depends(require(Role.ADMIN))]
