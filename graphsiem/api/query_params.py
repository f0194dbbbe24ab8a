"""Refuse query parameters a ``/v1`` route does not declare (422 naming them and the accepted ones).

FastAPI ignores a query parameter no route parameter declares, so a client's typo
(``?statuss=open``, ``?limt=5``) was answered as if no filter had been asked for: the whole queue,
a full page.  One app-wide dependency compares the request's parameters with those the routed
endpoint declares anywhere in its dependency tree (FastAPI has them in ``APIRoute.dependant``).

There is no exception, not even a cache-busting ``_``: no client of the API sends one (the page
and the notebooks send only declared parameters), and a parameter that is read by nothing is the
mistake this catches.  Routes outside ``/v1`` (the page, ``/docs``, ``/healthz``, ``/readyz``,
``/metrics``) are left as they were: probes and scrapers add parameters of their own.

A route that needs a key checks it first: a caller without one is answered 401 (or 403), never
told which parameters the route takes.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from graphsiem.api.early_auth import admit, key_requirement
from graphsiem.api.errors import Unprocessable

API_PREFIX = "/v1/"
"""The routes whose query parameters are checked."""


def declared_query_parameters(dependant: Dependant) -> frozenset[str]:
    """The query parameter names (aliases) a route's dependency tree declares.

    Parameters
    ----------
    dependant : Dependant
        ``APIRoute.dependant``: the endpoint's parameters and its dependencies' (router- and
        app-level ones included).

    Returns
    -------
    frozenset of str
        The names a client may send in the query string.
    """
    names: set[str] = set()
    pending = [dependant]
    while pending:
        node = pending.pop()
        names.update(field.alias for field in node.query_params)
        pending.extend(node.dependencies)
    return frozenset(names)


def _declared(route: APIRoute) -> frozenset[str]:
    # routes live as long as the app: computed once a route (Starlette routes are unhashable)
    cached: frozenset[str] | None = getattr(route, "_graphsiem_query_names", None)
    if cached is None:
        cached = declared_query_parameters(route.dependant)
        route._graphsiem_query_names = cached  # type: ignore[attr-defined]
    return cached


async def reject_unknown_query_parameters(request: Request) -> None:
    """422 when a ``/v1`` request's query string names a parameter its route does not declare.

    Raises
    ------
    Unprocessable
        Naming the first unknown parameter as the field, every unknown one and the accepted
        ones in the message (and in ``details``).
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.url.path.startswith(API_PREFIX):
        return
    accepted = _declared(route)
    unknown = sorted({name for name in request.query_params if name not in accepted})
    if not unknown:
        return
    requirement = key_requirement(route.dependant)
    if requirement is not None:
        await admit(request.app.state.ctx, request.scope, requirement)
    listed = ", ".join(sorted(accepted)) if accepted else "none"
    names = ", ".join(repr(name) for name in unknown)
    raise Unprocessable(
        f"unknown query parameter{'s' if len(unknown) > 1 else ''} {names} "
        f"(this route accepts: {listed})",
        field=f"query.{unknown[0]}",
        details=[{"unknown": unknown, "accepted": sorted(accepted)}])
