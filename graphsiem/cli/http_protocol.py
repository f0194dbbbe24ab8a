"""uvicorn's HTTP protocol with a deadline for a request's headers.

uvicorn closes an idle keep-alive connection ``timeout_keep_alive`` after a
response, but it times nothing before the first request's headers, nor the
headers of a request once their first bytes came: a connection that never
sends (or dribbles) its headers stays open for ever.  2,000 of them raised the
service's descriptors from 32 to 2,032 with no key (review R5, item 4), and
``limit_concurrency`` counts them too, so held connections would also turn every
request into a 503.  The protocol here closes a connection that has not
completed a request's headers within ``header_timeout_s`` of opening, or of
its last response (nginx's ``client_header_timeout``, 60 s by default).  A
request whose headers arrived is not timed here: its body has its own bound
(:class:`graphsiem.api.middleware.BodyTimeoutMiddleware`).

uvicorn has no option for this (``timeout_keep_alive``, ``limit_concurrency``,
``h11_max_incomplete_event_size`` bound other things), so the protocol class
is uvicorn's own (``auto``: httptools when installed, else h11) with a timer
added; it relies on two of their attributes, ``cycle`` (replaced when a
request's headers are complete) and ``on_response_complete``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol


def with_header_timeout(header_timeout_s: float, base: type[asyncio.Protocol] = AutoHTTPProtocol) -> type[asyncio.Protocol]:
    """``base`` (a uvicorn HTTP protocol) closing connections whose request headers take over ``header_timeout_s``.

    Examples
    --------
    >>> protocol = with_header_timeout(30.0)
    >>> protocol.header_timeout_s, issubclass(protocol, AutoHTTPProtocol)
    (30.0, True)
    """

    class HeaderTimeoutProtocol(base):  # type: ignore[valid-type,misc]
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self._arm_header_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_header_timer()  # the next request's headers are timed from here

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            super().connection_lost(exc)

        def _arm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            self._header_timer = self.loop.call_later(header_timeout_s, self._headers_late, self.cycle)

        def _headers_late(self, cycle: Any) -> None:
            self._header_timer = None
            # no request's headers completed since the timer was armed (uvicorn makes a new cycle
            # for each), and none is being answered: the connection holds a descriptor for nothing
            if self.cycle is cycle and (cycle is None or cycle.response_complete):
                if not self.transport.is_closing():
                    self.transport.close()

    HeaderTimeoutProtocol.header_timeout_s = header_timeout_s  # type: ignore[attr-defined]
    HeaderTimeoutProtocol.__qualname__ = f"HeaderTimeout{base.__name__}"
    return HeaderTimeoutProtocol
