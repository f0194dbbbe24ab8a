"""Journals filled before content ids: their copies of one event become one (task IDS3 #1).

The fixture journals were made by the code of the releases before content ids
(``fixtures/zeek_copies/README.md``: 1082c91, a Zeek log as TSV and as JSON, 16
events for 8) and before Windows record-number ids (``fixtures/windows_exports/README.md``:
5bdb8e6, two Windows events in five exports, 10 events for 2), on id schemes 1 and 2.
:func:`ingest.journal_id_migration.recompute_ids` gives each old row this release's id,
keeps the earliest row of each event and keeps the ids it took as aliases.
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest

from graphsiem.model import Event
from ingest.journal import Journal
from ingest.journal_host_kinds import host_kind_total
from ingest.journal_id_migration import MIGRATION_KEY, recompute_ids
from ingest.journal_sensor_ends import UPTO_KEY as SENSOR_ENDS_UPTO
from ingest.journal_sensor_ends import install_sensor_ends, is_current
from ingest.pipeline import ingest_paths
from ingest.projection_version import recorded_version
from tests.ingest.test_event_ids import open_on_scheme_1

FIXTURES = Path(__file__).parent / "fixtures"
ZEEK = FIXTURES / "zeek_copies"
ZEEK_FILES = ["dns.log", "x509.log", "syslog.log", "copies.json"]
WINDOWS = FIXTURES / "windows_exports"
WINDOWS_FILES = ["evtx_dump.json", "winlogbeat7.ndjson", "winlogbeat6.ndjson", "nxlog.ndjson", "events.xml",
                 "after_clear.ndjson", "eve_spaced.ndjson"]


def _old_journal(packed: Path, tmp_path: Path) -> Journal:
    path = tmp_path / "journal.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(packed, "rb") as source, path.open("wb") as target:
        shutil.copyfileobj(source, target)
    return Journal(path)


def _rows(journal: Journal) -> list[tuple]:
    return journal.connection.execute("SELECT seq, id, kind, origin FROM events ORDER BY seq").fetchall()


def _ingest(folder: Path, names: list[str], journal: Journal, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(folder)  # origins relative, as in the fixture journals
    return ingest_paths([Path(name) for name in names], store=None, journal=journal, progress=False)


def _fresh_ids(folder: Path, names: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
               scheme: int = 2) -> set[str]:
    """The ids a journal of this release on ``scheme`` gives the files' events."""
    path = tmp_path / "fresh" / "journal.sqlite"
    path.parent.mkdir()
    fresh = Journal(path) if scheme == 2 else open_on_scheme_1(path)
    _ingest(folder, names, fresh, monkeypatch)
    return {row[1] for row in _rows(fresh)}


@pytest.mark.parametrize("scheme", [1, 2])
def test_zeek_tsv_and_json_copies_journaled_before_content_ids_become_one_event(
        scheme: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = _old_journal(ZEEK / f"before_content_ids_scheme{scheme}.sqlite.gz", tmp_path)
    assert len(_rows(journal)) == 16  # each of 8 events twice: TSV, then JSON

    done = recompute_ids(journal)

    assert (done.rows_read, done.ids_changed, done.duplicates_merged, done.kept, done.complete) == (16, 8, 8, 0, True)
    rows = _rows(journal)
    assert [origin.split(":")[0] for *_, origin in rows] == ["dns.log"] * 3 + ["x509.log"] * 2 + ["syslog.log"] * 3
    # the earliest rows kept, under the ids this release gives the records
    assert {row[1] for row in rows} == _fresh_ids(ZEEK, ZEEK_FILES, tmp_path, monkeypatch, scheme)
    again = _ingest(ZEEK, ZEEK_FILES, journal, monkeypatch)
    assert (again.total.accepted, again.total.events) == (14, 0)


@pytest.mark.parametrize("scheme", [1, 2])
def test_windows_exports_journaled_before_record_number_ids_become_one_event(
        scheme: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = _old_journal(WINDOWS / f"before_export_ids_scheme{scheme}.sqlite.gz", tmp_path)
    assert len(_rows(journal)) == 15

    done = recompute_ids(journal)

    # 2 events in 5 exports: 2 kept (evtx_dump's, first), 8 merged; the record after a log clear and
    # the 4 EVE lines (no content id) keep their rows
    assert (done.rows_read, done.duplicates_merged, done.kept) == (15, 8, 0)
    rows = _rows(journal)
    assert [origin for *_, origin in rows] == [
        "evtx_dump.json#1", "evtx_dump.json#2", "after_clear.ndjson:1",
        "eve_spaced.ndjson:1", "eve_spaced.ndjson:2", "eve_spaced.ndjson:3", "eve_spaced.ndjson:4"]
    # the Windows events and the EVE lines (their sorted-key ids) have the ids this release gives them
    assert len({row[1] for row in rows}) == 7
    assert {row[1] for row in rows} <= _fresh_ids(WINDOWS, WINDOWS_FILES, tmp_path, monkeypatch, scheme)
    for name in WINDOWS_FILES:
        assert _ingest(WINDOWS, [name], journal, monkeypatch).total.events == 0, name


def test_an_interrupted_migration_run_again_ends_as_one_run(tmp_path: Path) -> None:
    one = _old_journal(ZEEK / "before_content_ids_scheme2.sqlite.gz", tmp_path / "a")
    whole = recompute_ids(one)
    cut = _old_journal(ZEEK / "before_content_ids_scheme2.sqlite.gz", tmp_path / "b")

    part = recompute_ids(cut, batch_rows=3, max_batches=2)  # stopped in the middle
    assert not part.complete and 0 < part.upto < part.end
    cut.close()
    cut = Journal(tmp_path / "b" / "journal.sqlite")  # another process goes on
    rest = recompute_ids(cut, batch_rows=5)

    assert rest.complete and rest.runs == 2
    assert (rest.rows_read, rest.ids_changed, rest.duplicates_merged) == (
        whole.rows_read, whole.ids_changed, whole.duplicates_merged)
    assert _rows(cut) == _rows(one)
    aliases = "SELECT id, seq FROM event_id_aliases ORDER BY id"
    assert cut.connection.execute(aliases).fetchall() == one.connection.execute(aliases).fetchall()


def test_a_finished_migration_changes_nothing_when_run_again(tmp_path: Path) -> None:
    journal = _old_journal(ZEEK / "before_content_ids_scheme1.sqlite.gz", tmp_path)
    first = recompute_ids(journal)
    rows = _rows(journal)
    assert recompute_ids(journal) == first
    assert _rows(journal) == rows


def test_a_journal_made_by_this_release_has_nothing_to_migrate(tmp_path: Path, monkeypatch) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    _ingest(ZEEK, ZEEK_FILES, journal, monkeypatch)
    rows = _rows(journal)
    done = recompute_ids(journal)
    assert (done.end, done.rows_read, done.complete) == (0, 0, True)
    assert _rows(journal) == rows


def test_ids_the_migration_took_are_aliases_for_appends_and_lookups(tmp_path: Path) -> None:
    journal = _old_journal(ZEEK / "before_content_ids_scheme2.sqlite.gz", tmp_path)
    before = dict(journal.connection.execute("SELECT seq, id FROM events"))
    recompute_ids(journal)
    after = dict(journal.connection.execute("SELECT seq, id FROM events"))
    merged_away = before[9]  # copies.json:1, the JSON copy of dns.log:9 (seq 1)
    assert 9 not in after

    assert [event.id for event in journal.get([merged_away])] == [after[1]]  # evidence saved under the old id
    assert journal.append([Event(id=merged_away, kind="zeek:dns", ts=1.0, host=None, source="zeek")]) == []
    assert journal.append([Event(id="new-one", kind="zeek:dns", ts=1.0, host=None, source="zeek")],
                          aliases={0: before[2]}) == []  # held through its alias
    assert len(journal.append([Event(id="new-two", kind="zeek:dns", ts=1.0, host=None, source="zeek")])) == 1
    reopened = Journal(tmp_path / "journal.sqlite")
    assert reopened.append([Event(id=before[1], kind="zeek:dns", ts=1.0, host=None, source="zeek")]) == []


def test_the_graph_is_marked_for_a_rebuild_and_host_counts_lose_merged_rows(tmp_path: Path) -> None:
    journal = _old_journal(WINDOWS / "before_export_ids_scheme2.sqlite.gz", tmp_path)
    journal.set_checkpoint(journal.last_seq())  # as if projected
    assert recorded_version(journal.connection) != 1

    recompute_ids(journal)

    assert recorded_version(journal.connection) == 1  # commands advise graphsiem rebuild
    real = journal.connection.execute(
        "SELECT COUNT(*) FROM events WHERE host = 'ws-alpha'").fetchone()[0]
    assert host_kind_total(journal.connection, "ws-alpha") == real == 3
    state = journal.connection.execute("SELECT value FROM meta WHERE key = ?", (MIGRATION_KEY,)).fetchone()
    assert state is not None
    assert not journal.connection.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'events_by_id_for_migration'").fetchone()


def test_a_record_this_release_cannot_read_keeps_its_row_and_id(tmp_path: Path) -> None:
    journal = _old_journal(ZEEK / "before_content_ids_scheme2.sqlite.gz", tmp_path)
    db: sqlite3.Connection = journal.connection
    db.execute("UPDATE events SET raw = '\"not a record\"' WHERE seq = 9")  # copies.json:1, unreadable now
    kept_id = db.execute("SELECT id FROM events WHERE seq = 9").fetchone()[0]

    done = recompute_ids(journal)

    assert (done.kept, done.duplicates_merged) == (1, 7)
    assert db.execute("SELECT id FROM events WHERE seq = 9").fetchone()[0] == kept_id


def _sensor_rows(db: sqlite3.Connection) -> list[tuple]:
    return db.execute("SELECT ip, ts, seq FROM sensor_ends ORDER BY ip, ts, seq").fetchall()


@pytest.mark.parametrize("scheme", [1, 2])
def test_the_kept_tables_hold_the_merged_journal_and_stay_in_use(scheme: int, tmp_path: Path) -> None:
    """The copies merged are the journal's last rows (the JSON copies): the kept tables lose them and stay current."""
    journal = _old_journal(ZEEK / f"before_content_ids_scheme{scheme}.sqlite.gz", tmp_path)
    db: sqlite3.Connection = journal.connection
    assert is_current(db) and max(seq for *_, seq in _sensor_rows(db)) > 8  # the JSON copies have addresses

    recompute_ids(journal)

    assert journal.last_seq() == 8
    # both still used by the timeline and host findings (their marks are the last seq) ...
    assert is_current(db)
    assert host_kind_total(db, "ignored-host") is not None
    # ... and the addresses are exactly those of the rows kept, as a first open would index them
    merged = _sensor_rows(db)
    assert {seq for *_, seq in merged} <= {seq for (seq,) in db.execute("SELECT seq FROM events WHERE host IS NULL")}
    db.execute("DELETE FROM meta WHERE key = ?", (SENSOR_ENDS_UPTO,))
    install_sensor_ends(db)
    assert merged == _sensor_rows(db) != []
