"""Reader for Zeek's default ASCII (TSV) logs.

A Zeek TSV file is a header block of ``#`` lines followed by tab-separated
rows and a ``#close`` footer::

    #separator \\x09
    #set_separator	,
    #empty_field	(empty)
    #unset_field	-
    #path	conn
    #fields	ts	uid	id.orig_h	...
    #types	time	string	addr	...
    1692161622.036086	Cnsu5m395zFmE9ikp4	192.168.1.41	...
    #close	2023-08-16-01-28-55

Each row becomes a dict keyed exactly like Zeek's JSON writer would key it
(dotted names such as ``id.orig_h``, ``_path`` from ``#path``), typed by
``#types``: ``time``/``interval``/``double`` -> float (``time`` stays epoch
seconds, as Zeek JSON writes it by default), ``count``/``int``/``port`` -> int,
``bool`` -> bool, ``set[..]``/``vector[..]`` -> list split on
``#set_separator``.  The unset marker (``-``) leaves the key out, as Zeek JSON
does; the empty marker (``(empty)``) is an empty list or an empty string.

Zeek escapes the separator, non-printable bytes and the backslash itself in
values (``\\x09``, ``\\\\``); they are unescaped after splitting, so an escaped
separator never splits a value.  Older Zeek versions (and any version, for
bytes that are not UTF-8) escape every non-ASCII byte, so a run of ``\\xNN`` escapes is
read as UTF-8 bytes (``caf\\xc3\\xa9`` -> ``café``), as Zeek's JSON writer
would have written the value; a byte that is not part of valid UTF-8 keeps its
``\\xNN`` text, which is also what Zeek's JSON writer writes for it.  A new
``#separator`` line starts a new header block, which handles logs
concatenated into one file.  A line longer than ``max_line_bytes`` (16 MiB,
as NDJSON's) is a :class:`ReadError` naming its length, read in pieces and
never held whole; the rest of the file goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import PurePath
from typing import Any, BinaryIO

from ingest.readers.base import RawRecord, ReadError
from ingest.readers.text_lines import MAX_LINE_BYTES, TooLongLine, iter_lines, too_long_reason

FORMAT_HINT = "zeek"
"""Name of the parser that reads this reader's records (``ingest.parsers.zeek``)."""

_ESCAPE_RE = re.compile(r"((?:\\x[0-9a-fA-F]{2})+)|\\\\")


def _unescape_match(match: re.Match[str]) -> str:
    run = match.group(1)
    if run is None:
        return "\\"
    # a run of escaped bytes is UTF-8 text; an invalid byte keeps its \xNN text
    return bytes.fromhex(run.replace("\\x", "")).decode("utf-8", "backslashreplace")


def unescape(value: str) -> str:
    r"""Undo Zeek's ASCII escaping (``\x09`` -> tab, ``\\`` -> ``\``, ``\xc3\xa9`` -> ``é``).

    Runs of ``\xNN`` escapes are decoded as UTF-8; bytes that are not valid
    UTF-8 stay ``\xNN`` text (lower-case hex), as Zeek's JSON writer writes them.

    Examples
    --------
    >>> unescape(r"a\x09b\\c")
    'a\tb\\c'
    >>> unescape(r"caf\xc3\xa9 \xff")
    'café \\xff'
    """
    if "\\" not in value:
        return value
    return _ESCAPE_RE.sub(_unescape_match, value)


_BOOLS = {"T": True, "F": False}


def _to_bool(value: str) -> bool:
    try:
        return _BOOLS[value]
    except KeyError:
        raise ValueError(f"not a Zeek bool (T/F): {value[:16]!r}") from None


def _to_float(value: str) -> float:
    return float(value)


def _to_int(value: str) -> int:
    return int(value)


_SCALAR_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "time": _to_float,
    "interval": _to_float,
    "double": _to_float,
    "count": _to_int,
    "int": _to_int,
    "port": _to_int,
    "bool": _to_bool,
}


class _Header:
    """The settings of one header block; builds the per-column converters."""

    __slots__ = ("separator", "set_separator", "empty", "unset", "path", "fields", "columns", "closed")

    def __init__(self, separator: str) -> None:
        self.separator = separator
        self.set_separator = ","
        self.empty = "(empty)"
        self.unset = "-"
        self.path: str | None = None
        self.fields: list[str] | None = None
        self.columns: list[tuple[str, Callable[[str], Any]]] | None = None
        self.closed = False
        """After ``#close``: the block is over, and rows need a new header."""

    def set_types(self, types: list[str]) -> None:
        if self.fields is None or len(types) != len(self.fields):
            raise ValueError("#types does not match #fields")
        self.columns = [
            (name, self._converter(zeek_type))
            for name, zeek_type in zip(self.fields, types, strict=True)
        ]

    def untyped(self) -> None:
        """``#fields`` without ``#types``: every value stays a string."""
        assert self.fields is not None
        self.columns = [(name, self._converter("string")) for name in self.fields]

    def _converter(self, zeek_type: str) -> Callable[[str], Any]:
        empty = self.empty
        if zeek_type.startswith(("set[", "vector[", "table[")) and zeek_type.endswith("]"):
            inner = _SCALAR_CONVERTERS.get(zeek_type[zeek_type.index("[") + 1 : -1])
            set_separator = self.set_separator

            def container(value: str) -> list[Any]:
                if value == empty:
                    return []
                items = [unescape(item) for item in value.split(set_separator)]
                return [inner(item) for item in items] if inner else items

            return container
        scalar = _SCALAR_CONVERTERS.get(zeek_type)
        if scalar is not None:
            return scalar

        def text(value: str) -> str:
            # Zeek writes an empty string as the empty marker.
            return "" if value == empty else unescape(value)

        return text


def log_name(path: str) -> str:
    """Zeek log name from a file name: ``conn.00:00:00-01:00:00.log.gz`` -> ``conn``."""
    return PurePath(path).name.split(".", 1)[0]


class ZeekTsvReader:
    """Frames Zeek ASCII logs into typed dict records (see the module docstring)."""

    name = "zeek_tsv"

    def __init__(self, *, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes
        """A longer line is a :class:`ReadError` (and skipped), never read whole into memory."""

    def sniff(self, head: bytes, path: str) -> bool:
        """A Zeek TSV file starts with its ``#separator`` line."""
        return head.startswith(b"#separator")

    def read(self, stream: BinaryIO, path: str) -> Iterator[RawRecord | ReadError]:
        """Yield one :class:`RawRecord` per data row, a :class:`ReadError` per bad row."""
        header = _Header("\t")
        default_path = log_name(path)
        file_name = PurePath(path).name
        for line_number, raw_line in iter_lines(stream, self.max_line_bytes):
            origin = f"{path}:{line_number}"
            if isinstance(raw_line, TooLongLine):
                yield ReadError(origin, too_long_reason(raw_line.length, self.max_line_bytes), "")
                continue
            line = raw_line.decode("utf-8", "backslashreplace").rstrip("\r\n")
            if not line:
                continue
            if line.startswith("#"):
                error = self._header_line(header, line, origin)
                if isinstance(error, _Header):
                    header = error
                elif error is not None:
                    yield error
                continue
            if header.columns is None:
                if header.fields is None:
                    reason = (
                        "Zeek TSV data row after #close, before a new header block"
                        if header.closed else "Zeek TSV data row before any #fields header"
                    )
                    yield ReadError(origin, reason, line)
                    continue
                header.untyped()
            yield self._row(header, line, origin, default_path, file_name)

    @staticmethod
    def _header_line(header: _Header, line: str, origin: str) -> _Header | ReadError | None:
        """Apply one ``#`` line; a ``#separator`` line returns a fresh header block."""
        if line.startswith("#separator"):
            value = line[len("#separator") :].strip(" ")
            return _Header(unescape(value) or "\t")
        keyword, _, value = line.partition(header.separator)
        if keyword == "#set_separator":
            header.set_separator = unescape(value)
        elif keyword == "#empty_field":
            header.empty = unescape(value)
        elif keyword == "#unset_field":
            header.unset = unescape(value)
        elif keyword == "#path":
            header.path = unescape(value)
        elif keyword == "#fields":
            header.fields = value.split(header.separator)
            header.columns = None
        elif keyword == "#close":
            # Zeek writes nothing after it: rows there were appended by something else
            # (a crashed writer's tail, a concatenation without the next header)
            header.fields = header.columns = None
            header.closed = True
        elif keyword == "#types":
            try:
                header.set_types(value.split(header.separator))
            except ValueError as error:
                return ReadError(origin, f"Zeek TSV header: {error}", line)
        # #open and unknown comment lines carry nothing a record needs.
        return None

    @staticmethod
    def _row(
        header: _Header, line: str, origin: str, default_path: str, file_name: str
    ) -> RawRecord | ReadError:
        assert header.columns is not None
        values = line.split(header.separator)
        if len(values) != len(header.columns):
            return ReadError(
                origin,
                f"Zeek TSV row has {len(values)} values, #fields names {len(header.columns)}",
                line,
            )
        # Without #path the parser tells the log from the row's fields (and the
        # file name's tokens), as for Zeek JSON without _path: a first token of
        # the file name is no log name ("sensor1-dns.log").  The id's text keeps
        # the first token, as before, so such files keep their event ids.
        zeek_path = header.path or default_path
        record: dict[str, Any] = {"_path": header.path} if header.path else {}
        unset = header.unset
        for (name, convert), value in zip(header.columns, values, strict=True):
            if value == unset:
                continue
            try:
                record[name] = convert(value)
            except ValueError as error:
                return ReadError(origin, f"Zeek TSV field {name!r}: {error}", line)
        return RawRecord(
            record=record,
            origin=origin,
            text=f"{zeek_path}\t{line}",
            path_hint=header.path or file_name,
            format_hint=FORMAT_HINT,
        )


def readers() -> list[ZeekTsvReader]:
    """The readers this module provides, for the default reader registry."""
    return [ZeekTsvReader()]
