"""How the commands report a graph store they cannot use: one line and the README's exit status.

- The store cannot be opened (Neo4j refuses the credentials or does not
  answer: :class:`~graphsiem.store.unavailable.StoreUnavailable`): exit 1.
- Any other refusal at open (a directory bound to another store, an
  unsupported URI): exit 2, as before.
- The store fails during a run (Neo4j killed while ``detect`` reads it):
  exit 75, ``EX_TEMPFAIL`` as ``ingest`` uses for a store that does not
  answer; it used to be a 75-line traceback and exit 1 (review T4, finding 3).
"""

from __future__ import annotations

import sys
from typing import Any

from graphsiem.store.base import StoreError
from graphsiem.store.unavailable import StoreUnavailable

EXIT_STORE_CANNOT_OPEN = 1
"""The store cannot be opened (README, exit statuses)."""

EXIT_BAD_ARGUMENTS = 2
"""Bad arguments, or a data directory bound to another store."""

EXIT_STORE_FAILED = 75
"""The store stopped answering during the run (``EX_TEMPFAIL``: try again later)."""


def open_failed(command: str, exc: ValueError | StoreError) -> int:
    """Print why the store could not be opened, in one line; the exit status (1 or 2)."""
    print(f"graphsiem {command}: {exc}", file=sys.stderr)
    return EXIT_STORE_CANNOT_OPEN if isinstance(exc, StoreUnavailable) else EXIT_BAD_ARGUMENTS


def describe(store: Any) -> str:
    """The store as a message names it: ``Neo4j at <uri> (database 'x')`` or ``the embedded store``."""
    uri = getattr(store, "uri", None)
    if uri is not None:
        return f"Neo4j at {uri} (database {getattr(store, 'database', None)!r})"
    return f"the {getattr(store, 'name', 'graph')} store"


def run_failed(command: str, store: Any, exc: StoreError, outcome: str) -> int:
    """Print that ``store`` failed during the run (one line, ``outcome`` says what did not happen); 75."""
    error = " ".join(str(exc).split())
    print(f"graphsiem {command}: {describe(store)} failed during the run: {error}; {outcome}", file=sys.stderr)
    return EXIT_STORE_FAILED
