"""The ``graphsiem`` command line.

Each sub-command lives in its own module ``graphsiem/cli/<name>_cmd.py`` exposing
``register(subparsers)``; that function adds the parser and sets
``func(args) -> int``.  Modules are found by that naming convention so that a new
command is one new file.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ingest.report import printable
from ingest.write_failure import STORAGE_ERRORS, JournalWriteError, cannot_create, storage_reason

EXIT_BROKEN_PIPE = 141
"""The exit status when standard output closed early: 128 + SIGPIPE, as a shell reports it."""

EXIT_INTERRUPTED = 130
"""The exit status of a command stopped by Ctrl-C (SIGINT): 128 + SIGINT, as a shell reports it."""

EXIT_GRAPH_BEHIND = 75
"""The exit status of an ingest whose records are journaled but whose graph store did not take them.

``EX_TEMPFAIL`` of ``sysexits.h``, "try again later": nothing is lost (the journal
holds every record) and the next ingest projects them; distinct from 1 (records
rejected, or a crash's traceback) and 2 (nothing was read).
"""


EXIT_CANNOT_CREATE = 73
"""The exit status when the data directory or a file in it cannot be made or opened for writing.

``EX_CANTCREAT`` of ``sysexits.h``: a read-only file system or directory, no
permission, a ``--data`` path under a regular file.  Nothing was written.
"""

EXIT_IO_ERROR = 74
"""The exit status when a write to the data directory failed part-way: the disk (or a size limit) is full.

``EX_IOERR`` of ``sysexits.h``.  What was committed before stays; ``graphsiem
ingest`` reports it, and the same input ingested again once there is room
journals the rest and nothing twice.
"""


_STORAGE_FAILURES: tuple[type[BaseException], ...] = (*STORAGE_ERRORS, JournalWriteError)
"""What a refused write or open raises: reported in one line (:func:`storage_problem`)."""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every ``*_cmd`` module's sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="graphsiem", description="Graph-based security event correlation."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    package = importlib.import_module(__name__)
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name.endswith("_cmd"):
            module = importlib.import_module(f"{__name__}.{module_info.name}")
            module.register(subparsers)
    return parser


@contextmanager
def _sigint_noted() -> Iterator[list[int]]:
    """While the sub-commands are imported, a SIGINT is noted (the list it yields), not raised.

    A ``KeyboardInterrupt`` raised inside an import can land in one of the
    import system's callbacks, where it is printed as "Exception ignored" and
    lost (the command then ran on), or leave the interpreter to exit by the
    signal after the stop was reported; a note read once the imports are done
    cannot.
    """
    noted: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: noted.append(signum))
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``graphsiem`` console script."""
    command, data = "", None
    # No umask of the command's: what it creates in the data directory is made private
    # by its mode at creation (graphsiem.paths), so commands run in threads of one
    # process (a notebook) cannot leave each other, or the process, a wrong umask
    try:
        # Ctrl-C during the sub-commands' imports (about 0.4 s, before `graphsiem ingest`
        # sets its own handlers) is a quiet stop, not a traceback
        with _sigint_noted() as noted:
            parser = build_parser()
        if noted:
            raise KeyboardInterrupt
        args = parser.parse_args(argv)
        command, data = args.command, getattr(args, "data", None)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except _STORAGE_FAILURES as exc:
        if isinstance(exc, BrokenPipeError):
            return _broken_pipe()
        # the data directory cannot be made or written (read-only, full, a path under a
        # file): one line naming the path and the disk's reason, not a traceback
        print(f"graphsiem {command}: {storage_problem(exc, data)}", file=sys.stderr)
        return storage_status(exc)
    except KeyboardInterrupt:
        print("graphsiem: interrupted by SIGINT", file=sys.stderr)
        return EXIT_INTERRUPTED


def _broken_pipe() -> int:
    """The reader of standard output left (``graphsiem ingest --json | head``).

    What was done is done (an ingest is journaled before it reports), so no
    traceback; stdout goes to /dev/null so that flushing it at exit cannot
    fail again (the recipe of Python's signal documentation).
    """
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def storage_problem(exc: BaseException, data: str | None) -> str:
    """``exc``, a refused write or open, as ``cannot write <path>: <reason>``; the data directory when the error names no file.

    SQLite's errors name no file (``attempt to write a readonly database``):
    the data directory stands for it.  A password in the text is masked (a
    store URI may be quoted).
    """
    from graphsiem import paths
    from graphsiem.uri_credentials import redact_uri

    if isinstance(exc, JournalWriteError):
        where: object = exc.path
        exc = exc.cause
    else:
        where = getattr(exc, "filename", None)
    if where is None:
        where = f"data directory {paths.data_dir(data, create=False)}"
    return redact_uri(f"cannot write {printable(str(where))}: {storage_reason(exc)}")


def storage_status(exc: BaseException) -> int:
    """:data:`EXIT_CANNOT_CREATE` when nothing could be made or opened for writing, else :data:`EXIT_IO_ERROR`."""
    cause = exc.cause if isinstance(exc, JournalWriteError) else exc
    return EXIT_CANNOT_CREATE if cannot_create(cause) else EXIT_IO_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
