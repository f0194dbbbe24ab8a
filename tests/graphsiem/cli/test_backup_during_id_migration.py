"""``graphsiem backup`` and an id migration (``graphsiem rebuild --recompute-ids``) on one directory (task OPS2 #5).

While the rebuild runs it holds the writers' lock exclusively, so a backup is refused in one
line naming its pid, and DEST is left untouched; a migration stopped part-way (killed) leaves a
journal a backup copies as it is, progress and open syslog bursts included, and the copy's
``rebuild --recompute-ids`` ends as one uninterrupted migration does.  Real processes: the
rebuild is a ``graphsiem`` child caught holding its locks, connected to a socket this test
listens on as its store (its locks are taken before it opens the store).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from graphsiem.cli import main
from ingest.journal import Journal
from ingest.journal_id_migration import recompute_ids
from tests.graphsiem.cli.test_rebuild_excludes_ingest import WAIT_S, _graphsiem, _kill
from tests.ingest.test_journal_id_migration_resumed import _outcome
from tests.ingest.test_journal_id_migration_sorted import old_journal


def test_a_backup_is_refused_while_a_rebuild_recomputes_ids_and_dest_is_untouched(tmp_path: Path, capsys) -> None:
    data, copy = tmp_path / "data", tmp_path / "backup"
    old_journal(2, data).close()
    with socket.create_server(("127.0.0.1", 0)) as store:  # a "Neo4j" that never answers
        store.settimeout(WAIT_S)
        rebuild = _graphsiem("rebuild", "--recompute-ids", "--data", str(data), "--store",
                             f"bolt://127.0.0.1:{store.getsockname()[1]}", stdout=-3, stderr=-1)
        try:
            connection, _ = store.accept()  # the rebuild holds its locks
            with connection:
                status = main(["backup", str(copy), "--data", str(data)])
                err = capsys.readouterr().err.strip()
        finally:
            _kill(rebuild)
    assert status == 1, err
    assert err.count("\n") == 0 and err.startswith("graphsiem backup: ") and str(data) in err, err
    assert f"is being rebuilt by another process (pid {rebuild.pid})" in err and "nothing was read" in err, err
    assert not copy.exists()
    assert main(["backup", str(copy), "--data", str(data)]) == 0  # once it has ended
    assert (copy / "journal.sqlite").is_file()


@pytest.mark.parametrize("stop_after", [2, 5, 6])
def test_a_backup_of_a_migration_stopped_part_way_resumes_as_one_migration(
        tmp_path: Path, capsys, stop_after: int) -> None:
    old_journal(2, tmp_path / "whole").close()
    assert main(["rebuild", "--recompute-ids", "--data", str(tmp_path / "whole")]) == 0  # in one run
    with Journal(tmp_path / "whole" / "journal.sqlite") as whole:
        expected = _outcome(whole)
    data, copy = tmp_path / "data", tmp_path / "backup"
    journal = old_journal(2, data)
    assert not recompute_ids(journal, batch_rows=1, max_batches=stop_after).complete  # then killed
    journal.close()

    assert main(["backup", str(copy), "--data", str(data)]) == 0
    assert main(["rebuild", "--recompute-ids", "--data", str(copy)]) == 0, capsys.readouterr().err
    capsys.readouterr()

    with Journal(copy / "journal.sqlite") as restored:
        assert _outcome(restored) == expected
