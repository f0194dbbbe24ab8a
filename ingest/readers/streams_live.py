"""Streams read as their bytes come: a live pipe, its read-ahead, how readers take chunks.

Split from :mod:`ingest.readers.streams`, which re-exports every name here:
:class:`LiveSource` reads a pipe or socket while letting its reader act
between bytes (:func:`live_descriptor` tells which descriptors are such),
:class:`ReadAhead` replays the bytes read ahead of a stream that cannot be
reopened (standard input), and :func:`chunk_reader` gives a reader ``read1``
on a stream marked live (:func:`mark_live`), so a trickle's records are not
held for a full buffer.
"""

from __future__ import annotations

import io
import math
import os
import select
import stat
import time
import weakref
from collections.abc import Callable
from typing import BinaryIO

_LIVE_STREAMS: weakref.WeakSet[object] = weakref.WeakSet()


def mark_live(stream: BinaryIO) -> BinaryIO:
    """``stream``, marked as read as its bytes come (:func:`chunk_reader`); returned for chaining."""
    _LIVE_STREAMS.add(stream)
    return stream


def chunk_reader(stream: BinaryIO) -> Callable[[int], bytes]:
    """How a reader takes its next chunk of ``stream``: ``read1`` on a live pipe, else ``read``.

    ``read(n)`` of a buffered stream waits for ``n`` bytes or the end: on a
    pipe that trickles (:func:`mark_live`, :func:`ingest.readers.files.open_stream`)
    the records would wait for 1 MiB or the pipe's end.  ``read1(n)`` returns
    what one read below brings.  A file keeps ``read``: its chunks stay whole.
    """
    if stream in _LIVE_STREAMS:
        return stream.read1  # type: ignore[attr-defined, no-any-return]
    return stream.read


class ReadAhead(io.RawIOBase):
    """A stream whose first bytes were read ahead, to be looked at, then the stream as if untouched.

    Standard input cannot be peeked at beyond what one read brings (a pipe may
    hand over a single byte first), nor reopened after sniffing, as files are:
    the bytes read ahead are replayed before the rest.

    Parameters
    ----------
    inner : binary stream
        The stream, of which ``head`` was read.
    head : bytes
        Its first bytes, already read.
    owns_inner : bool
        Whether closing this closes ``inner`` (not so for ``sys.stdin.buffer``).

    Examples
    --------
    >>> import io
    >>> inner = io.BytesIO(b'{"a": 1}\\n{"b": 2}\\n')
    >>> stream = io.BufferedReader(ReadAhead(inner, inner.read(3)))
    >>> stream.read()
    b'{"a": 1}\\n{"b": 2}\\n'
    """

    def __init__(self, inner: BinaryIO | io.BufferedIOBase, head: bytes, *, owns_inner: bool = True) -> None:
        super().__init__()
        self._inner = inner
        self._head = memoryview(head)
        self._owns_inner = owns_inner
        self.consumed = len(head)
        """Bytes taken from ``inner`` so far (the progress bar's count for a stream)."""
        # readinto1: one read below, so a pipe's records come on as they arrive
        self._readinto = getattr(inner, "readinto1", None) or getattr(inner, "readinto", None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        if self._head:
            count = min(len(view), len(self._head))
            view[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        if self._readinto is not None:
            count = self._readinto(view)
        else:  # a stream with read() only
            data = self._inner.read(len(view))
            count = len(data)
            view[:count] = data
        self.consumed += count
        return count

    def close(self) -> None:
        if not self.closed:
            try:
                if self._owns_inner:
                    self._inner.close()
            finally:
                super().close()


def live_descriptor(stream: object) -> int | None:
    """The descriptor of ``stream`` when its bytes may come at any pace (a pipe, a socket), else ``None``.

    ``None`` for a regular file or a device (never waited on), a stream
    without a descriptor (``io.BytesIO``), and where ``select.poll`` is
    missing (Windows): those are read as they always were.
    """
    if not hasattr(select, "poll"):
        return None
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):
        return None
    return fd if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) else None


class LiveSource(io.RawIOBase):
    """A pipe or socket read as its bytes come, whose reader can act while no byte comes.

    A reader blocked in ``read()`` on a source that trickles (``tail -F
    eve.json | graphsiem ingest -``) cannot look at a clock.  Before every
    read this calls ``pace``, which may act (the pipeline journals a batch
    that has waited long enough, or raises to stop reading) and returns how
    long the wait for bytes may last before ``pace`` is due again (``None``:
    until bytes come); then it waits with ``poll`` on the descriptor and on
    ``wake_fd``, whose bytes (a signal handler's stop request) end a wait at once.

    Chosen over a reading thread feeding a queue, and measured: reading a
    million 187-byte lines that ``cat`` writes to a pipe took 76 ns of CPU a
    line through a plain ``FileIO``, 115 ns through this (a ``poll`` and a
    Python call a read) and 165-190 ns through a thread and a queue, against
    ~20-30 us a record for the rest of the ingest.  No thread is left blocked
    in ``read`` when the call stops, and ``pace`` runs in the caller's
    thread, between records.

    Parameters
    ----------
    fd : int
        The descriptor (:func:`live_descriptor`); read directly, not closed.  A
        ``BufferedReader`` over it must not have been read from: its buffered
        bytes would be skipped (``sys.stdin.buffer`` before an ingest reads it).
    pace : callable
        Called before each wait, as above.
    wake_fd : int, optional
        A descriptor that becomes readable when the wait must end (never read here).
    pause : float, optional
        While :attr:`is_pausing`, a wait of this many seconds with no byte
        ends the read with 0 bytes: a pause, not the end (:attr:`ended` stays
        false); so does a wake (:attr:`is_woken`), without calling ``pace``.
        :func:`ingest.readers.files.open_stream` reads the head that chooses
        the reader so: a trickle is not held until 64 KiB have come, and a
        stop while the head is read still leaves its whole lines to be read.
        A decoder over the source (:class:`GzipMembers`, :class:`Utf8Transcoder`)
        takes such a read for a pause only when given the source (``live``);
        without it, for the end of its input.

    Examples
    --------
    >>> import os
    >>> read_end, write_end = os.pipe()
    >>> _ = os.write(write_end, b'{"a": 1}\\n'); os.close(write_end)
    >>> source = LiveSource(read_end, pace=lambda: None)
    >>> source.read(100), source.read(100), source.ended
    (b'{"a": 1}\\n', b'', True)
    >>> os.close(read_end)
    """

    def __init__(
        self, fd: int, *, pace: Callable[[], float | None], wake_fd: int | None = None, pause: float | None = None
    ) -> None:
        super().__init__()
        self._file = io.FileIO(fd, "rb", closefd=False)
        self._pace = pace
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN | select.POLLPRI)
        self._fd = fd
        self._wake_fd = wake_fd
        if wake_fd is not None:
            self._poll.register(wake_fd, select.POLLIN)
        self.pause = pause
        self.is_pausing = False
        """Whether a wait of :attr:`pause` seconds ends a read with 0 bytes (set while reading a head)."""
        self.ended = False
        """Whether the source has ended (a read returned 0 bytes that was not a pause)."""
        self.is_woken = False
        """Whether ``wake_fd`` ended a pausing read: the head ends there, with the lines it holds."""
        self._was_woken = False

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        paused_at = None
        if self.is_pausing and self.pause is not None:
            paused_at = time.monotonic() + self.pause
        ready = self._poll.poll(0)  # bytes already there are read at once, without pace
        while not any(fd == self._fd for fd, _ in ready):
            if ready:  # woken
                if paused_at is not None:
                    self.is_woken = True
                    return 0
                if self._wake_fd is not None and self._was_woken:
                    # pace saw the wake and went on: the descriptor stays readable, so it
                    # is no longer polled (else each poll would return at once, a busy loop)
                    self._poll.unregister(self._wake_fd)
                    self._wake_fd = None
                self._was_woken = True
            wait = self._pace()
            if paused_at is not None:
                left = paused_at - time.monotonic()
                if left <= 0:
                    return 0
                wait = left if wait is None else min(wait, left)
            # poll takes milliseconds; rounded up, so that a wait is never cut short into a busy loop
            ready = self._poll.poll(None if wait is None else math.ceil(wait * 1000))
        count = self._file.readinto(buffer)
        if not count:
            self.ended = True
        return count or 0
