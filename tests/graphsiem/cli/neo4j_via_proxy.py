"""A fixture for the CLI tests of task F28: the test Neo4j server reached through a real loopback proxy.

Import ``neo4j_via_proxy`` into a test module to use it.  The ``GRAPHSIEM_NEO4J_*``
variables name the server through the proxy (the database emptied first), so a
test can cut the connection (:meth:`~tests.ingest.tcp_proxy.TcpProxy.cut`) as a
server that went down, and restore it.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.ingest.tcp_proxy import TcpProxy, running


@pytest.fixture
def neo4j_via_proxy(neo4j_server, neo4j_store, monkeypatch) -> Iterator[TcpProxy]:
    """The running proxy, the environment naming the server through it."""
    address = urlsplit(neo4j_server.uri)
    with running(TcpProxy((address.hostname or "127.0.0.1", address.port or 7687))) as proxy:
        for name, value in {**neo4j_server.environ(), "GRAPHSIEM_NEO4J_URI": proxy.uri}.items():
            monkeypatch.setenv(name, value)
        yield proxy
