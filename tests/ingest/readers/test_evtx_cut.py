"""A cut-off EVTX file is read as far as its complete records go; only the cut tail is rejected (review U2 #3).

The first 20,000 bytes of the corpus's 1102 log (a 4 KiB header and 15,904 bytes of its first 64 KiB chunk)
were rejected whole, 0 accepted, with "records in the missing part are lost", as if the rest had been
read: the ``evtx`` library reads no record of a chunk that is not whole.  Records 1-18 lie wholly before
the cut (record 19 runs from byte 15,600 to 16,264 of the chunk).  Truncated copies are made in
``tmp_path`` from the sample, read in place from ``$GRAPHSIEM_SAMPLES``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.readers.base import RawRecord, ReadError
from ingest.readers.evtx import EvtxReader
from ingest.readers.evtx_cut import CHUNK_SIZE, HEADER_SIZE


@pytest.fixture(scope="module")
def log_1102(samples_dir: Path) -> bytes:
    return (samples_dir / "evtx-attack-samples" / "Defense Evasion" / "DE_1102_security_log_cleared.evtx").read_bytes()


def _read(path: Path) -> list[RawRecord | ReadError]:
    with path.open("rb") as stream:
        return list(EvtxReader().read(stream, str(path)))


def _records(items: list[RawRecord | ReadError]) -> dict[int, dict]:
    """Records by their number in the file (the reader's origin ``path#<n>``, the record header's id)."""
    return {int(item.origin.rsplit("#", 1)[1]): item.record for item in items if isinstance(item, RawRecord)}


def _cut(log: bytes, size: int, tmp_path: Path) -> Path:
    path = tmp_path / f"cut-{size}.evtx"
    path.write_bytes(log[:size])
    return path


def test_the_complete_records_before_a_cut_inside_a_chunk_are_ingested(log_1102: bytes, tmp_path: Path) -> None:
    path = _cut(log_1102, 20_000, tmp_path)
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)
        rows = journal.connection.execute("SELECT origin, reason FROM rejected").fetchall()
    assert (report.total.received, report.total.accepted, report.total.rejected) == (19, 18, 1)
    ((origin, reason),) = rows
    assert origin == f"{path}#after-18"
    assert "truncated" in reason and "records in the missing part are lost" in reason
    assert "the complete records before the cut were read (the last is record 18)" in reason


def test_records_read_before_the_cut_are_the_whole_files_records(log_1102: bytes, tmp_path: Path) -> None:
    """Never a record cut in two, read with zeros for its missing bytes."""
    whole = _records(_read(_cut(log_1102, len(log_1102), tmp_path)))
    items = _read(_cut(log_1102, 20_000, tmp_path))
    read = _records(items)
    assert sorted(read) == list(range(1, 19))
    assert read == {number: whole[number] for number in read}
    assert isinstance(items[-1], ReadError) and "truncated" in items[-1].reason


def test_a_cut_inside_a_record_s_last_bytes_leaves_that_record_out(log_1102: bytes, tmp_path: Path) -> None:
    """Record 18 ends at byte 15,600 of the chunk: cut 1 byte short of it, record 17 is the last read."""
    items = _read(_cut(log_1102, HEADER_SIZE + 15_599, tmp_path))
    assert sorted(_records(items)) == list(range(1, 18))
    assert items[-1].origin.endswith("#after-17")  # type: ignore[union-attr]


def test_a_cut_inside_a_chunks_head_reads_no_record_and_says_so(log_1102: bytes, tmp_path: Path) -> None:
    items = _read(_cut(log_1102, HEADER_SIZE + 300, tmp_path))
    (error,) = items
    assert isinstance(error, ReadError) and error.origin.endswith("#0")
    assert "no record before the cut is complete" in error.reason


def test_a_cut_on_a_chunks_boundary_reads_the_whole_chunks(log_1102: bytes, tmp_path: Path) -> None:
    whole = _records(_read(_cut(log_1102, len(log_1102), tmp_path)))
    items = _read(_cut(log_1102, HEADER_SIZE + CHUNK_SIZE, tmp_path))
    read = _records(items)
    last = max(read)
    assert sorted(read) == list(range(1, last + 1)) and 18 < last < len(whole)
    assert read == {number: whole[number] for number in read}
    assert items[-1].origin.endswith(f"#after-{last}")  # type: ignore[union-attr]
