"""Where GraphSIEM keeps its files: ``$GRAPHSIEM_DATA`` else ``./.graphsiem``.

Layout of the data directory: ``journal.sqlite`` (accepted events),
``graph/`` (the embedded graph store), ``state.sqlite`` (API state).

Private: the journal holds raw telemetry, the state the API keys' hashes.  A
directory made here is ``0700``, a database file ``0600`` (:func:`private_file`;
SQLite gives its ``-journal``, ``-wal`` and ``-shm`` files the database's
mode), and the ``graphsiem`` command runs with umask ``077``, so whatever else
it creates (the graph, its lock, uploads) is private too (review S2, item 7:
``journal.sqlite`` and ``state.sqlite`` were ``0644``).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

DATA_ENV = "GRAPHSIEM_DATA"
DEFAULT_DATA_DIR = ".graphsiem"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
PRIVATE_UMASK = 0o077
"""The ``graphsiem`` command's umask: files it creates are its user's only."""
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
