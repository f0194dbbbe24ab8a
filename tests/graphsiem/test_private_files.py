"""Everything the data directory holds is its user's only: files ``0600``, directories ``0700``.

Review S2, item 7: ``journal.sqlite`` (raw telemetry) and ``state.sqlite``
(API key hashes) were ``0644``, world-readable, beside a ``0600`` graph file.
Real files, real modes: the CLI in a child process, the stores in this one
(no umask of the command's to help them).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from graphsiem.api.state import Role, StateStore
from graphsiem.cli import main
from ingest.journal import Journal

REPO = Path(__file__).resolve().parents[2]
RECORD = ('{"@timestamp":"2026-11-29T10:00:00Z","host":{"name":"ws-1"},'
          '"event":{"category":"process"},"process":{"name":"a.exe"}}\n')


def _modes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root.parent)): oct(p.stat().st_mode & 0o777) for p in [root, *root.rglob("*")]}


def _graphsiem(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "graphsiem", *args], cwd=REPO, check=True, capture_output=True)


def test_the_cli_makes_every_file_0600_and_every_directory_0700(tmp_path):
    source = tmp_path / "one.ndjson"
    source.write_text(RECORD)
    data = tmp_path / "data"
    _graphsiem("ingest", str(source), "--data", str(data), "--no-progress")
    _graphsiem("keys", "create", "--role", "admin", "--data", str(data))
    modes = _modes(data)
    assert {"data/journal.sqlite", "data/state.sqlite", "data/graph", "data/graph/graph.pickle"} <= set(modes)
    wrong = {name: mode for name, mode in modes.items()
             if mode != ("0o700" if (tmp_path / name).is_dir() else "0o600")}
    assert wrong == {}


def test_the_journal_and_the_state_are_0600_with_their_side_files_without_the_cli(tmp_path):
    old = os.umask(0o022)  # a library caller's usual umask: the files must not depend on it
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            journal.reject([("api:1", "ecs", "bad", "{}")])
            assert journal.counts()["rejected"] == 1
        state = StateStore(tmp_path / "state.sqlite")
        state.create_key(role=Role.ADMIN, name="k")  # a write: WAL mode makes -wal and -shm
        side = [tmp_path / f"state.sqlite{suffix}" for suffix in ("-wal", "-shm")]
        assert all(p.exists() for p in side)
        modes = _modes(tmp_path)
        state.close()
    finally:
        os.umask(old)
    sqlite_files = {name: mode for name, mode in modes.items() if ".sqlite" in name}
    assert sqlite_files and set(sqlite_files.values()) == {"0o600"}, sqlite_files


def test_existing_world_readable_files_are_narrowed_and_keep_working(tmp_path):
    source = tmp_path / "one.ndjson"
    source.write_text(RECORD)
    data = tmp_path / "data"
    _graphsiem("ingest", str(source), "--data", str(data), "--no-progress")
    for name in ("journal.sqlite", "graph/graph.pickle"):
        (data / name).chmod(0o644)  # as an earlier version left them
    data.chmod(0o755)
    source.write_text(RECORD.replace("a.exe", "b.exe"))
    _graphsiem("ingest", str(source), "--data", str(data), "--no-progress")
    with Journal(data / "journal.sqlite") as journal:
        assert journal.counts()["events"] == 2
    assert stat.S_IMODE((data / "journal.sqlite").stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o755  # an existing directory keeps its mode


def test_main_gives_back_its_callers_umask(tmp_path):
    old = os.umask(0o022)
    try:
        assert main(["keys", "list", "--data", str(tmp_path / "data")]) in (0, 2)
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(old)
