"""A 4624 or 4662 journaled before its logon id was kept is read again by the rebuild (task INGF item 1).

Releases before kept no ``winlog.logon.id`` of a 4624 (``TargetLogonId``) or a 4662 (``SubjectLogonId``),
so an old journal's DKM key read could not be tied to its session until its files were ingested again.
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.journal import Journal
from ingest.journal_reparse import REPARSE_KEY, reparse
from ingest.pipeline import ingest_paths
from tests.ingest.parsers.test_windows_logon_ids import LOGONS, OPERATIONS

KINDS = ("winsec:logon", "winsec:object_operation")


def _rows(journal: Journal) -> list[tuple]:
    return journal.connection.execute(
        "SELECT seq, id, ts, kind, fields FROM events WHERE kind IN (?, ?) ORDER BY seq", KINDS).fetchall()


def test_a_logon_and_a_directory_read_journaled_without_their_logon_id_are_read_again(tmp_path: Path) -> None:
    path = tmp_path / "dc01.ndjson"
    path.write_text(json.dumps(LOGONS["winlogbeat7"]) + "\n" + json.dumps(OPERATIONS["sentinel"]) + "\n")
    journal = Journal(tmp_path / "journal.sqlite")
    ingest_paths([path], store=None, journal=journal, progress=False)
    fresh = _rows(journal)
    assert sorted(row[3] for row in fresh) == sorted(KINDS)
    db = journal.connection
    for seq, *_ in fresh:  # as a release before this one journaled them
        db.execute("UPDATE events SET fields = json_remove(fields, '$.\"winlog.logon.id\"') WHERE seq = ?", (seq,))
    db.execute("DELETE FROM meta WHERE key = ?", (REPARSE_KEY,))
    db.commit()
    assert not any("winlog.logon.id" in json.loads(row[4]) for row in _rows(journal))

    done = reparse(journal)

    assert done.changed == {"winsec:logon -> winsec:logon": 1,
                            "winsec:object_operation -> winsec:object_operation": 1}
    after = _rows(journal)
    assert [row[:4] for row in after] == [row[:4] for row in fresh]
    assert [json.loads(row[4])["winlog.logon.id"] for row in after] == ["0x8f0f2cd7", "0x8f0f2cd7"]
    assert ingest_paths([path], store=None, journal=journal, progress=False).total.events == 0
    journal.close()
