"""A loopback TCP proxy a test can cut and restore: a real network failure between a client and a server.

:class:`TcpProxy` listens on ``127.0.0.1`` and forwards every connection to a
target (a Neo4j server's Bolt port).  :meth:`TcpProxy.cut` closes the listener
and every connection, so the client sees its connections end and new ones
refused, as when the server goes down; :meth:`TcpProxy.restore` listens again
on the same port.  Plain sockets and threads: one thread accepts, two copy the
bytes of each connection.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_CHUNK = 65536


class TcpProxy:
    """Forward connections to ``127.0.0.1:<port>`` to ``target`` until cut.

    Parameters
    ----------
    target : (str, int)
        Host and port connections are forwarded to.

    Examples
    --------
    >>> server = socket.create_server(("127.0.0.1", 0))
    >>> with running(TcpProxy(server.getsockname())) as proxy:
    ...     client = socket.create_connection(("127.0.0.1", proxy.port))
    ...     peer, _ = server.accept()
    ...     _ = client.sendall(b"ping"); peer.recv(4)
    b'ping'
    >>> client.close(); peer.close(); server.close()
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        """The port it listens on (fixed by the first :meth:`start`, kept by :meth:`restore`)."""
        self.accepted = 0
        """Connections accepted so far."""
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Listen (on a free port the first time, then on the same one) and forward what connects."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the port again, past TIME_WAIT
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        self._spawn(self._accept, listener)

    restore = start

    def cut(self) -> None:
        """Close the listener and every connection: open connections end, new ones are refused."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            _close(listener)  # shutdown first: it wakes the thread blocked in accept
        for sock in sockets:
            _close(sock)

    def close(self) -> None:
        """Cut, and wait for the proxy's threads."""
        self.cut()
        for thread in self._threads:
            thread.join(10)

    @property
    def uri(self) -> str:
        """``bolt://127.0.0.1:<port>``: the proxy as a Neo4j address."""
        return f"bolt://127.0.0.1:{self.port}"

    def _spawn(self, target, *args) -> None:  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=target, args=args, daemon=True, name="tcp-proxy")
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.target, timeout=10)
                server.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    _close(client)
                    _close(server)
                    return
                self._sockets.update((client, server))
                self.accepted += 1
            self._spawn(_pump, client, server)
            self._spawn(_pump, server, client)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink`` until either ends; then end both."""
    try:
        while data := source.recv(_CHUNK):
            sink.sendall(data)
    except OSError:
        pass
    _close(source)
    _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@contextmanager
def running(proxy: TcpProxy) -> Iterator[TcpProxy]:
    """``proxy`` started, and closed at the end."""
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.close()
