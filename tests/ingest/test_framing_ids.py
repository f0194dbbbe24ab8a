"""A JSON record's event id does not depend on its framing (review T11 F4, task M2).

An NDJSON line's id hashed its bytes, an array element's (or a pretty-printed or
API object's) its sorted canonical text: the same record sent in another framing
was a new event.  An object without a line of its own is now hashed re-serialised
compactly in its own key order (:func:`ingest.readers.ndjson.own_order_json`),
which is its compact NDJSON line.  Journals filled before keep working: the id
the object had then is its alias (``fixtures/framing_ids``, made by the release
before).  Corpus files are read in place through the ``samples_dir`` fixture.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import orjson
import pytest

from ingest.event_id_aliases import FRAMING_IDS_KEY
from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records
from ingest.readers.ndjson import own_order_json

SLIPS = Path("stratosphere-slips") / "test6-malicious.suricata.json"
FIXTURES = Path(__file__).parent / "fixtures" / "framing_ids"
FRAMINGS = ["eve.ndjson", "eve_array.json", "eve_objects.json"]
"""Four made-up Suricata EVE records as compact NDJSON, a pretty-printed array, pretty objects back to back."""


def _ingest(paths: list[Path], journal: Journal):
    return ingest_paths(paths, store=None, journal=journal, progress=False)


def _journaled(journal: Journal) -> int:
    return journal.connection.execute("SELECT count(*) FROM events").fetchone()[0]


def test_slips_eve_as_ndjson_then_as_a_pretty_array_is_one_event_each(tmp_path: Path, samples_dir: Path) -> None:
    lines = (samples_dir / SLIPS).read_bytes().splitlines()[:2000]
    (tmp_path / "eve.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    records = [orjson.loads(line) for line in lines]
    (tmp_path / "eve.json").write_bytes(orjson.dumps(records, option=orjson.OPT_INDENT_2))
    with gzip.open(tmp_path / "eve-objects.json.gz", "wb") as out:  # pretty objects back to back, gzipped
        out.write(b"\n".join(orjson.dumps(r, option=orjson.OPT_INDENT_2) for r in records))
    journal = Journal(tmp_path / "journal.sqlite")

    once = _ingest([tmp_path / "eve.ndjson"], journal)
    array = _ingest([tmp_path / "eve.json"], journal)
    objects = _ingest([tmp_path / "eve-objects.json.gz"], journal)

    assert once.total.accepted == once.total.events == 2000
    assert (array.total.accepted, array.total.events, array.total.duplicates) == (2000, 0, 2000)
    assert (objects.total.accepted, objects.total.events, objects.total.duplicates) == (2000, 0, 2000)
    assert _journaled(journal) == 2000


@pytest.mark.parametrize("first", FRAMINGS)
def test_every_framing_of_the_fixture_records_gives_the_same_events(first: str, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    once = _ingest([FIXTURES / first], journal)
    assert once.total.events == 4 and once.total.rejected == 0

    others = _ingest([FIXTURES / name for name in FRAMINGS if name != first], journal)

    assert others.total.accepted == 8 and others.total.events == 0
    assert _journaled(journal) == 4


def test_objects_given_decoded_get_the_id_of_their_compact_line(tmp_path: Path) -> None:
    """The API's decoded objects (a JSON body) and a stdin-like NDJSON body: one id."""
    records = [orjson.loads(line) for line in (FIXTURES / "eve.ndjson").read_bytes().splitlines()]
    journal = Journal(tmp_path / "journal.sqlite")
    first = ingest_records(records, store=None, journal=journal)
    again = ingest_records(b"".join(own_order_json(r) + b"\n" for r in records), store=None, journal=journal)
    assert first.total.events == 4
    assert (again.total.accepted, again.total.events) == (4, 0)


def _old_journal(tmp_path: Path) -> Journal:
    path = tmp_path / "journal.sqlite"
    with gzip.open(FIXTURES / "before_framing_ids_scheme2.sqlite.gz", "rb") as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return Journal(path)


@pytest.mark.parametrize("name", FRAMINGS)
def test_a_journal_filled_before_takes_its_files_again_as_duplicates(name: str, tmp_path: Path) -> None:
    """The release before journaled the array/objects (one id) and the NDJSON (another): 8 events."""
    journal = _old_journal(tmp_path)
    assert _journaled(journal) == 8

    again = _ingest([FIXTURES / name], journal)

    assert (again.total.accepted, again.total.events, again.total.duplicates) == (4, 0, 4)
    assert _journaled(journal) == 8
    marker = journal.connection.execute("SELECT value FROM meta WHERE key = ?", (FRAMING_IDS_KEY,)).fetchone()
    assert marker == ("8",)


def test_a_new_journal_looks_up_no_aliases(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    _ingest([FIXTURES / "eve_array.json"], journal)
    marker = journal.connection.execute("SELECT value FROM meta WHERE key = ?", (FRAMING_IDS_KEY,)).fetchone()
    assert marker == ("0",)
