"""Opening a file or a stream as UTF-8 bytes, and reading its head for the reader's sniff.

Split from :mod:`ingest.readers.files`, which re-exports these names.  Gzip
is recognised by its magic bytes, UTF-16/UTF-32 text by its byte-order mark
or its first code units (:mod:`ingest.readers.streams`); a stream read once
(standard input) is opened the same way from bytes read ahead
(:func:`open_stream`), its head ending at a pause of a live pipe once it
decides the reader (:func:`is_head_decided`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ingest.readers.streams import (
    GZIP_MAGIC,
    SNIFF_BYTES,
    UTF8_BOM,
    DamagedFileError,
    GzipMembers,
    LiveSource,
    ReadAhead,
    Utf8Transcoder,
    mark_live,
    text_encoding,
)
from ingest.readers.xml_events import _FIRST_TAG

HEAD_BYTES = 64 * 1024

READ_BUFFER_BYTES = 1 << 20
"""Read buffer of an opened file.  Python's 8 KiB default costs a read call per
three 2.8 KB Windows records: a 1 MiB buffer took line framing from 1.8 to 0.4-0.6 us
a line, and from 5.3 to 3.9 us on gzip (decompression included; measured)."""


def open_binary(path: Path) -> io.BufferedReader:
    """Open ``path`` for reading as UTF-8 bytes: gzip decompressed, UTF-16/32 transcoded.

    Gzip is recognised by its magic bytes, UTF-16 and UTF-32 by their
    byte-order mark or, without one, by ASCII text's pattern of NULs in the
    first code units (after decompression; :func:`~ingest.readers.streams.text_encoding`).
    Both are decided once, from the first bytes; a UTF-8 byte-order mark there
    is skipped; a plain file is returned as opened.

    Raises
    ------
    OSError
        The file cannot be opened, or (:class:`DamagedFileError`) its gzip
        framing is damaged before any data.  A damage found later is raised by
        the read after the last good byte, also as :class:`DamagedFileError`.
    """
    # what open(path, "rb", buffering=READ_BUFFER_BYTES) builds, typed as what it is
    return _as_utf8(io.BufferedReader(io.FileIO(path, "rb"), buffer_size=READ_BUFFER_BYTES), str(path))


def _as_utf8(
    stream: io.BufferedReader, name: str, *, is_live: bool = False, live: LiveSource | None = None,
) -> io.BufferedReader:
    """``stream`` gunzipped and transcoded as its first bytes say (:func:`open_binary`); closed on failure.

    ``stream.peek`` must see the first :data:`SNIFF_BYTES` at once: true of a
    file, and of a stream behind a :class:`~ingest.readers.streams.ReadAhead` of that many bytes.
    ``is_live``: a pipe read as it comes, whose gunzipped bytes come as they can be;
    ``live``: that pipe when it pauses (a read that brings nothing before it ends), which
    the decoders pass up as a read of 0 bytes instead of taking it for their input's end.
    """
    try:
        # peek costs no read call of its own: it fills the buffer the first read then uses
        if stream.peek(len(GZIP_MAGIC)).startswith(GZIP_MAGIC):
            stream = io.BufferedReader(
                GzipMembers(stream, name, is_live=is_live, live=live), buffer_size=READ_BUFFER_BYTES)
        head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]
        if head.startswith(UTF8_BOM):
            # once, here, for every reader: a record's bytes (and id) as without the mark
            stream.read(len(UTF8_BOM))
        else:
            text = text_encoding(head)
            if text is not None:
                encoding, mark = text
                stream.read(mark)
                stream = io.BufferedReader(
                    Utf8Transcoder(stream, encoding, live=live), buffer_size=READ_BUFFER_BYTES)
    except BaseException:
        stream.close()
        raise
    return stream


def read_head(path: Path) -> bytes:
    """The first :data:`HEAD_BYTES` of the (decompressed, UTF-8) file, for sniffing.

    A file damaged after its first bytes gives the bytes before the damage
    (reading it in full reports the damage); one damaged from the start raises
    :class:`DamagedFileError`, an ``OSError`` like any file that cannot be read.
    """
    with open_binary(path) as handle:
        return _read_ahead(handle, HEAD_BYTES)


_RECORD_LINE_ALONE = re.compile(rb"Record \d{0,20}[ \t\r]{0,8}(?:\n[ \t\r\n]*)?")
"""An evtx_dump ``Record N`` line and the blanks after it, before the ``{`` that makes it JSON."""


def is_head_decided(head: bytes) -> bool:
    """Whether a head of whole lines chooses the reader that more bytes would choose.

    A live pipe's head (:func:`open_stream`) ends at a pause only then.  Each
    default reader's ``sniff`` settles on a head's start, except in these
    cases, where more bytes may change the choice and the head waits for them:
    no whole line yet; XML whose first element's name has not come (a
    declaration, a comment or a doctype alone: ``<Events>`` or ``<Event``
    would make it Windows event XML); an evtx_dump ``Record N`` line before
    its ``{``.  A first line that is a JSON object (NDJSON), ``{`` or ``[``
    (a JSON document), ``#separator`` (Zeek TSV) or anything else decides,
    the last for plain text: a later NUL or control byte would have refused
    it as binary, which a live log line by line (``tail -F auth.log |``) is
    not worth waiting 64 KiB for.

    >>> is_head_decided(b'{"a": 1}\\n'), is_head_decided(b'<?xml version="1.0"?>\\n')
    (True, False)
    >>> is_head_decided(b'<?xml version="1.0"?>\\n<Events>\\n'), is_head_decided(b"Record 1\\n")
    (True, False)
    >>> is_head_decided(b"<13>Oct 11 22:14:15 host sshd[4]: x\\n")
    True
    """
    text = head.lstrip(b" \t\r\n\xef\xbb\xbf")
    if b"\n" not in text:
        return False
    found = _FIRST_TAG.search(text) if text.startswith(b"<") else None
    if found is None:
        # markup alone (a declaration, a comment) may be followed by an <Event>; a syslog <13> may not
        if text.startswith((b"<?", b"<!")):
            return False
    elif found.end() == len(text):  # an element's name, maybe cut: <Eve(nt)
        return False
    return _RECORD_LINE_ALONE.fullmatch(text) is None


def _has_whole_line(head: bytes) -> bool:
    return b"\n" in head.lstrip()


def _read_ahead(
    stream: BinaryIO | io.BufferedIOBase, size: int, live: LiveSource | None = None,
    is_enough: Callable[[bytes], bool] = _has_whole_line,
) -> bytes:
    """Up to ``size`` first bytes of ``stream`` (fewer only at its end or before a damage).

    Given ``live``, the source at the bottom of ``stream`` pausing, fewer also
    at a pause once ``is_enough`` of them (a whole line): a trickle is read as it comes.
    """
    head = bytearray()
    # read1 (one read below) keeps what came before a damage, and takes a pipe's
    # bytes as they come; read() would drop the first and wait on the second
    read1 = getattr(stream, "read1", stream.read)
    while len(head) < size:
        try:
            chunk = read1(size - len(head))
        except DamagedFileError:
            if head:
                break
            raise
        if not chunk:
            # a pause before enough is waited out (a sniff needs a whole line), a wake is not
            if live is None or live.ended or live.is_woken or is_enough(bytes(head)):
                break
            continue
        head += chunk
    return bytes(head)


@dataclass(slots=True)
class OpenedStream:
    """A stream opened as :func:`open_binary` opens a file, with its head for sniffing."""

    stream: BinaryIO
    """UTF-8 bytes from the first (gunzipped, transcoded, without a UTF-8 mark)."""
    head: bytes
    """The first :data:`HEAD_BYTES` of ``stream``, for :func:`choose_reader`."""
    source: ReadAhead
    """The bottom of the stack: ``source.consumed`` is the bytes taken from the stream."""


def open_stream(source: BinaryIO, name: str) -> OpenedStream:
    """Open a stream that is read once (standard input) as :func:`open_binary` opens a file.

    Gzip magic, byte-order marks and UTF-16/32 without one are told from
    bytes read ahead of the stream, and the reader's 64 KiB head is read ahead
    of the decoded bytes; both are replayed (:class:`ReadAhead`), so the
    stream is read once, in order, and never closed here (``sys.stdin``).
    A :class:`~ingest.readers.streams.LiveSource` with a ``pause`` (a pipe
    that may trickle) ends the head at a pause once it decides the reader
    (:func:`is_head_decided`), plain, gzip or UTF-16/32 alike: ``tail -F
    eve.json |`` is read from its first lines, not once 64 KiB have come.

    Parameters
    ----------
    source : binary stream
        ``sys.stdin.buffer`` or any binary stream; not closed.
    name : str
        Its name, for error messages.

    Raises
    ------
    OSError
        As :func:`open_binary` and :func:`read_head` (a gzip stream damaged from the start).

    Examples
    --------
    >>> import gzip, io
    >>> opened = open_stream(io.BytesIO(gzip.compress(b'{"a": 1}\\n')), "<stdin>")
    >>> opened.head, opened.stream.read()
    (b'{"a": 1}\\n', b'{"a": 1}\\n')
    """
    live = source if isinstance(source, LiveSource) and source.pause is not None else None
    try:
        if live is not None:
            live.is_pausing = True
        bottom = ReadAhead(source, _read_ahead(source, SNIFF_BYTES, live), owns_inner=False)
        if live is not None:
            # _as_utf8's peeks must see the first bytes whole to tell gzip and UTF-16:
            # they wait pauses out (a stop still ends the wait, by pace); the head read
            # below pauses again, through the decoders (they pass a pause up as 0 bytes)
            live.is_pausing = False
        decoded = _as_utf8(
            io.BufferedReader(bottom, buffer_size=READ_BUFFER_BYTES), name, is_live=isinstance(source, LiveSource),
            live=live)
        try:
            if live is not None:
                live.is_pausing = True
            head = _read_ahead(decoded, HEAD_BYTES, live, is_head_decided)
        except BaseException:
            decoded.close()
            raise
    finally:
        if live is not None:
            live.is_pausing = False
    stream: BinaryIO = io.BufferedReader(ReadAhead(decoded, head), buffer_size=READ_BUFFER_BYTES)
    if isinstance(source, LiveSource):
        stream = mark_live(stream)  # its readers take chunks as they come (chunk_reader)
    return OpenedStream(stream, head, bottom)
