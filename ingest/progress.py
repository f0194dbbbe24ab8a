"""The progress bar of a long ingest on a terminal: bytes of input, so it has an end.

A count of records alone cannot say how far an ingest is or when it will end.
The input's size on disk is known before reading, so the bar counts bytes:
the files already read, plus how far the operating system has read into the
current one (its file offset, which for gzip is in the compressed file).  It
shows the percentage, the rate and the time left, with the records so far
beside them.  It is updated once per batch, never per record.

Standard input (``graphsiem ingest -``) has no size: with it among the
sources the bar has no total, and shows the bytes taken from the stream (as
for a file, compressed bytes for gzip), the rate and the records, without a
percentage or a time left.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from ingest.readers.files import StreamInput


def input_bytes(paths: Iterable[Path | StreamInput]) -> int | None:
    """The size on disk of ``paths`` (files that cannot be read count 0); None with a stream among them."""
    total = 0
    for path in paths:
        if isinstance(path, StreamInput):
            return None
        try:
            total += path.stat().st_size
        except OSError:
            pass
    return total


class IngestProgress:
    """A tqdm bar over the bytes of ``paths``, written to ``file`` (standard error).

    Parameters
    ----------
    paths : list of Path or StreamInput
        Every file the ingest will read, in order; with a stream (standard
        input) among them, the bar counts bytes without a total.
    file : text stream, optional
        Where the bar is drawn (default: standard error).
    """

    def __init__(self, paths: list[Path | StreamInput], file: IO[str] | None = None) -> None:
        from tqdm import tqdm

        self.bar: Any = tqdm(
            total=input_bytes(paths), desc="ingest", unit="B", unit_scale=True, unit_divisor=1024,
            file=file or sys.stderr, leave=False,
        )
        self.records = 0
        self._done = 0  # bytes of the files finished
        self._fd: int | None = None
        self._size = 0
        self._consumed: Callable[[], int] | None = None  # bytes taken from the current stream

    def file_started(self, path: Path) -> None:
        """The ingest turned to ``path`` (to read it or skip it)."""
        try:
            self._size = path.stat().st_size
        except OSError:
            self._size = 0
        self._fd = None

    def file_opened(self, fd: int | None) -> None:
        """The current file is open; ``fd`` is its descriptor on disk (None when it has none)."""
        self._fd = fd

    def stream_started(self, consumed: Callable[[], int]) -> None:
        """The ingest turned to a stream of unknown size; ``consumed()`` tells the bytes taken so far."""
        self._fd, self._size, self._consumed = None, 0, consumed

    def file_finished(self) -> None:
        """The current file or stream (read, skipped or failed) is done: all its bytes count."""
        self._done += self._size if self._consumed is None else self._consumed()
        self._fd, self._size, self._consumed = None, 0, None
        self._show()

    def batch(self, records: int) -> None:
        """A batch of ``records`` records was committed."""
        self.records += records
        self._show()

    @property
    def position(self) -> int:
        """Bytes read so far: the finished files and the current file's offset on disk (or stream's count)."""
        offset = 0
        if self._consumed is not None:
            offset = self._consumed()
        elif self._fd is not None:
            try:
                offset = min(os.lseek(self._fd, 0, os.SEEK_CUR), self._size)
            except OSError:
                offset = 0
        return self._done + offset

    def close(self) -> None:
        """Draw the final state once, then remove the bar."""
        self._show()
        self.bar.refresh()
        self.bar.close()

    def _show(self) -> None:
        self.bar.set_postfix_str(f"{self.records:,} records", refresh=False)
        self.bar.update(self.position - self.bar.n)
