"""``detect`` and ``stats`` say when the graph was projected by an older release (task G9, review RV7 finding 1).

A data directory projected by the release before the PE OriginalFileName was
kept (b920bda) gets no renamed-binary detection on its old events until
``graphsiem rebuild``, and nothing said so.  The journal now records the
oldest projection version in the graph (:mod:`ingest.projection_version`).
The old release is simulated as it really left the journal: a checkpoint above
0 and no ``projection_version`` key (it never wrote one).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from graphsiem.cli import main
from ingest.journal import Journal
from ingest.projection_version import PROJECTION_VERSION, VERSION_KEY
from tests.ingest.conftest import FIXTURES

FIRST, LATER = FIXTURES / "ecs_events.ndjson", FIXTURES / "concatenated_pretty.json"
ADVICE = "the graph was projected by an older version of graphsiem"


@pytest.fixture
def neo4j_env(neo4j_server, neo4j_store, monkeypatch):
    """The test server in the environment (``--store neo4j``), its database emptied."""
    for name, value in neo4j_server.environ().items():
        monkeypatch.setenv(name, value)
    return neo4j_store


def _as_if_projected_by_the_old_release(data: Path) -> None:
    # b920bda wrote the checkpoint and never this key: remove it, as a journal it left behind
    db = sqlite3.connect(data / "journal.sqlite")
    with db:
        db.execute("DELETE FROM meta WHERE key = ?", (VERSION_KEY,))
    db.close()


def _ingest(data: Path, path: Path, *store: str) -> None:
    assert main(["ingest", str(path), "--data", str(data), *store, "--no-progress"]) == 0


def _detect(capsys, data: Path, *store: str) -> tuple[dict, str]:
    capsys.readouterr()
    assert main(["detect", "--data", str(data), *store, "--json", "-", "--quiet"]) == 0
    out, err = capsys.readouterr()
    return json.loads(out)["detection"]["stats"], err


def _stats_err(capsys, data: Path, *store: str) -> str:
    capsys.readouterr()
    assert main(["stats", "--data", str(data), *store]) == 0
    return capsys.readouterr().err


def test_an_old_graph_is_reported_by_detect_and_stats_until_a_rebuild(tmp_path, capsys):
    data = tmp_path / "d"
    _ingest(data, FIRST)
    _as_if_projected_by_the_old_release(data)

    stats, err = _detect(capsys, data)
    assert stats["graph_projection_version"] == 1 and stats["graph_rebuild_advised"] is True
    assert err.count(ADVICE) == 1  # once
    assert f"projection 1 < {PROJECTION_VERSION}: renamed binaries" in err
    assert "run `graphsiem rebuild --store embedded`" in err
    assert _stats_err(capsys, data).count(ADVICE) == 1

    assert main(["rebuild", "--store", "embedded", "--data", str(data)]) == 0
    stats, err = _detect(capsys, data)
    assert stats["graph_projection_version"] == PROJECTION_VERSION and stats["graph_rebuild_advised"] is False
    assert ADVICE not in err
    assert ADVICE not in _stats_err(capsys, data)


def test_a_fresh_directory_is_projected_by_this_version_and_says_nothing(tmp_path, capsys):
    data = tmp_path / "d"
    _ingest(data, FIRST)

    stats, err = _detect(capsys, data)

    assert stats["graph_projection_version"] == PROJECTION_VERSION and stats["graph_rebuild_advised"] is False
    assert ADVICE not in err and ADVICE not in _stats_err(capsys, data)


def test_new_events_projected_on_top_of_an_old_graph_keep_the_oldest_version(tmp_path, capsys):
    data = tmp_path / "d"
    _ingest(data, FIRST)
    _as_if_projected_by_the_old_release(data)
    _ingest(data, LATER)  # projected by this version, on top of version 1's graph
    with Journal(data / "journal.sqlite") as journal:
        assert journal.checkpoint() == journal.last_seq() > 0
        assert journal.projection_version() == 1

    stats, err = _detect(capsys, data)

    assert stats["graph_rebuild_advised"] is True and ADVICE in err


def test_a_checkpoint_moved_by_a_release_that_ignores_the_record_counts_as_old(tmp_path):
    # a downgrade: the old release moves the checkpoint and leaves this release's record as it was
    data = tmp_path / "d"
    _ingest(data, FIRST)
    db = sqlite3.connect(data / "journal.sqlite")
    with db:
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'projected_seq'")
    db.close()
    with Journal(data / "journal.sqlite") as journal:
        assert journal.projection_version() == 1


def test_the_old_release_reads_the_journal_with_the_extra_key(tmp_path):
    # b920bda read meta by key only (checked: `git grep "FROM meta" b920bda`); here the same reads
    data = tmp_path / "d"
    _ingest(data, FIRST)
    db = sqlite3.connect(data / "journal.sqlite")
    keys = {row[0] for row in db.execute("SELECT key FROM meta")}
    db.close()
    assert VERSION_KEY in keys
    with Journal(data / "journal.sqlite") as journal:  # opens, and its checkpoint reads as before
        assert journal.checkpoint() == journal.last_seq()


@pytest.mark.neo4j
def test_an_old_neo4j_graph_is_reported_until_a_rebuild(tmp_path, capsys, neo4j_env):
    data = tmp_path / "d"
    _ingest(data, FIRST, "--store", "neo4j")
    _as_if_projected_by_the_old_release(data)

    stats, err = _detect(capsys, data, "--store", "neo4j")
    assert stats["graph_rebuild_advised"] is True
    assert "run `graphsiem rebuild --store neo4j`" in err
    assert ADVICE in _stats_err(capsys, data, "--store", "neo4j")

    assert main(["rebuild", "--store", "neo4j", "--data", str(data)]) == 0
    stats, err = _detect(capsys, data, "--store", "neo4j")
    assert stats["graph_projection_version"] == PROJECTION_VERSION and ADVICE not in err
