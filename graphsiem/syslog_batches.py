"""The syslog listener's batches: collected on the event loop, handed to the sink on threads, bounded.

Messages are buffered per transport and handed to ``sink(messages, transport)``
in batches (every ``batch_records`` messages or ``flush_s`` seconds) on a
worker thread, so the event loop never blocks on the journal or the graph
store.  At most ``max_inflight`` batches are with the sink at once: a batch
that fills while the sink is that far behind waits, and while it waits the
transport has **no room** (:meth:`SyslogBatcher.has_room`): the listener stops
reading TCP connections (the senders' kernels then hold the bytes: TCP loses
nothing) and drops UDP datagrams, counted.  What the listener holds is thus
bounded by ``(max_inflight + 1) * batch_records`` messages plus one read
(64 KiB) per connection, however fast the senders are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

log = logging.getLogger("graphsiem.syslog")

Sink = Callable[[list[str], str], object]


class SyslogBatcher:
    """Collects messages and flushes them to the sink on threads, at most ``max_inflight`` batches at once.

    Attributes
    ----------
    received : int
        Messages handed to :meth:`add`.
    peak_inflight : int
        The most batches ever with the sink at once (never above ``max_inflight``).
    peak_held : int
        The most messages ever held at once (waiting for their batch, or in a batch with the sink).
    """

    def __init__(self, sink: Sink, *, batch_records: int, flush_s: float, max_inflight: int) -> None:
        if max_inflight < 1:
            raise ValueError(f"max_inflight must be at least 1, not {max_inflight}")
        self.sink = sink
        self.batch_records = batch_records
        self.flush_s = flush_s
        self.max_inflight = max_inflight
        self._pending: dict[str, list[str]] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._inflight: dict[asyncio.Task[None], int] = {}
        # set whenever a batch leaves the sink: whoever waits for room looks again
        self._room = asyncio.Event()
        self._closing = False
        self.received = 0
        self.peak_inflight = 0
        self.peak_held = 0

    @property
    def inflight(self) -> int:
        """Batches with the sink now."""
        return len(self._inflight)

    def has_room(self, transport: str) -> bool:
        """Whether ``transport`` may hand on more messages without growing what is held past the bound.

        There is room while fewer than ``max_inflight`` batches are with the sink, or
        while ``transport``'s next batch is not yet full.
        """
        return self._closing or (len(self._inflight) < self.max_inflight
                                 or len(self._pending.get(transport, ())) < self.batch_records)

    async def wait_for_room(self, transport: str) -> None:
        """Return once :meth:`has_room` is true for ``transport`` (or the listener stops)."""
        while not self.has_room(transport):
            self._room.clear()
            await self._room.wait()

    def add(self, messages: Sequence[str], transport: str) -> None:
        """Buffer ``messages``; a full batch goes to the sink when fewer than ``max_inflight`` are there."""
        if not messages:
            return
        self.received += len(messages)
        pending = self._pending.setdefault(transport, [])
        pending.extend(messages)
        self._note_held()
        while len(pending) >= self.batch_records and self._spawn(transport):
            pass
        if self._pending.get(transport) and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.get_running_loop().create_task(self._later())

    def _note_held(self) -> None:
        held = sum(map(len, self._pending.values())) + sum(self._inflight.values())
        self.peak_held = max(self.peak_held, held)

    async def _later(self) -> None:
        await asyncio.sleep(self.flush_s)
        for transport in list(self._pending):
            self._spawn(transport)

    def _spawn(self, transport: str) -> bool:
        """Hand ``transport``'s next batch (at most ``batch_records``) to the sink, if there is room.

        Returns whether a batch went; at the cap it stays pending and :meth:`_done`
        sends it when a batch in flight leaves.
        """
        pending = self._pending.get(transport)
        if not pending or len(self._inflight) >= self.max_inflight:
            return False
        batch = pending[: self.batch_records]
        del pending[: self.batch_records]
        if not pending:
            del self._pending[transport]
        task = asyncio.get_running_loop().create_task(self._send(batch, transport))
        self._inflight[task] = len(batch)
        self.peak_inflight = max(self.peak_inflight, len(self._inflight))
        task.add_done_callback(self._done)
        return True

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.pop(task, None)
        # batches that waited for room go first (a full one, or a timed flush that found no room)
        for transport in list(self._pending):
            self._spawn(transport)
        self._room.set()

    async def _send(self, batch: list[str], transport: str) -> None:
        try:
            await asyncio.to_thread(self.sink, batch, transport)
        except Exception:  # noqa: BLE001 - a failing sink must not kill the listener
            log.exception("syslog sink failed for %d %s messages", len(batch), transport)

    def close(self) -> None:
        """The listener stops: whoever waits for room goes on (to hand on what it has framed)."""
        self._closing = True
        self._room.set()

    async def flush(self) -> None:
        """Hand every buffered message to the sink and wait until the sink has them all."""
        if self._flusher is not None:
            self._flusher.cancel()
        while self._pending or self._inflight:
            for transport in list(self._pending):
                self._spawn(transport)
            if self._inflight:
                await asyncio.gather(*list(self._inflight), return_exceptions=True)
