"""Security 4662 journaled as ``windows:other`` before its parser is read again by the rebuild (task IDS4 #3).

The fixture journal (``fixtures/before_sorted_ids/README.md``) was made by 31e6149, the release
before the 4662 parser: a Winlogbeat 4662 with its record number and a Sentinel row without one,
both ``windows:other`` of ``dc-alpha``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.journal_host_kinds import host_kind_total, hosts_of_kinds
from ingest.journal_reparse import PARSER_VERSIONS, REPARSE_KEY, reparse
from ingest.pipeline import ingest_paths
from ingest.projection_version import recorded_version
from tests.ingest.test_journal_id_migration_sorted import ingest, old_journal

OBJECT_OPERATION = "winsec:object_operation"


def _directory_rows(journal: Journal) -> list[tuple]:
    return journal.connection.execute(
        "SELECT seq, id, kind, host, ts, fields FROM events WHERE origin LIKE 'directory_access%' ORDER BY seq").fetchall()


def test_4662_journaled_as_windows_other_is_read_again_keeping_its_row_and_id(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = old_journal(2, tmp_path / "old")
    before = _directory_rows(journal)
    assert [row[2] for row in before] == ["windows:other"] * 2
    journal.set_checkpoint(journal.last_seq())  # as if projected

    done = reparse(journal)

    after = _directory_rows(journal)
    assert done.changed == {f"windows:other -> {OBJECT_OPERATION}": 2}
    assert [row[2] for row in after] == [OBJECT_OPERATION] * 2
    assert [(seq, event_id, host, ts) for seq, event_id, _, host, ts, _ in after] == [
        (seq, event_id, host, ts) for seq, event_id, _, host, ts, _ in before]  # the rows keep seq, id, time
    fields = [json.loads(row[5]) for row in after]
    assert {f["winlog.object.server"] for f in fields} == {"DS"}
    assert all("thumbnailPhoto" in f["winlog.object.property_names"] for f in fields)
    # the fields are those an ingest by this release journals
    fresh = Journal(tmp_path / "fresh" / "journal.sqlite")
    ingest(["directory_access.ndjson"], fresh, monkeypatch)
    assert [json.loads(row[5]) for row in _directory_rows(fresh)] == fields
    # the counts event search and the timeline read move the rows; the graph is to be rebuilt
    db = journal.connection
    assert hosts_of_kinds(db, [OBJECT_OPERATION], 10) == [("dc-alpha", 2)]
    assert host_kind_total(db, "dc-alpha", ["windows:other"]) == 0
    assert recorded_version(db) == 1
    # the Winlogbeat record's new content id is an alias: its file adds nothing when ingested again
    assert done.aliases == 1
    assert ingest(["directory_access.ndjson"], journal, monkeypatch).total.events == 0
    assert len(_directory_rows(journal)) == 2


def test_a_windows_other_event_this_release_still_reads_so_stays_and_the_step_runs_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = old_journal(2, tmp_path / "old")
    unmapped = tmp_path / "unmapped.ndjson"
    unmapped.write_text(json.dumps({
        "@timestamp": "2024-04-02T09:20:00.000Z", "event": {"code": "5136"},
        "winlog": {"channel": "Security", "computer_name": "DC-ALPHA.corp.example", "event_id": 5136,
                   "record_id": 770400, "event_data": {"ObjectDN": "CN=x"}}}) + "\n")
    ingest_paths([unmapped], store=None, journal=journal, progress=False)
    kept = journal.connection.execute("SELECT seq, id, kind, fields FROM events WHERE kind = 'windows:other' "
                                      "AND origin LIKE '%unmapped%'").fetchall()
    assert len(kept) == 1

    done = reparse(journal)

    assert (done.rows_read, done.kept) == (3, 1)
    assert journal.connection.execute("SELECT seq, id, kind, fields FROM events WHERE seq = ?",
                                      (kept[0][0],)).fetchall() == kept
    again = reparse(journal)
    assert (again.kinds, again.rows_read) == ([], 0)
    state = journal.connection.execute("SELECT value FROM meta WHERE key = ?", (REPARSE_KEY,)).fetchone()[0]
    assert json.loads(state) == {"windows:other": {"version": 3}, "winsec:logon_failed": {"version": 3},
                                 "winsec:object_operation": {"version": 2}, "winsec:logon": {"version": 2},
                                 "sysmon:process_create": {"version": 2}, "winsec:special_privileges": {"version": 2},
                                 "windows:service_installed": {"version": 2}, "windows:task_created": {"version": 2},
                                 "windows:task_updated": {"version": 2}, "sysmon:wmi_consumer": {"version": 2}}


def test_an_interrupted_reparse_goes_on(tmp_path: Path) -> None:
    journal = old_journal(2, tmp_path)
    # windows:other's reading alone: another kind's step, even of no rows, takes a batch of its own
    versions = {"windows:other": PARSER_VERSIONS["windows:other"]}
    part = reparse(journal, versions=versions, batch_rows=1, max_batches=1)
    assert part.rows_read == 1
    rest = reparse(journal, versions=versions, batch_rows=1)
    assert rest.rows_read == 1
    assert [row[2] for row in _directory_rows(journal)] == [OBJECT_OPERATION] * 2


def test_a_live_events_receipt_time_stays_on_the_row(tmp_path: Path) -> None:
    journal = old_journal(2, tmp_path)
    db = journal.connection
    seq = _directory_rows(journal)[0][0]
    db.execute("UPDATE events SET fields = json_set(fields, '$.\"graphsiem.received_at\"', 1712049310.5) "
               "WHERE seq = ?", (seq,))  # as the syslog listener or the API journals it

    reparse(journal)

    fields = json.loads(db.execute("SELECT fields FROM events WHERE seq = ?", (seq,)).fetchone()[0])
    assert fields["graphsiem.received_at"] == 1712049310.5
    assert fields["winlog.object.server"] == "DS"



WINDOWS_SAMPLES = ["otrf-security-datasets/empire_enable_rdp_2019-05-18203650.json",
                   "otrf-security-datasets/cmd_bitsadmin_download_psh_script_2020-10-2302365189.json",
                   "otrf-security-datasets/golden_saml/WindowsEvents.json"]


def test_rows_this_release_journaled_are_read_into_the_same_events(tmp_path: Path, samples_dir: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    ingest_paths([samples_dir / name for name in WINDOWS_SAMPLES], store=None, journal=journal, progress=False)
    rows = journal.connection.execute("SELECT seq, id, kind, fields FROM events ORDER BY seq").fetchall()

    done = reparse(journal)

    assert done.rows_read == done.kept == sum(kind in PARSER_VERSIONS for _, _, kind, _ in rows) > 300
    assert journal.connection.execute("SELECT seq, id, kind, fields FROM events ORDER BY seq").fetchall() == rows
