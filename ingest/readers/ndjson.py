"""NDJSON reader: one JSON object per line (Winlogbeat, NXLog, Zeek JSON, EVE...).

A record's text is its line as read, without the line ending (``RawRecord.text``,
with the bytes in ``RawRecord.data``): the input of scheme-2 event ids and the
raw evidence the journal keeps, byte for byte.  A compact line (as ``orjson``
writes it) is not re-dumped; a line that is not (spaces between tokens, ``\\u003c``
escapes, as Python's ``json`` and Go's encoder write them) is hashed by its
compact dump in its own key order, so it has the id the same record has as a
compact line or an array element (:func:`line_record`), and is journaled as
read.  Journals on id scheme 1 derive ids from :func:`canonical_json` of the
record, which the pipeline computes for them (see :mod:`ingest.event_ids`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

import orjson

from ingest.readers.base import RawRecord, ReadError
from ingest.readers.text_lines import MAX_LINE_BYTES, skip_rest_of_line, too_long_reason

_SORTED = orjson.OPT_SORT_KEYS


def canonical_json(record: dict) -> str:
    """The canonical text of a JSON object: sorted keys, compact.

    The stable-id input of scheme 1, and of scheme 2 for records a reader has
    no text of their own for (pretty-printed JSON, API objects).
    """
    return orjson.dumps(record, option=_SORTED).decode("utf-8")


def own_order_json(record: dict) -> bytes:
    """A JSON object re-serialised compactly in its own key order: the id input of a record without a line.

    The bytes of the record's NDJSON line whenever that line is compact (as
    ``orjson`` writes it: 14,434 of the corpus's 14,841 NDJSON lines), so an
    array element, a pretty-printed object or an API object gets the id its
    compact line gets (:mod:`ingest.event_ids`).

    Raises
    ------
    TypeError
        A value JSON cannot hold in 64 bits (an integer beyond them).

    Examples
    --------
    >>> own_order_json({"b": 1, "a": [1.5, "\u00e9"]}).decode()
    '{"b":1,"a":[1.5,"\u00e9"]}'
    """
    return orjson.dumps(record)


def may_not_be_compact(data: bytes) -> bool:
    r"""Whether a JSON object's line (without its ending) may differ from its compact dump.

    What compact writers never write, looked for where it is cheap: ``": ``
    in the line's first 48 bytes (after the first key: a writer spaces every
    key or none, as Python's ``json`` does), ``\u00`` anywhere (Go's
    ``\u003c`` for ``<``, Python's ``\u00e9``) and anything but the braces
    at the ends.  ~1.1 us a 2.6 KB Windows line against ~2.8 us for dumping one
    (before the compiled ``\u00`` search, 1.6 us: :data:`_ESCAPE`); the ``\u00``
    scan is most of it.  ``False`` is certain for those writers; ``True`` is
    confirmed by a dump (:func:`line_record`): a ``": `` inside a string of the
    first 48 bytes, or a control character orjson itself writes as ``\u0001``,
    costs that dump and changes nothing.  Not seen: a first key of 45 characters
    or more, spaces only before colons or after commas, numbers written another
    way (``1.50``, ``1e3``): such a line keeps the id of its bytes.

    Examples
    --------
    >>> may_not_be_compact(b'{"a":1,"b":"x<y"}'), may_not_be_compact(b'{"a": 1}')
    (False, True)
    >>> may_not_be_compact(b'{"b":"x\\u003cy"}'), may_not_be_compact(b' {"a":1}')
    (True, True)
    """
    return (data.find(b'": ', 0, 48) != -1 or _ESCAPE(data) is not None
            or data[-1:] != b"}" or data[:1] != b"{")


_ESCAPE = re.compile(rb"\\u00").search
"""Finds a ``\\u00`` escape in a line.  A compiled pattern, not ``bytes.find``: the find's
skip test passes on the digits and backslashes Windows lines are full of, and the
pattern's literal search took ~1.0 us a 2.6 KB Windows line against ~1.55 us (measured)."""


def line_record(record: dict, origin: str, data: bytes) -> RawRecord:
    r"""The framed record of a JSON object's line ``data`` (without its ending).

    A compact line is its own id's input and evidence.  A line that is not
    (:func:`may_not_be_compact`, confirmed by its dump) is hashed by
    :func:`own_order_json` (``RawRecord.data``, ``is_redumped``) and journaled
    as read (``RawRecord.read_as``): the same record written compactly, in an
    array or with ``\u003c`` escapes is one event.  Key order is kept here;
    the pipeline hashes an object's events that have no content id by its
    dump with sorted keys (:mod:`ingest.pipeline_ids`), so a line whose keys
    come in another order is the same event too.

    Examples
    --------
    >>> framed = line_record({"a": "<"}, "f:1", b'{"a": "\\u003c"}')
    >>> framed.data, framed.read_as, framed.is_redumped
    (b'{"a":"<"}', b'{"a": "\\u003c"}', True)
    >>> line_record({"a": 1}, "f:2", b'{"a":1}').read_as is None
    True
    """
    if may_not_be_compact(data):
        try:
            compact = orjson.dumps(record)
        except TypeError:  # a value orjson cannot write back (beyond 64 bits): its bytes as read
            compact = data
        if compact != data:
            return RawRecord(record, origin, None, None, None, compact, False, True, data)
    return RawRecord(record, origin, None, None, None, data, False)


def _first_line(head: bytes) -> bytes | None:
    for line in head.splitlines():
        if line.strip():
            return line.strip()
    return None


class NdjsonReader:
    """Frames a file whose lines are JSON objects; blank lines are ignored.

    A line that is not a JSON object comes out as a :class:`ReadError` naming
    its line number, and reading goes on.
    """

    name = "ndjson"

    def __init__(self, *, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes
        """A longer line is a :class:`ReadError` (and skipped), never read whole into memory."""

    def sniff(self, head: bytes, path: str) -> bool:
        line = _first_line(head)
        if not line or not line.startswith(b"{"):
            return False
        try:
            return isinstance(orjson.loads(line), dict)
        except orjson.JSONDecodeError:
            return False

    def read(self, stream: BinaryIO, path: str) -> Iterator[RawRecord | ReadError]:
        # Lines are framed here rather than through iter_lines: a generator less
        # between the file and the pipeline, ~0.2 us a Windows record (measured).
        loads = orjson.loads
        find = bytes.find
        escape = _ESCAPE
        readline = stream.readline
        max_bytes = self.max_line_bytes
        limit = max_bytes + 1
        number = 0
        while line := readline(limit):
            number += 1
            origin = f"{path}:{number}"
            if len(line) == limit and not line.endswith(b"\n"):
                length = limit + skip_rest_of_line(readline, max_bytes)
                yield ReadError(origin, too_long_reason(length, max_bytes), "")
                continue
            try:
                record = loads(line)
            except orjson.JSONDecodeError as exc:
                # blank lines are ignored; orjson refuses them, so they are told apart only here
                if line.strip():
                    yield ReadError(origin, f"invalid JSON: {exc}", _text(line))
                continue
            if record.__class__ is not dict:  # orjson makes exact dicts
                yield ReadError(
                    origin, f"not a JSON object (a {type(record).__name__})", _text(line)
                )
                continue
            data = line.rstrip(b"\r\n")
            # may_not_be_compact, inlined: every line pays it (bytes.find, not ``in``: ``in`` on bytes
            # first tries the operand as an int and formats a TypeError, ~4,000 instructions a test)
            if find(data, b'": ', 0, 48) != -1 or escape(data) is not None or data[-1] != 125 or data[0] != 123:
                yield line_record(record, origin, data)
                continue
            # orjson accepted the line, so it is valid UTF-8 and valid JSON.  No
            # text: RawRecord decodes it from data only if asked (a rejection).
            # All fields positional (path_hint, format_hint, data, is_canonical):
            # defaulted or keyword fields cost ~100 ns more a record (measured).
            yield RawRecord(record, origin, None, None, None, data, False)


def _text(line: bytes) -> str:
    return line.decode("utf-8", "replace").rstrip("\r\n")
