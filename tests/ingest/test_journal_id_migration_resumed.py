"""An id migration interrupted anywhere and run again ends as one run does, syslog capture copies included.

The fixture journal of 31e6149 (``fixtures/before_sorted_ids``) holds one syslog datagram a sensor
logged 4 times (each copy with its Windows 4776) beside EVE lines in two key orders.  A copy is
merged into its burst's first record only while the reading remembers that burst
(:mod:`ingest.parsers.zeek_syslog_copies`); a resumed ``graphsiem rebuild --recompute-ids`` began
with an empty memory, kept the copies read after the interruption and aliased nothing for them.
Each case stops after ``k`` batches of one record, closes the journal (a new process), and runs again.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.journal_id_migration import recompute_ids
from tests.ingest.test_journal_id_migration_sorted import old_journal


def _outcome(journal: Journal) -> tuple[list[tuple], list[tuple], dict]:
    db = journal.connection
    rows = db.execute("SELECT seq, id, kind, origin FROM events ORDER BY seq").fetchall()
    aliases = db.execute("SELECT id, seq FROM event_id_aliases ORDER BY id").fetchall()
    counts = db.execute("SELECT host, kind, n FROM host_kind_counts ORDER BY host, kind").fetchall()
    return rows, aliases, {"host_kind_counts": counts}


def _one_run(tmp_path: Path) -> tuple[tuple, dict]:
    journal = old_journal(2, tmp_path / "whole")
    done = recompute_ids(journal, batch_rows=1)
    outcome = _outcome(journal)
    journal.close()
    return outcome, {k: v for k, v in asdict(done).items() if k != "runs"}


@pytest.mark.parametrize("stop_after", range(1, 10))
def test_a_resumed_migration_merges_the_capture_copies_one_run_merges(tmp_path: Path, stop_after: int) -> None:
    expected, expected_counts = _one_run(tmp_path)
    assert expected_counts["duplicates_merged"] == 10  # 6 syslog copies' rows and 4 key-order copies

    journal = old_journal(2, tmp_path / "interrupted")
    first = recompute_ids(journal, batch_rows=1, max_batches=stop_after)
    path = journal.path
    journal.close()
    journal = Journal(path)  # the rerun is another process: nothing of the first run's memory
    done = recompute_ids(journal, batch_rows=1)

    assert (first.complete, done.complete, done.runs) == (False, True, 2)
    assert _outcome(journal) == expected
    assert {k: v for k, v in asdict(done).items() if k != "runs"} == expected_counts
