"""Option types and checks the read-only sub-commands share.

A command that only reads (``stats``, ``rejected``, ``detect``) must not make a
data directory a mistyped ``--data`` names: it would answer "0 entities" for a
directory that never held anything, and leave an empty one behind.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from graphsiem import paths

DATA_HELP = "data directory (default $GRAPHSIEM_DATA or ./.graphsiem)"


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum`` (``--top``, ``--limit``, ``--offset``).

    Examples
    --------
    >>> at_least(0)("3")
    3
    >>> at_least(0)("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be 0 or more, not -1
    """

    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {value}")
        return value

    return whole_number


def missing_data_dir(override: str | os.PathLike[str] | None) -> Path | None:
    """The data directory when it does not exist (nothing was ever ingested there), else None.

    Parameters
    ----------
    override : path, optional
        The command's ``--data``; else ``$GRAPHSIEM_DATA`` or ``./.graphsiem``.

    Examples
    --------
    >>> missing_data_dir("/nonexistent/graphsiem-data").name
    'graphsiem-data'
    >>> missing_data_dir("/") is None
    True
    """
    path = paths.data_dir(override, create=False)
    return None if path.is_dir() else path


def data_dir_problem(override: str | os.PathLike[str] | None) -> str | None:
    """A one-line reason a read-only command cannot use the data directory, or None."""
    path = missing_data_dir(override)
    if path is None:
        return None
    return (f"no data directory at {path}: nothing has been ingested there "
            "(check --data or $GRAPHSIEM_DATA)")
