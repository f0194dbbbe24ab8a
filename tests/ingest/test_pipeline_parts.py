"""The wrapper hook ``parts`` (ingest.parsers.base): a record that holds records is taken as its parts.

A small real wrapper format is used, ``{"rows": [row, ...]}``, whose rows are read by the parser
itself; the pipeline, the journal and the report are the real ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsiem.model import Event
from ingest.event_ids import as_read_id
from ingest.journal import Journal
from ingest.parsers.base import ParseContext, ParseError, Parser, ParserRegistry
from ingest.pipeline import ingest_paths
from ingest.readers.ndjson import canonical_json

TS = 1709633730.0


class Rows:
    """``{"rows": [...]}`` split into its rows; a row ``{"ts": .., "host": ..}`` is one event (two with ``twice``)."""

    name = "rows"

    def __init__(self, fail_after: int | None = None) -> None:
        self.fail_after = fail_after
        self.parsed: list[Any] = []

    def sniff(self, record: Any) -> bool:
        return isinstance(record, dict) and ("rows" in record or "ts" in record)

    def parts(self, record: Any) -> Iterator[tuple[Any, str]] | None:
        if not isinstance(record, dict) or "rows" not in record:
            return None
        return self._rows(record["rows"])

    def _rows(self, rows: list[Any]) -> Iterator[tuple[Any, str]]:
        for n, row in enumerate(rows, 1):
            if self.fail_after is not None and n > self.fail_after:
                raise RuntimeError("the rows ran out")
            yield row, f"#row-{n}"

    def parse(self, record: Any, context: ParseContext) -> Iterator[Event]:
        self.parsed.append(record)
        if not isinstance(record, dict) or not isinstance(record.get("ts"), float):
            raise ParseError("a row without a ts")
        for kind in ("rows:event", "rows:again") if record.get("twice") else ("rows:event",):
            yield Event(id="", kind=kind, ts=record["ts"], host=record.get("host"), fields={"n": record.get("n")},
                        origin=context.origin, source="")


class CountedRows(Rows):
    """Rows whose ``parts`` attribute counts how often it is looked up."""

    lookups = 0

    def __getattribute__(self, name: str) -> Any:
        if name == "parts":
            type(self).lookups += 1
        return super().__getattribute__(name)


def registry_of(parser: Parser) -> ParserRegistry:
    registry = ParserRegistry()
    registry.register(parser)
    return registry


def rows(*items: Any) -> dict:
    return {"rows": list(items)}


def row(n: int, **extra: Any) -> dict:
    return {"ts": TS + n, "host": f"ws-{n:04d}", "n": n, **extra}


def ingest(tmp_path: Path, journal: Journal, parser: Parser, *records: Any, **options: Any):
    path = tmp_path / "rows.ndjson"
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    return ingest_paths([path], store=None, journal=journal, registry=registry_of(parser), progress=False, **options)


def events_of(journal: Journal) -> list[Event]:
    return [item.event for item in journal.iter_events()]


def test_the_report_counts_parts_and_a_bad_part_rejects_only_itself(tmp_path, journal):
    report = ingest(tmp_path, journal, Rows(), rows(row(1), {"no": "ts"}, row(3)), row(4))
    assert (report.total.received, report.total.accepted, report.total.rejected) == (4, 3, 1)
    assert (report.formats["rows"].received, report.total.events) == (4, 3)
    (rejection,) = journal.rejected()
    assert (rejection.origin, rejection.reason, rejection.raw) == (
        f"{tmp_path / 'rows.ndjson'}:1#row-2", "a row without a ts", '{"no":"ts"}')
    assert [e.origin.rsplit(":", 1)[1] for e in events_of(journal)] == ["1#row-1", "1#row-3", "2"]


def test_a_part_is_parsed_by_its_wrapper_and_never_split_again(tmp_path, journal):
    parser = Rows()
    inner = rows(row(2))
    report = ingest(tmp_path, journal, parser, rows(row(1), inner))
    assert inner in parser.parsed  # handed to parse whole, not split into #row-2#row-1
    assert (report.total.received, report.total.rejected) == (2, 1)


def test_a_record_of_no_parts_counts_as_nothing(tmp_path, journal):
    report = ingest(tmp_path, journal, Rows(), rows(), rows(), rows(row(1)))
    assert (report.total.received, report.total.accepted, report.total.rejected) == (1, 1, 0)
    assert journal.rejected() == []


def test_parts_that_fail_reject_the_record_and_keep_the_parts_taken_before(tmp_path, journal):
    report = ingest(tmp_path, journal, Rows(fail_after=2), rows(row(1), row(2), row(3)))
    assert (report.total.received, report.total.accepted, report.total.rejected) == (3, 2, 1)
    (rejection,) = journal.rejected()
    assert rejection.origin.endswith("rows.ndjson:1")
    assert rejection.reason == "cannot split into parts: RuntimeError: the rows ran out"
    assert [e.fields["n"] for e in events_of(journal)] == [1, 2]


def test_each_event_of_a_part_journals_that_part_with_distinct_stable_ids(tmp_path, journal):
    parts = [row(1, twice=True), row(2)]
    ingest(tmp_path, journal, Rows(), rows(*parts))
    got = journal.connection.execute("SELECT id, raw FROM events ORDER BY seq").fetchall()
    first, second = (canonical_json(part) for part in parts)
    assert got == [
        (as_read_id("rows", first.encode(), 0), first), (as_read_id("rows", first.encode(), 1), first),
        (as_read_id("rows", second.encode()), second),
    ]
    again = ingest(tmp_path, journal, Rows(), rows(*parts))
    assert (again.total.duplicates, again.total.events) == (2, 0)


def test_each_event_of_a_record_that_is_no_wrapper_journals_the_record_as_read(tmp_path, journal):
    line = orjson.dumps(row(1, twice=True))
    ingest(tmp_path, journal, Rows(), row(1, twice=True))
    got = journal.connection.execute("SELECT id, raw FROM events ORDER BY seq").fetchall()
    key = orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS)  # the id's input: keys sorted (task IDS3)
    assert got == [(as_read_id("rows", key, 0), line.decode()), (as_read_id("rows", key, 1), line.decode())]


def test_parts_is_looked_up_once_per_parser_not_per_record(tmp_path, journal):
    CountedRows.lookups = 0
    report = ingest(tmp_path, journal, CountedRows(), *[rows(row(n), row(n + 1000)) for n in range(300)])
    assert report.total.accepted == 600
    assert CountedRows.lookups == 1


@pytest.mark.parametrize("batch_size", [1, 2, 7])
def test_parts_fill_batches_like_records(tmp_path, journal, batch_size):
    report = ingest(tmp_path, journal, Rows(), rows(*[row(n) for n in range(10)]), row(99), batch_size=batch_size)
    assert (report.total.received, report.total.accepted, report.total.events) == (11, 11, 11)
    assert [e.fields["n"] for e in events_of(journal)] == [*range(10), 99]
