"""Files whose lines end in a bare carriage return (classic Mac OS, some appliance exports).

Every reader frames lines on ``\\n``; a file of ``\\r``-terminated lines was one
record holding all of them.  Such a file is told from its head, once
(:func:`uses_bare_cr`), and read through :class:`CrAsNewline`, which hands its
readers ``\\n`` where the file has ``\\r``.  A file with ``\\n`` or ``\\r\\n``
endings is never wrapped: its read path is unchanged.

Only files: an HTTP body, standard input and syslog messages are never split
on ``\\r`` (review RV1, item 3).  A ``\\r`` in one message's field (a one-message
body, a single-line file) is data an attacker can write: splitting on it
forged a second record (``...user=x\\r<13>... dc01 sshd: Accepted password for
administrator``).  So a file is read as bare-CR only when its head has no
``\\n``, at least two ``\\r``, and its last complete line ends in ``\\r`` (a
whole file shorter than the head ends in ``\\r``).  Residual risk: a file an
attacker writes whole, or a single line with two ``\\r`` in a field that is
also the file's last bytes, is indistinguishable from a bare-CR file.
"""

from __future__ import annotations

import io
from typing import BinaryIO

from ingest.readers.streams import _OverStream

_CR_TO_LF = bytes.maketrans(b"\r", b"\n")


def uses_bare_cr(head: bytes, *, is_whole: bool) -> bool:
    """Whether a file's head says its lines end in ``\\r`` alone.

    True when ``head`` has no ``\\n``, at least two ``\\r``, and its last
    complete line ends in ``\\r``: when ``is_whole`` (the head is the whole
    file) the file ends in ``\\r``; a head cut short ends its last complete
    line at its last ``\\r`` by construction.  One ``\\r`` in a one-line file,
    or ``\\r`` inside a line that does not end in one, is a character of that line.

    >>> uses_bare_cr(b"a\\rb\\r", is_whole=True), uses_bare_cr(b"a\\rb", is_whole=True)
    (True, False)
    >>> uses_bare_cr(b"a\\r", is_whole=True), uses_bare_cr(b"a\\r\\nb\\r\\n", is_whole=True)
    (False, False)
    >>> uses_bare_cr(b"a\\rb\\rc", is_whole=False)
    True
    """
    if b"\n" in head or head.count(b"\r") < 2:
        return False
    return not is_whole or head.endswith(b"\r")


def as_newlines(head: bytes) -> bytes:
    """``head`` as :class:`CrAsNewline` reads it (for the readers' sniff).

    >>> as_newlines(b"a\\rb\\r")
    b'a\\nb\\n'
    """
    return head.translate(_CR_TO_LF)


class CrAsNewline(_OverStream):
    """A binary stream read with every ``\\r`` turned into ``\\n`` (for a file of bare-CR lines).

    Only ever put over a file :func:`uses_bare_cr` chose (never a body or a message), so a ``\\r`` in it is a
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
