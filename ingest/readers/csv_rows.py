"""CSV reader: hunting results exported as CSV (Defender XDR, Sentinel / Log Analytics, Splunk).

Analysts export query results as CSV: Defender XDR advanced hunting's
"Export" (``Timestamp``, ``DeviceId``, ``DeviceName``, ``ActionType``...),
Microsoft Sentinel / Log Analytics' "Export to CSV" (``TimeGenerated [UTC]``,
``Computer``, ``EventID``, ``EventData`` as XML text...) and Splunk's
``-output csv`` or "Export results" (``_time``, ``_raw``, ``host``...).  The
first line is a header of column names; each row after it becomes a dict
keyed by the header, every value text, for the parsers to read as they read
the same row as JSON (:mod:`ingest.parsers.mde`, the ``sentinel`` Windows
shape, :mod:`ingest.parsers.splunk`).

Framing: Python's :mod:`csv` over the file's lines, read one by one
(``readline``, as the other line readers: a pipe's rows come as they
arrive), so a quoted value may hold commas, doubled quotes and line breaks
(a command line, ``_raw``); ``\\r\\n`` endings are read; a UTF-8 byte-order
mark is dropped before any reader sees the file (:mod:`ingest.readers.files`).
The comma, a tab or a semicolon (a spreadsheet's re-save in some locales)
separates values: the one whose header names the known columns.

Rows:

* An empty cell is an absent key, as the unset ``-`` of a Zeek TSV row is,
  and as the parsers read a JSON ``null`` or ``""``: a CSV cell cannot tell
  the two apart, and a sniff asking whether a column is in the row asks
  whether it holds something.
* A header column named ``X [UTC]`` (Log Analytics' mark of a ``datetime``
  column shown in UTC) is the column ``X``; its values stay the text the
  portal wrote (``2/25/2025, 9:19:25.391 AM``), which the parsers read.
* A header column named ``X [Local Time]`` (the same portal set to local
  time) is the column ``X`` too, its values read in the zone the reader is
  given (``local_timezone``: ``graphsiem ingest --timezone``) and written as
  ISO 8601 with that zone's offset; without a zone, a row with a value there
  is rejected, the reason naming the column and the option
  (:mod:`ingest.readers.csv_times`: the rule, and the clock changes').
* Origin ``path:N``, ``N`` the line where the row starts (a row whose quoted
  value holds line breaks spans several lines); the header is line 1.
* The stable event id is over the canonical JSON of the row dict (as for
  every dict record without a text of its own), so the same file again adds
  nothing, nor does the same export re-saved with tabs or as UTF-16.
* Python's :func:`csv.field_size_limit` (one for the process, 128 KiB by
  default) is raised to the row limit, never lowered: a long value is
  rejected by this reader's limit, with its reason.

Rejected, each as a :class:`~ingest.readers.base.ReadError` naming its line,
while the other rows are read: a row with more or fewer cells than the
header; a row the CSV grammar refuses (text after a closing quote, a quote
left open at the end of the file); a row longer than ``max_record_bytes``
(4 MiB), read in pieces and never held whole, skipped to the line where its
quoted value closes.  A rejection keeps the row's first 4 KiB as its raw
text.  The header is the first line that is not blank; one that repeats a
name, has an empty name, names more than :data:`MAX_COLUMNS` columns or is
longer than the row limit is rejected, and so is every row under it (with
that reason): a row cannot be keyed by it.

Sniff: the first line (blank lines before it passed over, as the header's
are: :func:`is_blank_line`) is a header whose every name looks like a column name and which holds
one of the anchor column sets of the exports read
(:data:`ANCHORS`): ``Timestamp`` with ``DeviceName`` or ``ActionType``
(Defender), ``TimeGenerated`` with ``EventID``, ``Computer`` or ``Type``
(Log Analytics), ``_raw`` or ``_time`` (Splunk).  A syslog line with commas,
Zeek TSV (``#separator``), JSON and XML are not headers of those names.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from itertools import compress
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from ingest.readers.base import RawRecord, ReadError
from ingest.readers.csv_lines import RAW_TEXT_BYTES, RecordTooLong, RowLines
from ingest.readers.csv_times import (
    LOCAL_TIME_SUFFIX,
    is_local_time_column,
    local_time_iso,
    no_zone_reason,
)
from ingest.readers.ndjson import canonical_json

MAX_RECORD_BYTES = 4 << 20
"""A longer row (all its lines) is rejected and skipped, never held whole.  Exports cut values far
below it (Log Analytics holds 32 KB a text column; Splunk's default ``TRUNCATE`` is 10,000 bytes a
line); it also bounds the list of cells a row of delimiters alone makes (4M cells, 32 MB of references)."""

MAX_COLUMNS = 4096
"""Columns a header may name (Log Analytics' ``SecurityEvent`` has some 230)."""

ANCHORS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Timestamp", frozenset(("DeviceName", "ActionType"))),
    ("TimeGenerated", frozenset(("EventID", "Computer", "Type"))),
    ("_raw", frozenset()),
    ("_time", frozenset()),
)
"""A header is an export's when it names a column here and, for a non-empty set, one of the set."""

DELIMITERS = (",", "\t", ";")

UTC_SUFFIX = " [UTC]"
"""Log Analytics' portal names a ``datetime`` column ``TimeGenerated [UTC]`` in its CSV."""

_NAME = re.compile(r"[A-Za-z_@$][\w.\-:@$()/ ]{0,127}")
"""A column name: a letter first, then no punctuation a log line is made of (``<``, ``>``, ``=``, quotes,
``,``); spaces inside are Splunk's renamed fields'."""

_SNIFF_CHARS = 16384
"""Characters of the first line a sniff reads (a header of 4,096 short names fits)."""


def is_blank_line(line: str) -> bool:
    """Whether a line is blank: empty or whitespace only.  The reader passes over blank lines
    before the header and the sniff does the same, by this one definition.

    >>> is_blank_line("   \\r\\n"), is_blank_line(""), is_blank_line(" _time,_raw")
    (True, True, False)
    """
    return not line.strip()


def column_name(name: str) -> str:
    """A header cell as the row's key: without Log Analytics' `` [UTC]`` or `` [Local Time]`` mark.

    >>> column_name("TimeGenerated [UTC]"), column_name("TimeGenerated [Local Time]"), column_name("DeviceName")
    ('TimeGenerated', 'TimeGenerated', 'DeviceName')
    """
    for suffix in (UTC_SUFFIX, LOCAL_TIME_SUFFIX):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def is_export_header(names: list[str]) -> bool:
    """Whether ``names`` (header cells, as :func:`column_name` gives them) are an export's header.

    Every name must look like a column name and one anchor set (:data:`ANCHORS`) be present.

    >>> is_export_header(["Timestamp", "DeviceId", "DeviceName", "ActionType"])
    True
    >>> is_export_header(["TimeGenerated", "Computer", "EventID"]), is_export_header(["_time", "host", "_raw"])
    (True, True)
    >>> is_export_header(["Oct 11 22:14:15 host app: Timestamp", "DeviceName"]), is_export_header(["a", "b"])
    (False, False)
    """
    if len(names) < 2 or not all(_NAME.fullmatch(name) and not name.endswith(" ") for name in names):
        return False
    present = set(names)
    return any(anchor in present and (not others or not others.isdisjoint(present)) for anchor, others in ANCHORS)


def header_delimiter(line: str, delimiters: tuple[str, ...] = DELIMITERS) -> str | None:
    """The delimiter of ``delimiters`` with which ``line`` is an export's header (:func:`is_export_header`), else ``None``.

    >>> header_delimiter('"TimeGenerated [UTC]",Computer,EventID'), header_delimiter("_time\\t_raw")
    (',', '\\t')
    >>> header_delimiter("Nov 29 10:31:02 web01 app: Timestamp,DeviceName") is None
    True
    """
    for delimiter in delimiters:
        if delimiter not in line:
            continue
        try:
            cells = next(csv.reader([line], delimiter=delimiter, strict=True))
        except (csv.Error, StopIteration):
            continue
        if is_export_header([column_name(cell) for cell in cells]):
            return delimiter
    return None


def _allow_fields(limit: int) -> None:
    # The csv module's field limit is one for the process (128 KiB by default, far below a
    # Splunk _raw or an AdditionalFields): raised to the record limit, never lowered, so the
    # limit that rejects a row is this reader's, with its reason, and no other user of csv
    # gets a smaller one than it had.
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


class CsvRowsReader:
    """Frames a CSV export into one dict record per row (see the module docstring)."""

    name = "csv"

    def __init__(
        self, *, max_record_bytes: int = MAX_RECORD_BYTES, local_timezone: str | None = None,
        delimiters: tuple[str, ...] = DELIMITERS,
    ) -> None:
        """
        Parameters
        ----------
        max_record_bytes : int
            A longer row is a :class:`ReadError` (and skipped), never read whole into memory.
        local_timezone : str, optional
            The IANA zone ``X [Local Time]`` columns were exported in (``graphsiem ingest
            --timezone``); ``None`` (none given): a row with a value in such a column is
            rejected (:mod:`ingest.readers.csv_times`).
        delimiters : tuple of str
            The delimiters a header may be split on, in the order tried (a body declared
            ``text/tab-separated-values`` is split on tabs only).

        Raises
        ------
        zoneinfo.ZoneInfoNotFoundError
            ``local_timezone`` is no IANA zone (callers check it first: ``timezone_problem``).
        """
        self.max_record_bytes = max_record_bytes
        self.local_timezone = local_timezone
        self.delimiters = delimiters
        self._zone = None if local_timezone is None else ZoneInfo(local_timezone)

    def sniff(self, head: bytes, path: str) -> bool:
        """The first line that is not blank (:func:`is_blank_line`, as the reader finds its header)
        is an export's header (:func:`header_delimiter`)."""
        text = head.removeprefix(b"\xef\xbb\xbf")[: _SNIFF_CHARS * 4]
        start = 0
        while True:
            end = text.find(b"\n", start)
            try:
                line = (text[start:] if end < 0 else text[start:end]).decode("utf-8")
            except UnicodeDecodeError:
                return False
            if not is_blank_line(line):
                break
            if end < 0:
                return False  # only blank lines in the head
            start = end + 1
        line = line.rstrip("\r")
        # cheap refusals first: JSON, XML, Zeek's #separator, syslog's <PRI> never start a header
        if line[:1] in "{[<#" or line[:1].isspace():
            return False
        return header_delimiter(line[:_SNIFF_CHARS], self.delimiters) is not None

    def read(self, stream: BinaryIO, path: str) -> Iterator[RawRecord | ReadError]:
        """Yield one :class:`RawRecord` per row, a :class:`ReadError` per row that cannot be read."""
        rows = _Rows(stream, self.max_record_bytes, self.delimiters)
        for row in rows.framed(path):
            if isinstance(row, ReadError):
                yield row
                continue
            origin, cells = row
            # the non-empty cells' pairs, selected in C (a comprehension was 60% of the framing, measured)
            record: dict[str, Any] = dict(compress(zip(rows.header, cells), cells))  # noqa: B905 (lengths checked)
            if rows.local_columns:
                problem = self._read_local_times(record, rows.local_columns)
                if problem:
                    yield ReadError(origin, problem, rows.lines.raw_text())
                    continue
            yield RawRecord(record, origin, canonical_json(record))

    def count_rows(self, stream: BinaryIO, stop_after: int | None = None) -> int:
        """How many items :meth:`read` yields for ``stream`` (records and rejections), counted by
        the same framing without making the records; past ``stop_after`` it stops, returning
        ``stop_after + 1``.  A batch limit counted so cannot disagree with the reader.

        >>> import io
        >>> CsvRowsReader().count_rows(io.BytesIO(b'_time,_raw\\n1,"a\\nb"\\n2,x"y\\n\\n3,z\\n'))
        3
        """
        count = 0
        for _ in _Rows(stream, self.max_record_bytes, self.delimiters).framed("count"):
            count += 1
            if stop_after is not None and count > stop_after:
                break
        return count

    def _read_local_times(self, record: dict[str, Any], columns: list[tuple[str, str]]) -> str:
        """Rewrite ``record``'s local-time values as zoned ISO 8601; why the row cannot be read, else ``""``.

        ``columns`` are ``(key, header cell as written)``.  A row whose local-time
        cells are all empty has no time to shift and is read without a zone.
        """
        zone = self._zone
        for key, written in columns:
            value = record.get(key)
            if value is None:
                continue
            if zone is None:
                return no_zone_reason(written)
            try:
                record[key] = local_time_iso(value, zone)
            except ValueError as exc:
                return f"CSV column {written[:80]!r}: {exc}"
        return ""


class _Rows:
    """A CSV stream framed into rows: its header, then each row's cells or why it cannot be read.

    What :meth:`CsvRowsReader.read` makes records of and :meth:`CsvRowsReader.count_rows`
    counts, so the two read the same rows.
    """

    __slots__ = ("lines", "_max_bytes", "_delimiters", "header", "local_columns")

    def __init__(self, stream: BinaryIO, max_bytes: int, delimiters: tuple[str, ...]) -> None:
        self.lines = RowLines(stream, max_bytes)
        self._max_bytes = max_bytes
        self._delimiters = delimiters
        self.header: list[str] = []
        self.local_columns: list[tuple[str, str]] = []

    def framed(self, path: str) -> Iterator[ReadError | tuple[str, list[str]]]:
        """``(origin, cells)`` of each row with as many cells as the header names, a
        :class:`ReadError` for the header or a row that cannot be read (blank rows: nothing)."""
        _allow_fields(self._max_bytes)
        lines = self.lines
        try:
            header, delimiter, header_error, self.local_columns = _header(lines, self._delimiters)
            header_line = lines.start
        except RecordTooLong:
            header, delimiter, header_line = [], self._delimiters[0], lines.start
            header_error = f"CSV header (line {header_line}) too long: over {self._max_bytes} bytes"
            lines.skip_row()
        self.header = header
        if header_error:
            yield ReadError(f"{path}:{header_line}", header_error, lines.raw_text())
        elif not header:
            return  # no line but blank ones
        rows = csv.reader(lines, delimiter=delimiter, strict=True)
        while True:
            lines.new_row()
            try:
                cells = next(rows)
            except StopIteration:
                return
            except RecordTooLong:
                origin = f"{path}:{lines.start}"
                size = lines.skip_row()
                yield ReadError(origin, _too_long_reason(size, self._max_bytes), "")
                # the csv reader's state is of the row cut off: a new one starts at the next line
                rows = csv.reader(lines, delimiter=delimiter, strict=True)
                continue
            except csv.Error as exc:
                if lines.quotes % 2 == 1 and len(lines.row) > 1:
                    # the end of the file inside a quoted value: every line after the row's first
                    # went into it; only the first is rejected, the others are read again as rows
                    first = lines.row[0].decode("utf-8", "replace").rstrip("\r\n")[:RAW_TEXT_BYTES]
                    yield ReadError(
                        f"{path}:{lines.start}",
                        "CSV row not readable: a quoted value opened in it is never closed; "
                        "the lines after it are read as rows",
                        first)
                    lines.replay()
                    rows = csv.reader(lines, delimiter=delimiter, strict=True)
                    continue
                yield ReadError(f"{path}:{lines.start}", f"CSV row not readable: {exc}", lines.raw_text())
                continue
            if not cells:
                continue  # a blank line
            origin = f"{path}:{lines.start}"
            if header_error:
                yield ReadError(origin, f"CSV row under a header that cannot key it ({header_error})",
                                lines.raw_text())
                continue
            if len(cells) != len(header):
                yield ReadError(
                    origin,
                    f"CSV row has {len(cells)} cells, the header (line {header_line}) names {len(header)} columns",
                    lines.raw_text())
                continue
            yield origin, cells


def _header(lines: RowLines, delimiters: tuple[str, ...]) -> tuple[list[str], str, str, list[tuple[str, str]]]:
    """The header's names, its delimiter, why it cannot key rows (``""`` when it can), its local-time columns.

    The header is the first line that is not blank (an export names no column
    over two lines); its delimiter is the one the sniff found
    (:func:`header_delimiter`), the first of ``delimiters`` (a comma) for a
    file read without the sniff.  No names and no reason: the file holds only
    blank lines.  The local-time columns are ``(key, header cell as written)``.
    """
    line = ""
    for line in lines:
        if not is_blank_line(line):
            break
        lines.new_row()
    else:
        return [], delimiters[0], "", []
    text = line.rstrip("\r\n")
    delimiter = header_delimiter(text, delimiters) or delimiters[0]
    number = lines.start
    try:
        cells = next(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return [], delimiter, f"CSV header (line {number}) not readable: {exc}", []
    names = [column_name(cell) for cell in cells]
    if len(names) > MAX_COLUMNS:
        return (names, delimiter, f"CSV header (line {number}) names {len(names)} columns, over the limit of "
                                  f"{MAX_COLUMNS}", [])
    seen: dict[str, int] = {}
    for column, name in enumerate(names, 1):
        if not name:
            return names, delimiter, f"CSV header (line {number}): column {column} has no name", []
        if name in seen:
            return (names, delimiter, f"CSV header (line {number}): column {name[:64]!r} is named twice "
                                      f"(columns {seen[name]} and {column})", [])
        seen[name] = column
    local = [(name, cell) for name, cell in zip(names, cells, strict=True) if is_local_time_column(cell)]
    return names, delimiter, "", local


def _too_long_reason(size: int, max_bytes: int) -> str:
    return f"CSV row too long: {size} bytes, over the limit of {max_bytes} bytes"
