"""The session's parser cache by key layout (ingest.pipeline_session.Session.take, ingest.pipeline_parts).

A record whose keys come in an order seen before re-checks only its layout's parser; Winlogbeat
writes its keys in random order, so the cache also answers by key set: the same parser as
detection, without running detection again.  The real pipeline, journal and registry are used;
only ``ParserRegistry.detect`` is counted.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.journal import Journal
from ingest.parsers.base import ParserRegistry
from ingest.pipeline import ingest_paths
from ingest.registry import default_registry

FIXTURES = Path(__file__).parent / "fixtures" / "windows_exports"


class CountingRegistry(ParserRegistry):
    """The default registry, counting detections and the parser each one chose."""

    def __init__(self) -> None:
        super().__init__()
        for parser in default_registry():
            self.register(parser)
        self.detected: list[str] = []

    def detect(self, record: Any) -> Any:
        parser = super().detect(record)
        self.detected.append(parser.name)
        return parser


def shuffled(record: dict[str, Any], generator: random.Random) -> dict[str, Any]:
    keys = list(record)
    generator.shuffle(keys)
    return {key: record[key] for key in keys}


def winlogbeat_records() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (FIXTURES / "winlogbeat7.ndjson").read_bytes().splitlines() if line.strip()]


def ingest(tmp_path: Path, journal: Journal, registry: ParserRegistry, records: list[dict[str, Any]]) -> Any:
    path = tmp_path / "records.ndjson"
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    return ingest_paths([path], store=None, journal=journal, registry=registry, progress=False)


def sources(journal: Journal) -> list[str]:
    return [item.event.source for item in journal.iter_events()]


def test_records_in_random_key_order_are_detected_once_per_key_set(tmp_path, journal):
    generator = random.Random(7)
    records = [shuffled(record, generator) for record in winlogbeat_records() * 20]
    assert len({tuple(record) for record in records}) >= 10  # orders of their own, as Winlogbeat writes them
    registry = CountingRegistry()
    report = ingest(tmp_path, journal, registry, records)
    key_sets = {frozenset(record) for record in records}
    assert len(registry.detected) == len(key_sets)
    assert (report.total.received, report.total.rejected) == (len(records), 0)
    assert set(sources(journal)) == {"winlogbeat"}


@pytest.mark.parametrize("extra", [{"_path": "conn", "uid": "C1"}, {"_index": "logs", "_source": {}}, {"event_type": "alert"}])
def test_a_forged_record_mixing_layouts_is_detected_again(tmp_path, journal, extra):
    """Another format's keys beside Winlogbeat's are another key set: detection runs, the cache does not answer."""
    generator = random.Random(11)
    plain = winlogbeat_records()[0]
    forged = shuffled({**plain, **extra}, generator)
    registry = CountingRegistry()
    ingest(tmp_path, journal, registry, [plain, shuffled(plain, generator), forged, shuffled(plain, generator)])
    assert registry.detected == ["winlogbeat", default_registry().detect(forged).name]


def test_every_record_gets_the_parser_detection_gives(tmp_path, journal):
    """Shuffled Winlogbeat 6 and 7 and NXLog exports, mixed: each record is counted under detection's parser."""
    generator = random.Random(13)
    records = []
    for name in ("winlogbeat6.ndjson", "winlogbeat7.ndjson", "nxlog.ndjson"):
        records += [orjson.loads(line) for line in (FIXTURES / name).read_bytes().splitlines() if line.strip()]
    records = [shuffled(record, generator) for record in records * 3]
    generator.shuffle(records)
    registry = default_registry()
    expected = Counter(registry.detect(record).name for record in records)
    assert len(expected) > 1
    report = ingest(tmp_path, journal, CountingRegistry(), records)
    assert report.total.rejected == 0
    assert {name: counts.received for name, counts in report.formats.items() if counts.received} == expected
