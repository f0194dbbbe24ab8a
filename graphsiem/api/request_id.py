"""The id of the HTTP request being served, for the records it leaves behind.

:class:`~graphsiem.api.middleware.RequestIdMiddleware` gives every request a
new id, answers it in ``X-Request-ID`` and sets :data:`REQUEST_ID` while the
request is served.  A context variable reaches the ingest service through
``run_in_threadpool`` (which runs the call in a copy of the request's context)
without threading the id through every router.

The id is always made here, never taken from the client: a rejection's origin
names its request (``api/<id>:<line>``), and two requests that send the same
bad record must stay two kept rejections (``graphsiem rejected`` counts what
``/metrics`` counts), which a client reusing an id would undo.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar

HEADER = "X-Request-ID"
"""The response header that carries the request's id."""

REQUEST_ID: ContextVar[str | None] = ContextVar("graphsiem_request_id", default=None)
"""The id of the request being served on this context (``None`` outside a request)."""


def new_request_id() -> str:
    """A fresh request id: 16 hexadecimal digits (64 random bits).

    >>> len(new_request_id()), new_request_id() != new_request_id()
    (16, True)
    """
    return secrets.token_hex(8)


def current_request_id() -> str | None:
    """The id of the request being served, or ``None`` (syslog, CLI, tests calling services)."""
    return REQUEST_ID.get()
