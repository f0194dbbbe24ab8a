"""Where GraphSIEM keeps its files: ``$GRAPHSIEM_DATA`` else ``./.graphsiem``.

Layout of the data directory: ``journal.sqlite`` (accepted events),
``graph/`` (the embedded graph store), ``state.sqlite`` (API state).
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "GRAPHSIEM_DATA"
DEFAULT_DATA_DIR = ".graphsiem"


def data_dir(override: str | os.PathLike[str] | None = None, *, create: bool = True) -> Path:
    """The data directory, created on demand.

    Parameters
    ----------
    override : path, optional
        Used as is when given (CLI ``--data`` options, tests).
    create : bool
        Create the directory when missing.

    Returns
    -------
    Path
        ``override`` else ``$GRAPHSIEM_DATA`` else ``./.graphsiem``, absolute.
    """
    raw = override if override is not None else os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR
    path = Path(raw).expanduser().absolute()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def graph_dir(override: str | os.PathLike[str] | None = None, *, create: bool = True) -> Path:
    """``<data>/graph``: the embedded store's directory."""
    path = data_dir(override, create=create) / "graph"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def journal_path(override: str | os.PathLike[str] | None = None) -> Path:
    """``<data>/journal.sqlite``: the event journal."""
    return data_dir(override) / "journal.sqlite"


def state_path(override: str | os.PathLike[str] | None = None) -> Path:
    """``<data>/state.sqlite``: API state."""
    return data_dir(override) / "state.sqlite"
