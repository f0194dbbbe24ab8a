"""Check the API key and role on the headers before a request body is read.

FastAPI reads a route's declared body (a JSON model, a multipart form) before
it runs any dependency, the key check included: a keyless ``POST /v1/files``
was parsed and spooled to disk up to the upload limit (512 MiB per concurrent
request, for anyone) before it was answered 401, and a client sending only the
headers was not answered at all (review R2, item 7).  When the routed
application first asks for the body, this middleware reads which key and roles
the route's dependencies demand (:func:`graphsiem.api.deps.authenticate`,
:class:`graphsiem.api.deps.RoleCheck`) and answers 401/403 from the headers
alone, closing the connection rather than reading the body.  An admitted
principal is left in the scope for the dependency, so the key is still read
once per request.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphsiem.api.context import AppContext
from graphsiem.api.deps import (
    PRINCIPAL_SCOPE_KEY,
    Principal,
    RoleCheck,
    authenticate,
    presented_key,
    principal_for,
)
from graphsiem.api.errors import ApiError
from graphsiem.api.middleware import BodyRefusal, carries_body, send_error


@dataclass(frozen=True, slots=True)
class KeyRequirement:
    """What a route's dependencies demand of the caller: a key, and roles it must have."""

    role_checks: tuple[RoleCheck, ...]


def key_requirement(dependant: Dependant) -> KeyRequirement | None:
    """The key (and roles) a route's dependency tree demands; ``None`` for an open route.

    Parameters
    ----------
    dependant : Dependant
        ``APIRoute.dependant`` (router-level dependencies are already in it).

    Returns
    -------
    KeyRequirement or None
        ``None`` when no dependency authenticates the caller.
    """
    needs_key = False
    checks: list[RoleCheck] = []
    pending = [dependant]
    while pending:
        node = pending.pop()
        if node.call is authenticate:
            needs_key = True
        elif isinstance(node.call, RoleCheck):
            needs_key = True
            checks.append(node.call)
        pending.extend(node.dependencies)
    return KeyRequirement(role_checks=tuple(checks)) if needs_key else None


async def admit(ctx: AppContext, scope: Scope, requirement: KeyRequirement) -> None:
    """Check the key and roles ``requirement`` demands on the headers; the principal is left in ``scope``.

    Parameters
    ----------
    ctx : AppContext
        The application context (its state database holds the keys).
    scope : Scope
        The routed request's ASGI scope: :func:`graphsiem.api.deps.authenticate` reads the
        principal there, so the key is read (and charged to its quota) once per request.
    requirement : KeyRequirement
        What the route demands (:func:`key_requirement`).

    Raises
    ------
    ApiError
        401 (no, unknown or revoked key), 403 (a role the route does not admit) or 429.
    """
    if isinstance(scope.get(PRINCIPAL_SCOPE_KEY), Principal):
        return  # checked on this request already
    secret, field = await presented_key(HTTPConnection(scope))
    principal = principal_for(ctx, secret, field=field)
    for check in requirement.role_checks:
        check.check(principal)
    scope[PRINCIPAL_SCOPE_KEY] = principal


class EarlyAuthMiddleware:
    """401/403 from the headers, when the application first asks for the body.

    The check runs on the application's first ``receive()``: the router has
    then chosen the route (FastAPI leaves it in ``scope["route"]``) and not a
    byte of the body has been read.  A refusal is raised into the body read
    (FastAPI would make it a 400) and the answer replaced by the 401/403, with
    ``Connection: close`` so the server reads no more of the body either.  A
    route that reads no body (``/v1/events`` reads it in the endpoint, after its
    dependencies) is left to its dependencies, as is anything not an ``APIRoute``.
    """

    def __init__(self, app: ASGIApp, *, ctx: AppContext) -> None:
        self.app = app
        self.ctx = ctx
        # id(route) -> requirement: routes live as long as the app, and Starlette
        # routes define __eq__ without __hash__.
        self._requirements: dict[int, KeyRequirement | None] = {}

    def _requirement(self, route: APIRoute) -> KeyRequirement | None:
        if id(route) not in self._requirements:
            self._requirements[id(route)] = key_requirement(route.dependant)
        return self._requirements[id(route)]

    async def _refusal(self, scope: Scope) -> ApiError | None:
        """Why the routed request may not go on, or ``None`` (its principal then in ``scope``)."""
        route = scope.get("route")
        requirement = self._requirement(route) if isinstance(route, APIRoute) else None
        if requirement is None:
            return None  # an open route
        try:
            await admit(self.ctx, scope, requirement)  # the routed request's scope: its dependency reads it
        except ApiError as exc:
            return exc
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not carries_body(scope):
            await self.app(scope, receive, send)
            return
        refusal = BodyRefusal(send)
        checked = False

        async def checked_receive() -> Message:
            nonlocal checked
            if not checked:
                checked = True
                refused = await self._refusal(scope)
                if refused is not None:
                    refusal.refuse(functools.partial(_send_refusal, exc=refused))
            return await receive()

        await refusal.run(self.app, scope, checked_receive)


async def _send_refusal(send: Send, *, exc: ApiError) -> None:
    # Connection: close: the server reads no more of the body the app never read.
    await send_error(send, exc.status_code, exc.code, exc.message, field=exc.field,
                     details=exc.details, headers=(exc.headers or {}).items(), close=True)
