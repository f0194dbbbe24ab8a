"""Option types and checks the read-only sub-commands share.

A command that only reads (``stats``, ``rejected``, ``detect``) must not make a
data directory a mistyped ``--data`` names: it would answer "0 entities" for a
directory that never held anything, and leave an empty one behind.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

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


DATA_MARKS = ("journal.sqlite", "graph")
"""What an ingest leaves in a data directory: a directory with neither holds nothing to read."""

STATE_MARKS = ("state.sqlite",)
"""What ``keys create`` and ``serve`` leave: the API's keys and state."""


def data_dir_problem(override: str | os.PathLike[str] | None, marks: tuple[str, ...] = DATA_MARKS) -> str | None:
    """A one-line reason a read-only command cannot use the data directory, or None.

    A read must not make what it reads: a mistyped ``--data`` would otherwise answer
    "0 entities" and leave an empty directory (or a ``graph/`` inside the wrong one)
    behind.  So the directory must exist and hold one of ``marks``.

    Parameters
    ----------
    override : path, optional
        The command's ``--data``; else ``$GRAPHSIEM_DATA`` or ``./.graphsiem``.
    marks : tuple of str
        File or directory names of which the directory must hold one.

    Examples
    --------
    >>> data_dir_problem("/nonexistent/gs").startswith("no data directory at /nonexistent/gs")
    True
    >>> data_dir_problem("")
    '--data is empty'
    >>> data_dir_problem("/").startswith("nothing has been ingested in /")
    True
    """
    if override is not None and not str(override).strip():
        return "--data is empty"
    path = paths.data_dir(override, create=False)
    hint = "(check --data or $GRAPHSIEM_DATA)"
    if not path.is_dir():
        return f"no data directory at {path}: nothing has been ingested there {hint}"
    if not any((path / mark).exists() for mark in marks):
        return f"nothing has been ingested in {path}: it holds no {' or '.join(marks)} {hint}"
    return None
