"""A data directory refused a Neo4j database another one holds is left as it was: no lock file, no directory
(task G5; review T4 finding 5, whose journal part 0ee091b fixed).

``graphsiem ingest`` (and ``detect PATH...``, ``serve``) took the data directory's lock, which made the
directory and its ``writers.lock`` (``serve.lock``), before the store was opened and refused: the refused
directory was left made, with a lock file in it.  Against the test server.
"""

from __future__ import annotations

import os

import pytest

from graphsiem.cli import main
from graphsiem.data_dir_lock import WRITERS_LOCK_NAME, DataDirInUse, DataDirLock
from tests.ingest.conftest import FIXTURES

INPUT = FIXTURES / "ecs_events.ndjson"


@pytest.fixture
def first_owns_the_database(tmp_path, capsys, monkeypatch, neo4j_server, neo4j_store):
    """``tmp_path/first`` holds the test database's graph; the Neo4j variables point the CLI at it."""
    for name, value in neo4j_server.environ().items():
        monkeypatch.setenv(name, value)
    first = tmp_path / "first"
    assert main(["ingest", str(INPUT), "--data", str(first), "--store", "neo4j", "--no-progress"]) == 0
    capsys.readouterr()
    return first


@pytest.mark.neo4j
@pytest.mark.parametrize("command", [
    ["ingest", str(INPUT), "--store", "neo4j", "--no-progress"],
    ["detect", str(INPUT), "--store", "neo4j"],
    ["serve", "--store", "neo4j", "--port", "0"],
])
def test_a_new_directory_refused_is_not_made(first_owns_the_database, tmp_path, capsys, command):
    second = tmp_path / "parent" / "second"

    status = main([*command, "--data", str(second)])

    err = capsys.readouterr().err
    assert status in (1, 2)
    assert f"holds the graph of {first_owns_the_database}, not of {second}" in err
    assert not (tmp_path / "parent").exists()  # nor the parent the lock made for it


@pytest.mark.neo4j
def test_an_existing_directory_refused_keeps_what_it_held(first_owns_the_database, tmp_path, capsys):
    second = tmp_path / "second"
    second.mkdir()
    (second / "notes.txt").write_text("the operator's\n")

    status = main(["ingest", str(INPUT), "--data", str(second), "--store", "neo4j", "--no-progress"])

    assert status == 2
    assert sorted(p.name for p in second.iterdir()) == ["notes.txt"]


@pytest.mark.neo4j
def test_a_rebuild_refused_the_database_leaves_no_lock_file(first_owns_the_database, tmp_path, capsys):
    second = tmp_path / "second"
    assert main(["ingest", str(INPUT), "--data", str(second), "--no-progress"]) == 0  # embedded
    for name in ("serve.lock", WRITERS_LOCK_NAME):
        (second / name).unlink(missing_ok=True)
    before = sorted(p.name for p in second.iterdir())
    capsys.readouterr()

    status = main(["rebuild", "--store", "neo4j", "--data", str(second)])

    assert status == 2
    assert f"holds the graph of {first_owns_the_database}, not of {second}" in capsys.readouterr().err
    assert sorted(p.name for p in second.iterdir()) == before


def test_abandon_removes_only_a_lock_file_it_made(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / WRITERS_LOCK_NAME).write_text("")
    lock = DataDirLock(data, name=WRITERS_LOCK_NAME, shared=True)
    lock.acquire()

    lock.abandon()

    assert (data / WRITERS_LOCK_NAME).exists()
    assert not lock.is_held


def test_abandon_keeps_a_lock_file_another_holder_shares(tmp_path):
    data = tmp_path / "data"
    mine = DataDirLock(data, name=WRITERS_LOCK_NAME, shared=True)
    theirs = DataDirLock(data, name=WRITERS_LOCK_NAME, shared=True)
    mine.acquire()
    theirs.acquire()

    mine.abandon()

    assert (data / WRITERS_LOCK_NAME).exists()
    with pytest.raises(DataDirInUse, match="is being written"):  # theirs still excludes a rebuild
        DataDirLock(data, name=WRITERS_LOCK_NAME, held="is being written").acquire()
    theirs.release()


class _RemovedAfterOpen(DataDirLock):
    """A writer whose lock file another run's :meth:`DataDirLock.abandon` removes between its open and its lock."""

    removed = False

    def _open(self) -> int:
        fd = super()._open()
        if not self.removed:
            self.removed = True
            self.path.unlink()
        return fd


def test_a_lock_file_removed_before_it_was_locked_is_not_trusted(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    writer = _RemovedAfterOpen(data, name=WRITERS_LOCK_NAME, shared=True)

    writer.acquire()

    assert writer.removed
    assert os.fstat(writer._fd).st_ino == os.stat(data / WRITERS_LOCK_NAME).st_ino
    with pytest.raises(DataDirInUse, match="is being written"):  # a rebuild sees the writer
        DataDirLock(data, name=WRITERS_LOCK_NAME, held="is being written").acquire()
    writer.release()
