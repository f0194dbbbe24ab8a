"""Pure-ASGI middleware: request body limits and deadlines, request counting,
security headers, HEAD answered as GET, request ids.

Written as plain ASGI callables rather than ``BaseHTTPMiddleware`` so that a
request body is never buffered by the middleware itself, and the overhead per
request stays a few microseconds.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NoReturn

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphsiem.api.errors import JSON_CONTENT_SECURITY_POLICY, error_body
from graphsiem.api.metrics import Metrics
from graphsiem.api.request_id import HEADER, REQUEST_ID, new_request_id


def _human(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.0f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class _BodyRefused(Exception):
    """Raised into the application's body read when a middleware refuses the body."""


Answer = Callable[[Send], Awaitable[None]]


class BodyRefusal:
    """One request's refusal by a middleware that watches its body being read.

    The middleware's ``receive`` wrapper calls :meth:`refuse` with the answer to
    give (413, 408, 401...): that raises into the application's body read, and
    whatever the application answers instead (FastAPI makes a failed form read a
    400) is replaced by the refusal, unless an answer had already started.
    """

    def __init__(self, send: Send) -> None:
        self._send = send
        self._answer: Answer | None = None
        self._started = False

    def refuse(self, answer: Answer) -> NoReturn:
        """Refuse the body with ``answer``; raises into the caller's body read."""
        self._answer = answer
        raise _BodyRefused

    async def _give_answer(self, answer: Answer) -> None:
        self._started = True
        await answer(self._send)

    async def send(self, message: Message) -> None:
        """The ``send`` to give the application."""
        if self._answer is not None:
            if message["type"] == "http.response.start" and not self._started:
                await self._give_answer(self._answer)
            return
        if message["type"] == "http.response.start":
            self._started = True
        await self._send(message)

    async def run(self, app: ASGIApp, scope: Scope, receive: Receive) -> None:
        """Call ``app`` with ``receive`` and this refusal's ``send``."""
        try:
            await app(scope, receive, self.send)
        except Exception:
            if self._answer is None:
                raise
            if not self._started:
                await self._give_answer(self._answer)


class BodyLimitMiddleware:
    """Answer 413 naming the limit when a request body exceeds it.

    ``Content-Length`` is checked before anything is read; chunked bodies are
    counted as they stream and cut off at the limit.  ``upload_paths`` get the
    (larger) upload limit.
    """

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int,
                 upload_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        is_upload = scope["path"] in self.upload_paths
        limit = self.max_upload if is_upload else self.max_body
        field = "body.file" if is_upload else "body"  # the upload is the multipart body's `file` part
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await _send_413(send, limit=limit, field=field)
                    return
        answer_413 = functools.partial(_send_413, limit=limit, field=field)
        refusal = BodyRefusal(send)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refusal.refuse(answer_413)
            return message

        await refusal.run(self.app, scope, limited_receive)


def carries_body(scope: Scope) -> bool:
    """Whether the request announces a body (a non-zero ``Content-Length`` or chunked)."""
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding":
            return True
        if name == b"content-length" and value.strip() not in (b"", b"0"):
            return True
    return False


async def send_error(send: Send, status: int, code: str, message: str, *,
                     field: str | None = None, details: list[dict[str, Any]] | None = None,
                     headers: Iterable[tuple[str, str]] = (), close: bool = False) -> None:
    """Answer with the API's error body from middleware, outside FastAPI's handlers.

    ``close`` says ``Connection: close``: the server then closes the connection
    after the answer instead of reading (and discarding) the rest of a body the
    application never read.
    """
    body = orjson.dumps(error_body(code, message, field=field, details=details))
    raw_headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode())]
    raw_headers += [(name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in headers]
    if close:
        raw_headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def _send_413(send: Send, *, limit: int, field: str) -> None:
    await send_error(
        send, 413, "payload_too_large",
        f"request body exceeds the limit of {_human(limit)} ({limit} bytes)",
        field=field, details=[{"field": field, "reason": "too large", "limit": limit}],
        close=True)


class BodyTimeoutMiddleware:
    """Answer 408 when a request body does not arrive in time.

    The body may take ``timeout_s`` seconds plus one second per ``min_rate``
    bytes received (Apache's ``mod_reqtimeout`` rule): a client trickling a
    byte a second is cut off after about ``timeout_s``, while an upload at
    ``min_rate`` bytes/s or faster may last as long as the size limit allows.
    ``min_rate`` 0: the whole body within ``timeout_s``.  The application sees
    an error instead of the partial body, so nothing of it is ingested; the
    connection is closed after the 408.  The clock stops once the body is
    complete (later reads only wait for a disconnect).
    """

    def __init__(self, app: ASGIApp, *, timeout_s: float, min_rate: int) -> None:
        self.app = app
        self.timeout_s = timeout_s
        self.min_rate = min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not carries_body(scope):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        refusal = BodyRefusal(send)
        received, complete = 0, False

        async def timed_receive() -> Message:
            nonlocal received, complete
            if complete:
                return await receive()
            earned = received / self.min_rate if self.min_rate else 0.0
            remaining = started + self.timeout_s + earned - loop.time()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(remaining, 0.0))
            except TimeoutError:
                refusal.refuse(self._send_408)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
            else:  # http.disconnect: nothing more will come
                complete = True
            return message

        await refusal.run(self.app, scope, timed_receive)

    async def _send_408(self, send: Send) -> None:
        rule = (f"{self.timeout_s:g} s plus 1 s per {self.min_rate} bytes received"
                if self.min_rate else f"{self.timeout_s:g} s")
        await send_error(
            send, 408, "request_timeout",
            f"the request body did not arrive in time ({rule}); nothing of it was processed",
            field="body", details=[{"field": "body", "reason": "timeout",
                                    "timeout_s": self.timeout_s, "min_rate": self.min_rate}],
            close=True)


class HeadAsGetMiddleware:
    """Answer ``HEAD`` as the ``GET`` of the same URL, without its content (RFC 9110 9.3.2).

    FastAPI routes list ``GET`` only, so monitoring probes sending ``HEAD /``,
    ``/docs`` or ``/healthz`` got 405.  The status and headers (``Content-Length``
    included) are the ``GET``'s; the body is dropped here, whatever the server.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class RequestCountMiddleware:
    """Count requests by method and status class (``2xx``...) in the app's registry."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status: dict[str, Any] = {"code": 500}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            # Unknown methods share one label: a client must not grow the registry.
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            self.metrics.http_requests.labels(method, f"{status['code'] // 100}xx").inc()


Headers = list[tuple[bytes, bytes]]


def _editing_headers(send: Send, edit: Callable[[Headers], Headers]) -> Send:
    """``send`` with ``edit`` applied to the response's headers (a list it may change)."""

    async def edited(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": edit(list(message.get("headers", [])))}
        await send(message)

    return edited


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


class SecurityHeadersMiddleware:
    """``X-Content-Type-Options: nosniff`` on every response, a deny-all CSP on JSON ones.

    Evidence records and case bundles are attacker-written text served as JSON;
    ``nosniff`` stops a browser from taking one for HTML or script, and the CSP
    keeps one opened directly from running or loading anything.  A response
    that already names a policy (the analysts' page and its assets, with their
    own) keeps it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        def add_headers(headers: Headers) -> Headers:
            names = {name.lower(): value for name, value in headers}
            if b"x-content-type-options" not in names:
                headers.append((b"x-content-type-options", b"nosniff"))
            if (b"content-security-policy" not in names
                    and _is_json(names.get(b"content-type", b""))):
                headers.append((b"content-security-policy", JSON_CONTENT_SECURITY_POLICY.encode()))
            return headers

        await self.app(scope, receive, _editing_headers(send, add_headers))


class RequestIdMiddleware:
    """Give each request a new id: set while it is served, answered in ``X-Request-ID``.

    What the request leaves behind names it: an ingest's rejections are kept as
    ``api/<id>:<line>`` (:mod:`graphsiem.api.request_id`), so the id in a
    response finds its records in ``graphsiem rejected``.  A client's own
    ``X-Request-ID`` is not taken (see that module).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        name = HEADER.lower().encode("latin-1")

        def name_the_request(headers: Headers) -> Headers:
            return [*(h for h in headers if h[0].lower() != name), (name, request_id.encode("latin-1"))]

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, _editing_headers(send, name_the_request))
        finally:
            REQUEST_ID.reset(token)
