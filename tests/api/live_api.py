"""A real uvicorn server of ``create_app`` on loopback, with a key of every role,
and a raw-socket client that can stall, trickle or overrun a request body.

For the tests of what the server does before and while it reads a body
(review R2, items 7 and 9): an in-process client cannot show how many bytes a
server read or how long it waited, a socket can.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from graphsiem.api.context import AppContext
from graphsiem.settings import Settings
from graphsiem.store.base import GraphStore
from tests.api.conftest import app_with_keys
from tests.web.support import LiveServer


@dataclass
class LiveApi:
    """A served app: its port, its context and one key per role (plus a revoked one)."""

    port: int
    ctx: AppContext
    keys: dict[str, str] = field(default_factory=dict)


@contextmanager
def live_api(settings: Settings, store: GraphStore) -> Iterator[LiveApi]:
    """Serve ``create_app(settings, store)`` with uvicorn in a thread until the block ends."""
    app, ctx, keys = app_with_keys(settings, store, name="live")
    with LiveServer(app) as server:
        yield LiveApi(port=server.port, ctx=ctx, keys=keys)


@dataclass
class RawAnswer:
    """What a raw request got back, and how much of its body the client got out first."""

    status: int
    headers: dict[str, str]
    body: bytes
    body_bytes_sent: int


def _parse(raw: bytes, sent: int) -> RawAnswer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/1.1 "):
        raise AssertionError(f"no HTTP answer: {raw[:200]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawAnswer(status=int(lines[0].split()[1]), headers=headers, body=body,
                     body_bytes_sent=sent)


def _read_answer(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes (or ``timeout`` passes with nothing new)."""
    sock.setblocking(True)
    sock.settimeout(timeout)
    raw = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return raw  # closed on a body it did not read: what came before the reset stands
        except TimeoutError:
            if raw:
                return raw
            raise
        if not chunk:
            return raw
        raw += chunk
        head, sep, body = raw.partition(b"\r\n\r\n")
        length = [line.split(b":", 1)[1] for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:")]
        if sep and length and len(body) >= int(length[0]):
            return raw


def send_request(port: int, head: str, body_size: int, *, prefix: bytes = b"",
                 filler: bytes = b"A", answer_timeout: float = 60.0) -> RawAnswer:
    """Send ``head`` then a ``prefix`` + ``filler`` body of ``body_size`` bytes in all,
    stopping as soon as the server answers; return the answer and the body bytes sent.

    The client's send buffer is kept small, so "sent" is close to what the server
    could have read: the kernel holds little of it on the client's side.
    """
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        sock.sendall(head.encode("latin-1") + prefix)
        sent = len(prefix)
        chunk = filler * (65536 // len(filler))
        sock.setblocking(False)
        while sent < body_size:
            readable, writable, _ = select.select([sock], [sock], [], answer_timeout)
            if readable or not writable:
                break  # the server answered (or closed) before the body was all out
            try:
                sent += sock.send(chunk[: body_size - sent])
            except (BrokenPipeError, ConnectionResetError):
                break
        return _parse(_read_answer(sock, answer_timeout), sent)
    finally:
        sock.close()


def stalled_request(port: int, head: str, partial_body: bytes, *,
                    answer_timeout: float = 30.0) -> RawAnswer:
    """Send ``head`` and ``partial_body``, never the rest its ``Content-Length`` announces."""
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        sock.sendall(head.encode("latin-1") + partial_body)
        return _parse(_read_answer(sock, answer_timeout), len(partial_body))
    finally:
        sock.close()
