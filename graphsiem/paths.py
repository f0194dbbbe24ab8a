"""Where GraphSIEM keeps its files: ``$GRAPHSIEM_DATA`` else ``./.graphsiem``.

Layout of the data directory: ``journal.sqlite`` (accepted events),
``graph/`` (the embedded graph store), ``state.sqlite`` (API state).

Private: the journal holds raw telemetry, the state the API keys' hashes, the
uploads raw files (review S2, item 7: ``journal.sqlite`` and ``state.sqlite``
were ``0644``).  Every file and directory is *created* with its private mode,
whatever the process's umask: a directory ``0700`` (:func:`data_dir`,
:func:`private_dir`), a database file ``0600`` (:func:`private_file`; SQLite
gives its ``-journal``, ``-wal`` and ``-shm`` files the database's mode), any
other file ``0600`` (:func:`open_private`, the graph's snapshot and lock, the
data directory's locks).  Not by a umask of ``077`` set around the command:
the umask is one per process, so two commands run in threads of one process
(a notebook serving in one thread and ingesting in another) would undo each
other's, and leave ``077`` to the rest of the process or ``022`` to a command
still writing (task F15).
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from pathlib import Path

DATA_ENV = "GRAPHSIEM_DATA"
DEFAULT_DATA_DIR = ".graphsiem"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")


def private_file(path: str | os.PathLike[str]) -> Path:
    """Make ``path`` its owner's only before a database opens it: created ``0600`` when missing.

    An existing file (and its SQLite side files) readable by others, made by an
    earlier version, is narrowed to ``0600`` when this user owns it; one it
    does not own is left as it is and keeps working.

    Examples
    --------
    >>> import tempfile
    >>> made = private_file(Path(tempfile.mkdtemp()) / "journal.sqlite")
    >>> oct(made.stat().st_mode & 0o777)
    '0o600'
    """
    path = Path(path)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE))
    except FileExistsError:
        for item in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_SIDE_FILES)):
            _narrow(item)
    return path


def open_private(path: str | os.PathLike[str]) -> io.BufferedWriter:
    """``path`` opened for writing bytes, created ``0600`` when missing (an existing file keeps its mode).

    Examples
    --------
    >>> import tempfile
    >>> with open_private(Path(tempfile.mkdtemp()) / "upload.log") as out:
    ...     _ = out.write(b"x")
    ...     oct(os.fstat(out.fileno()).st_mode & 0o777)
    '0o600'
    """
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE), "wb")


def private_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` as a directory, every missing part of it made ``0700`` (existing ones keep their mode).

    For directories inside the data directory (uploads), whose parents are
    private too; :func:`data_dir` gives a data directory's own parents the default mode.

    Examples
    --------
    >>> import tempfile
    >>> made = private_dir(Path(tempfile.mkdtemp()) / "uploads" / "request-1")
    >>> oct(made.stat().st_mode & 0o777), oct(made.parent.stat().st_mode & 0o777)
    ('0o700', '0o700')
    """
    path = Path(path)
    missing = []
    while not path.is_dir():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for item in reversed(missing):
        item.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)  # a file in the way raises, as mkdir does
    return Path(missing[0]) if missing else path


def _narrow(path: Path) -> None:
    """``path`` to ``0600`` when others may read or write it and this user owns it."""
    with contextlib.suppress(OSError):  # gone, not ours to change, a read-only file system
        status = path.stat()
        if stat.S_ISREG(status.st_mode) and status.st_mode & 0o077 and status.st_uid == os.geteuid():
            path.chmod(PRIVATE_FILE_MODE)


def data_dir(override: str | os.PathLike[str] | None = None, *, create: bool = True) -> Path:
    """The data directory, created on demand.

    Parameters
    ----------
    override : path, optional
        Used as is when given (CLI ``--data`` options, tests).
    create : bool
        Create the directory when missing (mode ``0700``; the parents it needs
        get the default mode).

    Returns
    -------
    Path
        ``override`` else ``$GRAPHSIEM_DATA`` else ``./.graphsiem``, absolute.
    """
    raw = override if override is not None else os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR
    path = Path(raw).expanduser().absolute()
    if create:
        # private when made here; an existing directory (maybe the user's own) keeps its mode
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    return path


def graph_dir(override: str | os.PathLike[str] | None = None, *, create: bool = True) -> Path:
    """``<data>/graph``: the embedded store's directory."""
    path = data_dir(override, create=create) / "graph"
    if create:
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    return path


def journal_path(override: str | os.PathLike[str] | None = None) -> Path:
    """``<data>/journal.sqlite``: the event journal."""
    return data_dir(override) / "journal.sqlite"


def state_path(override: str | os.PathLike[str] | None = None) -> Path:
    """``<data>/state.sqlite``: API state."""
    return data_dir(override) / "state.sqlite"
