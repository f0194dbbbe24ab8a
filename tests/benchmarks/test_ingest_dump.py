"""The ingest dump (benchmarks/ingest_dump.py): equal for equal ingests, different when the graph or journal differs."""

from __future__ import annotations

from pathlib import Path

from benchmarks.ingest_dump import dump
from graphsiem.store import open_store
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

FIXTURES = Path(__file__).resolve().parents[1] / "ingest" / "fixtures"


def _ingest(paths: list[Path], data: Path) -> Path:
    data.mkdir(parents=True)
    store = open_store("embedded", data_dir=data)
    with Journal(data / "journal.sqlite") as journal:
        ingest_paths(paths, store=store, journal=journal, progress=False)
    store.close()
    return data


def test_two_ingests_of_the_same_file_dump_the_same(tmp_path):
    first = dump(_ingest([FIXTURES / "ecs_events.ndjson"], tmp_path / "a"))
    second = dump(_ingest([FIXTURES / "ecs_events.ndjson"], tmp_path / "b"))
    assert first == second  # the random journal id and the wall-clock columns are left out
    assert "journal_id" not in first
    lines = first.splitlines()
    nodes = next(line for line in lines if line.startswith("## nodes "))
    edges = next(line for line in lines if line.startswith("## edges "))
    assert int(nodes.split()[2]) > 0 and int(edges.split()[2]) > 0  # the graph itself is in the dump


def test_another_input_dumps_differently_in_journal_and_graph(tmp_path):
    ecs = dump(_ingest([FIXTURES / "ecs_events.ndjson"], tmp_path / "a")).split("## nodes ")
    more = dump(_ingest([FIXTURES / "ecs_events.ndjson", FIXTURES / "mixed_quality.ndjson"], tmp_path / "b")).split(
        "## nodes ")
    assert ecs[0] != more[0]  # journal rows
    assert ecs[1] != more[1]  # graph
