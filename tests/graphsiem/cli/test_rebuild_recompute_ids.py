"""``graphsiem rebuild --recompute-ids``: a data directory filled before content ids, its copies made one (task IDS3 #1).

The journal is the fixture made by the release before content ids
(``tests/ingest/fixtures/zeek_copies/README.md``: each of 8 Zeek events as TSV
and as JSON); the command migrates its ids, then rebuilds the graph from it.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from graphsiem.cli import main
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal

ZEEK = Path(__file__).parents[2] / "ingest" / "fixtures" / "zeek_copies"


@pytest.fixture
def old_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    with gzip.open(ZEEK / "before_content_ids_scheme2.sqlite.gz", "rb") as source, \
            (data / "journal.sqlite").open("wb") as target:
        shutil.copyfileobj(source, target)
    return data


def test_rebuild_recompute_ids_merges_copies_and_rebuilds_the_graph(old_data: Path, capsys, monkeypatch) -> None:
    assert main(["rebuild", "--data", str(old_data), "--recompute-ids", "--json"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["events"] == 8  # the graph holds each event once
    migration = report["id_migration"]
    assert (migration["rows_read"], migration["ids_changed"], migration["duplicates_merged"]) == (16, 8, 8)
    assert "16 rows read (0 with this release's ids already), 8 ids changed, 8 duplicates merged" in err
    with Journal(old_data / "journal.sqlite") as journal:
        assert journal.counts()["events"] == 8
        assert journal.projection_version() != 1  # rebuilt: no rebuild advised

    monkeypatch.chdir(ZEEK)
    capsys.readouterr()
    assert main(["ingest", "dns.log", "copies.json", "--data", str(old_data), "--json", "--no-progress"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["accepted"], report["events"]) == (10, 0)  # either copy adds nothing


def test_rebuild_recompute_ids_again_changes_nothing(old_data: Path, capsys) -> None:
    assert main(["rebuild", "--data", str(old_data), "--recompute-ids"]) == 0
    capsys.readouterr()
    assert main(["rebuild", "--data", str(old_data), "--recompute-ids", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["events"] == 8
    assert report["id_migration"]["runs"] == 1  # done before: not run again


def test_syslog_capture_copies_merged_count_one_validation_in_the_graph(tmp_path: Path, capsys) -> None:
    """A 4776 a sensor logged 4 times before syslog capture copies is one validation once migrated (task IDS4 #2).

    The journal is the fixture of 31e6149 (``tests/ingest/fixtures/before_sorted_ids/README.md``).
    """
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    with gzip.open(ZEEK.parent / "before_sorted_ids" / "before_sorted_ids_scheme2.sqlite.gz", "rb") as source, \
            (data / "journal.sqlite").open("wb") as target:
        shutil.copyfileobj(source, target)

    assert main(["rebuild", "--data", str(data), "--recompute-ids", "--json"]) == 0
    out, err = capsys.readouterr()

    migration = json.loads(out)["id_migration"]
    assert (migration["rows_before"], migration["duplicates_merged"]) == (20, 10)
    assert "10 duplicates merged (the earliest kept, the others' ids kept as aliases; 20 rows before, 10 after)" in err
    store = EmbeddedStore(data / "graph")
    try:
        validation = next(r for r in store.iter_relations()
                          if r.type == "VALIDATED_AT" and r.src == ("user", "guest"))
    finally:
        store.close()
    assert validation.count == 1 and validation.tallies["outcomes"] == {"success": 1}  # was 4

