"""The service's HTTP listening sockets, bound before the service starts its work.

uvicorn binds its port after the app's startup, and ``create_app`` starts the
background projection (its catch-up) at once: a ``graphsiem serve`` whose port
was taken had projected, and queued its startup detection, before it failed
(review S2, items 1 and 5).  ``graphsiem serve`` binds here first and hands
the sockets to uvicorn, so a taken port fails before anything is written.
"""

from __future__ import annotations

import socket


def bind_listeners(host: str, port: int) -> list[socket.socket]:
    """Bound, non-listening TCP sockets for ``host:port``: one per address the host resolves to.

    As asyncio's ``create_server`` (uvicorn's own path) binds them: every
    address of the name, ``SO_REUSEADDR``, IPv6 sockets IPv6 only.

    Raises
    ------
    OSError
        When the host does not resolve or an address cannot be bound (in use,
        not local, not permitted); the sockets bound already are closed.

    Examples
    --------
    >>> [sock] = bind_listeners("127.0.0.1", 0)
    >>> sock.getsockname()[0]
    '127.0.0.1'
    >>> sock.close()
    """
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets
