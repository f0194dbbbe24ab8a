"""A JSON record whose keys come in another order is the same event (task IDS3 #2).

A collector that re-serialises records (a JSON library sorting keys, a pipeline
rebuilding each object) sends the same ECS or EVE record with its keys, and its
nested objects' keys, in another order.  Its events had the id of the record's own key
order, so each came in again; the id's input is now the record's compact dump with
sorted keys (:mod:`ingest.pipeline_ids`).  A journal filled before holds the ids of the
own key order: they are the events' aliases there (``sorted_ids_from_seq``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from ingest.event_id_aliases import SORTED_IDS_KEY
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

FIXTURES = Path(__file__).parent / "fixtures"
FILES = [FIXTURES / "ecs_events.ndjson", FIXTURES / "framing_ids" / "eve.ndjson"]


def _reversed_keys(value: object) -> object:
    """The value with every object's keys in reverse order, at every depth."""
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(each) for each in value]
    return value


def _reordered(path: Path, out: Path) -> Path:
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    copies = [orjson.dumps(_reversed_keys(orjson.loads(line))) for line in lines]
    assert all(copy != line for copy, line in zip(copies, lines, strict=True))  # every line reordered
    out.write_bytes(b"\n".join(copies) + b"\n")
    return out


def _ingest(path: Path, journal: Journal):
    return ingest_paths([path], store=None, journal=journal, progress=False)


@pytest.mark.parametrize("path", FILES, ids=["ecs", "eve"])
def test_a_record_with_its_keys_in_another_order_is_the_same_event(path: Path, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    first = _ingest(path, journal)
    assert first.total.events > 0
    again = _ingest(_reordered(path, tmp_path / "reordered.ndjson"), journal)
    assert (again.total.accepted, again.total.events, again.total.duplicates) == (
        first.total.accepted, 0, first.total.accepted)


def test_the_line_as_read_is_still_the_evidence(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    reordered = _reordered(FILES[0], tmp_path / "reordered.ndjson")
    _ingest(reordered, journal)
    raws = [row[0] for row in journal.connection.execute("SELECT raw FROM events ORDER BY seq")]
    assert raws == [line.decode() for line in reordered.read_bytes().splitlines()]


def _own_order_rule(name: str, line: bytes) -> str:
    """The id the release before gave a compact line: sha256 of the parser's name and the line as read."""
    return hashlib.sha256(name.encode() + b"\x1f" + line).hexdigest()[:32]


def _as_the_release_before_left_it(journal_path: Path) -> None:
    """Rows' ids by the rule before (own key order), and no ``sorted_ids_from_seq``: it never wrote one."""
    journal = Journal(journal_path)
    db = journal.connection
    with db:
        for seq, source, raw in db.execute("SELECT seq, source, raw FROM events").fetchall():
            db.execute("UPDATE events SET id = ? WHERE seq = ?", (_own_order_rule(source, raw.encode()), seq))
        db.execute("DELETE FROM meta WHERE key = ?", (SORTED_IDS_KEY,))
        db.execute("DELETE FROM id_runs")  # the id index is rebuilt from the rows
    journal.close()


@pytest.mark.parametrize("path", FILES, ids=["ecs", "eve"])
def test_files_journaled_before_add_nothing_again(path: Path, tmp_path: Path) -> None:
    journal_path = tmp_path / "journal.sqlite"
    _ingest(path, Journal(journal_path)).total.events  # noqa: B018 - the rows are rewritten below
    _as_the_release_before_left_it(journal_path)

    journal = Journal(journal_path)
    held = journal.counts()["events"]
    again = _ingest(path, journal)
    assert (again.total.events, again.total.duplicates) == (0, again.total.accepted)
    assert journal.counts()["events"] == held
    value = journal.connection.execute("SELECT value FROM meta WHERE key = ?", (SORTED_IDS_KEY,)).fetchone()[0]
    assert value == str(held)  # decided at the first open by this release: aliases looked up


CORPUS_EVE = ["stratosphere-slips/test6-malicious.suricata.json", "suricata-sample-data/wrccdc-2018/alerts-only.json"]


@pytest.mark.parametrize("name", CORPUS_EVE)
def test_corpus_eve_ids_are_the_sorted_dump_of_each_record(name: str, samples_dir: Path, tmp_path: Path) -> None:
    """Every EVE event's id is sha256 over ``suricata``, 0x1f and its record's sorted compact dump (task IDS4 #4).

    The id set a journal gets from the corpus' EVE files (an NDJSON file, a pretty-printed array)
    is the one this definition gives: a cheaper way to make the dump must not move an id.
    """
    path = samples_dir / name
    text = path.read_bytes()
    records = orjson.loads(text) if text.lstrip().startswith(b"[") else [
        orjson.loads(line) for line in text.splitlines() if line.strip()]
    expected = {hashlib.sha256(b"suricata\x1f" + orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]
                for record in records}
    journal = Journal(tmp_path / "journal.sqlite")
    report = ingest_paths([path], store=None, journal=journal, progress=False)
    assert report.total.received == len(records) and report.total.rejected == 0
    ids = {row[0] for row in journal.connection.execute("SELECT id FROM events")}
    assert ids == expected
