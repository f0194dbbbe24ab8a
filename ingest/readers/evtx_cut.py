"""The readable part of a cut-off EVTX file: the complete records of its last, partial chunk.

An EVTX file is a 4 KiB header and 64 KiB chunks; each chunk is a 512-byte
head (its header, string and template tables) and event records, each
``2a 2a 00 00``, its size (u32), its record id (u64), its time, its binary
XML and its size again.  A copy cut off inside a chunk (the first 20,000
bytes of a log: a download stopped, a collector's size limit) leaves that
chunk partial, and the ``evtx`` library reads no record of a chunk that is
not whole: the first 20,000 bytes of the corpus's 1102 log gave 0 records
where 19 lie wholly before the cut.

:func:`readable_copy` gives the library a copy whose partial chunk keeps its
complete records and has zeros from the first incomplete one on (the
library's end of a chunk's records, as in a chunk's free space), so they are
read and only the cut tail is lost.  A record is complete when its size
fits before the cut and the size written at its end agrees: a record cut in
two is never read half.  The library checks neither chunk checksum (the
zeros change the data's), as it reads a log closed uncleanly.
"""

from __future__ import annotations

import tempfile
from typing import BinaryIO

HEADER_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_HEAD = 512
"""A chunk's header (128 bytes), string offsets (64 x 4) and template offsets (32 x 4): records start after."""
CHUNK_MAGIC = b"ElfChnk\x00"
RECORD_MAGIC = b"\x2a\x2a\x00\x00"
_RECORD_MIN = 28
"""The smallest record: magic, size, id, time and the size again, no data."""
_SPOOL_LIMIT = 16 * 1024 * 1024


def complete_records(chunk: bytes) -> tuple[int, int | None]:
    """Where a partial chunk's complete records end, and the last one's record id.

    Parameters
    ----------
    chunk : bytes
        The chunk's bytes as far as the file holds them (less than :data:`CHUNK_SIZE`).

    Returns
    -------
    end : int
        Offset in the chunk after its last complete record (0 when the chunk's head is cut or no chunk).
    last_id : int or None
        The record id of that record; ``None`` when there is none.

    Examples
    --------
    >>> record = RECORD_MAGIC + (40).to_bytes(4, "little") + (7).to_bytes(8, "little") + bytes(20) + (40).to_bytes(4, "little")
    >>> head = CHUNK_MAGIC + bytes(CHUNK_HEAD - 8)
    >>> complete_records(head + record + record[:30])
    (552, 7)
    >>> complete_records(head[:300])
    (0, None)
    """
    if len(chunk) < CHUNK_HEAD or not chunk.startswith(CHUNK_MAGIC):
        return 0, None
    offset, last_id = CHUNK_HEAD, None
    while chunk[offset:offset + 4] == RECORD_MAGIC:
        size = int.from_bytes(chunk[offset + 4:offset + 8], "little")
        end = offset + size
        if size < _RECORD_MIN or end > len(chunk) or int.from_bytes(chunk[end - 4:end], "little") != size:
            break
        last_id = int.from_bytes(chunk[offset + 8:offset + 16], "little")
        offset = end
    return (offset, last_id) if last_id is not None else (0, None)


def readable_copy(stream: BinaryIO, size: int) -> tuple[BinaryIO, int | None]:
    """A copy of a cut-off EVTX file whose partial last chunk keeps only its complete records.

    Parameters
    ----------
    stream : binary file
        The EVTX file, seekable, at its start.
    size : int
        Its size in bytes.

    Returns
    -------
    copy : binary file
        ``stream`` itself when it ends on a chunk's boundary (the library reads every whole chunk),
        else a temporary copy (memory up to 16 MiB, then disk) at its start.
    last_id : int or None
        The record id of the partial chunk's last complete record; ``None`` when it has none
        (or the file ends on a boundary).
    """
    start = stream.tell()
    whole = max(0, (size - start - HEADER_SIZE) // CHUNK_SIZE)
    partial_at = start + HEADER_SIZE + whole * CHUNK_SIZE
    if size <= partial_at:
        return stream, None
    stream.seek(partial_at)
    end, last_id = complete_records(stream.read(size - partial_at))
    if last_id is None:
        stream.seek(start)
        return stream, None
    copy = tempfile.SpooledTemporaryFile(max_size=_SPOOL_LIMIT)  # noqa: SIM115 - returned
    stream.seek(start)
    left = partial_at - start + end
    while left > 0:
        block = stream.read(min(1 << 20, left))
        if not block:
            break
        copy.write(block)
        left -= len(block)
    copy.write(bytes(CHUNK_SIZE - end))
    copy.seek(0)
    stream.seek(start)
    return copy, last_id  # type: ignore[return-value]
