"""A data directory is tied to its graph store (:mod:`ingest.store_binding`; review S2, finding 2).

Against the test Neo4j server, through the real commands (``graphsiem.cli.main``
in process): two data directories on one database are refused instead of
merged; a data directory opened with another kind of store is refused,
naming the one it uses, and ``graphsiem rebuild`` moves it; a database emptied
under a data directory gets its whole journal again.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from graphsiem.cli import main
from graphsiem.store import StoreError, open_store
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.replay import project_pending

pytestmark = pytest.mark.neo4j

FILES = ("ecs_events.ndjson", "concatenated_pretty.json")


@pytest.fixture
def neo4j_env(neo4j_server, neo4j_store, monkeypatch):
    """The test server in the environment (``--store neo4j``), its database emptied."""
    for name, value in neo4j_server.environ().items():
        monkeypatch.setenv(name, value)
    return neo4j_store


def _ingest(capsys, data: Path, *paths: Path, store: str | None = None) -> tuple[int, dict | None, str]:
    argv = ["ingest", *map(str, paths), "--data", str(data), "--json", "--no-progress"]
    if store is not None:
        argv += ["--store", store]
    status = main(argv)
    out, err = capsys.readouterr()
    return status, (json.loads(out) if out.strip() else None), err


def _stats(capsys, data: Path, store: str | None = None) -> tuple[int, dict | None, str]:
    argv = ["stats", "--data", str(data), "--json"] + (["--store", store] if store else [])
    status = main(argv)
    out, err = capsys.readouterr()
    return status, (json.loads(out) if out.strip() else None), err


def _events(data: Path) -> int:
    with Journal(data / "journal.sqlite") as journal:
        return journal.counts()["events"]


def test_a_second_data_dir_on_the_same_database_is_refused_not_merged(tmp_path, fixtures, capsys, neo4j_env):
    first, second = tmp_path / "first", tmp_path / "second"
    assert _ingest(capsys, first, fixtures / FILES[0], store="neo4j")[0] == 0
    before = neo4j_env.counts()

    status, _, err = _ingest(capsys, second, fixtures / FILES[1], store="neo4j")

    assert status == 2
    message = err.strip()
    assert "\n" not in message  # one line
    assert f"holds the graph of {first}" in message and f"not of {second}" in message
    assert "GRAPHSIEM_NEO4J_DATABASE" in message and "--take-over" in message
    assert neo4j_env.counts() == before  # nothing of the second directory reached the graph
    # a read-only command says the same instead of counting the other directory's graph
    status, _, err = _stats(capsys, second, "neo4j") if (second / "journal.sqlite").exists() else (2, None, "")
    assert status == 2


def test_take_over_empties_the_database_and_projects_the_new_directory(tmp_path, fixtures, capsys, neo4j_env):
    first, second = tmp_path / "first", tmp_path / "second"
    assert _ingest(capsys, first, fixtures / FILES[0], store="neo4j")[0] == 0
    assert _ingest(capsys, second, fixtures / FILES[1])[0] == 0  # embedded
    expected = _stats(capsys, second)[1]

    assert main(["rebuild", "--store", "neo4j", "--data", str(second)]) == 2
    assert "--take-over" in capsys.readouterr().err
    assert main(["rebuild", "--store", "neo4j", "--data", str(second), "--take-over"]) == 0
    capsys.readouterr()

    assert _stats(capsys, second, "neo4j")[1] == expected  # the second directory's graph, alone
    status, _, err = _stats(capsys, first, "neo4j")
    assert status == 2 and f"holds the graph of {second}" in err


def test_an_embedded_dir_opened_with_neo4j_is_refused_and_rebuild_moves_it(tmp_path, fixtures, capsys, neo4j_env):
    data = tmp_path / "d"
    assert _ingest(capsys, data, fixtures / FILES[0])[0] == 0
    embedded = _stats(capsys, data)[1]

    status, _, err = _ingest(capsys, data, fixtures / FILES[1], store="neo4j")

    assert status == 2
    assert f"{data} is projected into the embedded store, not into Neo4j: use --store embedded" in err
    assert "graphsiem rebuild --store neo4j" in err
    assert neo4j_env.counts()["entities"] == {}  # not "1 of N events" projected

    assert main(["rebuild", "--store", "neo4j", "--data", str(data)]) == 0
    assert f"{_events(data)} events" in capsys.readouterr().out
    assert _stats(capsys, data, "neo4j")[1] == embedded  # the whole journal, not only what came after
    status, _, err = _stats(capsys, data)  # and now the other way round
    assert status == 2 and "is projected into Neo4j at" in err and "use --store neo4j" in err


def test_stats_of_a_neo4j_dir_without_store_names_it_and_makes_nothing(tmp_path, fixtures, capsys, neo4j_env):
    data = tmp_path / "d"
    assert _ingest(capsys, data, fixtures / FILES[0], store="neo4j")[0] == 0

    status, out, err = _stats(capsys, data)

    assert status == 2 and out is None
    assert "is projected into Neo4j at" in err and "use --store neo4j" in err
    assert not (data / "graph").exists()
    # a command that projects (detect's catch-up, the service) is refused as well, before graph/ is made
    with pytest.raises(StoreError, match="use --store neo4j"):
        open_store("embedded", data_dir=data)
    assert not (data / "graph").exists()


def test_detect_on_a_neo4j_dir_without_store_names_it_and_makes_nothing(tmp_path, fixtures, capsys, neo4j_env):
    data = tmp_path / "d"
    assert _ingest(capsys, data, fixtures / FILES[0], store="neo4j")[0] == 0

    status = main(["detect", "--data", str(data)])  # before: a StoreBindingError traceback

    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.startswith("graphsiem detect: ") and "use --store neo4j" in err and "Traceback" not in err
    assert not (data / "graph").exists()


def test_a_database_emptied_under_a_dir_is_said_and_rebuild_refills_it(tmp_path, fixtures, capsys, caplog, neo4j_env):
    data = tmp_path / "d"
    assert _ingest(capsys, data, fixtures / FILES[0], store="neo4j")[0] == 0
    neo4j_env.clear()  # as a new database in its place
    status, _, err = _stats(capsys, data, "neo4j")
    assert status == 2 and "holds none of the graph of" in err  # not "0 entities"

    status, report, _ = _ingest(capsys, data, fixtures / FILES[1], store="neo4j")

    assert status == 0 and report is not None
    assert f"holds none of the graph of {data}" in caplog.text  # one warning says so, and the way out
    assert "graphsiem rebuild --store neo4j" in caplog.text
    assert main(["rebuild", "--store", "neo4j", "--data", str(data)]) == 0
    capsys.readouterr()
    reference = tmp_path / "reference"
    assert _ingest(capsys, reference, *(fixtures / f for f in FILES))[0] == 0
    assert _stats(capsys, data, "neo4j")[1] == _stats(capsys, reference)[1]


def test_stats_on_an_emptied_database_names_the_command_that_fills_it_again(
        tmp_path, fixtures, capsys, neo4j_env):
    """The refusal named ingest or serve, which add only new events to a database emptied under the directory."""
    data, nothing = tmp_path / "d", tmp_path / "nothing.ndjson"
    nothing.write_text("")
    assert _ingest(capsys, data, fixtures / FILES[0], store="neo4j")[0] == 0
    whole = _stats(capsys, data, "neo4j")[1]
    assert whole is not None and whole["entities"]
    neo4j_env.clear()

    status, _, err = _stats(capsys, data, "neo4j")

    assert status == 2 and "holds none of the graph of" in err
    named = re.findall(r"`(graphsiem [^`]*)`", err)
    assert named[0] == f"graphsiem rebuild --store neo4j --data {data}"
    # what it says of an ingest holds: the database claimed, the journal's events stay out of it
    assert _ingest(capsys, data, nothing, store="neo4j")[0] == 0
    assert _stats(capsys, data, "neo4j")[1] == {"entities": {}, "relations": {}, "sightings": {"total": 0}}
    assert main(named[0].split()[1:]) == 0  # and the command it names fills it
    capsys.readouterr()
    assert _stats(capsys, data, "neo4j")[1] == whole


def test_the_journal_records_the_database_and_the_database_its_journal(tmp_path, fixtures, capsys, neo4j_env):
    data = tmp_path / "d"
    assert _ingest(capsys, data, fixtures / FILES[0], store="neo4j")[0] == 0
    from ingest.store_binding import StoreBinding

    with Journal(data / "journal.sqlite") as journal:
        recorded = StoreBinding.from_text(journal.store_binding())
        identity = journal.identity
    owner = neo4j_env.owner_state().owner
    assert owner is not None and owner.journal == identity and owner.data_dir == str(data)
    assert recorded is not None and recorded.kind == "neo4j" and recorded.graph == owner.graph
    assert "@" not in (recorded.uri or "") and recorded.database == "neo4j"


def test_a_projection_into_another_journals_database_is_refused(tmp_path, fixtures, capsys, neo4j_env):
    # The library path (the service's projector, a detection's catch-up) checks too, not only open_store.
    assert _ingest(capsys, tmp_path / "first", fixtures / FILES[0], store="neo4j")[0] == 0
    before = neo4j_env.counts()
    with Journal(tmp_path / "second" / "journal.sqlite") as journal:
        ingest_paths([fixtures / FILES[1]], store=None, journal=journal, progress=False)  # journaled only
        with pytest.raises(StoreError, match="holds the graph of"):
            project_pending(journal, neo4j_env)
    assert neo4j_env.counts() == before


def test_a_journal_from_before_bindings_keeps_its_store(tmp_path, fixtures, capsys, neo4j_env):
    data = tmp_path / "d"
    assert _ingest(capsys, data, fixtures / FILES[0], store="neo4j")[0] == 0
    with Journal(data / "journal.sqlite") as journal:  # as an older version left it: no graph_store
        journal.connection.execute("DELETE FROM meta WHERE key = 'graph_store'")
    status, _, err = _stats(capsys, data)
    assert status == 2 and "it was projected into Neo4j; use --store neo4j" in err
    assert not (data / "graph").exists()

    status, report, _ = _ingest(capsys, data, fixtures / FILES[1], store="neo4j")

    assert status == 0 and report is not None
    assert report["projected"]["events"] < _events(data)  # only the new file: the rest was there
    with pytest.raises(StoreError):
        open_store("embedded", data_dir=data)
