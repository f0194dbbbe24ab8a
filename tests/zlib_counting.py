"""The real zlib, counting the compressed bytes its decompressors are given.

Shared by the stream layer's tests and the API's: both decode gzip through
:class:`ingest.readers.streams.GzipMembers`, and a test swaps this in for the
``zlib`` that module uses (``monkeypatch.setattr(streams, "zlib", counting)``).
"""

from __future__ import annotations

import zlib
from typing import Any


class CountingZlib:
    """``zlib`` whose decompressors count what they are fed, failing past ``budget`` bytes.

    The count is the work measure: it is linear in the input when each byte is
    fed about once, and it fails the test as soon as it is not (re-feeding the
    rest of a body for each member made it quadratic), without waiting for the
    old pace.

    Parameters
    ----------
    budget : int
        The most compressed bytes all decompressors together may be given.
    """

    error = zlib.error

    def __init__(self, budget: int) -> None:
        self.fed = 0
        self.budget = budget

    def decompressobj(self, wbits: int) -> CountedInflater:
        """A real decompressor whose input is counted."""
        return CountedInflater(self, zlib.decompressobj(wbits=wbits))


class CountedInflater:
    """A ``zlib`` decompressor that adds what it is given to its counter's total."""

    def __init__(self, counter: CountingZlib, inner: Any) -> None:
        self.counter = counter
        self.inner = inner

    def decompress(self, data: Any, max_length: int = 0) -> bytes:
        """The real ``decompress``, after counting ``data`` against the budget."""
        self.counter.fed += len(data)
        assert self.counter.fed <= self.counter.budget, (
            f"{self.counter.fed} bytes fed for a {self.counter.budget}-byte budget")
        return self.inner.decompress(data, max_length)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
