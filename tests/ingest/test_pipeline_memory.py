"""The ingest streams: the memory it holds does not grow with the size of the input.

A 2 GB file must never sit in memory.  These tests ingest the same records
as a file of ``N`` and of ``4 N`` records, in each framing that reads a file
incrementally (NDJSON, gzip-compressed NDJSON, one pretty-printed JSON array),
and compare Python's traced allocations (``tracemalloc``: every object the
pipeline, the readers and the journal's id index make; SQLite's own page
cache is bounded by its ``cache_size``): the working set at the peak (a
batch, the read buffers, the JSON reader's window) and what the ingest keeps.
Only the journal's id index may grow with the input: a dict of the recent
ids (~120 bytes an event), sealed into 16-byte numpy rows every 65,536.
The figures for multi-gigabyte files, in resident memory, come from
``benchmarks/bench_ingest_memory.py``.
"""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import orjson
import pytest

from ingest.journal import Journal
from ingest.pipeline import ingest_paths

BATCH = 200
PAD = "x" * 3000
"""Padding that makes each record as large as a Windows event (~3 KB)."""


def records(fixtures: Path, count: int) -> list[bytes]:
    """``count`` distinct ECS records: the fixture's, each copy numbered and padded."""
    seeds = [orjson.loads(line) for line in (fixtures / "ecs_events.ndjson").read_bytes().splitlines()]
    return [
        orjson.dumps({**seeds[n % len(seeds)], "labels": {"copy": n, "pad": PAD}})
        for n in range(count)
    ]


def write(path: Path, lines: list[bytes], framing: str) -> Path:
    if framing == "ndjson":
        path.write_bytes(b"\n".join(lines) + b"\n")
    elif framing == "ndjson.gz":
        with gzip.open(path, "wb", compresslevel=1) as handle:
            handle.write(b"\n".join(lines) + b"\n")
    else:  # a JSON array, pretty-printed: the streaming JSON reader's framing
        path.write_bytes(b"[\n  " + b",\n  ".join(lines) + b"\n]\n")
    return path


def traced_ingest(path: Path, journal_path: Path, batch_size: int = BATCH) -> tuple[int, int, int]:
    """(events journaled, bytes still held after, peak bytes) of one ingest into a fresh journal."""
    with Journal(journal_path) as journal:
        tracemalloc.start()
        try:
            report = ingest_paths([path], store=None, journal=journal, batch_size=batch_size, progress=False)
            held, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return report.total.events, held, peak


@pytest.mark.parametrize("framing", ["ndjson", "ndjson.gz", "json-array"])
def test_memory_held_does_not_grow_with_the_input(fixtures, tmp_path, framing):
    small, large = 1_500, 6_000
    lines = records(fixtures, large)
    traced = {}
    for count in (small, large):
        source = write(tmp_path / f"{count}.{framing}", lines[:count], framing)
        events, held, peak = traced_ingest(source, tmp_path / f"{count}.sqlite")
        assert events == count  # every record journaled, none lost to the bound
        traced[count] = (held, peak - held)
    # what an ingest holds at its peak beyond what it keeps: a batch and the buffers,
    # the same for four times the input
    assert traced[large][1] < 1.3 * traced[small][1], traced
    # what it keeps: the journal's id index of recent ids, ~120 bytes an event
    # (sealed into 16-byte numpy rows every 65,536), not the ~3.3 KB records
    assert traced[large][0] < 200 * large, traced


def test_a_batch_is_what_the_pipeline_holds(fixtures, tmp_path):
    # the bound is the batch: ten times the batch size holds several times more
    source = write(tmp_path / "in.ndjson", records(fixtures, 4_000), "ndjson")
    working = []
    for batch in (BATCH, 10 * BATCH):
        _, held, peak = traced_ingest(source, tmp_path / f"{batch}.sqlite", batch)
        working.append(peak - held)
    assert working[1] > 3 * working[0], working
