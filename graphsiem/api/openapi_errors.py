"""The OpenAPI document describes the errors the service really answers.

Every error the service answers has one body, ``{"error": {"code", "message",
"field", "details"}}`` (:mod:`graphsiem.api.errors`), but FastAPI's generated
document declared its own ``HTTPValidationError`` (``{"detail": [...]}``) for
every 422, no body for the other 4xx/5xx it listed, and left out the errors
every route can give: 401, 403 and 429 on keyed routes, 408 and 413 on routes with
a body, 503 (overloaded or the store failing) and 500.  A client generated
from the document could not read one error, and a validator accepted any
body because the declared schema required nothing (review T3, finding 6).

:func:`describe_errors` rewrites the generated document once: the error body
is the ``Error`` schema, every 4xx/5xx response of every operation refers to
it, the errors above are declared where they apply, and FastAPI's unused
schemas are dropped.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

__all__ = ["Error", "ErrorInfo", "describe_errors"]

_REF = "#/components/schemas/Error"


class ErrorDetail(BaseModel):
    """One problem of a refused request (a field and why).

    Open: a problem may add what it is about (a size's ``limit``, an ambiguous entity's
    ``type``, ``key`` and ``value``).
    """

    field: str | None = Field(None, description="Where: `<location>.<name>`, the location `query`, `path`, "
                              "`body` or `header` (`query.limit`, `path.cluster_id`, `body.0.ts`, `header.If-Match`).")
    reason: str = Field(description="Why, in a few words.")
    type: str | None = Field(None, description="A stable kind of problem, when the validator gives one.")

    model_config = {"extra": "allow"}


class ErrorInfo(BaseModel):
    """What went wrong."""

    code: str = Field(description="Stable, machine-readable: `validation_error`, `unauthorized`, `forbidden`, "
                                  "`not_found`, `conflict`, `payload_too_large`, `rate_limited`, `overloaded`, "
                                  "`store_unavailable`, `insufficient_storage`, `internal_error`...")
    message: str = Field(description="For people; never a traceback, a server path or a secret.")
    field: str | None = Field(None, description="The request field at fault, when there is one, as "
                              "`<location>.<name>` (`query.since`, `path.cluster_id`, `body.status`, "
                              "`header.Content-Encoding`); `body` for a body that is not valid JSON (the "
                              "message gives the line and column).")
    details: list[ErrorDetail] = Field(default_factory=list, description="Every problem found, for validation errors.")


class Error(BaseModel):
    """The body of every error the service answers."""

    error: ErrorInfo


_SECURED = {
    "401": "No API key, or an unknown or revoked one (`WWW-Authenticate: Bearer`).",
    "403": "The key's role may not call this route.",
    "429": "`rate_limited`: the key is over its request quota (`api_key_rate_per_s`, `api_key_burst`); "
           "`Retry-After` says when to retry.",
}
_WITH_BODY = {
    "408": "The request body did not arrive in time (`body_timeout_s`, `body_min_rate_bytes`).",
    "413": "The request body is larger than the limit.",
}
_EVERY = {
    "500": "Unexpected error: logged server-side under an incident id the message gives.",
    "503": "`overloaded` (too many requests at once; `Retry-After`) or `store_unavailable` (the graph store failed).",
}
_NEVER_REFUSED = frozenset({"/healthz"})
"""Answered however busy the service is (graphsiem.api.concurrency)."""


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": _REF}}}


def _add_schemas(spec: dict[str, Any]) -> None:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schema = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas[name] = definition
    schemas["Error"] = schema


def _declare(op: dict[str, Any], path: str) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    wanted: dict[str, str] = {}
    if op.get("security"):
        wanted.update(_SECURED)
    if "requestBody" in op:
        wanted.update(_WITH_BODY)
    wanted.update(_EVERY)
    if path in _NEVER_REFUSED:
        wanted.pop("503")
    for status, description in wanted.items():
        responses.setdefault(status, {"description": description})
    for status, response in responses.items():
        if status[:1] in ("4", "5"):
            response["content"] = _error_content()
            if status == "422" and response.get("description") == "Validation Error":
                response["description"] = "A parameter or the body is not valid: `validation_error`, naming the field."


def _unreferenced(spec: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    text = json.dumps(spec["paths"]) + json.dumps({k: v for k, v in spec["components"]["schemas"].items()
                                                   if k not in names})
    return [name for name in names if f"#/components/schemas/{name}\"" not in text]


def describe_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare the service's error body and the errors each route can give.

    Examples
    --------
    >>> from fastapi import FastAPI
    >>> app = FastAPI()
    >>> @app.get("/items/{n}")
    ... def item(n: int) -> int:
    ...     return n
    >>> describe_errors(app)
    >>> responses = app.openapi()["paths"]["/items/{n}"]["get"]["responses"]
    >>> sorted(responses), responses["422"]["content"]["application/json"]["schema"]
    (['200', '422', '500', '503'], {'$ref': '#/components/schemas/Error'})
    >>> "HTTPValidationError" in app.openapi()["components"]["schemas"]
    False
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = generate()  # FastAPI's, cached in app.openapi_schema: rewritten in place once
        _add_schemas(spec)
        for path, operations in spec.get("paths", {}).items():
            for op in operations.values():
                if isinstance(op, dict):
                    _declare(op, path)
        schemas = spec["components"]["schemas"]
        for name in _unreferenced(spec, ("HTTPValidationError", "ValidationError")):
            schemas.pop(name, None)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
