"""One ``graphsiem serve`` per data directory: an OS advisory lock on ``serve.lock`` in it.

Two services on one data directory would each run the startup catch-up, the
background projection and the detection schedule over the same journal and
graph (review S2, item 1: every count became 2 before the projection compared
batches with the store's mark).  :class:`DataDirLock` takes an exclusive
``flock`` on ``<data dir>/serve.lock`` without waiting, and writes the holder's
PID into the file so the refusal can name it.  The kernel releases the lock
when the process ends however it ends (``kill -9`` included), so it is never
left stale: the file stays, its lock does not.  Other writers (a CLI
``graphsiem ingest``) do not take it; they are correct beside a service (see
:mod:`graphsiem.store.batch_guard`).
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

LOCK_NAME = "serve.lock"


class DataDirInUse(Exception):  # noqa: N818 - "in use" reads better than "InUseError" in a message
    """Another process holds the data directory's service lock."""


class DataDirLock:
    """The service lock of ``directory`` (made if missing), held from :meth:`acquire` to :meth:`release`.

    Examples
    --------
    >>> import tempfile
    >>> directory = tempfile.mkdtemp()
    >>> with DataDirLock(directory):  # doctest: +ELLIPSIS
    ...     DataDirLock(directory).acquire()
    Traceback (most recent call last):
    ...
    graphsiem.data_dir_lock.DataDirInUse: ... is served by another process (pid ...)
    >>> with DataDirLock(directory) as lock:  # released by the first block's end
    ...     lock.is_held
    True
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_NAME
        self._fd: int | None = None

    @property
    def is_held(self) -> bool:
        """Whether this instance holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock at once, or refuse.

        Raises
        ------
        DataDirInUse
            When another process holds it (its PID named when it wrote one).
        OSError
            When the directory or the lock file cannot be made or opened.
        """
        if self._fd is not None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by children (PEP 446)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            pid = f" (pid {holder})" if holder.isdigit() else ""
            raise DataDirInUse(f"{self.directory} is served by another process{pid}") from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (no-op when not held); the file stays for the next holder."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor of the open file releases the flock

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_for_command(command: str, directory: str | os.PathLike[str], *, in_use: str) -> DataDirLock | None:
    """Take ``directory``'s lock for the CLI ``command``, or say in one line why not.

    Parameters
    ----------
    command : str
        The command's name, for the message (``serve``, ``rebuild``).
    directory : path
        The data directory.
    in_use : str
        What the message adds when another process holds the lock.

    Returns
    -------
    DataDirLock or None
        The held lock; ``None`` after printing the reason on standard error.
    """
    lock = DataDirLock(directory)
    try:
        lock.acquire()
    except DataDirInUse as exc:
        print(f"graphsiem {command}: data directory {exc}; {in_use}", file=sys.stderr)
        return None
    except OSError as exc:
        print(f"graphsiem {command}: cannot lock data directory {directory}: {exc}", file=sys.stderr)
        return None
    return lock
