"""The benchmarks' tiled copies are new events, not duplicates, in every Windows export that numbers its records.

A Windows event with a record number has a content id over its log slot and
mapped data (``ingest/parsers/windows_record_ids.py``): a ``_bench_copy`` key
alone does not make a copy a new event, so the ingest benchmark measured
duplicate detection for most of its Windows records.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from benchmarks.tiled_copies import numbered_copy
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

FIXTURES = Path(__file__).resolve().parents[1] / "ingest" / "parsers" / "fixtures" / "windows"
COPIES = 3


def _ingest(lines: list[bytes], tmp_path: Path) -> dict:
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "tiled.ndjson"
    source.write_bytes(b"\n".join(lines) + b"\n")
    with Journal(tmp_path / "journal.sqlite") as journal:
        return ingest_paths([source], store=None, journal=journal, progress=False).to_dict()


@pytest.mark.parametrize("shape", ["winlogbeat6", "winlogbeat7", "nxlog", "evtx_dump"])
def test_each_copy_of_a_numbered_windows_record_is_a_new_event(shape: str, tmp_path: Path) -> None:
    records = [orjson.loads(line) for line in (FIXTURES / f"table_{shape}.ndjson").read_bytes().splitlines()
               if line.strip()]
    once = _ingest([orjson.dumps(record) for record in records], tmp_path / "once")
    assert once["rejected"] == 0 and once["events"] > 0

    tiled = _ingest([orjson.dumps(numbered_copy(record, copy)) for copy in range(COPIES) for record in records],
                    tmp_path / "tiled")

    assert tiled["received"] == COPIES * len(records) and tiled["rejected"] == 0
    assert tiled["duplicates"] == 0
    assert tiled["events"] == COPIES * once["events"]


def test_a_copy_key_alone_left_windows_copies_duplicates(tmp_path: Path) -> None:
    """Why the record number moves: the copy key alone does not reach the content id."""
    records = [orjson.loads(line) for line in (FIXTURES / "table_winlogbeat7.ndjson").read_bytes().splitlines()
               if line.strip()]

    tiled = _ingest([orjson.dumps({**record, "_bench_copy": copy}) for copy in range(COPIES) for record in records],
                    tmp_path)

    assert tiled["duplicates"] == (COPIES - 1) * len(records)


def test_copy_zero_is_the_record_and_the_source_is_not_changed() -> None:
    record = {"winlog": {"record_id": 17, "channel": "Security"}, "RecordNumber": "9"}

    first, second = numbered_copy(record, 0), numbered_copy(record, 1)

    assert first == {**record, "_bench_copy": 0}
    assert second["winlog"] == {"record_id": 100_000_017, "channel": "Security"}
    assert second["RecordNumber"] == "100000009"
    assert record == {"winlog": {"record_id": 17, "channel": "Security"}, "RecordNumber": "9"}
