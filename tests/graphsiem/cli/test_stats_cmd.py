"""``graphsiem stats``."""

from __future__ import annotations

import json

from graphsiem.cli import main
from graphsiem.model import Relation, Sighting
from graphsiem.store import open_store


def test_stats_prints_counts_of_the_embedded_store(tmp_path, capsys):
    store = open_store(data_dir=tmp_path)
    store.upsert_relations([Relation(("host", "ws-1"), "RAN", ("process", "p1"), 1.0, 1.0, 1, ["e"])])
    store.upsert_sightings([Sighting("ws-1", ("process", "p1"), 1.0, 1.0)])
    store.close()

    assert main(["stats", "--data", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "entities": {"host": 1, "process": 1}, "relations": {"RAN": 1}, "sightings": {"total": 1}}
    assert main(["stats", "--data", str(tmp_path)]) == 0
    assert "RAN" in capsys.readouterr().out


def test_stats_rejects_an_unknown_store(tmp_path, capsys):
    assert main(["stats", "--store", "nope", "--data", str(tmp_path)]) == 2
    assert "unknown store 'nope'" in capsys.readouterr().err
