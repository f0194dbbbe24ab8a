"""A store that cannot be used: refused credentials, or a server that does not answer, said in one line.

The driver's own words named neither the setting to fix nor the cause plainly
(``{neo4j_code: Neo.ClientError.Security.Unauthorized} ... See debug log for
details.``; ``Unsupported authentication token, missing key 'credentials'``
with the password variable unset: review T4, finding 4).  The commands tell
this error (the store cannot be opened, or stopped answering: exit 1 when
opening, 75 during a run) from the other :class:`StoreError` s (a directory
bound to another store: exit 2).
"""

from __future__ import annotations

from graphsiem.store.base import StoreError


class StoreUnavailable(StoreError):
    """The store refused the credentials or does not answer (the message says which, and what to check)."""


def neo4j_unavailable(where: str, exc: Exception) -> StoreUnavailable:
    """The one-line error for a Neo4j driver error ``exc`` met while connecting to ``where``.

    Parameters
    ----------
    where : str
        ``Neo4j at <uri> (database 'x')``, the URI without credentials.
    exc : Exception
        The driver's error.

    Examples
    --------
    >>> from neo4j.exceptions import ServiceUnavailable
    >>> print(neo4j_unavailable("Neo4j at bolt://db:7687 (database 'neo4j')",
    ...                         ServiceUnavailable("Couldn't connect to db:7687:\\n(reason Connection refused)")))
    Neo4j at bolt://db:7687 (database 'neo4j') does not answer (Couldn't connect to db:7687: (reason Connection refused)): is the server running, and GRAPHSIEM_NEO4J_URI its Bolt address?
    """
    # imported here: importing graphsiem.store must not load the driver
    from neo4j.exceptions import AuthError

    if isinstance(exc, AuthError):
        return StoreUnavailable(
            f"{where} refused the credentials: check GRAPHSIEM_NEO4J_USER / GRAPHSIEM_NEO4J_PASSWORD"
            " (or the user:password in the URI)")
    reason = " ".join(str(exc).split())
    return StoreUnavailable(
        f"{where} does not answer ({reason}): is the server running, and GRAPHSIEM_NEO4J_URI its Bolt address?")
