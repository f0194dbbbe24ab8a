"""Input files: directory walking, skipping non-telemetry, gzip, reader choice.

A path may be a file or a directory (walked recursively, sorted, hidden
entries ignored, symbolic links to directories followed, each real directory
and each real file once per call).  Files that are not telemetry (licences, checksums, READMEs,
YAML metadata) are *skipped* with a reason, which the ingest report lists; they
are not rejections.  So are files that are not regular files (FIFOs, sockets,
devices), which are never opened: a FIFO without a writer would block the
ingest for ever.  Gzip is recognised by its magic bytes, whatever the name,
and UTF-16/UTF-32 text by its byte-order mark or, without one, by its first
code units; readers see UTF-8 bytes, without a UTF-8 byte-order mark
(:mod:`ingest.readers.streams`).

Standard input is a source too: the path ``-`` (the string; a file named
``-`` is ``./-``) stands for it (:class:`StreamInput`).  It is read once, as
it comes: it has no size, cannot be reopened or looked up by device and
inode, so gzip, UTF-16/32 and the reader are told from bytes read ahead and
then handed on before the rest (:func:`open_stream`).
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ingest.readers.base import Reader
from ingest.readers.csv_rows import CsvRowsReader
from ingest.readers.evtx import EvtxReader
from ingest.readers.json_stream import JsonStreamReader
from ingest.readers.ndjson import NdjsonReader
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
from ingest.readers.text_lines import TextLinesReader
from ingest.readers.windows_kv_text import WindowsKvTextReader
from ingest.readers.xml_events import _FIRST_TAG, XmlEventsReader
from ingest.readers.zeek_tsv import ZeekTsvReader

HEAD_BYTES = 64 * 1024

_SKIP_NAMES = {
    "license", "licence", "copying", "notice", "sha256sums", "md5sums", "sha1sums",
    "ground_truth.json",  # written next to the telemetry by `graphsiem simulate`
}
_SKIP_PREFIXES = ("readme", "license", "licence", "changelog")
_SKIP_SUFFIXES = (
    ".md", ".rst", ".yml", ".yaml", ".sha256", ".md5", ".sig", ".asc", ".py", ".html", ".pdf",
    ".png", ".jpg", ".zip", ".7z", ".tar",
)


def default_readers() -> list[Reader]:
    """The file readers in sniff order: binary and header-marked formats first, plain text last.

    Windows event XML (its first element ``<Event>`` or ``<Events>``) comes before plain text,
    which would otherwise take it line by line and cut a pretty-printed event apart; so does a
    CSV export, whose header names an export's columns (:mod:`ingest.readers.csv_rows`), and
    classic Windows event text, whose events span lines (:mod:`ingest.readers.windows_kv_text`).
    """
    return [
        EvtxReader(), ZeekTsvReader(), NdjsonReader(), JsonStreamReader(), XmlEventsReader(),
        CsvRowsReader(), WindowsKvTextReader(), TextLinesReader(),
    ]


_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory"),
)


def skip_reason(path: Path) -> str | None:
    """Why ``path`` is not to be read, or ``None`` when it should be.

    Not a regular file (a FIFO, a socket, a device: opening a FIFO without a
    writer blocks for ever, a device never ends), or not telemetry by its name.
    A path that cannot be looked at (missing, a dangling link) is left to the
    read, which reports it as unreadable.
    """
    kind = special_file_kind(path)
    if kind is not None:
        return f"not a regular file ({kind})"
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name in _SKIP_NAMES or name.startswith(_SKIP_PREFIXES):
        return "not telemetry (documentation or licence file)"
    if name.endswith(_SKIP_SUFFIXES):
        return f"not telemetry ({Path(name).suffix} file)"
    return None


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file an ingest call names or finds, and whether it was already met in the call."""

    path: Path
    """As given, or as found under a given directory (through the links walked)."""
    same_as: Path | None = None
    """The path under which this real file (same device and inode) came first in the
    call, when it did: the file is read once, under that path."""


def special_file_kind(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file (through links): ``"a FIFO"``..."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return None
    for is_kind, kind in _SPECIAL_FILES:
        if is_kind(mode):
            return kind
    return "a special file"


STDIN = "-"
"""The path that stands for standard input; a file named ``-`` is given as ``./-``."""

STDIN_NAME = "<stdin>"
"""The name standard input goes by in reports, rejections and the journal, unless named."""


@dataclass(frozen=True, slots=True)
class StreamInput:
    """A source that is a stream, not a file: standard input, named ``-`` among the paths.

    Read once, as it comes (:func:`open_stream`): it has no size, cannot be
    reopened, and is never "the same file" as a path (``f.json - < f.json``
    reads both; the journal's ids make the second one add nothing).
    """

    stream: BinaryIO
    """The binary stream (``sys.stdin.buffer``, never its text wrapper)."""
    name: str = STDIN_NAME
    """Its name in the report, in rejections (``<stdin>:12``) and in journal rows."""


def is_stdin(path: object) -> bool:
    """Whether ``path`` stands for standard input: the string ``"-"`` (a ``Path("-")`` is a file)."""
    return isinstance(path, str) and path == STDIN


def stdin_input(
    paths: Sequence[object], stream: BinaryIO | None = None, name: str | None = None
) -> StreamInput | None:
    """The standard-input source that ``paths`` name with ``-``, or ``None`` when none is ``-``.

    Parameters
    ----------
    paths : sequence
        The paths of an ingest call.
    stream : binary stream, optional
        What ``-`` reads (default ``sys.stdin.buffer``).
    name : str, optional
        Its name in reports and rejections (default :data:`STDIN_NAME`).

    Raises
    ------
    ValueError
        ``-`` is named more than once (a stream can be read only once), or
        standard input is closed.

    Examples
    --------
    >>> import io
    >>> stdin_input(["a.json", "-"], io.BytesIO(b"{}"), "upstream.json").name
    'upstream.json'
    >>> stdin_input(["a.json"]) is None
    True
    """
    named = sum(1 for path in paths if is_stdin(path))
    if not named:
        return None
    if named > 1:
        raise ValueError(f"standard input ('-') is named {named} times; it can be read only once")
    if stream is None:
        if sys.stdin is None:
            raise ValueError("standard input ('-') is closed")
        stream = sys.stdin.buffer
    return StreamInput(stream, name or STDIN_NAME)


def iter_inputs(
    paths: Iterable[str | os.PathLike[str]], stdin: StreamInput | None = None
) -> Iterator[InputFile | StreamInput]:
    """Every file under ``paths``, each real file once: files as given, directories recursively.

    Directories are walked depth first, each directory's files (sorted by name)
    before its subdirectories (sorted); names starting with ``.`` are ignored.
    Symbolic links to directories are followed (``sensor1 -> ../real``), each
    real directory (device and inode) walked once, so a link back up the tree
    ends instead of looping.  A regular file met again in the call, under any
    spelling (``f.json``, ``./f.json``, ``../dir/f.json``, a link, a hard link),
    comes out with :attr:`InputFile.same_as` set, for the caller to report and
    not read twice.  Other files (FIFOs, sockets, devices, dangling links) come
    out as found: :func:`skip_reason` or the read reports them.  Given
    ``stdin`` (:func:`stdin_input`), the path ``-`` comes out as that source,
    in its place among the others.
    """
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: dict[tuple[int, int] | str, Path] = {}
    for item in paths:
        if stdin is not None and is_stdin(item):
            yield stdin
            continue
        path = Path(item)
        if path.is_dir():
            yield from _walk(path, seen_dirs, seen_files)
        else:
            yield _first_or_again(path, seen_files)


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """The files :func:`iter_inputs` finds, each real file once (repeats left out)."""
    for found in iter_inputs(paths):
        if isinstance(found, InputFile) and found.same_as is None:
            yield found.path


def _walk(top: Path, seen_dirs: set[tuple[int, int]],
          seen_files: dict[tuple[int, int] | str, Path]) -> Iterator[InputFile]:
    # an explicit stack rather than recursion: a deep tree must not exhaust Python's stack
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            info = os.stat(folder)  # through links: the real directory
        except OSError:
            continue  # vanished or unreadable, as os.walk passes over it
        key = (info.st_dev, info.st_ino)
        if key in seen_dirs:
            continue  # a link back to a directory already walked (or being walked)
        seen_dirs.add(key)
        try:
            with os.scandir(folder) as entries:
                listed = sorted((entry.name, _is_dir(entry)) for entry in entries
                                if not entry.name.startswith("."))
        except OSError:
            continue
        for name, is_dir in listed:
            if not is_dir:
                yield _first_or_again(folder / name, seen_files)
        # reversed onto the stack: the subdirectories are walked in sorted order
        pending.extend(folder / name for name, is_dir in reversed(listed) if is_dir)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows a symbolic link
    except OSError:
        return False


def _first_or_again(path: Path, seen: dict[tuple[int, int] | str, Path]) -> InputFile:
    key = _file_key(path)
    if key is None:
        return InputFile(path)
    first = seen.setdefault(key, path)
    return InputFile(path, None if first is path else first)


def _file_key(path: Path) -> tuple[int, int] | str | None:
    """The identity of a regular file: device and inode (its resolved path where there is no inode)."""
    try:
        info = os.stat(path)
    except OSError:
        return None  # the read reports it
    if not stat.S_ISREG(info.st_mode):
        return None
    if info.st_ino:
        return (info.st_dev, info.st_ino)
    return str(path.resolve())


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


def path_hint(path: Path) -> str:
    """The log name a file name suggests: ``conn`` for ``conn.log`` or ``conn.00:00:00-01:00:00.log.gz``."""
    return path.name.split(".", 1)[0].lower()


EMPTY_FILE = "empty file"
"""The skip reason of a file with no bytes (after decompression and a UTF-8 mark)."""


@dataclass(slots=True)
class ChosenReader:
    """The reader picked for a file, or why none was."""

    reader: Reader | None
    reason: str = ""


def choose_reader(path: Path | str, readers: Iterable[Reader], head: bytes | None = None) -> ChosenReader:
    """The first reader whose ``sniff`` accepts the file's head (``path`` is read when ``head`` is not given)."""
    if head is None:
        head = read_head(Path(path))
    if not head:
        return ChosenReader(None, EMPTY_FILE)
    for reader in readers:
        try:
            if reader.sniff(head, str(path)):
                return ChosenReader(reader)
        except Exception:  # noqa: BLE001, S112 - a sniff must never stop the walk
            continue
    return ChosenReader(None, "no reader recognises this file (binary or unknown format)")
