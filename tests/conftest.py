"""Top-level test fixtures shared by every test package.

Fixtures
--------
samples_dir
    ``Path`` of the third-party sample data: ``$GRAPHSIEM_SAMPLES`` else
    ``<repo>/../shared/datasets``.  Fails (never skips) when it is missing.
neo4j_server
    Session-wide :class:`~graphsiem.store.neo4j_server.Neo4jServer` (``uri``, ``user``, ``password``,
    ``database``, ``environ()`` for subprocesses, ``connect()`` for a new store).  Uses ``GRAPHSIEM_NEO4J_URI`` (+ ``_USER``, ``_PASSWORD``,
    ``_DATABASE``) when set; otherwise starts a private Neo4j through
    ``scripts/neo4j/neo4j.sh`` in a temporary home on a free port, so parallel
    sessions on one machine do not collide, and stops it at the end of the
    session.  Tests empty the database: point ``GRAPHSIEM_NEO4J_URI`` only at
    a scratch server.  Started only when a test asks for it.  A server that cannot start
    fails the test with the server log; Neo4j tests are never skipped.
neo4j_store
    A :class:`~graphsiem.store.neo4j_store.Neo4jStore` on that server, emptied
    before each test.
embedded_store
    An :class:`~graphsiem.store.embedded.EmbeddedStore` in a fresh temp dir.
store
    Parametrized over ``["embedded", "neo4j"]`` (test ids show which): write a
    test once, run it against both backends.  The Neo4j case carries the
    ``neo4j`` marker.

Example
-------
::

    def test_counts_start_empty(store):
        assert store.counts()["sightings"] == {"total": 0}
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphsiem.store.base import GraphStore
from graphsiem.store.embedded import EmbeddedStore
from graphsiem.store.neo4j_server import (
    Neo4jServer,
    Neo4jStartError,
    start_private_server,
    stop_private_server,
)
from graphsiem.store.neo4j_store import Neo4jStore

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The sample datasets folder (``$GRAPHSIEM_SAMPLES`` or ``../shared/datasets``)."""
    path = Path(os.environ.get("GRAPHSIEM_SAMPLES") or REPO_ROOT.parent / "shared" / "datasets")
    if not path.is_dir():
        pytest.fail(
            f"sample data not found at {path}: set GRAPHSIEM_SAMPLES to the datasets folder"
        )
    return path


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    """A reachable Neo4j 5 server for this test session (see module docstring)."""
    configured = Neo4jServer.from_env()
    if configured is not None:
        yield configured
        return
    home = tmp_path_factory.mktemp("neo4j-home")
    try:
        server = start_private_server(home)
    except Neo4jStartError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        stop_private_server(home)


@pytest.fixture(scope="session")
def _neo4j_session_store(neo4j_server: Neo4jServer) -> Iterator[Neo4jStore]:
    store = neo4j_server.connect()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def neo4j_store(_neo4j_session_store: Neo4jStore) -> Neo4jStore:
    """The session's Neo4j store, emptied before the test."""
    _neo4j_session_store.clear()
    return _neo4j_session_store


@pytest.fixture
def embedded_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    """An embedded store in a fresh temporary directory."""
    store = EmbeddedStore(tmp_path / "graph")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> GraphStore:
    """An empty store of each kind; test ids end in ``[embedded]`` / ``[neo4j]``."""
    return request.getfixturevalue(f"{request.param}_store")
