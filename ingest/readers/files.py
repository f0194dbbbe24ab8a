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

The jobs live in :mod:`ingest.readers.files_walk` (the inputs of a call),
:mod:`ingest.readers.files_skip` (what is not read) and
:mod:`ingest.readers.files_open` (opening, head reading); this module keeps
the default readers and the choice among them, and re-exports their names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.readers.base import Reader
from ingest.readers.csv_rows import CsvRowsReader
from ingest.readers.evtx import EvtxReader
from ingest.readers.files_open import (
    HEAD_BYTES,
    READ_BUFFER_BYTES,
    OpenedStream,
    is_head_decided,
    open_binary,
    open_stream,
    read_head,
)
from ingest.readers.files_skip import skip_reason, special_file_kind
from ingest.readers.files_walk import (
    STDIN,
    STDIN_NAME,
    InputFile,
    StreamInput,
    is_stdin,
    iter_files,
    iter_inputs,
    stdin_input,
)
from ingest.readers.json_stream import JsonStreamReader
from ingest.readers.ndjson import NdjsonReader
from ingest.readers.text_lines import TextLinesReader
from ingest.readers.windows_kv_text import WindowsKvTextReader
from ingest.readers.xml_events import XmlEventsReader
from ingest.readers.zeek_tsv import ZeekTsvReader

__all__ = [
    "EMPTY_FILE",
    "NO_READER",
    "HEAD_BYTES",
    "READ_BUFFER_BYTES",
    "STDIN",
    "STDIN_NAME",
    "ChosenReader",
    "InputFile",
    "OpenedStream",
    "StreamInput",
    "choose_reader",
    "default_readers",
    "is_head_decided",
    "is_stdin",
    "iter_files",
    "iter_inputs",
    "open_binary",
    "open_stream",
    "path_hint",
    "read_head",
    "skip_reason",
    "special_file_kind",
    "stdin_input",
]


def default_readers(*, local_timezone: str | None = None) -> list[Reader]:
    """The file readers in sniff order: binary and header-marked formats first, plain text last.

    ``local_timezone`` is the zone a CSV export's ``X [Local Time]`` columns are read in
    (``graphsiem ingest --timezone`` when given; :mod:`ingest.readers.csv_times`).

    Windows event XML (its first element ``<Event>`` or ``<Events>``) comes before plain text,
    which would otherwise take it line by line and cut a pretty-printed event apart; so does a
    CSV export, whose header names an export's columns (:mod:`ingest.readers.csv_rows`), and
    classic Windows event text, whose events span lines (:mod:`ingest.readers.windows_kv_text`).
    """
    return [
        EvtxReader(), ZeekTsvReader(), NdjsonReader(), JsonStreamReader(), XmlEventsReader(),
        CsvRowsReader(local_timezone=local_timezone), WindowsKvTextReader(), TextLinesReader(),
    ]


def path_hint(path: Path) -> str:
    """The log name a file name suggests: ``conn`` for ``conn.log`` or ``conn.00:00:00-01:00:00.log.gz``."""
    return path.name.split(".", 1)[0].lower()


EMPTY_FILE = "empty file"
"""The skip reason of a file with no bytes (after decompression and a UTF-8 mark)."""

NO_READER = "no reader recognises this file (binary or unknown format)"
"""The skip reason of a file no reader's sniff takes: binary (:func:`~ingest.readers.text_lines.looks_like_text`)."""


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
    return ChosenReader(None, NO_READER)
