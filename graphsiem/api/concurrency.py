"""At most ``max_requests`` requests in the application at once; beyond, the API's JSON 503.

uvicorn's ``limit_concurrency`` was the service's only bound.  It counts open
*connections* as well as requests, so idle keep-alive connections turned
requests into 503s, and its 503 is uvicorn's own ``text/plain`` "Service
Unavailable" without ``Retry-After``: an integration following the API's one
error shape (``{"error": {...}}``) could not read it, nor tell when to retry
(review T3, finding 7).  This middleware counts the requests being served and
answers the next one with the API's error body, ``code`` ``overloaded``,
``Retry-After`` and ``Connection: close``, before it reaches authentication or
the handlers, so it costs no store or key lookup.  ``/healthz`` is never
refused: a liveness probe must not restart a service for being busy.

uvicorn's ``limit_concurrency`` stays as the bound on connections, set from
``http_max_connections`` (4,096 by default), well above this one: it protects
the process's descriptors, this the application's threads and store.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from graphsiem.api.middleware import send_error

__all__ = ["ConcurrencyLimitMiddleware", "NEVER_REFUSED"]

NEVER_REFUSED = frozenset({"/healthz"})
"""Paths answered however busy the service is (liveness: refusing it would get the service restarted)."""


class ConcurrencyLimitMiddleware:
    """Refuse a request with 503 ``overloaded`` while ``max_requests`` others are being served.

    Parameters
    ----------
    app : ASGI application
    max_requests : int
        Requests in the application at once (``http_limit_concurrency``).
    retry_after_s : int
        The ``Retry-After`` the refusal carries, in seconds.

    Attributes
    ----------
    in_flight : int
        Requests being served now.
    refused : int
        Requests refused since start (also counted as ``5xx`` by the request metrics).
    """

    def __init__(self, app: ASGIApp, *, max_requests: int, retry_after_s: int = 1) -> None:
        self.app = app
        self.max_requests = max_requests
        self.retry_after_s = retry_after_s
        self.in_flight = 0
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in NEVER_REFUSED:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_requests:
            # one event loop: the count and its test need no lock
            self.refused += 1
            await send_error(
                send, 503, "overloaded",
                f"the service is serving its limit of {self.max_requests} requests at once "
                f"(http_limit_concurrency); retry after {self.retry_after_s} s",
                headers=[("Retry-After", str(self.retry_after_s))], close=True)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
