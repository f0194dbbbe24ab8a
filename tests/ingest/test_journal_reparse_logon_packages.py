"""A 4625 journaled before its protocol was kept is read again by the rebuild (task CRED6 item 1).

Releases before kept no ``winlog.logon.authentication_package``/``.logon_process``, so every 4625 of an
old journal would stay one whose protocol is unknown (a companion of any 4776) until re-ingested.
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.journal import Journal
from ingest.journal_reparse import REPARSE_KEY, reparse
from ingest.pipeline import ingest_paths
from tests.ingest.parsers.test_windows_logon_packages import RECORDS

NEW_KEYS = ("winlog.logon.authentication_package", "winlog.logon.logon_process")


def _failures(journal: Journal) -> list[tuple]:
    return journal.connection.execute(
        "SELECT seq, id, ts, fields FROM events WHERE kind = 'winsec:logon_failed' ORDER BY seq").fetchall()


def test_a_4625_journaled_without_its_package_is_read_again_and_its_file_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "srv01.ndjson"
    path.write_text(json.dumps(RECORDS["winlogbeat7"]) + "\n" + json.dumps(RECORDS["sentinel"]) + "\n")
    journal = Journal(tmp_path / "journal.sqlite")
    ingest_paths([path], store=None, journal=journal, progress=False)
    fresh = _failures(journal)
    db = journal.connection
    for seq, *_ in fresh:  # as a release before this one journaled them
        db.execute("UPDATE events SET fields = json_remove(fields, ?, ?) WHERE seq = ?",
                   (*(f'$."{key}"' for key in NEW_KEYS), seq))
    db.execute("DELETE FROM meta WHERE key = ?", (REPARSE_KEY,))
    db.commit()
    assert not any(key in json.loads(row[3]) for row in _failures(journal) for key in NEW_KEYS)

    done = reparse(journal)

    assert done.changed == {"winsec:logon_failed -> winsec:logon_failed": 2}
    after = _failures(journal)
    assert [(seq, event_id, ts) for seq, event_id, ts, _ in after] == [(seq, event_id, ts) for seq, event_id, ts, _ in fresh]
    assert [json.loads(row[3]) for row in after] == [json.loads(row[3]) for row in fresh]
    assert ingest_paths([path], store=None, journal=journal, progress=False).total.events == 0
    journal.close()
