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


def test_stats_says_the_kept_clock_gaps(tmp_path, capsys, samples_dir):
    # task OLDQ2 #1: Brim's hosts 76 min behind Zeek's capture, kept by the ingest, said by stats afterwards
    from ingest.journal import Journal
    from ingest.pipeline import ingest_paths

    store = open_store(data_dir=tmp_path)
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            ingest_paths([samples_dir / "brimdata-zed-sample-data/zeek-default/syslog.log"], store=store,
                         journal=journal, progress=False)
    finally:
        store.close()
    assert main(["stats", "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "clock gap: kramer's own times (its messages from 10.47.22.25) are 76 min behind zeek's capture time" in out
    assert main(["stats", "--data", str(tmp_path), "--json"]) == 0
    gaps = {gap["host"]: gap for gap in json.loads(capsys.readouterr().out)["clock_gaps"]}
    assert -76 * 60 - 30 < gaps["kramer"]["offset_s"] < -76 * 60 + 30
