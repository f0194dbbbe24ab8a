"""Top-level test fixtures shared by every test package.

Fixtures
--------
samples_dir
    ``Path`` of the third-party sample data: ``$GRAPHSIEM_SAMPLES`` else
    ``<repo>/../shared/datasets``.  Fails (never skips) when it is missing.
neo4j_server
    Session-wide :class:`Neo4jServer` (``uri``, ``user``, ``password``,
    ``database``).  Uses ``GRAPHSIEM_NEO4J_URI`` (+ ``_USER``, ``_PASSWORD``,
    ``_DATABASE``) when set; otherwise starts a private Neo4j through
    ``scripts/neo4j/neo4j.sh`` in a temporary home on a free port, so parallel
    sessions on one machine do not collide, and stops it at the end of the
    session.  Started only when a test asks for it.  A server that cannot start
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
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from graphsiem.store.base import GraphStore
from graphsiem.store.embedded import EmbeddedStore
from graphsiem.store.neo4j_store import Neo4jStore

REPO_ROOT = Path(__file__).resolve().parent.parent
NEO4J_SCRIPT = REPO_ROOT / "scripts" / "neo4j" / "neo4j.sh"


@dataclass(frozen=True)
class Neo4jServer:
    """Where the test Neo4j listens and how to log in."""

    uri: str
    user: str
    password: str
    database: str = "neo4j"

    def connect(self, **kwargs: object) -> Neo4jStore:
        """A new :class:`Neo4jStore` (with its own driver) on this server."""
        return Neo4jStore(
            self.uri, user=self.user, password=self.password, database=self.database, **kwargs
        )

    def environ(self) -> dict[str, str]:
        """The ``GRAPHSIEM_NEO4J_*`` variables for subprocesses (CLI, API) under test."""
        return {
            "GRAPHSIEM_NEO4J_URI": self.uri,
            "GRAPHSIEM_NEO4J_USER": self.user,
            "GRAPHSIEM_NEO4J_PASSWORD": self.password,
            "GRAPHSIEM_NEO4J_DATABASE": self.database,
        }


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The sample datasets folder (``$GRAPHSIEM_SAMPLES`` or ``../shared/datasets``)."""
    path = Path(os.environ.get("GRAPHSIEM_SAMPLES") or REPO_ROOT.parent / "shared" / "datasets")
    if not path.is_dir():
        pytest.fail(
            f"sample data not found at {path}: set GRAPHSIEM_SAMPLES to the datasets folder"
        )
    return path


def _start_private_neo4j(home: Path) -> tuple[Neo4jServer, str]:
    password = secrets.token_urlsafe(18)
    # A loaded 2-core CI box can need minutes for a cold JVM start.
    env = dict(os.environ, NEO4J_PASSWORD=password)
    env.setdefault("NEO4J_START_TIMEOUT", "300")
    proc = subprocess.run(
        [str(NEO4J_SCRIPT), "start", str(home)],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"Neo4j did not start (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}",
            pytrace=False,
        )
    info = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    return Neo4jServer(info["bolt_uri"], "neo4j", password), info.get("log", "")


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    """A reachable Neo4j 5 server for this test session (see module docstring)."""
    uri = os.environ.get("GRAPHSIEM_NEO4J_URI")
    if uri:
        yield Neo4jServer(
            uri,
            os.environ.get("GRAPHSIEM_NEO4J_USER", "neo4j"),
            os.environ.get("GRAPHSIEM_NEO4J_PASSWORD", ""),
            os.environ.get("GRAPHSIEM_NEO4J_DATABASE", "neo4j"),
        )
        return
    home = tmp_path_factory.mktemp("neo4j-home")
    server, _ = _start_private_neo4j(home)
    try:
        yield server
    finally:
        subprocess.run([str(NEO4J_SCRIPT), "stop", str(home)], capture_output=True, check=False)


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
