"""Domain errors and their one mapping to HTTP responses.

Services raise :class:`ApiError` subclasses (or let library errors such as
:class:`graphsiem.store.base.StoreError` through); :func:`install_handlers`
turns every one of them into a JSON body of one shape::

    {"error": {"code": "not_found", "message": "...", "field": null, "details": []}}

No handler ever puts an exception's traceback, a file path or a repr of
internal objects in a response: unexpected errors are logged server-side and
answered with a fixed message and a correlation id.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from graphsiem.api.responses import JsonResponse
from graphsiem.store.base import StoreError

log = logging.getLogger("graphsiem.api")

JSON_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
"""For JSON answers: nothing may load, run or frame them, should a browser ever render one."""


class ApiError(Exception):
    """A domain error with its HTTP status, a stable code and an optional field."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None,
                 details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or []
        self.headers = headers


class BadRequest(ApiError):
    status_code = 400
    code = "bad_request"


class Unauthorized(ApiError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="graphsiem"'})


class Forbidden(ApiError):
    status_code = 403
    code = "forbidden"


class NotFound(ApiError):
    status_code = 404
    code = "not_found"


class Conflict(ApiError):
    status_code = 409
    code = "conflict"


class QueueChanged(ApiError):
    """409: a cursor made on an earlier generation of the queue (its scores and order have moved since)."""

    status_code = 409
    code = "queue_changed"


class PreconditionFailed(ApiError):
    """412: ``If-Match`` named a triage version the cluster is no longer at."""

    status_code = 412
    code = "precondition_failed"


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    """415: a body of a type or a ``Content-Encoding`` the endpoint does not read."""

    status_code = 415
    code = "unsupported_media_type"


class Unprocessable(ApiError):
    """422: a parameter or the body is not valid; answered in the shape of FastAPI's own validation errors.

    The code was ``unprocessable``, with the message unprefixed and no ``details``, beside
    FastAPI's ``validation_error`` (review U3 #3c): :func:`validation_shape` makes one shape.
    """

    status_code = 422
    code = "validation_error"


class RateLimited(ApiError):
    """429: the API key is over its request quota (``api_key_rate_per_s``); ``Retry-After`` says when to retry."""

    status_code = 429
    code = "rate_limited"


class Unavailable(ApiError):
    status_code = 503
    code = "unavailable"


class InsufficientStorage(ApiError):
    """507: the journal's disk refused the write (full, read-only); the message names the disk's reason."""

    status_code = 507
    code = "insufficient_storage"


def error_body(code: str, message: str, *, field: str | None = None,
               details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The JSON body every error response carries."""
    return {"error": {"code": code, "message": message, "field": field,
                      "details": details or []}}


LOCATIONS = ("query", "path", "body", "header")
"""Where a request field is: an error's ``field`` is always ``<location>.<name>`` (``query.limit``,
``path.cluster_id``, ``body.status``, ``header.If-Match``)."""

_HEADER_FIELDS = {name.lower(): name for name in (
    "Authorization", "X-API-Key", "Content-Type", "Content-Encoding", "Content-Length",
    "If-Match", "If-None-Match", "Idempotency-Key")}


def _route_parameters(request: Request) -> dict[str, str]:
    """``{parameter name: location}`` of the route that matched ``request`` (none before routing)."""
    located: dict[str, str] = {}
    pending = [getattr(request.scope.get("route"), "dependant", None)]
    while pending:  # the endpoint's own parameters and those of its dependencies
        dependant = pending.pop()
        if dependant is None:
            continue
        for location in ("body", "header", "query", "path"):
            for param in getattr(dependant, f"{location}_params", ()):
                located.setdefault(param.alias, location)
                located.setdefault(param.name, location)
        pending.extend(getattr(dependant, "dependencies", ()))
    return located


def qualified_field(field: str | None, request: Request) -> str | None:
    """``field`` as ``<location>.<name>``: a bare name is looked up among the route's parameters.

    Services name the parameter they refuse (``since``, ``cluster_id``, ``If-Match``); a
    client must not have to guess whether that is the query, the path or a header (review
    T11, F9).  A field already located, or a name the route does not have, is left as it is.

    Examples
    --------
    >>> from starlette.requests import Request
    >>> qualified_field("If-Match", Request({"type": "http", "headers": []}))
    'header.If-Match'
    >>> qualified_field("query.limit", Request({"type": "http", "headers": []}))
    'query.limit'
    """
    if field is None or field.split(".", 1)[0] in LOCATIONS:
        return field
    header = _HEADER_FIELDS.get(field.lower())
    if header is not None:
        return f"header.{header}"
    location = _route_parameters(request).get(field)
    if location is None and field in request.query_params:
        location = "query"
    return f"{location}.{field}" if location else field


def _json_decode_problem(exc: RequestValidationError) -> str | None:
    """``invalid JSON at line L, column C: <reason>`` when the body was not JSON, else None.

    FastAPI reports it as a validation error at ``("body", <character offset>)`` with the
    message "JSON decode error": a client read ``body.1`` as the second element of its body.
    """
    errors = exc.errors()
    if len(errors) != 1 or errors[0].get("type") != "json_invalid":
        return None
    loc = errors[0].get("loc", ())
    offset = loc[1] if len(loc) == 2 and isinstance(loc[1], int) else None
    reason = str((errors[0].get("ctx") or {}).get("error", "not valid JSON"))
    body = exc.body
    if offset is None or not isinstance(body, str | bytes):
        return f"the body is not valid JSON: {reason}"
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"the body is not valid JSON: {reason} at line {line}, column {column}"


_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")
"""What pydantic puts before a validator's own message (``ValueError``, ``assert``): noise to a client."""


def validation_reason(message: str, name: str | None) -> str:
    """A validation error's reason without pydantic's prefix nor the field's name said again.

    The error is answered as ``<field>: <reason>``; a validator that raised
    ``ValueError("assignee: …")`` read "body.assignee: Value error, assignee: …" (review U2 #3).

    Examples
    --------
    >>> validation_reason("Value error, assignee: a control character (U+001B)", "assignee")
    'a control character (U+001B)'
    >>> validation_reason("Input should be 'open' or 'closed'", "status")
    "Input should be 'open' or 'closed'"
    """
    for prefix in _PYDANTIC_PREFIXES:
        if message.startswith(prefix):
            message = message[len(prefix):]
            break
    if name and message.startswith(f"{name}: ") and len(message) > len(name) + 2:
        message = message[len(name) + 2:]
    return message


def validation_shape(message: str, field: str | None,
                     details: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The message and details of a 422 a service raised, as a request validation error has them.

    The message is ``<field>: <reason>``; every detail has ``field``, ``reason`` and ``type``
    (a service's own keys, such as ``unknown`` and ``accepted``, kept beside them); without
    details, the error itself is the one.

    Examples
    --------
    >>> validation_shape("since needs a zone", "query.since", [])
    ('query.since: since needs a zone', [{'field': 'query.since', 'reason': 'since needs a zone', 'type': 'value_error'}])
    >>> validation_shape("query.limit: too big", "query.limit", [{"limit": 5}])[1]
    [{'field': 'query.limit', 'reason': 'too big', 'type': 'value_error', 'limit': 5}]
    """
    name = field.split(".", 1)[1] if field and field.split(".", 1)[0] in LOCATIONS and "." in field else field
    reason = message
    if field and reason.startswith(f"{field}: "):
        reason = reason[len(field) + 2:]
    reason = validation_reason(reason, name)
    shaped = [{"field": field, "reason": reason, "type": "value_error", **detail} for detail in details]
    return (f"{field}: {reason}" if field else reason), shaped or [
        {"field": field, "reason": reason, "type": "value_error"}]


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        # Only the location, the reason and the error type: pydantic's "input"
        # and "ctx" can echo large or attacker-controlled values back.
        reason = validation_reason(str(err.get("msg", "invalid")), loc[-1] if loc else None)
        details.append({"field": ".".join(loc), "reason": reason, "type": str(err.get("type", ""))})
    return details


_ROUTED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the application serves at ``request``'s path, sorted.

    Each route is asked whether it fully matches the path with each method
    (included routers answer for their own routes); HEAD is listed where GET is
    (:class:`graphsiem.api.middleware.HeadAsGetMiddleware` answers it).
    """
    methods: set[str] = set()
    for method in _ROUTED_METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            methods.add(method)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install_handlers(app: FastAPI) -> None:
    """Register the single mapping from exceptions to HTTP responses on ``app``."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JsonResponse:
        details = [{**detail, "field": qualified_field(detail["field"], request)}
                   if isinstance(detail.get("field"), str) else detail for detail in exc.details]
        field, message = qualified_field(exc.field, request), exc.message
        if exc.status_code == 422:
            message, details = validation_shape(message, field, details)
        return JsonResponse(
            error_body(exc.code, message, field=field, details=details),
            status_code=exc.status_code, headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JsonResponse:
        problem = _json_decode_problem(exc)
        if problem is not None:
            return JsonResponse(
                error_body("validation_error", problem, field="body",
                           details=[{"field": "body", "reason": problem, "type": "json_invalid"}]),
                status_code=422,
            )
        details = _validation_details(exc)
        first = details[0] if details else {"field": None, "reason": "invalid request"}
        message = f"{first['field']}: {first['reason']}" if first["field"] else str(first["reason"])
        return JsonResponse(
            error_body("validation_error", message, field=first["field"], details=details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JsonResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route the path matched, and a path
            # served by two routes (GET and PATCH of a cluster) said "Allow: GET" (review T3)
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JsonResponse(error_body(code, message), status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JsonResponse:
        incident = secrets.token_hex(6)
        log.error("store error [%s]: %s", incident, exc)
        return JsonResponse(
            error_body("store_unavailable", f"the graph store failed (incident {incident})"),
            status_code=503,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JsonResponse:
        incident = secrets.token_hex(6)
        log.exception("unhandled error [%s]", incident, exc_info=exc)
        # Starlette answers this one from its ServerErrorMiddleware, outside every added
        # middleware: SecurityHeadersMiddleware never sees it, so the headers are set here.
        return JsonResponse(
            error_body("internal_error", f"internal error (incident {incident})"),
            status_code=500,
            headers={"X-Content-Type-Options": "nosniff",
                     "Content-Security-Policy": JSON_CONTENT_SECURITY_POLICY},
        )
