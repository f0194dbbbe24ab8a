"""Request dependencies: the application context and API-key authentication.

Keys travel as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.  A
missing, unknown or revoked key is 401; a valid key whose role may not use a
route is 403.  ``admin`` may use every route.

For a request that carries a body,
:class:`graphsiem.api.early_auth.EarlyAuthMiddleware` makes these checks on the
headers before a byte of the body is read (FastAPI parses a declared body or
form before any dependency runs) and leaves the principal in the request scope,
where :func:`authenticate` takes it instead of reading the key again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from graphsiem.api.context import AppContext
from graphsiem.api.errors import Forbidden, Unauthorized
from graphsiem.api.key_quotas import key_quotas
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


PRINCIPAL_SCOPE_KEY = "graphsiem.principal"
"""Where the early check leaves the :class:`Principal` in the ASGI scope (server-side only)."""


async def presented_key(connection: HTTPConnection) -> tuple[str | None, str]:
    """The key the request presents and its field: ``Authorization: Bearer`` first, then ``X-API-Key``.

    Read with the very security schemes the routes declare, so the early check
    on the headers and the dependency cannot disagree on what was sent.  The
    field (``header.Authorization`` or ``header.X-API-Key``) is what a 429 names.
    """
    bearer = await _bearer(connection)
    if bearer is not None:
        return bearer.credentials, "header.Authorization"
    return await _header(connection), "header.X-API-Key"


def principal_for(ctx: AppContext, secret: str | None, *, field: str = "header.X-API-Key") -> Principal:
    """The :class:`Principal` of ``secret``, or :class:`Unauthorized` naming what is wrong.

    Parameters
    ----------
    ctx : AppContext
        The application context (its state database holds the keys).
    secret : str or None
        The key as presented; ``None`` or empty when none was.
    field : str
        The header that carried it (:func:`presented_key`), named by a 429.

    Returns
    -------
    Principal
        The key's id, name and role.

    Raises
    ------
    Unauthorized
        No key, or an unknown or revoked one.
    RateLimited
        The key is over its request quota (429, ``Retry-After``).
    """
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
    # once a request, a known key only: 429 when it is over its quota (graphsiem.api.key_quotas)
    key_quotas(ctx).charge(key.id, field=field)
    return Principal(key_id=key.id, name=key.name, role=key.role)


async def authenticate(
    ctx: Context,
    request: Request,
    # Declared for the OpenAPI security schemes; the key is read by presented_key.
    _bearer_scheme: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    _header_scheme: Annotated[str | None, Security(_header)],
) -> Principal:
    """The caller's key, or 401 naming what is wrong with it."""
    early = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if isinstance(early, Principal):
        return early  # checked on the headers before the body was read
    secret, field = await presented_key(request)
    principal = principal_for(ctx, secret, field=field)
    # a route that reads its body in the endpoint (/v1/events) meets the early check after this:
    # it finds the key checked (and charged to its quota) once already
    request.scope[PRINCIPAL_SCOPE_KEY] = principal
    return principal


class RoleCheck:
    """A dependency admitting callers whose role is in ``allowed``; 403 otherwise.

    A class rather than a closure so that the early check can find, on a
    route's dependency tree, which roles the route admits.
    """

    def __init__(self, allowed: frozenset[Role]) -> None:
        self.allowed = allowed
        self.names = ", ".join(sorted(r.value for r in allowed))

    def check(self, principal: Principal) -> Principal:
        """``principal`` when its role is allowed, else :class:`Forbidden`."""
        if principal.role not in self.allowed:
            raise Forbidden(f"role {principal.role.value!r} may not do this "
                            f"(needs one of: {self.names})")
        return principal

    async def __call__(self, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        return self.check(principal)


def require(*roles: Role) -> RoleCheck:
    """A dependency admitting callers whose role is in ``roles`` (or admin)."""
    return RoleCheck(frozenset(roles) | {Role.ADMIN})


IngestCaller = Annotated[Principal, Depends(require(Role.INGEST))]
AnalystCaller = Annotated[Principal, Depends(require(Role.ANALYST))]
AdminCaller = Annotated[Principal, Depends(require(Role.ADMIN))]
