"""``--data`` and ``--store`` on a command they mean nothing to: refused with the reason (review U1 #9).

The README says the commands take ``--data`` and ``--store``; ``simulate --data`` and
``evaluate --store`` then failed with argparse's bare "unrecognized arguments".  Each command
that has no use for one of them now accepts it only to refuse it with what it does instead
(exit 2, as argparse's errors), so the newcomer learns where the option belongs.
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn


class _Refused(argparse.Action):
    """An option that is parsed only to be refused with ``reason``."""

    def __init__(self, option_strings: list[str], dest: str, reason: str = "", **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs="?", help=argparse.SUPPRESS, **kwargs)
        self.reason = reason

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> NoReturn:
        parser.error(f"{option_string} does not apply here: {self.reason}")


def refuse(parser: argparse.ArgumentParser, option: str, reason: str) -> None:
    """Make ``option`` (``--data``, ``--store``) an error on ``parser`` that says ``reason``.

    Examples
    --------
    >>> p = argparse.ArgumentParser(prog="graphsiem evaluate", exit_on_error=False)
    >>> refuse(p, "--store", "it reads two JSON files")
    >>> p.error = lambda message: print(message)  # instead of exiting
    >>> _ = p.parse_args(["--store", "neo4j"])
    --store does not apply here: it reads two JSON files
    """
    parser.add_argument(option, action=_Refused, reason=reason, dest=f"refused_{option.strip('-')}")


JOURNAL_ONLY = ("it reads the journal in --data, which is the same whichever graph store the data directory "
                "feeds: no graph store is read")
"""Why ``--store`` does not apply to a command that reads the journal or the state database only."""
