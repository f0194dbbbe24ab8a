"""One Windows event is one event whatever its export; a line that is not compact is its compact line (task IDS).

A Windows event exported by Winlogbeat 6 and 7, NXLog, evtx_dump, as ``<Event>`` XML or
read from the ``.evtx`` file used to get an id per export (the bytes of each), so two
exports of one machine's log journaled every event twice.  Its id is now the content id of
its ``System`` key and its fields (:mod:`ingest.parsers.windows_record_ids`; the fields since
task IDFIX).  An NDJSON line that is not compact (Python's ``json`` spaces, Go's
``\\u003c``) is hashed by its compact dump (:func:`ingest.readers.ndjson.line_record`).
Journals filled before (fixtures made by the code of 5bdb8e6,
``fixtures/windows_exports/README.md``) hold the ids as read: those are the events'
aliases, so their files add nothing again.  Corpus files are read in place from
``$GRAPHSIEM_SAMPLES``.
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import orjson
import pytest

from ingest.event_id_aliases import EXPORT_IDS_KEY, former_ids
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.ingest.test_event_ids import open_on_scheme_1

EXPORTS = Path(__file__).parent / "fixtures" / "windows_exports"
"""Two made-up Windows events in five exports, one more after a log clear, and spaced EVE lines."""
FRAMING = Path(__file__).parent / "fixtures" / "framing_ids"
SHAPES = ["evtx_dump.json", "winlogbeat7.ndjson", "winlogbeat6.ndjson", "nxlog.ndjson", "events.xml"]
SAMPLES = Path(os.environ.get("GRAPHSIEM_SAMPLES", "/nonexistent"))
SIGMA = SAMPLES / "sigma-regression"
WINLOGBEAT_6 = SAMPLES / "otrf-security-datasets" / "empire_enable_rdp_2019-05-18203650.json"


def _ingest(paths: list[Path], journal: Journal):
    return ingest_paths(paths, store=None, journal=journal, progress=False)


def _events(journal: Journal) -> list[tuple[str, str, float, str | None]]:
    rows = journal.connection.execute("SELECT id, kind, ts, host FROM events ORDER BY seq").fetchall()
    return [tuple(row) for row in rows]


@pytest.fixture
def in_exports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXPORTS)  # origins relative, as in the fixture journals


# -- one event whatever the export -------------------------------------------------------------
@pytest.mark.parametrize("first", SHAPES)
def test_every_export_of_two_windows_events_is_the_same_two_events(first: str, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    once = _ingest([EXPORTS / first], journal)
    assert (once.total.rejected, once.total.events) == (0, 2)
    kept = _events(journal)

    for other in SHAPES:
        if other != first:
            again = _ingest([EXPORTS / other], journal)
            assert (again.total.accepted, again.total.events, again.total.duplicates) == (2, 0, 2), other

    assert _events(journal) == kept
    assert {host for *_, host in kept} == {"ws-alpha"}


def test_the_same_record_number_after_a_log_clear_is_another_event(tmp_path: Path) -> None:
    """A cleared log numbers its records from 1 again: the time (its second of the quarter hour) tells them apart.

    And a record without its number is not known to be the other exports' event: kept, by the id of its bytes.
    """
    journal = Journal(tmp_path / "journal.sqlite")
    _ingest([EXPORTS / "nxlog.ndjson"], journal)
    assert _ingest([EXPORTS / "evtx_dump.json"], journal).total.events == 0  # NXLog's local time labelled Z
    after = _ingest([EXPORTS / "after_clear.ndjson"], journal)
    assert after.total.events == 1

    line = orjson.loads((EXPORTS / "nxlog.ndjson").read_bytes().splitlines()[0])
    del line["RecordNumber"]
    path = tmp_path / "nxlog.ndjson"
    path.write_bytes(orjson.dumps(line) + b"\n")
    assert _ingest([path], journal).total.events == 1
    assert len(_events(journal)) == 4


@pytest.mark.skipif(not SIGMA.is_dir(), reason="needs $GRAPHSIEM_SAMPLES (the corpus)")
@pytest.mark.parametrize("rule", ["proc_creation_win_certutil_download", "proc_creation_win_powershell_base64_invoke"])
def test_the_corpus_evtx_and_its_evtx_dump_json_are_one_event(rule: str, tmp_path: Path) -> None:
    """The corpus's one pair: a Sigma regression event as ``.evtx`` and as evtx_dump's pretty-printed JSON."""
    (evtx,) = (SIGMA / rule).glob("*.evtx")
    journal = Journal(tmp_path / "journal.sqlite")
    once = _ingest([evtx], journal)
    assert (once.total.rejected, once.total.events) == (0, 1)

    again = _ingest([evtx.with_suffix(".json")], journal)

    assert (again.total.accepted, again.total.events, again.total.duplicates) == (1, 0, 1)


# -- lines that are not compact ----------------------------------------------------------------
def test_a_spaced_line_is_the_event_of_its_compact_line_and_is_journaled_as_read(tmp_path: Path) -> None:
    """Python's default ``json.dumps`` (``": "``, ``\\u00e9``) of the EVE lines: the same four events."""
    journal = Journal(tmp_path / "journal.sqlite")
    assert _ingest([EXPORTS / "eve_spaced.ndjson"], journal).total.events == 4
    raws = [row[0] for row in journal.connection.execute("SELECT raw FROM events ORDER BY seq")]
    assert raws == (EXPORTS / "eve_spaced.ndjson").read_text().splitlines()  # the evidence as read

    again = _ingest([FRAMING / "eve.ndjson"], journal)

    assert (again.total.accepted, again.total.events, again.total.duplicates) == (4, 0, 4)
    assert _ingest([FRAMING / "eve_array.json"], journal).total.events == 0


@pytest.mark.skipif(not WINLOGBEAT_6.is_file(), reason="needs $GRAPHSIEM_SAMPLES (the corpus)")
def test_the_corpus_lines_not_compact_are_their_compact_lines(tmp_path: Path) -> None:
    """empire_enable_rdp's 405 lines with Go's ``\\u003c`` escapes, then written compactly: nothing new.

    Its records carry record numbers, which give them content ids whatever the line: both
    copies drop ``record_number``, so that the lines' own ids are compared.
    """
    escaped = [re.sub(rb'"record_number":"[0-9]+",|,"record_number":"[0-9]+"(?=}$)', b"", line) for line in WINLOGBEAT_6.read_bytes().splitlines()]
    escaped = [line for line in escaped if orjson.dumps(orjson.loads(line)) != line]
    assert len(escaped) == 405 and all(b'"record_number":"' not in line for line in escaped)
    spaced, compact = tmp_path / "escaped.ndjson", tmp_path / "compact.ndjson"
    spaced.write_bytes(b"".join(line + b"\n" for line in escaped))
    compact.write_bytes(b"".join(orjson.dumps(orjson.loads(line)) + b"\n" for line in escaped))
    journal = Journal(tmp_path / "journal.sqlite")
    once = _ingest([spaced], journal)
    # Without their record numbers, 42 of the lines equal another in all but key order, which
    # since sorted-key ids (task IDS3) is the same event: 363 events, not 405.
    distinct = {orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS) for line in escaped}
    assert len(distinct) == 363
    assert once.total.rejected == 0 and once.total.events == len(distinct)

    again = _ingest([compact], journal)

    assert again.total.events == 0 and again.total.duplicates == 405


# -- journals filled before ---------------------------------------------------------------------
def _old_journal(scheme: int, tmp_path: Path) -> Journal:
    path = tmp_path / f"before-export-ids-{scheme}.sqlite"
    with gzip.open(EXPORTS / f"before_export_ids_scheme{scheme}.sqlite.gz", "rb") as packed:
        path.write_bytes(packed.read())
    return Journal(path) if scheme == 2 else open_on_scheme_1(path)


@pytest.mark.parametrize("scheme", [2, 1])
def test_a_journal_filled_before_adds_nothing_from_its_files(scheme: int, tmp_path: Path, in_exports: None) -> None:
    """Every file the release before journaled, taken again: all duplicates, by the ids as read (aliases)."""
    journal = _old_journal(scheme, tmp_path)
    held = len(_events(journal))
    assert held == 15  # 11 Windows records (one per export), 4 EVE lines

    for name in [*SHAPES, "after_clear.ndjson", "eve_spaced.ndjson"]:
        again = _ingest([Path(name)], journal)
        assert again.total.events == 0 and again.total.duplicates == again.total.accepted > 0, name

    assert len(_events(journal)) == held
    assert former_ids(journal.connection).exported
    assert journal.connection.execute("SELECT value FROM meta WHERE key = ?", (EXPORT_IDS_KEY,)).fetchone() == ("15",)


def test_a_new_journal_looks_up_no_aliases_and_takes_each_event_once(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    assert not former_ids(journal.connection).exported
    report = _ingest([EXPORTS / name for name in SHAPES], journal)
    assert (report.total.received, report.total.events, report.total.duplicates) == (10, 2, 8)
