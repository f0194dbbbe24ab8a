"""The syslog listener's open TCP connections: who may stay when a new one arrives.

256 connections that never sent a byte held every slot of the listener, so
every legitimate sender was refused for as long as they stayed open (review
R5, item 3).  Three rules now bound what idle connections can take:

* a connection that has sent nothing for ``idle_timeout_s`` is closed
  (the listener's read times out);
* one sender address holds at most ``max_per_peer`` connections: its next one
  closes its own least recently active connection, never another sender's;
* when ``max_connections`` are open, a new connection closes the least
  recently active one (the "oldest idle"), instead of being refused.

So a flood of silent connections from one address churns only its own
slots, and from many addresses it can at most make senders reconnect, which
syslog senders do (rsyslog's ``omfwd`` and syslog-ng reconnect when their
connection is closed).  A connection closed here ends as at end of stream:
what it had framed is delivered, a cut frame is handed on to be rejected.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CLOSE_REASONS", "Admission", "OpenConnection", "TcpConnections"]

CLOSE_REASONS = ("idle", "evicted", "peer_limit")
"""Why the listener closed a connection: idle too long, the oldest when the listener was
full, the oldest of a sender address at its own limit."""


@dataclass(slots=True, eq=False)
class OpenConnection:
    """One served TCP connection: its writer, its sender's address, when it last sent bytes."""

    writer: asyncio.StreamWriter
    peer: str
    last_active: float = field(default_factory=time.monotonic)

    def touch(self) -> None:
        """Note bytes received now."""
        self.last_active = time.monotonic()


@dataclass(frozen=True, slots=True)
class Admission:
    """What a new connection costs: the connection to close for it (``None``: none), and why."""

    victim: OpenConnection | None = None
    reason: str = ""


class TcpConnections:
    """The open connections, by serving task, and the choice of which to close for a new one.

    Parameters
    ----------
    max_connections : int
        Connections open at once.
    max_per_peer : int
        Connections open at once from one sender address (IP address, port ignored).

    Examples
    --------
    >>> pool = TcpConnections(max_connections=2, max_per_peer=1)
    >>> a, b = object(), object()
    >>> pool.add(a, OpenConnection(writer=None, peer="10.0.0.1"))  # doctest: +ELLIPSIS
    OpenConnection(...)
    >>> pool.admit("10.0.0.1").reason
    'peer_limit'
    >>> pool.admit("10.0.0.2").victim is None
    True
    """

    def __init__(self, *, max_connections: int, max_per_peer: int) -> None:
        self.max_connections = max_connections
        self.max_per_peer = max_per_peer
        self._open: dict[Any, OpenConnection] = {}
        self._per_peer: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._open)

    def __bool__(self) -> bool:
        return bool(self._open)

    def __iter__(self) -> Any:
        return iter(self._open)

    def values(self) -> list[OpenConnection]:
        """The open connections."""
        return list(self._open.values())

    def admit(self, peer: str) -> Admission:
        """Which open connection a new one from ``peer`` replaces, if any (nothing is closed here)."""
        if self._per_peer.get(peer, 0) >= self.max_per_peer:
            return Admission(self._least_recent(lambda c: c.peer == peer), "peer_limit")
        if len(self._open) >= self.max_connections:
            return Admission(self._least_recent(lambda _c: True), "evicted")
        return Admission()

    def add(self, task: Any, connection: OpenConnection) -> OpenConnection:
        """Count ``connection``, served by ``task``."""
        self._open[task] = connection
        self._per_peer[connection.peer] = self._per_peer.get(connection.peer, 0) + 1
        return connection

    def remove(self, task: Any) -> OpenConnection | None:
        """Stop counting ``task``'s connection (already removed: ``None``)."""
        connection = self._open.pop(task, None)
        if connection is not None:
            left = self._per_peer[connection.peer] - 1
            if left:
                self._per_peer[connection.peer] = left
            else:
                del self._per_peer[connection.peer]
        return connection

    def task_of(self, connection: OpenConnection) -> Any:
        """The task serving ``connection`` (``None`` once it is no longer counted)."""
        return next((task for task, open_ in self._open.items() if open_ is connection), None)

    def _least_recent(self, among: Callable[[OpenConnection], bool]) -> OpenConnection | None:
        candidates = [c for c in self._open.values() if among(c)]
        return min(candidates, key=lambda c: c.last_active) if candidates else None
