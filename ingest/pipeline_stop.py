"""Stopping an ingest call's reading from a signal handler: :class:`StopRequest`."""

from __future__ import annotations

import os


class StopRequest:
    """A request to stop an ingest call's reading, which a signal handler may make at any moment.

    Given to :func:`~ingest.pipeline.ingest_paths` (``stop=``): once :meth:`set`, the call reads
    no further record (a file from its next batch on, a pipe at its next read,
    at once when it is waiting for bytes), journals and projects the records
    it has parsed, and returns their report.  :meth:`set` only records the
    request and writes a byte to a pipe that a waiting read polls: nothing is
    cut short half-way, so the batch and the report stay consistent.  Close it
    (or use it as a context manager) to release that pipe.

    Examples
    --------
    >>> with StopRequest() as stop:
    ...     stop.set(2)
    ...     stop.is_requested, stop.signum
    (True, 2)
    """

    def __init__(self) -> None:
        self.is_requested = False
        self.signum: int | None = None
        """The signal of the first request, when a signal made it."""
        self.wake_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)

    def set(self, signum: int | None = None) -> None:
        """Ask the ingest call to stop reading (idempotent; safe in a signal handler)."""
        if not self.is_requested:
            self.signum = signum
        self.is_requested = True
        try:
            os.write(self._write_fd, b"\0")
        except OSError:  # the pipe is full (it has woken the read already) or closed
            pass

    def close(self) -> None:
        for fd in (self.wake_fd, self._write_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> StopRequest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Stopped(BaseException):  # noqa: N818 - not an error: the way out of the reading, past `except Exception`
    """Raised where the reading stops on a :class:`StopRequest`; :func:`~ingest.pipeline.ingest_paths` catches it."""
