"""A bare :class:`~graphsiem.syslog_listener.SyslogListener` on its own event loop thread, for tests.

The listener binds real sockets on loopback; the test talks to it with real
clients from the test's thread and calls its coroutines with :func:`call`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from graphsiem.syslog_listener import Sink, SyslogListener

T = TypeVar("T")


@contextmanager
def running_listener(sink: Sink, **options: Any) -> Iterator[SyslogListener]:
    """A started listener (``options`` as :class:`SyslogListener` takes them), stopped on exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    listener = SyslogListener(sink, **options)
    listener.loop = loop  # type: ignore[attr-defined]  # for call()
    call(listener, listener.start())
    try:
        yield listener
    finally:
        if not getattr(listener, "_stopping", False):
            call(listener, listener.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def call(listener: SyslogListener, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
    """Run ``coroutine`` on the listener's loop and return its result."""
    loop: asyncio.AbstractEventLoop = listener.loop  # type: ignore[attr-defined]
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)


def wait_until(predicate: Callable[[], T], what: str, timeout: float = 30.0) -> T:
    """``predicate()`` once it is true; AssertionError naming ``what`` if it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"{what}: not met within {timeout} s")
