"""Graph stores: the :class:`GraphStore` protocol and its two implementations.

Use :func:`open_store` rather than the classes so that the choice of backend
stays configuration (``--store``, ``GRAPHSIEM_STORE``, API settings).
"""

from __future__ import annotations

import os

from graphsiem.store.base import GraphStore, StoreError

__all__ = ["GraphStore", "StoreError", "open_store", "STORE_SPECS"]

STORE_SPECS = ("embedded", "neo4j")
"""Spec names :func:`open_store` accepts (besides ``bolt://`` / ``neo4j://`` URIs)."""


def open_store(
    spec: str | None = None, *, data_dir: str | os.PathLike[str] | None = None
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

    Raises
    ------
    ValueError
        For an unknown spec.
    StoreError
        When the store cannot be opened (Neo4j unreachable, unreadable graph file).

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

        return EmbeddedStore(graph_dir(data_dir))
    if spec == "neo4j" or spec.startswith(("bolt://", "neo4j://", "bolt+s://", "neo4j+s://")):
        from graphsiem.store.neo4j_store import Neo4jStore

        environ = dict(os.environ)
        if spec != "neo4j":
            environ["GRAPHSIEM_NEO4J_URI"] = spec
        return Neo4jStore.from_env(environ)
    from graphsiem.uri_credentials import redact_uri

    raise ValueError(  # a URI of another scheme may hold a password: never echoed
        redact_uri(f"unknown store {spec!r}: use 'embedded', 'neo4j' or a bolt:// / neo4j:// URI")
    )
