"""Pure-ASGI middleware: request body limits, request counting, security headers.

Written as plain ASGI callables rather than ``BaseHTTPMiddleware`` so that a
request body is never buffered by the middleware itself, and the overhead per
request stays a few microseconds.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphsiem.api.errors import JSON_CONTENT_SECURITY_POLICY, error_body
from graphsiem.api.metrics import Metrics


def _human(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.0f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class _TooLarge(Exception):
    pass


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
        field = "file" if is_upload else "body"
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await _send_413(send, limit, field)
                    return
        state = {"received": 0, "too_large": False, "started": False}

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["too_large"] = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                if state["too_large"]:
                    # The app turned our exception into some other error: replace it.
                    state["started"] = True
                    await _send_413(send, limit, field)
                    return
                state["started"] = True
            elif state["too_large"]:
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            if not state["started"]:
                await _send_413(send, limit, field)
        except Exception:
            if state["too_large"] and not state["started"]:
                await _send_413(send, limit, field)
            else:
                raise


async def _send_413(send: Send, limit: int, field: str) -> None:
    body = orjson.dumps(error_body(
        "payload_too_large", f"request body exceeds the limit of {_human(limit)} ({limit} bytes)",
        field=field, details=[{"field": field, "reason": "too large", "limit": limit}]))
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


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

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower(): value for name, value in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if (b"content-security-policy" not in names
                        and _is_json(names.get(b"content-type", b""))):
                    headers.append((b"content-security-policy", JSON_CONTENT_SECURITY_POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
