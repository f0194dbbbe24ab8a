"""Files of the embedded store: an atomically replaced snapshot and a writer lock.

``SnapshotFile.save`` writes a pickle (protocol 5) to a temporary file in the
same directory, fsyncs it, renames it over the snapshot and fsyncs the
directory, so a reader sees the old or the new snapshot, never half of one.
``WriterLock`` is an exclusive ``flock`` on a lock file holding the writer's
PID, so two processes never interleave their writes.

The pickle is only ever read from the local data directory this module itself
writes; it is not an exchange format.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

from graphsiem.store.base import StoreError

Stamp = tuple[int, int, int]
"""``(inode, mtime ns, size)``: changes whenever a new snapshot is renamed in."""


class SnapshotFile:
    """One pickled ``dict`` state at ``path``, tagged with a format version."""

    def __init__(self, path: Path, *, format_version: int) -> None:
        self.path = path
        self.format_version = format_version

    def stamp(self) -> Stamp | None:
        """The current file's identity, or ``None`` when there is no snapshot yet."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def load(self) -> dict[str, Any]:
        """The saved state.

        Raises
        ------
        StoreError
            When the file cannot be read or is not a snapshot of this format.
        """
        try:
            with self.path.open("rb") as handle:
                state = pickle.load(handle)  # noqa: S301 - our own file, see module docstring
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            raise StoreError(f"cannot read embedded graph {self.path}: {exc}") from exc
        if not isinstance(state, dict) or state.get("format") != self.format_version:
            raise StoreError(
                f"{self.path} is not a GraphSIEM graph (format {self.format_version})"
            )
        return state

    def save(self, state: dict[str, Any]) -> Stamp | None:
        """Atomically replace the snapshot with ``state``; returns the new stamp."""
        directory = self.path.parent
        fd, tmp = tempfile.mkstemp(prefix=".graph-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(dict(state, format=self.format_version), handle, protocol=5)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)
        return self.stamp()


class WriterLock:
    """An exclusive ``flock`` on ``path``, waited for up to ``timeout`` seconds."""

    def __init__(self, path: Path, *, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    @property
    def is_held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock (no-op when held).

        Raises
        ------
        StoreError
            Naming the holder's PID when the lock stays taken past the timeout.
        """
        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # private by its mode, not a umask (graphsiem.paths)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                    os.close(fd)
                    raise StoreError(
                        f"{self.path.parent} is being written by another process (pid {holder}); "
                        f"gave up after {self.timeout:.0f}s"
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (no-op when not held)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
