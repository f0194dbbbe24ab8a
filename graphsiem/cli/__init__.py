"""The ``graphsiem`` command line.

Each sub-command lives in its own module ``graphsiem/cli/<name>_cmd.py`` exposing
``register(subparsers)``; that function adds the parser and sets
``func(args) -> int``.  Modules are found by that naming convention so that a new
command is one new file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence


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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``graphsiem`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
