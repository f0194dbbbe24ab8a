"""Files and bodies whose lines end in a bare carriage return (classic Mac OS, some appliances).

Every reader frames lines on ``\\n``; a file of ``\\r``-terminated lines was one
record holding all of them.  Such a file is told from its head, once
(:func:`uses_bare_cr`: no ``\\n`` there, a ``\\r`` there), and read through
:class:`CrAsNewline`, which hands its readers ``\\n`` where the file has
``\\r``.  A file with ``\\n`` or ``\\r\\n`` endings is never wrapped: its
read path is unchanged (the decision is one ``in`` test a file).
"""

from __future__ import annotations

import io
from typing import BinaryIO

from ingest.readers.streams import _OverStream

_CR_TO_LF = bytes.maketrans(b"\r", b"\n")


def uses_bare_cr(head: bytes) -> bool:
    """Whether a file's head says its lines end in ``\\r`` alone: a ``\\r`` and no ``\\n`` in it.

    >>> uses_bare_cr(b"a\\rb\\r"), uses_bare_cr(b"a\\r\\nb\\r\\n"), uses_bare_cr(b"a\\nb"), uses_bare_cr(b"ab")
    (True, False, False, False)
    """
    return b"\n" not in head and b"\r" in head


def as_newlines(head: bytes) -> bytes:
    """``head`` as :class:`CrAsNewline` reads it (for the readers' sniff).

    >>> as_newlines(b"a\\rb\\r")
    b'a\\nb\\n'
    """
    return head.translate(_CR_TO_LF)


class CrAsNewline(_OverStream):
    """A binary stream read with every ``\\r`` turned into ``\\n`` (for a file of bare-CR lines).

    Only ever put over a file :func:`uses_bare_cr` chose, so a ``\\r`` in it is a
    line end: its lines keep their bytes, their numbers count its ``\\r``.
    Closing it closes ``inner``.
    """

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        read1 = getattr(self._inner, "read1", self._inner.read)
        chunk = read1(len(view))
        size = len(chunk)
        view[:size] = chunk.translate(_CR_TO_LF)
        return size


def open_cr_as_newline(stream: BinaryIO, buffer_size: int) -> io.BufferedReader:
    """``stream`` behind :class:`CrAsNewline`, buffered as the file readers expect."""
    return io.BufferedReader(CrAsNewline(stream), buffer_size=buffer_size)
