"""Event ids per journal id scheme: the rules, and the pipeline on old and new journals."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import orjson
import pytest

from graphsiem.model import Event, stable_hash
from ingest.event_ids import AS_READ, CANONICAL_TEXT, as_read_id, canonical_text_id
from ingest.journal import Journal
from ingest.parsers.base import ParserRegistry
from ingest.parsers.ecs import EcsParser
from ingest.pipeline import ingest_paths, ingest_records


# The two rules written out with hashlib (not imported), so the tests can fail.
def old_rule(name: str, record: dict, index: int | None = None) -> str:
    """The id rule of the code from before id schemes: blake2b of name, canonical text (, index)."""
    parts = [name, orjson.dumps(record, option=orjson.OPT_SORT_KEYS).decode()]
    parts += [] if index is None else [str(index)]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=32).hexdigest()[:32]


def as_read_rule(name: str, line: bytes, index: int | None = None) -> str:
    suffix = b"" if index is None else b"\x1f" + str(index).encode()
    return hashlib.sha256(name.encode() + b"\x1f" + line + suffix).hexdigest()[:32]


def sorted_rule(name: str, line: bytes, index: int | None = None) -> str:
    """A JSON object's id since task IDS3: :func:`as_read_rule` of its compact dump with sorted keys."""
    return as_read_rule(name, orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS), index)


def lines_of(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines() if line.strip()]


def rows(journal: Journal) -> list[tuple[str, str]]:
    return journal.connection.execute("SELECT id, raw FROM events ORDER BY seq").fetchall()


def open_on_scheme_1(path: Path) -> Journal:
    """A journal forced onto scheme 1 (as one with events from before schemes is)."""
    Journal(path).close()
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE meta SET value = '1' WHERE key = 'id_scheme'")
    db.close()
    return Journal(path)


def pre_scheme_journal(path: Path, files: list[Path], **options) -> None:
    """A journal as the code from before id schemes left it: scheme-1 ids, no ``id_scheme`` key."""
    with open_on_scheme_1(path) as journal:
        ingest_paths(files, store=None, journal=journal, progress=False, **options)
    db = sqlite3.connect(path)
    with db:
        db.execute("DELETE FROM meta WHERE key = 'id_scheme'")
    db.close()


class Pair(EcsParser):
    """An ECS parser that yields two events per record (the multi-event path)."""

    name = "pair"

    def parse(self, record, context):
        (event,) = super().parse(record, context)
        yield event
        yield Event(id="", kind="pair:second", ts=event.ts, host=event.host, source=self.name)


def pair_registry() -> ParserRegistry:
    registry = ParserRegistry()
    registry.register(Pair())
    return registry


# -- the rules ------------------------------------------------------------------
@pytest.mark.parametrize("index", [None, 0, 3])
def test_scheme_1_is_stable_hash_of_name_and_text(index):
    parts = ("ecs", '{"a":1}') + (() if index is None else (str(index),))
    assert canonical_text_id("ecs", '{"a":1}', index) == stable_hash(*parts)


@pytest.mark.parametrize("index", [None, 0, 3])
def test_scheme_2_is_sha256_of_name_and_bytes_as_read(index):
    line = '{"b": 1, "a": "\u00e9"}'
    assert as_read_id("ecs", line.encode(), index) == as_read_rule("ecs", line.encode(), index)


def test_ids_tell_parsers_indexes_and_formatting_apart():
    ids = {as_read_id("ecs", b'{"a":1}'), as_read_id("zeek", b'{"a":1}'), as_read_id("ecs", b'{"a":1}', 0),
           as_read_id("ecs", b'{"a": 1}'), canonical_text_id("ecs", '{"a":1}')}
    assert len(ids) == 5 and all(len(i) == 32 for i in ids)


# -- new journals: scheme 2 -------------------------------------------------------
def test_a_new_journal_hashes_each_line_with_sorted_keys_and_keeps_it_as_read(fixtures, journal):
    path = fixtures / "ecs_events.ndjson"
    assert journal.id_scheme == AS_READ
    ingest_paths([path], store=None, journal=journal, progress=False)
    lines = lines_of(path)
    assert rows(journal) == [(sorted_rule("ecs", line), line.decode()) for line in lines]
    first = journal.get([sorted_rule("ecs", lines[0])])[0]
    assert first.raw == orjson.loads(lines[0])  # the kept line is still the record


def test_line_endings_are_not_part_of_the_id(fixtures, journal, tmp_path):
    lines = lines_of(fixtures / "ecs_events.ndjson")
    crlf = tmp_path / "crlf.ndjson"
    crlf.write_bytes(b"\r\n".join(lines))  # and no line ending after the last line
    ingest_paths([fixtures / "ecs_events.ndjson"], store=None, journal=journal, progress=False)
    again = ingest_paths([crlf], store=None, journal=journal, progress=False)
    assert again.total.duplicates == 4 and again.total.events == 0


def test_scheme_2_api_arrays_and_objects_hash_their_compact_sorted_text(fixtures, journal):
    objects = [orjson.loads(line) for line in lines_of(fixtures / "ecs_events.ndjson")]
    # records without text of their own (a JSON array, decoded objects) hash the object
    # re-serialised compactly (task M2), keys sorted (task IDS3): the same in both shapes
    array = ingest_records(orjson.dumps(objects, option=orjson.OPT_INDENT_2), store=None, journal=journal)
    assert array.total.events == 4
    assert ingest_records(objects, store=None, journal=journal).total.duplicates == 4
    assert [i for i, _ in rows(journal)] == [sorted_rule("ecs", orjson.dumps(o)) for o in objects]
    # the fixture's lines are compact: hashed as read, they are those very bytes
    again = ingest_paths([fixtures / "ecs_events.ndjson"], store=None, journal=journal, progress=False)
    assert (again.total.events, again.total.duplicates) == (0, 4)


def test_scheme_2_ids_differ_from_scheme_1_ids_for_the_same_file(fixtures, tmp_path):
    path = fixtures / "ecs_events.ndjson"
    ids = []
    for journal in (Journal(tmp_path / "new.sqlite"), open_on_scheme_1(tmp_path / "old.sqlite")):
        with journal:
            ingest_paths([path], store=None, journal=journal, progress=False)
            ids.append({event_id for event_id, _ in rows(journal)})
    assert len(ids[0]) == len(ids[1]) == 4 and not ids[0] & ids[1]


BAD_LINE = b'{"process": {"executable": "/bin/false"}, "host": {"name": "ws-9"}, "@timestamp": "not a time"}'
"""An ECS record the parser rejects (no valid time), keys neither sorted nor compact."""


def test_rejections_keep_the_line_as_read_in_scheme_2(journal, tmp_path):
    path = tmp_path / "bad.ndjson"
    path.write_bytes(BAD_LINE + b"\n")
    ingest_paths([path], store=None, journal=journal, progress=False)
    assert [(r.format, r.raw) for r in journal.rejected()] == [("ecs", BAD_LINE.decode())]


# -- journals from before id schemes: scheme 1 -------------------------------------
def test_a_journal_from_before_schemes_keeps_the_old_ids_and_re_ingesting_adds_nothing(fixtures, tmp_path):
    path, journal_path = fixtures / "ecs_events.ndjson", tmp_path / "old.sqlite"
    pre_scheme_journal(journal_path, [path])
    records = [orjson.loads(line) for line in lines_of(path)]
    canonical = [orjson.dumps(r, option=orjson.OPT_SORT_KEYS).decode() for r in records]
    with Journal(journal_path) as journal:
        assert journal.id_scheme == CANONICAL_TEXT  # it holds events and had no key
        before = rows(journal)
        assert before == [(old_rule("ecs", r), text) for r, text in zip(records, canonical, strict=True)]
        again = ingest_paths([path], store=None, journal=journal, progress=False)
        assert again.total.duplicates == 4 and again.total.events == 0 and rows(journal) == before
        # scheme 1 ids ignore formatting: every API body shape is the same events
        lines = path.read_bytes()
        for body in (lines, orjson.dumps(records, option=orjson.OPT_INDENT_2), records):
            assert ingest_records(body, store=None, journal=journal).total.duplicates == 4


def test_rejections_keep_the_canonical_text_in_scheme_1(tmp_path):
    path = tmp_path / "bad.ndjson"
    path.write_bytes(BAD_LINE + b"\n")
    canonical = orjson.dumps(orjson.loads(BAD_LINE), option=orjson.OPT_SORT_KEYS).decode()
    with open_on_scheme_1(tmp_path / "old.sqlite") as journal:
        ingest_paths([path], store=None, journal=journal, progress=False)
        assert [(r.format, r.raw) for r in journal.rejected()] == [("ecs", canonical)]
        # as before id schemes, so a file ingested again does not keep its rejections twice
        assert ingest_paths([path], store=None, journal=journal, progress=False).total.rejected == 1
        assert journal.counts()["rejected"] == 1


# -- records that yield several events ------------------------------------------------
def test_multi_event_records_hash_the_index_in_both_schemes(fixtures, tmp_path):
    path = fixtures / "ecs_events.ndjson"
    lines = lines_of(path)
    expected = {
        "new": [sorted_rule("pair", line, i) for line in lines for i in (0, 1)],
        "old": [old_rule("pair", orjson.loads(line), i) for line in lines for i in (0, 1)],
    }
    for name, journal in (("new", Journal(tmp_path / "new.sqlite")),
                          ("old", open_on_scheme_1(tmp_path / "old.sqlite"))):
        with journal:
            first = ingest_paths([path], store=None, journal=journal, registry=pair_registry(), progress=False)
            again = ingest_paths([path], store=None, journal=journal, registry=pair_registry(), progress=False)
            assert first.total.events == 8 and (again.total.events, again.total.duplicates) == (0, 4)
            assert [i for i, _ in rows(journal)] == expected[name]
