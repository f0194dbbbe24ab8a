"""Graph stores: the :class:`GraphStore` protocol and its two implementations.

Use :func:`open_store` rather than the classes so that the choice of backend
stays configuration (``--store``, ``GRAPHSIEM_STORE``, API settings).
"""

from __future__ import annotations

import os

from graphsiem.store.base import GraphStore, StoreError
from graphsiem.store.unavailable import StoreUnavailable

__all__ = ["GraphStore", "StoreError", "StoreUnavailable", "open_store", "STORE_SPECS"]

STORE_SPECS = ("embedded", "neo4j")
"""Spec names :func:`open_store` accepts (besides ``bolt://`` / ``neo4j://`` URIs)."""


def open_store(
    spec: str | None = None, *, data_dir: str | os.PathLike[str] | None = None, reading: bool = False,
    caller: str = "cli",
) -> GraphStore:
    """Open the graph store named by ``spec``.

    Parameters
    ----------
    spec : str, optional
        ``None`` or ``"embedded"``: the networkx store in ``<data>/graph``.
        ``"neo4j"``: Neo4j configured from ``GRAPHSIEM_NEO4J_URI``,
        ``GRAPHSIEM_NEO4J_USER`` (default ``neo4j``), ``GRAPHSIEM_NEO4J_PASSWORD``
        and ``GRAPHSIEM_NEO4J_DATABASE`` (default ``neo4j``).
        A ``bolt://`` or ``neo4j://`` URI: Neo4j at that address, credentials
        and database from the same variables.
    data_dir : path, optional
        The data directory (default ``$GRAPHSIEM_DATA`` else ``./.graphsiem``).
    reading : bool
        For a command that only reads: nothing is made or recorded, and a Neo4j
        server that does not answer is an error.  Otherwise a Neo4j server that
        does not answer is waited for (the store opens unconnected, see
        :mod:`graphsiem.store.neo4j_store`), and the store is checked against
        the data directory's journal and recorded in it (:mod:`ingest.store_binding`).
    caller : str
        Who opens it, for the wording of a refusal: ``"cli"`` names ``--store``,
        ``"lab"`` names ``lab.open``.

    Raises
    ------
    ValueError
        For an unknown spec.
    StoreUnavailable
        When Neo4j refuses the credentials (the message names ``GRAPHSIEM_NEO4J_USER`` /
        ``GRAPHSIEM_NEO4J_PASSWORD``) or, for a reading command, does not answer.
    StoreError
        When the store cannot be opened otherwise (unreadable graph file), or is not the data directory's (:class:`ingest.store_binding.StoreBindingError`:
        another kind of store than its journal's, a Neo4j database holding another journal's graph).

    Examples
    --------
    >>> import tempfile
    >>> store = open_store("embedded", data_dir=tempfile.mkdtemp())
    >>> store.name
    'embedded'
    >>> store.close()
    """
    if spec is None or spec == "embedded":
        from graphsiem.paths import graph_dir
        from graphsiem.store.embedded import EmbeddedStore
        from ingest.store_binding import checked_on_open, refuse_another_kind

        refuse_another_kind("embedded", data_dir, caller=caller)  # before graph/ is made
        return checked_on_open(EmbeddedStore(graph_dir(data_dir)), data_dir, reading=reading)
    if spec == "neo4j" or spec.startswith(("bolt://", "neo4j://", "bolt+s://", "neo4j+s://")):
        from graphsiem.store.neo4j_store import Neo4jStore
        from ingest.store_binding import checked_on_open, refuse_another_kind

        environ = dict(os.environ)
        if spec != "neo4j":
            environ["GRAPHSIEM_NEO4J_URI"] = spec
        refuse_another_kind("neo4j", data_dir, caller=caller)
        return checked_on_open(
            Neo4jStore.from_env(environ, defer_unreachable=not reading), data_dir, reading=reading
        )
    from graphsiem.uri_credentials import redact_uri

    raise ValueError(  # a URI of another scheme may hold a password: never echoed
        redact_uri(f"unknown store {spec!r}: use 'embedded', 'neo4j' or a bolt:// / neo4j:// URI")
    )
