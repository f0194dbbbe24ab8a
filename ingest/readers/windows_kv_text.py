"""Classic Windows event text files: frames Splunk ``WinEventLog`` events, one multi-line record each.

Splunk writes classic Windows events (``renderXml = false``) as text over many
lines (:mod:`ingest.parsers.windows_kv`), one after the other in a raw export
(``splunk search ... -output raw``, a saved ``_raw`` column, a forwarder's
``WinEventLog`` file), sometimes with blank lines between them.  An event
begins where Splunk's Windows add-on breaks them: a line that is a header time
(``11/29/2026 10:31:02 AM``, maybe with milliseconds) followed by a
``LogName=`` (or ``EventCode=``, ``SourceName=``, ``ComputerName=``) line.
Any other line belongs to the event before it, however it looks, so a
message's own lines never start an event.

Records: the event's text without its trailing blank lines (its line endings
as written), ``format_hint="windows_kv"``, origin ``path:<line of its header>``.
Lines before the first event are rejected once, with their first line.  An
event over :data:`MAX_EVENT_BYTES` is rejected with its length and not kept
(read on to the next event); a line over it is consumed in pieces, never held.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from ingest.readers.base import RawRecord, ReadError
from ingest.readers.text_lines import TooLongLine, iter_lines

FORMAT_HINT = "windows_kv"
MAX_EVENT_BYTES = 1 << 20
"""A longer event is rejected and skipped (the parser's own limit, in characters, is the same)."""

_TIME_LINE = re.compile(rb"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2}(?:\.\d{1,9})? ?(?:[AaPp][Mm])?\r?\n\Z")
_FIRST_KEYS = (b"LogName=", b"EventCode=", b"SourceName=", b"ComputerName=")
_HEAD = re.compile(rb"\s*\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2}(?:\.\d{1,9})? ?(?:[AaPp][Mm])?\r?\n"
                   rb"(?:LogName|EventCode|SourceName|ComputerName)=")


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
        for number, line in iter_lines(stream, limit):
            if pending is not None:
                if line.startswith(_FIRST_KEYS):
                    yield from self._event(parts, size, start, path, too_long)
                    parts, size, start, too_long = [pending], len(pending), pending_number, False
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
