"""Key-order copies and syslog capture copies journaled before their rules become one event (task IDS4 #1, #2).

The fixture journals (``fixtures/before_sorted_ids/README.md``) were made by the code of
31e6149, the release before sorted-key ids, syslog capture copies and Security 4662: EVE lines in
Suricata's key order then sorted (8 events for 4 on scheme 2), one syslog datagram a sensor logged 4
times (each copy with its Windows 4776: 8 rows for 2), and two 4662s (``windows:other``).
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest

from ingest.event_id_aliases import CONTENT_IDS_KEY, EXPORT_IDS_KEY, SORTED_IDS_KEY
from ingest.journal import Journal
from ingest.journal_host_kinds import host_kind_total
from ingest.journal_id_migration import MIGRATION_KEY, recompute_ids
from ingest.pipeline import ingest_paths
from tests.ingest.test_event_ids import open_on_scheme_1

FIXTURES = Path(__file__).parent / "fixtures"
OLD = FIXTURES / "before_sorted_ids"
FILES = ["../framing_ids/eve.ndjson", "eve_sorted.ndjson", "syslog_copies.json", "directory_access.ndjson"]


def old_journal(scheme: int, tmp_path: Path) -> Journal:
    """The fixture journal of ``scheme``, unpacked into ``tmp_path``."""
    path = tmp_path / "journal.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(OLD / f"before_sorted_ids_scheme{scheme}.sqlite.gz", "rb") as source, path.open("wb") as target:
        shutil.copyfileobj(source, target)
    return Journal(path)


def ingest(names: list[str], journal: Journal, monkeypatch: pytest.MonkeyPatch, folder: Path = OLD):
    monkeypatch.chdir(folder)  # origins relative, as in the fixture journals
    return ingest_paths([Path(name) for name in names], store=None, journal=journal, progress=False)


def _rows(journal: Journal) -> list[tuple]:
    return journal.connection.execute("SELECT seq, id, kind, origin FROM events ORDER BY seq").fetchall()


def _fresh_ids(names: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheme: int) -> set[str]:
    path = tmp_path / "fresh" / "journal.sqlite"
    path.parent.mkdir()
    fresh = Journal(path) if scheme == 2 else open_on_scheme_1(path)
    ingest(names, fresh, monkeypatch)
    return {row[1] for row in _rows(fresh)}


def test_eve_lines_journaled_in_two_key_orders_become_one_event(tmp_path: Path, monkeypatch) -> None:
    journal = old_journal(2, tmp_path)
    before = dict(journal.connection.execute("SELECT seq, id FROM events"))
    assert len(before) == 20

    done = recompute_ids(journal)

    rows = _rows(journal)
    origins = [origin for *_, origin in rows]
    assert not [origin for origin in origins if origin.startswith("eve_sorted")]  # the later key order merged
    assert sum(origin.startswith("../framing_ids/eve.ndjson") for origin in origins) == 4
    # the EVE and syslog rows have the ids this release gives their records (the 4662s wait for the reparse)
    migrated = {row[1] for row in rows if row[2] != "windows:other"}
    assert migrated <= _fresh_ids(FILES[:3], tmp_path, monkeypatch, 2)
    # what it says: every row before is left or merged, every row read is one outcome
    assert (done.rows_before, done.duplicates_merged, done.kept) == (20, 10, 2)
    assert done.rows_before - done.duplicates_merged == len(rows) == 10
    assert done.rows_read == done.unchanged + done.ids_changed + done.kept + 10 - 4  # 4 merged before being read
    # the sorted lines' ids lead to the kept rows (evidence saved before), and no file adds anything again
    assert [event.id for event in journal.get([before[5]])] == [rows[0][1]]  # eve_sorted:1 -> eve.ndjson:1
    for name in FILES[:3]:
        assert ingest([name], journal, monkeypatch).total.events == 0, name


@pytest.mark.parametrize("scheme", [1, 2])
def test_syslog_capture_copies_journaled_before_become_one_record(
        scheme: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = old_journal(scheme, tmp_path)
    db: sqlite3.Connection = journal.connection
    assert host_kind_total(db, "kramer") == 5  # the four copies' 4776 and the next message's

    recompute_ids(journal)

    syslog = [row for row in _rows(journal) if row[3].startswith("syslog_copies.json")]
    assert [(kind, origin) for _, _, kind, origin in syslog] == [
        ("zeek:syslog", "syslog_copies.json:1"), ("winsec:credential_validation", "syslog_copies.json:1"),
        ("zeek:syslog", "syslog_copies.json:5"), ("winsec:credential_validation", "syslog_copies.json:5")]
    assert {row[1] for row in syslog} <= _fresh_ids(["syslog_copies.json"], tmp_path, monkeypatch, scheme)
    # the host timeline's and credential findings' counts lose the copies
    assert host_kind_total(db, "kramer") == 2
    assert ingest(["syslog_copies.json"], journal, monkeypatch).total.events == 0


def test_scheme_1_key_orders_were_one_event_already(tmp_path: Path) -> None:
    journal = old_journal(1, tmp_path)
    done = recompute_ids(journal)
    assert (done.rows_before, done.duplicates_merged) == (16, 6)  # the syslog copies' rows only
    assert sum(origin.startswith("../framing_ids/eve.ndjson") for *_, origin in _rows(journal)) == 4


def test_a_migration_finished_by_the_rules_before_runs_again(tmp_path: Path) -> None:
    """A journal whose migration (content and export ids) ended before sorted-key ids came is read again."""
    journal = old_journal(2, tmp_path)
    db = journal.connection
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (
        MIGRATION_KEY, '{"end": 20, "upto": 20, "rows_read": 20, "ids_changed": 0, "duplicates_merged": 0, '
        '"kept": 0, "complete": true, "runs": 1, "changed_journal": false}'))
    done = recompute_ids(journal)
    assert (done.rules, done.duplicates_merged, done.complete) == (2, 10, True)


# Records this release journals: read again, each row must come out under the id it has (else a
# migration would move ids an ingest gives, and the same files would add their events again).
FIXPOINT_FIXTURES = [
    "framing_ids/eve.ndjson", "framing_ids/eve_array.json", "framing_ids/eve_objects.json", "ecs_events.ndjson",
    "mixed_quality.ndjson", "array_pretty.json", "concatenated_pretty.json", "evtx_dump_records.json",
    "windows_exports/nxlog.ndjson", "windows_exports/events.xml", "zeek_copies/copies.json",
    "zeek_copies/syslog.log", "before_sorted_ids/syslog_copies.json", "before_sorted_ids/directory_access.ndjson",
]
FIXPOINT_SAMPLES = [
    "suricata-sample-data/wrccdc-2018/alerts-only.json", "stratosphere-slips/test6-malicious.suricata.json",
    "otrf-security-datasets/golden_saml/WindowsEvents.json",
]
PARSER_FIXTURES = Path(__file__).parent / "parsers" / "fixtures"


@pytest.mark.parametrize("scheme", [1, 2])
def test_rows_this_release_journaled_keep_their_ids(scheme: int, tmp_path: Path, samples_dir: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite") if scheme == 2 else open_on_scheme_1(tmp_path / "journal.sqlite")
    files = [FIXTURES / name for name in FIXPOINT_FIXTURES] + [samples_dir / name for name in FIXPOINT_SAMPLES]
    files += sorted((PARSER_FIXTURES / "mde").glob("*.json*")) + sorted((PARSER_FIXTURES / "exports").glob("*"))
    ingest_paths(files, store=None, journal=journal, progress=False)
    db = journal.connection
    rows = _rows(journal)
    last = rows[-1][0]
    for key in (CONTENT_IDS_KEY, EXPORT_IDS_KEY, SORTED_IDS_KEY):  # as if journaled before these ids
        db.execute("UPDATE meta SET value = ? WHERE key = ?", (str(last), key))

    done = recompute_ids(journal)

    assert done.rows_read == len(rows) > 5000
    assert (done.ids_changed, done.duplicates_merged) == (0, 0)
    assert _rows(journal) == rows
