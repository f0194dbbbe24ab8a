"""A service install journaled before a program without extension was read as its ``.exe`` is read again
by the rebuild (review R24): its installed command becomes the node of its Sysmon 1."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from ingest.journal import Journal
from ingest.journal_reparse import reparse
from ingest.pipeline import ingest_paths
from tests.ingest.test_projection_persistence import _service

IMAGE_PATH = "C:\\ProgramData\\x\\svc -k run"


def _service_fields(journal: Journal) -> dict:
    [(fields,)] = journal.connection.execute(
        "SELECT fields FROM events WHERE kind = 'windows:service_installed'").fetchall()
    return json.loads(fields)


def test_a_service_journaled_with_the_old_reading_is_read_as_its_exe(tmp_path: Path) -> None:
    records = tmp_path / "install.ndjson"
    records.write_bytes(orjson.dumps(_service("UpdSvc", IMAGE_PATH)) + b"\n")
    journal = Journal(tmp_path / "journal.sqlite")
    ingest_paths([records], store=None, journal=journal, progress=False)
    # the row as the release before journaled it: the program named as written, without .exe
    journal.connection.execute(
        "UPDATE events SET fields = json_set(fields, '$.\"process.executable\"', 'C:\\ProgramData\\x\\svc', "
        "'$.\"process.name\"', 'svc') WHERE kind = 'windows:service_installed'")
    journal.connection.commit()

    done = reparse(journal)

    assert done.changed == {"windows:service_installed -> windows:service_installed": 1}
    fields = _service_fields(journal)
    assert (fields["process.executable"], fields["process.name"]) == ("C:\\ProgramData\\x\\svc.exe", "svc.exe")
    assert fields["process.command_line"] == IMAGE_PATH
