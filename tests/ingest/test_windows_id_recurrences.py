"""The same record number, fields and second of the quarter hour a day later is another event (task IDS3 #3).

A non-persistent VDI desktop reverts to its image every day: the same computer name,
the same record numbers, the same boot events with the same fields.  A Windows event's
content id keeps only the second of the quarter hour of its time, so one such event in
900 was the day before's, and dropped.  The copies here are the fixture's two events
(``fixtures/windows_exports``) with their date moved a day on, in three exports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.journal_recurrences import PROBES
from ingest.pipeline import ingest_paths

EXPORTS = Path(__file__).parent / "fixtures" / "windows_exports"


def _days_on(name: str, days: int, tmp_path: Path) -> Path:
    """The fixture export ``name`` with its date (2024-03-05) ``days`` later: every value else as it was."""
    out = tmp_path / f"{days}_days_on_{name}"
    out.write_bytes((EXPORTS / name).read_bytes().replace(b"2024-03-05", f"2024-03-{5 + days:02d}".encode()))
    return out


def _events(paths: list[Path], journal: Journal) -> int:
    return ingest_paths(paths, store=None, journal=journal, progress=False).total.events


def test_a_day_later_is_another_event_and_each_is_one_event_in_every_export(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    assert _events([EXPORTS / "winlogbeat7.ndjson"], journal) == 2
    assert _events([_days_on("winlogbeat7.ndjson", 1, tmp_path)], journal) == 2  # the next day's: 2 more
    assert _events([_days_on("evtx_dump.json", 1, tmp_path), _days_on("events.xml", 1, tmp_path)], journal) == 0
    # NXLog's local time (UTC-5) labelled Z: 5 h off, the same events as the first day's
    assert _events([EXPORTS / "nxlog.ndjson", EXPORTS / "events.xml"], journal) == 0
    assert journal.counts()["events"] == 4


def test_the_later_day_first_gives_the_same_four_events(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    assert _events([_days_on("evtx_dump.json", 1, tmp_path), EXPORTS / "nxlog.ndjson"], journal) == 4
    assert _events([EXPORTS / "winlogbeat7.ndjson", _days_on("winlogbeat7.ndjson", 1, tmp_path),
                    EXPORTS / "evtx_dump.json", _days_on("events.xml", 1, tmp_path)], journal) == 0


def test_both_days_in_one_batch_are_two_events_each(tmp_path: Path) -> None:
    both = tmp_path / "both.ndjson"
    both.write_bytes((EXPORTS / "winlogbeat7.ndjson").read_bytes()
                     + _days_on("winlogbeat7.ndjson", 1, tmp_path).read_bytes())
    journal = Journal(tmp_path / "journal.sqlite")
    assert _events([both], journal) == 4
    assert _events([_days_on("evtx_dump.json", 1, tmp_path), EXPORTS / "evtx_dump.json"], journal) == 0


@pytest.mark.parametrize("forged", [3, PROBES + 2])
def test_far_off_copies_sent_first_never_make_the_genuine_events_duplicates(forged: int, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    copies = [_days_on("winlogbeat7.ndjson", days, tmp_path) for days in range(1, forged + 1)]
    assert _events(copies, journal) == 2 * forged
    assert _events([EXPORTS / "winlogbeat7.ndjson"], journal) == 2  # the genuine ones, kept
    assert _events([EXPORTS / "evtx_dump.json", EXPORTS / "events.xml"], journal) == 0
