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

import shutil
import signal
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
from tests.samples import samples_path


def pytest_configure(config: pytest.Config) -> None:
    """Give the test process Python's own Ctrl-C handling when it was started with SIGINT ignored.

    A shell without job control ignores SIGINT in what it starts with ``&``
    (``make test &``, a CI runner's background step), and an ignored signal
    stays ignored in every child: the tests that stop a real ``graphsiem``
    child with SIGINT would then wait for a child that never hears it.  A
    handled signal is reset to its default in a child, so handling it here
    gives each child Python's KeyboardInterrupt, as from a terminal.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The sample datasets folder (``$GRAPHSIEM_SAMPLES`` or ``../shared/datasets``)."""
    path = samples_path()
    if not path.is_dir():
        pytest.fail(
            f"sample data not found at {path}: set GRAPHSIEM_SAMPLES to the datasets folder"
        )
    return path


class _PrivateNeo4j:
    """A private server started in the background as soon as collection shows it is needed.

    Start-up (a cold JVM: 10-40 s on a busy 2-core box) then overlaps with the
    tests that run before the first Neo4j test instead of adding to them.
    """

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="graphsiem-test-neo4j-"))
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="neo4j-start")
        self._future = self._pool.submit(start_private_server, self.home)

    def server(self) -> Neo4jServer:
        return self._future.result()

    def stop(self) -> None:
        try:
            self._future.result()
        except Exception:  # noqa: BLE001 - the failure was reported by the fixture
            pass
        stop_private_server(self.home)
        self._pool.shutdown()
        shutil.rmtree(self.home, ignore_errors=True)


_PRIVATE_NEO4J: list[_PrivateNeo4j] = []


def _needs_neo4j(item: pytest.Item) -> bool:
    # ``store`` picks its backend with getfixturevalue, invisible in the closure,
    # so its Neo4j case is recognised by the ``neo4j`` marker it carries.
    return item.get_closest_marker("neo4j") is not None or "neo4j_server" in getattr(
        item, "fixturenames", ()
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the private Neo4j early when a selected test will need it."""
    if session.config.option.collectonly or Neo4jServer.from_env() is not None:
        return
    if any(_needs_neo4j(i) for i in session.items):
        _PRIVATE_NEO4J.append(_PrivateNeo4j())


def pytest_sessionfinish(session: pytest.Session) -> None:
    while _PRIVATE_NEO4J:
        _PRIVATE_NEO4J.pop().stop()


@pytest.fixture(scope="session")
def neo4j_server() -> Neo4jServer:
    """A reachable Neo4j 5 server for this test session (see module docstring)."""
    configured = Neo4jServer.from_env()
    if configured is not None:
        return configured
    if not _PRIVATE_NEO4J:  # requested dynamically by a test collection did not flag
        _PRIVATE_NEO4J.append(_PrivateNeo4j())
    try:
        return _PRIVATE_NEO4J[0].server()
    except Neo4jStartError as exc:
        pytest.fail(str(exc), pytrace=False)


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
