"""Whether the syslog listener's addresses can be bound, asked before the service starts.

The listener binds in the application's startup, inside uvicorn: a port in use
or a host that does not resolve ended ``graphsiem serve`` with uvicorn's
traceback of the startup (review S2, item 5).  ``graphsiem serve`` asks
:func:`syslog_listen_problem` first and prints its one line; the listener's
own bind error (:class:`SyslogBindError`, should the port be taken in between)
says the same words.
"""

from __future__ import annotations

import os
import socket


class SyslogBindError(OSError):
    """The syslog listener cannot listen on its address: in use, not local, or a host that does not resolve."""


def describe_bind_error(host: str, port: int, transport: str, exc: OSError) -> str:
    """One line for an address that cannot be bound: where, and the system's reason.

    Examples
    --------
    >>> describe_bind_error("127.0.0.1", 514, "tcp", OSError(98, "Address already in use"))
    'cannot listen for syslog on 127.0.0.1:514/tcp: Address already in use'
    """
    # the system's words for the errno: asyncio's own message repeats the address
    number = exc.errno
    # a resolver's errno (gaierror) is negative: its own words then
    reason = os.strerror(number) if number is not None and number > 0 else exc.strerror or str(exc)
    return f"cannot listen for syslog on {host}:{port}/{transport}: {reason}"


def syslog_listen_problem(host: str, udp_port: int | None, tcp_port: int | None) -> str | None:
    """Why the listener could not bind ``host`` on these ports (``None``: it can), each socket bound and closed.

    The TCP sockets are bound as asyncio's ``start_server`` binds them
    (``SO_REUSEADDR``, every address of the name), the UDP one as
    ``create_datagram_endpoint`` does (the first address, no reuse), so a port
    another process listens on is refused here as it would be there.  Port 0
    (any free port) and ``None`` (off) need no check.

    Examples
    --------
    >>> with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as held:
    ...     held.bind(("127.0.0.1", 0))
    ...     port = held.getsockname()[1]
    ...     print(syslog_listen_problem("127.0.0.1", port, None))  # doctest: +ELLIPSIS
    cannot listen for syslog on 127.0.0.1:.../udp: Address already in use
    >>> syslog_listen_problem("127.0.0.1", None, 0) is None
    True
    """
    checks = [(port, transport, kind) for port, transport, kind in (
        (udp_port, "udp", socket.SOCK_DGRAM), (tcp_port, "tcp", socket.SOCK_STREAM)) if port]
    for port, transport, kind in checks:
        try:
            infos = socket.getaddrinfo(host or None, port, type=kind, flags=socket.AI_PASSIVE)
            for family, sock_kind, proto, _, address in (infos if kind == socket.SOCK_STREAM else infos[:1]):
                with socket.socket(family, sock_kind, proto) as probe:
                    if kind == socket.SOCK_STREAM:
                        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    probe.bind(address)
        except OSError as exc:
            return describe_bind_error(host, port, transport, exc)
    return None
