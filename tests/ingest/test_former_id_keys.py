"""One decision of which former ids a journal may hold, from either meta key a release left (review R19 finding 6).

``content_ids_from_seq`` and ``framing_ids_from_seq`` were written by two near-identical functions
at the same moment; :func:`ingest.event_id_aliases.former_ids` now decides both in one
transaction.  Journals already carrying either key keep its value: a journal made between the
two releases holds ``content_ids_from_seq = 0`` and events journaled since, so it needs framing
aliases and no content ones (``fixtures/framing_ids/before_framing_ids_scheme2.sqlite.gz`` is
one: ``test_framing_ids`` takes its files again as duplicates through :func:`former_ids`).
"""

from __future__ import annotations

from pathlib import Path

from ingest.event_id_aliases import CONTENT_IDS_KEY, FRAMING_IDS_KEY, FormerIds, former_ids
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

FIXTURES = Path(__file__).parent / "fixtures" / "framing_ids"


def _meta(journal: Journal) -> dict[str, str]:
    rows = journal.connection.execute("SELECT key, value FROM meta WHERE key IN (?, ?)",
                                      (CONTENT_IDS_KEY, FRAMING_IDS_KEY)).fetchall()
    return dict(rows)


def _set_meta(journal: Journal, values: dict[str, str]) -> None:
    with journal.connection:
        journal.connection.execute("DELETE FROM meta WHERE key IN (?, ?)", (CONTENT_IDS_KEY, FRAMING_IDS_KEY))
        journal.connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", values.items())


def _journal_with_events(tmp_path: Path) -> Journal:
    journal = Journal(tmp_path / "journal.sqlite")
    ingest_paths([FIXTURES / "eve.ndjson"], store=None, journal=journal, progress=False)  # seq 1..4
    return journal


def test_a_new_journal_decides_both_keys_at_once(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    assert former_ids(journal.connection) == FormerIds(read=False, framed=False)
    assert _meta(journal) == {CONTENT_IDS_KEY: "0", FRAMING_IDS_KEY: "0"}


def test_a_journal_with_events_and_neither_key_gets_both(tmp_path: Path) -> None:
    journal = _journal_with_events(tmp_path)
    _set_meta(journal, {})
    assert former_ids(journal.connection) == FormerIds(read=True, framed=True)
    assert _meta(journal) == {CONTENT_IDS_KEY: "4", FRAMING_IDS_KEY: "4"}


def test_a_journal_made_between_the_releases_keeps_its_content_key_and_gets_the_framing_one(tmp_path: Path) -> None:
    journal = _journal_with_events(tmp_path)
    _set_meta(journal, {CONTENT_IDS_KEY: "0"})  # empty when content ids came, 4 events since
    assert former_ids(journal.connection) == FormerIds(read=False, framed=True)
    assert _meta(journal) == {CONTENT_IDS_KEY: "0", FRAMING_IDS_KEY: "4"}


def test_keys_a_journal_carries_are_read_not_decided_again(tmp_path: Path) -> None:
    journal = _journal_with_events(tmp_path)
    for stored, expected in (({CONTENT_IDS_KEY: "3", FRAMING_IDS_KEY: "0"}, FormerIds(read=True, framed=False)),
                             ({CONTENT_IDS_KEY: "0", FRAMING_IDS_KEY: "2"}, FormerIds(read=False, framed=True))):
        _set_meta(journal, stored)
        assert former_ids(journal.connection) == expected, stored
        assert _meta(journal) == stored


def test_a_lone_framing_key_is_kept_and_the_content_key_decided(tmp_path: Path) -> None:
    journal = _journal_with_events(tmp_path)
    _set_meta(journal, {FRAMING_IDS_KEY: "0"})
    assert former_ids(journal.connection) == FormerIds(read=True, framed=False)
    assert _meta(journal) == {CONTENT_IDS_KEY: "4", FRAMING_IDS_KEY: "0"}
