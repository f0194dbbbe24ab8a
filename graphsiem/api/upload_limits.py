"""The decompressed size of a gzip upload, bounded before any of it is ingested.

``POST /v1/files`` bounded the bytes received (``max_upload_bytes``) but not
what a ``.gz`` file decompresses to: 502 KB of gzip were 8.9 MB of syslog lines
and 69 MB of journal, so the 512 MiB upload limit allowed about 70 GB (review
R5, item 5).  An upload that starts as gzip is now decompressed once, counting,
before it is stored or parsed, with the decoder the file reader uses
(:class:`~ingest.readers.streams.GzipMembers`: every member, zero padding
skipped), and stops at the first byte over ``max_upload_decompressed_bytes``:
such an upload is answered 413 naming the limit and nothing of it is journaled
(all or nothing, so the report of a refused upload is ``received = accepted +
rejected = 0``; split the file, or ingest it with ``graphsiem ingest``).  A
damaged gzip is left to the reader, which keeps what comes before the damage
and reports it.  The count costs one decompression (about 1 s per GiB of
output, measured 380 ms for 423 MB), next to minutes of parsing for as much.
"""

from __future__ import annotations

import io
from typing import BinaryIO

from graphsiem.api.errors import PayloadTooLarge
from ingest.readers.streams import GZIP_MAGIC, DamagedFileError, GzipMembers

__all__ = ["check_decompressed_size", "decompressed_over"]

_CHUNK = 1 << 20


class _Borrowed(io.RawIOBase):
    """``stream`` read through without closing it (GzipMembers closes what it reads)."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self._stream = stream

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


def decompressed_over(stream: BinaryIO, limit: int) -> bool:
    """Whether ``stream``, a gzip file, decompresses to more than ``limit`` bytes; False when it is no gzip.

    ``stream`` is read from its start and left at its start.

    Examples
    --------
    >>> import gzip
    >>> decompressed_over(io.BytesIO(gzip.compress(b"x" * 5000)), 4096)
    True
    >>> decompressed_over(io.BytesIO(gzip.compress(b"x" * 4096) * 2), 8192)
    False
    >>> decompressed_over(io.BytesIO(b"plain text" * 1000), 10)
    False
    """
    stream.seek(0)
    try:
        if not stream.read(len(GZIP_MAGIC)).startswith(GZIP_MAGIC):
            return False
        stream.seek(0)
        members = GzipMembers(_Borrowed(stream), "upload")  # type: ignore[arg-type]
        buffer = bytearray(_CHUNK)
        total = 0
        try:
            while total <= limit:
                count = members.readinto(buffer)
                if not count:
                    return False
                total += count
        except DamagedFileError:
            return total > limit  # the reader reports the damage, after what comes before it
        return True
    finally:
        stream.seek(0)


def check_decompressed_size(stream: BinaryIO, limit: int) -> None:
    """Raise 413 naming ``limit`` when the gzip upload ``stream`` decompresses to more; nothing is read otherwise."""
    if decompressed_over(stream, limit):
        raise PayloadTooLarge(
            f"the file decompresses to more than the limit of {limit} bytes "
            f"(max_upload_decompressed_bytes); nothing of it was journaled (received 0, accepted 0, "
            "rejected 0): send it in parts, or ingest it with graphsiem ingest",
            field="file",
            details=[{"field": "file", "reason": "too large once decompressed", "limit": limit}])
