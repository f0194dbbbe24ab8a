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
    try:
        # Ctrl-C during the sub-commands' imports (about 0.4 s, before `graphsiem ingest`
        # sets its own handlers) is a quiet stop, not a traceback
        with _sigint_noted() as noted:
            parser = build_parser()
        if noted:
            raise KeyboardInterrupt
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("graphsiem: interrupted by SIGINT", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of standard output left (``graphsiem ingest --json | head``):
        # what was done is done (an ingest is journaled before it reports), so no
        # traceback; stdout goes to /dev/null so that flushing it at exit cannot
        # fail again (the recipe of Python's signal documentation).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
