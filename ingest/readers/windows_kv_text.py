"""Classic Windows event text files: frames Splunk ``WinEventLog`` events, one multi-line record each.

Splunk writes classic Windows events (``renderXml = false``) as text over many
lines (:mod:`ingest.parsers.windows_kv`), one after the other in a raw export
(``splunk search ... -output raw``, a saved ``_raw`` column, a forwarder's
``WinEventLog`` file), sometimes with blank lines between them.  An event
begins where Splunk's Windows add-on breaks them: a line that is a header time
(``11/29/2026 10:31:02 AM``, maybe with milliseconds) followed by a
``LogName=`` (or ``EventCode=``, ``SourceName=``, ``ComputerName=``) line,
and only where the event before it can end: when its message's layout is known
(:func:`ingest.parsers.windows_kv_templates.end_labels`: Sysmon's events, the
mapped Security and System events, 4104), once its message has had a line with
the layout's last label (``ParentUser:`` for Sysmon 1, or ``ParentCommandLine:``
for a Sysmon before 13.30).  So a header written inside a value (a command line
that holds ``11/29/2026 10:31:05 AM``, ``LogName=Security``...) does not start
an event while Windows still has labels to write after that value.

What a message's author can still do: write the layout's last label in the value
before the forged header (``ParentUser: x``), or forge it inside the message's
last value (4688's command line, 4698's task XML, 4104's script after
``Path:``), or inside an event whose layout is not known.  Splunk's own line
breaker, which breaks on the header time alone, splits those events too.  And an
event cut short before its last label (a truncated forwarder file) takes the
events after it into its message, until one of its layout's last labels appears.

Records: the event's text without its trailing blank lines (its line endings
as written), ``format_hint="windows_kv"``, origin ``path:<line of its header>``.
Lines before the first event are rejected once, with their first line.  An
event over :data:`MAX_EVENT_BYTES` is rejected with its length and not kept
(read on to the next event); a line over it is consumed in pieces, never held.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import BinaryIO

from ingest.parsers.windows_kv_templates import FIRST_KEYS, HEADER_TIME, end_labels
from ingest.readers.base import RawRecord, ReadError
from ingest.readers.text_lines import TooLongLine, iter_lines

FORMAT_HINT = "windows_kv"
MAX_EVENT_BYTES = 1 << 20
"""A longer event is rejected and skipped (the parser's own limit, in characters, is the same)."""

_TIME_LINE = re.compile(HEADER_TIME.encode() + rb"\r?\n\Z")
_FIRST_KEYS = tuple(key.encode() + b"=" for key in FIRST_KEYS)
_HEAD = re.compile(rb"\s*" + HEADER_TIME.encode() + rb"\r?\n(?:" + "|".join(FIRST_KEYS).encode() + rb")=")


_IN_HEADER, _IN_MESSAGE, _MAY_END = 0, 1, 2
"""Where the event being gathered is: its header's lines are Windows' own, so an event may start after
them; in its message, only once its layout's last label is seen (:func:`_ends_of`)."""


def _ends_of(header: list[bytes]) -> tuple[bytes, ...] | None:
    """The line starts (``ParentUser:``...) after which an event whose header is ``header`` may end."""
    channel, code = "", 0
    for line in header:
        if line.startswith(b"LogName="):
            channel = line[8:].strip().decode("utf-8", "replace")
        elif line.startswith(b"EventCode="):
            digits = line[10:].strip()
            code = int(digits) if digits.isdigit() and len(digits) <= 5 else 0
    return _line_starts(channel, code)


@lru_cache(maxsize=256)
def _line_starts(channel: str, code: int) -> tuple[bytes, ...] | None:
    ends = end_labels(channel, code)
    return None if ends is None else tuple(label.encode() + b":" for label in ends)


def is_windows_kv_text(head: bytes) -> bool:
    """Whether a file's first bytes begin with a classic Windows event (header time, then ``LogName=``).

    >>> is_windows_kv_text(b"11/29/2026 10:31:02 AM\\r\\nLogName=Security\\r\\nEventCode=4624\\r\\n")
    True
    >>> is_windows_kv_text(b"Nov 29 10:31:02 ws01 sshd[1]: x\\n")
    False
    """
    return _HEAD.match(head) is not None


class WindowsKvTextReader:
    """Frames the events of a classic Windows event text file (module docstring).

    Parameters
    ----------
    max_event_bytes : int
        A longer event is a :class:`ReadError` and is not kept.

    Examples
    --------
    >>> import io
    >>> data = b"1/2/2026 3:04:05 PM\\nLogName=Security\\nMessage=a\\n\\n1/2/2026 3:04:06 PM\\nLogName=Security\\n"
    >>> [(r.origin, r.record) for r in WindowsKvTextReader().read(io.BytesIO(data), "f.log")]
    [('f.log:1', '1/2/2026 3:04:05 PM\\nLogName=Security\\nMessage=a'), ('f.log:5', '1/2/2026 3:04:06 PM\\nLogName=Security')]
    """

    name = "windows_kv_text"

    def __init__(self, *, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes

    def sniff(self, head: bytes, path: str) -> bool:
        """:func:`is_windows_kv_text` of the head."""
        return is_windows_kv_text(head)

    def read(self, stream: BinaryIO, path: str) -> Iterator[RawRecord | ReadError]:
        """The file's events, one record each, in order; what is not one, as rejections."""
        limit = self.max_event_bytes
        parts: list[bytes] = []
        size = 0
        start = 0  # line of the event being gathered; 0 before the first
        pending: bytes | None = None  # a time line, until the next line says whether an event begins
        pending_number = 0
        too_long = False
        state = _IN_HEADER
        ends: tuple[bytes, ...] = ()
        for number, line in iter_lines(stream, limit):
            if pending is not None:
                if line.startswith(_FIRST_KEYS) and (start == 0 or state != _IN_MESSAGE):
                    yield from self._event(parts, size, start, path, too_long)
                    parts, size, start, too_long = [pending], len(pending), pending_number, False
                    state = _IN_HEADER
                else:
                    parts.append(pending)
                    size += len(pending)
                pending = None
            if isinstance(line, TooLongLine):
                too_long, size = True, size + line.length
                continue
            if _TIME_LINE.match(line):
                pending, pending_number = line, number
                continue
            if state == _IN_MESSAGE:
                # once seen, the last label stays seen: a value after it cannot glue the next event on
                if line.lstrip().startswith(ends):
                    state = _MAY_END
            elif state == _IN_HEADER and line.startswith(b"Message="):
                found = _ends_of(parts if not too_long else [])
                state, ends = (_MAY_END, ()) if found is None else (_IN_MESSAGE, found)
            size += len(line)
            if size > limit:
                too_long = True
            if not too_long:
                parts.append(line)
        if pending is not None:
            parts.append(pending)
            size += len(pending)
        yield from self._event(parts, size, start, path, too_long or size > limit)

    def _event(self, parts: list[bytes], size: int, start: int, path: str,
               too_long: bool) -> Iterator[RawRecord | ReadError]:
        if too_long:
            yield ReadError(f"{path}:{start}", f"Windows event text too long: {size} bytes, over the limit of "
                            f"{self.max_event_bytes} bytes", "")
            return
        data = b"".join(parts).rstrip()
        if not data:
            return
        text = data.decode("utf-8", "replace")
        if start == 0:
            first = text.split("\n", 1)[0][:200]
            yield ReadError(f"{path}:1", f"text before the first Windows event (first line {first!r})", text[:2000])
            return
        yield RawRecord(text, f"{path}:{start}", text, None, FORMAT_HINT, data)
