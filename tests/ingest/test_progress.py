"""The ingest progress bar: bytes of input on disk, so it shows how far and how long."""

from __future__ import annotations

import gzip
import io

from ingest.pipeline import ingest_paths
from ingest.progress import IngestProgress, input_bytes
from ingest.readers.files import open_binary


def test_input_bytes_is_the_size_on_disk_and_ignores_missing_files(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 10)
    (tmp_path / "b").write_bytes(b"y" * 5)
    assert input_bytes([tmp_path / "a", tmp_path / "b", tmp_path / "absent"]) == 15


def test_position_follows_the_file_offset_then_counts_the_whole_file(tmp_path):
    plain = tmp_path / "plain.ndjson"
    plain.write_bytes(b'{"a": 1}\n' * 400_000)  # 3.6 MB: more than the 1 MiB read buffer
    packed = tmp_path / "packed.ndjson.gz"
    packed.write_bytes(gzip.compress(b'{"b": 2}\n' * 400_000, compresslevel=1))
    sizes = [plain.stat().st_size, packed.stat().st_size]
    progress = IngestProgress([plain, packed], file=io.StringIO())
    assert progress.bar.total == sum(sizes)
    with open_binary(plain) as stream:
        progress.file_started(plain)
        progress.file_opened(stream.fileno())
        stream.readline()
        # the OS offset: one read-ahead buffer in, not the whole file, not nothing
        assert 0 < progress.position < sizes[0]
    progress.file_finished()
    assert progress.position == sizes[0]
    with open_binary(packed) as stream:
        progress.file_started(packed)
        progress.file_opened(stream.fileno())
        stream.read(2_000_000)  # decompressed bytes; the offset is in the compressed file
        assert sizes[0] < progress.position <= sum(sizes)
        progress.batch(5000)
    progress.file_finished()
    assert progress.position == progress.bar.n == sum(sizes) and progress.records == 5000
    progress.close()


def test_the_bar_reaches_the_end_with_the_records_counted(fixtures, journal, capsys, tmp_path):
    skipped = tmp_path / "notes.md"
    skipped.write_text("not telemetry\n")
    ingest_paths([fixtures / "ecs_events.ndjson", skipped], store=None, journal=journal, progress=True)
    err = capsys.readouterr().err
    assert "100%" in err and "4 records" in err and "ingest" in err  # skipped files count as done
