"""Who may write a data directory at once: OS advisory locks on files in it.

Two locks, each an ``flock`` taken without waiting, which the kernel releases
when the process ends however it ends (``kill -9`` included), so neither is
ever left stale: the files stay, their locks do not.

``serve.lock``: one ``graphsiem serve`` per data directory.  Two services on
one data directory would each run the startup catch-up, the background
projection and the detection schedule over the same journal and graph
(review S2, item 1: every count became 2 before the projection compared
batches with the store's mark).  The holder writes its PID into the file so
the refusal can name it.  ``graphsiem rebuild`` takes it too: it empties the
graph the service projects into.

``writers.lock``: the CLI's writers of the journal and graph against a
rebuild.  ``graphsiem ingest`` (and ``graphsiem detect PATH...``, which
ingests) holds it *shared*, so any number of them run at once, beside a
service as before (they compare every batch with the store's mark, see
:mod:`graphsiem.store.batch_guard`); ``graphsiem rebuild`` holds it
*exclusive*.  A rebuild empties the graph and projects the journal again from
0: an ingest's batch written between the emptying and the replay would leave
a mark the replay trusts over a graph without the batch's predecessors (the
race review RV3 found for the service).  Whichever comes second is refused in
one line naming the other's PID (from ``/proc/locks`` where the kernel lists
them, else from the file, which an exclusive holder writes).  Refused rather
than made to wait: a rebuild of a large journal takes minutes and a live
ingest (``tail -F ... | graphsiem ingest -``) never ends, so a wait either way
would look like a hang with nothing said.

A command refused once it holds a lock (a Neo4j database that holds another
data directory's graph, a store that cannot be opened) gives it up with
:meth:`DataDirLock.abandon`: the lock file and the directories the lock made
are removed again, so a refused directory is left as it was (review T4,
finding 5, task G5).  Removing a lock file another process may be about to
lock is safe because :meth:`DataDirLock.acquire` checks, once it holds the
lock, that the file it locked is still the one the name points to.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sys
from pathlib import Path

LOCK_NAME = "serve.lock"
"""The service lock's file."""
WRITERS_LOCK_NAME = "writers.lock"
"""The lock of the CLI's writers (shared) against a rebuild (exclusive)."""


class DataDirInUse(Exception):  # noqa: N818 - "in use" reads better than "InUseError" in a message
    """Another process holds the data directory's lock."""


class DataDirLock:
    """A lock of ``directory`` (made if missing), held from :meth:`acquire` to :meth:`release`.

    Parameters
    ----------
    directory : path
        The data directory.
    name : str
        The lock file in it (default the service lock, :data:`LOCK_NAME`).
    shared : bool
        Take it shared: other shared holders are let in, an exclusive one is not.
    held : str
        What the refusal says the other holders do (``is served by another process``).

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
    >>> readers = [DataDirLock(directory, name=WRITERS_LOCK_NAME, shared=True) for _ in range(2)]
    >>> for lock in readers:
    ...     lock.acquire()
    >>> DataDirLock(directory, name=WRITERS_LOCK_NAME, held="is being written").acquire()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graphsiem.data_dir_lock.DataDirInUse: ... is being written (pid ...)
    >>> for lock in readers:
    ...     lock.release()
    """

    def __init__(
        self, directory: str | os.PathLike[str], *, name: str = LOCK_NAME, shared: bool = False,
        held: str = "is served by another process",
    ) -> None:
        self.directory = Path(directory)
        self.path = self.directory / name
        self.shared = shared
        self.held = held
        self._fd: int | None = None
        self._made_file = False
        self._made_dirs: list[Path] = []  # deepest first: the order to remove them in

    @property
    def is_held(self) -> bool:
        """Whether this instance holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock at once, or refuse.

        Raises
        ------
        DataDirInUse
            When another process holds it (their PIDs named when known).
        OSError
            When the directory or the lock file cannot be made or opened.
        """
        if self._fd is not None:
            return
        for _ in range(_ATTEMPTS):
            fd = self._open()
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            except BlockingIOError:
                holders = _holders(fd)
                os.close(fd)
                pids = f" (pid {', '.join(holders)})" if holders else ""
                raise DataDirInUse(f"{self.directory} {self.held}{pids}") from None
            except BaseException:
                os.close(fd)
                raise
            if _names(self.path, fd):
                break
            # a refused run removed the file between our open and our lock (abandon): the lock
            # we hold is on a file nobody else will open; lock the one the name points to now
            os.close(fd)
            self._made_file = False
        else:  # pragma: no cover - only if files keep being removed under us
            raise OSError(errno.EAGAIN, f"{self.path} kept being removed while it was locked")
        if not self.shared:  # a shared holder is one of many: the kernel's list names them (_holders)
            with contextlib.suppress(OSError):  # opened read-only: the refusal names no PID then
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def _open(self) -> int:
        """Open (making when missing) the lock file and its directory, noting what this call made."""
        from graphsiem.paths import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE

        missing = [d for d in (self.directory, *self.directory.parents) if not d.exists()]
        self.directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        self._made_dirs = self._made_dirs or [d for d in missing if d.is_dir()]
        try:
            # O_EXCL first: whether this run made the file decides whether abandon() removes it
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)  # not inherited (PEP 446)
            self._made_file = True
            return fd
        except FileExistsError:
            pass
        try:
            return os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            # removed since (another run's abandon): the next attempt makes it again
            return self._open()
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            # a data directory made read-only after a first run: the lock still works on the
            # file it left (flock needs no write access); the holder's PID is not written then
            return os.open(self.path, os.O_RDONLY)

    def release(self) -> None:
        """Give the lock up (no-op when not held); the file stays for the next holder."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor of the open file releases the flock

    def abandon(self) -> None:
        """Give the lock up and remove what taking it made: for a command refused before it wrote anything.

        The lock file is removed only when this instance made it and no other
        process holds it (taken exclusive without waiting, then removed while
        held: a process that opened it meanwhile finds, once it locks it, that
        the name points elsewhere, see :meth:`acquire`); the directories it
        made only when they are empty.  Otherwise this is :meth:`release`.
        """
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if self._made_file:
                with contextlib.suppress(OSError):
                    # shared holders convert to exclusive: refused while another holds it too
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    if _names(self.path, fd):
                        self.path.unlink()
        finally:
            os.close(fd)
        for directory in self._made_dirs:  # deepest first; one holding anything else stays
            try:
                directory.rmdir()
            except OSError:
                break
        self._made_file, self._made_dirs = False, []

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


_ATTEMPTS = 20
"""How often :meth:`DataDirLock.acquire` tries again when the file it locked was removed meanwhile."""


def _names(path: Path, fd: int) -> bool:
    """Whether ``path`` names the file open as ``fd`` (not removed, nor replaced, since it was opened)."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _holders(fd: int) -> list[str]:
    """The PIDs holding a lock on ``fd``'s file: from ``/proc/locks`` (Linux), else the PID the file holds.

    The file's PID is the last exclusive holder's, which a shared holder does
    not overwrite: the kernel's list is the one to trust when there is one.
    """
    status = os.fstat(fd)
    device = (os.major(status.st_dev), os.minor(status.st_dev), status.st_ino)
    pids: list[str] = []
    with contextlib.suppress(OSError):
        with open("/proc/locks", encoding="ascii", errors="replace") as table:
            for line in table:
                fields = line.split()
                # "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF"; "1: -> FLOCK ..." is a waiter
                if len(fields) < 6 or fields[1] == "->" or fields[1] != "FLOCK":
                    continue
                major, minor, inode = (fields[5].split(":") + ["", "", ""])[:3]
                with contextlib.suppress(ValueError):
                    if (int(major, 16), int(minor, 16), int(inode)) == device and fields[4] not in pids:
                        pids.append(fields[4])
    if pids:
        return pids
    written = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return [written] if written.isdigit() else []


def lock_for_command(
    command: str, directory: str | os.PathLike[str], *, in_use: str, name: str = LOCK_NAME,
    shared: bool = False, held: str = "is served by another process",
) -> DataDirLock | None:
    """Take a lock of ``directory`` for the CLI ``command``, or say in one line why not.

    Parameters
    ----------
    command : str
        The command's name, for the message (``serve``, ``rebuild``).
    directory : path
        The data directory.
    in_use : str
        What the message adds when another process holds the lock.
    name, shared, held
        Which lock, how, and what its other holders do (see :class:`DataDirLock`).

    Returns
    -------
    DataDirLock or None
        The held lock; ``None`` after printing the reason on standard error.
    """
    lock = DataDirLock(directory, name=name, shared=shared, held=held)
    try:
        lock.acquire()
    except DataDirInUse as exc:
        print(f"graphsiem {command}: data directory {exc}; {in_use}", file=sys.stderr)
        return None
    except OSError as exc:
        print(f"graphsiem {command}: cannot lock data directory {directory}: {exc}", file=sys.stderr)
        return None
    return lock


def writer_lock(command: str, directory: str | os.PathLike[str]) -> DataDirLock | None:
    """The shared writers' lock for ``graphsiem ingest`` (or ``detect PATH...``), refused during a rebuild.

    Returns
    -------
    DataDirLock or None
        The held lock; ``None`` after saying on standard error that a rebuild holds the directory.

    Raises
    ------
    OSError
        When the lock file cannot be made or opened (a read-only data directory that has
        none yet): the command reports it as any other write the disk refuses.
    """
    lock = DataDirLock(directory, name=WRITERS_LOCK_NAME, shared=True, held="is being rebuilt by another process")
    try:
        lock.acquire()
    except DataDirInUse as exc:
        print(f"graphsiem {command}: data directory {exc}; nothing was read: run it again once the rebuild "
              "has ended (it empties the graph and projects the whole journal into it again)", file=sys.stderr)
        return None
    return lock


def rebuild_lock(directory: str | os.PathLike[str]) -> DataDirLock | None:
    """The exclusive writers' lock for ``graphsiem rebuild``, refused while an ingest writes ``directory``.

    Returns
    -------
    DataDirLock or None
        The held lock; ``None`` after naming the writers on standard error.
    """
    return lock_for_command(
        "rebuild", directory, name=WRITERS_LOCK_NAME, held="is being written by another process",
        in_use="let the ingest end first (a rebuild empties the graph it projects into)",
    )
