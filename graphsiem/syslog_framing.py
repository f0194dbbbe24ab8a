"""Syslog framing: RFC 6587 TCP de-framing, and the message a frame or a datagram becomes.

TCP framing follows RFC 6587: a frame starting with digits, a space and the ``<`` of a PRI is
**octet-counted** (``"<length> <PRI>message"``: RFC 5425 and 6587 frames carry a syslog message,
which starts with its PRI), anything else is **newline-delimited** (LF; a trailing CR and NUL are
stripped), so a line without PRI that starts with digits and a space (``200 OK GET /``, a day-first
date ``29 Nov 2026 10:00:00 fw01 ...``) is a line, never a count that would swallow its neighbours.
The framing is decided per frame, as senders may mix them (:class:`TcpFramer`).  Each message is a
:class:`SyslogMessage`: its text with the bytes it came as.  Moved out of
:mod:`graphsiem.syslog_listener` (the sockets and their limits), which re-exports these names.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

__all__ = ["FramingError", "SyslogMessage", "TcpFramer", "decode_message"]


_OCTET_COUNT_RE = re.compile(rb"[0-9]++")


class FramingError(ValueError):
    """A TCP stream that is not syslog framing (the connection is closed).

    Attributes
    ----------
    messages : list of str
        The complete messages framed before the error, in order: they are delivered all the same.
    unframed : str
        The head of the bytes that could not be framed (up to the first LF, at most
        ``max_message`` bytes), for the sink to keep as a rejection; empty when none.
    """

    def __init__(self, reason: str, messages: list[str] | None = None, unframed: str = "") -> None:
        super().__init__(reason)
        self.messages = messages if messages is not None else []
        self.unframed = unframed


@dataclass(slots=True)
class TcpFramer:
    """Incremental RFC 6587 de-framer for one TCP connection.

    Examples
    --------
    >>> f = TcpFramer(max_message=1024)
    >>> f.feed(b"11 <13>1 hello\\n<13>bye\\n")
    ['<13>1 hello', '<13>bye']
    """

    max_message: int
    peer: str | None = None
    """The connection's sender address, given to each of its messages (the channel: :mod:`ingest.channel_hosts`)."""
    _buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[str]:
        """Complete messages contained in what has arrived so far.

        Raises
        ------
        FramingError
            The stream cannot be framed from here on; it carries the messages framed
            before (``messages``) and the head of the rest (``unframed``), and the
            framer is left empty.
        """
        self._buffer.extend(data)
        messages: list[str] = []
        try:
            self._frame(messages)
        except FramingError as exc:
            exc.messages = messages
            head = bytes(self._buffer[: self.max_message])
            exc.unframed = decode_message(head.split(b"\n", 1)[0].rstrip(b"\r\x00"), self.peer)
            self._buffer.clear()
            raise
        return messages

    def _frame(self, messages: list[str]) -> None:
        """Move the complete frames at the head of the buffer to ``messages``."""
        buf = self._buffer
        while buf:
            # Separators left between frames by senders that add LF after octet frames.
            while buf[:1] in (b"\n", b"\r", b"\x00"):
                del buf[:1]
            if not buf:
                break
            digits = _OCTET_COUNT_RE.match(buf)
            space = digits.end() if digits is not None else 0
            if digits is not None and (space == len(buf) or (buf[space] == ord(" ") and space + 1 == len(buf))):
                # a count (or its space) still arriving, or a line starting with digits: the
                # bytes after the space tell
                if len(buf) > self.max_message:
                    raise FramingError(f"line longer than {self.max_message} bytes")
                break
            # an octet-counted frame carries a syslog message, whose first byte is its PRI's '<'
            # (RFC 5425, RFC 6587): "200 OK GET /" or "29 Nov 2026 ..." at a message start are lines
            if digits is not None and buf[space] == ord(" ") and buf[space + 1] == ord("<"):
                # digits beyond those of max_message cannot be a count it allows (and a
                # string of thousands of digits is no number int() reads)
                if space > len(str(self.max_message)) or int(buf[:space]) > self.max_message:
                    count = bytes(buf[: min(space, 20)]).decode("ascii")
                    raise FramingError(f"frame of {count}{'...' if space > 20 else ''} bytes "
                                       f"exceeds {self.max_message}")
                end = space + 1 + int(buf[:space])
                if len(buf) < end:
                    break
                message = decode_message(bytes(buf[space + 1:end]), self.peer)
                del buf[:end]
            else:
                # not "<digits> <": newline-delimited, even when it starts with digits (a date)
                newline = buf.find(b"\n")
                if newline < 0:
                    if len(buf) > self.max_message:
                        raise FramingError(f"line longer than {self.max_message} bytes")
                    break
                message = decode_message(bytes(buf[:newline]).rstrip(b"\r\x00"), self.peer)
                del buf[:newline + 1]
            if message:
                messages.append(message)

    def close(self) -> list[str]:
        """What is left at end of stream: a last newline-less line, or a frame cut short.

        A frame cut short is handed on as it came (count included), so that the sink
        rejects it with its text rather than the bytes vanishing.
        """
        rest = bytes(self._buffer).strip(b"\r\n\x00")
        self._buffer.clear()
        return [decode_message(rest, self.peer)] if rest else []


class SyslogMessage(str):
    """A received message's text, with the bytes it came as (``raw``).

    The text writes a byte that is not UTF-8 as ``\\xNN``, so the byte ``\\xe9`` and
    the four characters ``\\xe9`` read alike: the record's id is derived from
    ``raw`` (as a text file line's is from its bytes), so the two stay two records.
    """

    raw: bytes
    received_at: float
    """When it was framed, epoch seconds: its receipt time (:mod:`ingest.receipt`)."""
    peer: str | None
    """The sender's address (``None``: not known): the channel the message came by (:mod:`ingest.channel_hosts`)."""

    def __new__(cls, raw: bytes, peer: str | None = None) -> SyslogMessage:
        # RFC 5424 messages may start with a UTF-8 BOM: an encoding mark, not part of the message.
        # A byte that is not UTF-8 is written \xNN, as a text file's is (ingest.readers.text_lines):
        # U+FFFD would lose which byte the sender sent.
        raw = raw.removeprefix(b"\xef\xbb\xbf").rstrip(b"\n")
        message = super().__new__(cls, raw.decode("utf-8", errors="backslashreplace"))
        message.raw = raw
        # each message its own time, not its batch's: two identical messages without a time of
        # their own, a second apart, are two events even in one batch (review R5, item 6)
        message.received_at = time.time()
        message.peer = peer
        return message


def decode_message(data: bytes, peer: str | None = None) -> SyslogMessage:
    """``data`` as a :class:`SyslogMessage` from ``peer`` (a BOM and trailing LFs dropped, received now)."""
    return SyslogMessage(data, peer)
