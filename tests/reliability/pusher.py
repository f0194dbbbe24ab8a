"""Client threads that push unique events continuously and remember what was acknowledged.

A batch that fails (connection refused or reset, timeout, 5xx) is kept and
re-sent as is until a 2xx answers it, like a shipper with an at-least-once
queue; the journal's stable ids must make the re-sends harmless.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.reliability.server import batches, domains_of, post_batch


@dataclass
class ClientStats:
    acked: set[str] = field(default_factory=set)
    sent: int = 0
    failures: int = 0
    resent_duplicates: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


class Pusher:
    """``clients`` threads posting ``batch_size``-event batches to ``url_of()``.

    Parameters
    ----------
    url_of : callable
        Returns the server's current base URL (it may change between restarts).
    key : str
        An ingest (or admin) key.
    """

    def __init__(self, url_of, key: str, *, clients: int = 4, batch_size: int = 25,
                 pause_s: float = 0.0) -> None:
        self.url_of = url_of
        self.pause_s = pause_s  # between batches of one client: bounds the event rate
        self.key = key
        self.batch_size = batch_size
        self.stats = [ClientStats() for _ in range(clients)]
        self._lock = threading.Lock()
        self._run = threading.Event()
        self._stop = threading.Event()
        self._idle = [threading.Event() for _ in range(clients)]
        self._threads = [threading.Thread(target=self._loop, args=(i,), daemon=True,
                                          name=f"pusher-{i}") for i in range(clients)]

    def start(self) -> None:
        self._run.set()
        for thread in self._threads:
            thread.start()

    def pause(self) -> None:
        self._run.clear()

    def resume(self) -> None:
        self._run.set()

    def acked(self) -> set[str]:
        with self._lock:
            return set().union(*(s.acked for s in self.stats))

    def acked_count(self) -> int:
        with self._lock:
            return sum(len(s.acked) for s in self.stats)

    def drain(self, timeout: float = 180.0) -> None:
        """Stop taking new batches; wait until every client's pending batch is acknowledged."""
        self._stop.set()
        self._run.set()
        for thread in self._threads:
            thread.join(timeout)
        stuck = [t.name for t in self._threads if t.is_alive()]
        if stuck:
            raise AssertionError(f"clients could not deliver their last batch: {stuck}")

    def _loop(self, index: int) -> None:
        stats = self.stats[index]
        source = batches(index, self.batch_size)
        pending: list | None = None
        retried = False
        with httpx.Client() as client:
            while True:
                if pending is None:
                    if self._stop.is_set():
                        return
                    pending, retried = next(source), False
                self._run.wait()
                try:
                    response = post_batch(client, self.url_of(), self.key, pending)
                except httpx.HTTPError:
                    stats.failures += 1
                    retried = True
                    time.sleep(0.1)
                    continue
                with self._lock:
                    stats.sent += 1
                    stats.statuses[response.status_code] = (
                        stats.statuses.get(response.status_code, 0) + 1)
                if 200 <= response.status_code < 300:
                    body = response.json()
                    with self._lock:
                        stats.acked |= domains_of(pending)
                        if retried and body.get("duplicates"):
                            stats.resent_duplicates += 1
                    pending = None
                    if self.pause_s:
                        time.sleep(self.pause_s)
                elif response.status_code >= 500 or response.status_code == 429:
                    stats.failures += 1
                    retried = True
                    time.sleep(0.2)
                else:
                    raise AssertionError(f"unexpected {response.status_code}: {response.text}")
