"""A forged first record of a key layout does not choose the parser of the records after it (issue #3).

An ingest remembers which parser claimed a key layout and asks only that parser's sniff
for the next record of the layout (:mod:`ingest.pipeline_parts`).  Where a sniff ahead of
it reads values (MDE's ``Type``, Splunk HEC's ``host``), a forged record sent first used to
hand the whole layout to a later parser: genuine MDE rows behind one row of another
``Type`` were read as generic ECS events.  Every record must get the parser
``registry.detect`` gives it, whatever came before it; the real pipeline, journal and
registry are used (the API's ``POST /v1/events``: ``tests/api/test_events_forged_layouts.py``).
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from graphsiem.model import Event
from ingest.journal import Journal
from ingest.parsers.base import ParseContext, Parser, ParserRegistry, UnknownFormatError
from ingest.pipeline import ingest_paths
from ingest.registry import default_registry
from tests.ingest.sniff_records import (
    changed_values,
    contested_records,
    shipped_mde_rows,
    sniff_records,
)

SHIPPED_MDE = shipped_mde_rows()
FORGED_MDE = {**SHIPPED_MDE[0], "Type": "Other"}  # the same keys; ECS's, as MDE refuses the Type
HEC = [{"time": 1700000000 + n, "host": f"ws-{n}", "sourcetype": "_json",
        "event": {"@timestamp": "2024-03-05T10:20:00Z", "host": {"name": f"ws-{n}"}, "process": {"name": "cmd.exe"}}}
       for n in range(3)]
FORGED_HEC = {**HEC[0], "host": {"name": "ws-0"}}  # HEC's host is text: an object makes it ECS's
CASES = {
    "mde-shipped-by-logstash": (FORGED_MDE, SHIPPED_MDE, "ecs", "mde"),
    "splunk-hec": (FORGED_HEC, HEC, "ecs", "splunk"),
}


def write(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / "records.ndjson"
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    return path


def received(report: Any) -> dict[str, int]:
    return {name: counts.received for name, counts in report.formats.items() if counts.received}


def test_contested_layouts_are_found() -> None:
    """The property test below draws half its layouts from these: MDE's by Type, HEC's by host and time."""
    assert {detected(record) for record in CONTESTED} == {"mde", "splunk"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_forged_first_record_does_not_take_the_genuine_records_of_its_layout(tmp_path, journal, case) -> None:
    forged, genuine, forged_parser, genuine_parser = CASES[case]
    registry = default_registry()
    assert [registry.detect(forged).name] + [registry.detect(record).name for record in genuine] == (
        [forged_parser] + [genuine_parser] * len(genuine))
    assert all(record.keys() == forged.keys() for record in genuine[:1])
    report = ingest_paths([write(tmp_path, [forged, *genuine])], store=None, journal=journal, progress=False)
    assert received(report) == {forged_parser: 1, genuine_parser: len(genuine)}
    assert report.formats[genuine_parser].rejected == 0  # the forged record may be refused: it steered before parsing


def test_genuine_mde_rows_after_a_forged_one_keep_their_process_semantics(tmp_path, journal) -> None:
    report = ingest_paths([write(tmp_path, [FORGED_MDE, *SHIPPED_MDE])], store=None, journal=journal, progress=False)
    assert report.total.rejected == 0
    kinds = [item.event.kind for item in journal.iter_events()]
    assert kinds[0] == "ecs:event"
    assert "sysmon:process_create" in kinds and kinds.count("ecs:event") == 1


def test_a_forged_first_hit_does_not_take_the_documents_of_its_layout(tmp_path, journal) -> None:
    """The Elasticsearch export's own cache of its documents' layouts holds the same rule."""
    hits = [{"_index": "mde", "_id": f"hit-{n}", "_source": row} for n, row in enumerate([FORGED_MDE, *SHIPPED_MDE])]
    report = ingest_paths([write(tmp_path, hits)], store=None, journal=journal, progress=False)
    assert received(report) == {"elasticsearch": len(hits)} and report.total.rejected == 0
    sources = [item.event.source for item in journal.iter_events()]
    assert sources[0] == "ecs" and sources.count("ecs") == 1 and sources.count("mde") >= len(SHIPPED_MDE)


class RecordingParser:
    """A registered parser that logs its name each time the pipeline asks it to parse a record."""

    def __init__(self, inner: Parser, log: list[str]) -> None:
        self.name = inner.name
        self._inner = inner
        self._log = log

    def __getattr__(self, name: str) -> Any:  # sniff_reads_values, could_claim_layout, parts
        return getattr(self._inner, name)

    def sniff(self, record: Any) -> bool:
        return self._inner.sniff(record)

    def parse(self, record: Any, context: ParseContext) -> Iterator[Event]:
        self._log.append(self.name)
        return self._inner.parse(record, context)


def parsers_chosen(records: list[dict[str, Any]], journal: Journal) -> list[str]:
    """The parser the pipeline gave each record (one ingest_paths call: a session of its own), in the file's order."""
    log: list[str] = []
    registry = ParserRegistry()
    for parser in default_registry():
        registry.register(RecordingParser(parser, log))  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as folder:
        report = ingest_paths([write(Path(folder), records)], store=None, journal=journal, registry=registry,
                              progress=False)
    assert report.total.received == report.total.accepted + report.total.rejected == len(records)
    return log


@pytest.fixture(scope="module")
def shared_journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    """One journal for every example (a new one costs ~0.5 s); each ingest call has its own parser cache."""
    with Journal(tmp_path_factory.mktemp("forged_layouts") / "journal.sqlite") as journal:
        yield journal


def detected(record: dict[str, Any]) -> str | None:
    try:
        return default_registry().detect(record).name
    except UnknownFormatError:
        return None


def is_split(record: dict[str, Any]) -> bool:
    """A record its parser takes as parts (an Event Hub message): each part is parsed, not the record."""
    parts = getattr(default_registry().detect(record), "parts", None)
    return parts is not None and parts(record) is not None


RECORDS = [record for record in sniff_records() if detected(record) is None or not is_split(record)]
CONTESTED = contested_records(RECORDS, detected)


@st.composite
def mixtures(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A shuffled stream of a few layouts' records (each in a key order of its own), values changed in some.

    Half the layouts drawn are contested ones (:func:`~tests.ingest.sniff_records.contested_records`),
    where a forged value makes a record another parser's.
    """
    bases = draw(st.lists(st.sampled_from(CONTESTED) | st.sampled_from(RECORDS), min_size=1, max_size=4))
    stream = []
    for _ in range(draw(st.integers(2, 14))):
        record = draw(st.sampled_from(bases))
        if draw(st.booleans()):
            record = draw(changed_values(record))
        keys = list(record)
        random.Random(draw(st.integers(0, 3))).shuffle(keys)
        stream.append({key: record[key] for key in keys})
    return stream


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(stream=mixtures())
@example(stream=[FORGED_MDE, *SHIPPED_MDE])
@example(stream=[FORGED_HEC, *HEC])
def test_each_record_gets_the_parser_detection_gives_whatever_came_before(
    shared_journal: Journal, stream: list[dict[str, Any]],
) -> None:
    expected = [name for name in map(detected, stream) if name is not None]
    assert parsers_chosen(stream, shared_journal) == expected
