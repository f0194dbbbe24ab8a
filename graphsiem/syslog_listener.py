"""Syslog receiver: UDP datagrams and TCP streams on a local address.

TCP framing follows RFC 6587: a frame starting with digits and a space is
**octet-counted** (``"<length> <message>"``), anything else is
**newline-delimited** (LF; a trailing CR and NUL are stripped), so a line
without PRI that starts with a date (``2026-11-21 11:00:00 host ...``) is a
line.  The framing is decided per frame, as senders may mix them.  A stream
that cannot be framed (an octet count above ``max_message``, a line longer
than it) closes its connection, but every message framed before it is still
delivered and the head of the unframable bytes is handed to the sink as one
more message, where the parser rejects it with its text, as it does a UDP
datagram that is no syslog.  UDP carries one message per datagram (RFC 5426).

Messages are buffered and handed to ``sink(messages, transport)`` in batches
(every ``batch_records`` messages or ``flush_s`` seconds) on a worker thread,
so the event loop never blocks on the journal or the graph store.  The sink is
the same ingest pipeline the HTTP API uses.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("graphsiem.syslog")

Sink = Callable[[list[str], str], object]


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
            exc.unframed = _decode(head.split(b"\n", 1)[0]).rstrip("\r\x00")
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
            if digits is not None and digits.end() == len(buf):
                # a count still arriving, or a line starting with digits: the next byte tells
                if len(buf) > self.max_message:
                    raise FramingError(f"line longer than {self.max_message} bytes")
                break
            if digits is not None and buf[digits.end()] == ord(" "):
                space = digits.end()
                # digits beyond those of max_message cannot be a count it allows (and a
                # string of thousands of digits is no number int() reads)
                if space > len(str(self.max_message)) or int(buf[:space]) > self.max_message:
                    count = bytes(buf[: min(space, 20)]).decode("ascii")
                    raise FramingError(f"frame of {count}{'...' if space > 20 else ''} bytes "
                                       f"exceeds {self.max_message}")
                end = space + 1 + int(buf[:space])
                if len(buf) < end:
                    break
                message = _decode(bytes(buf[space + 1:end]))
                del buf[:end]
            else:
                # not "<digits> ": newline-delimited, even when it starts with digits (a date)
                newline = buf.find(b"\n")
                if newline < 0:
                    if len(buf) > self.max_message:
                        raise FramingError(f"line longer than {self.max_message} bytes")
                    break
                message = _decode(bytes(buf[:newline]).rstrip(b"\r\x00"))
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
        return [_decode(rest)] if rest else []


def _decode(data: bytes) -> str:
    # RFC 5424 messages may start with a UTF-8 BOM.  A byte that is not UTF-8 is written \xNN, as
    # a text file's is (ingest.readers.text_lines): U+FFFD would lose which byte the sender sent.
    return data.decode("utf-8", errors="backslashreplace").removeprefix("\ufeff").rstrip("\n")


class _Batcher:
    """Collects messages and flushes them to the sink on a thread."""

    def __init__(self, sink: Sink, *, batch_records: int, flush_s: float) -> None:
        self.sink = sink
        self.batch_records = batch_records
        self.flush_s = flush_s
        self._pending: dict[str, list[str]] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self.received = 0

    def add(self, messages: list[str], transport: str) -> None:
        if not messages:
            return
        self.received += len(messages)
        pending = self._pending.setdefault(transport, [])
        pending.extend(messages)
        if len(pending) >= self.batch_records:
            self._spawn(transport)
        elif self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._later())

    async def _later(self) -> None:
        await asyncio.sleep(self.flush_s)
        for transport in list(self._pending):
            self._spawn(transport)

    def _spawn(self, transport: str) -> None:
        batch = self._pending.pop(transport, [])
        if batch:
            task = asyncio.get_running_loop().create_task(self._send(batch, transport))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _send(self, batch: list[str], transport: str) -> None:
        try:
            await asyncio.to_thread(self.sink, batch, transport)
        except Exception:  # noqa: BLE001 - a failing sink must not kill the listener
            log.exception("syslog sink failed for %d %s messages", len(batch), transport)

    async def flush(self) -> None:
        for transport in list(self._pending):
            self._spawn(transport)
        if self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, batcher: _Batcher, max_message: int) -> None:
        self.batcher = batcher
        self.max_message = max_message

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message = _decode(data[: self.max_message]).rstrip("\r\x00")
        if message:
            self.batcher.add([message], "udp")


class SyslogListener:
    """UDP and/or TCP syslog servers feeding ``sink``.

    Parameters
    ----------
    sink : callable
        ``sink(messages, transport)``; called on a worker thread.
    host : str
        Address to bind, loopback by default.
    udp_port, tcp_port : int or None
        Ports to listen on (``0`` picks a free port; ``None`` disables).
    """

    def __init__(self, sink: Sink, *, host: str = "127.0.0.1", udp_port: int | None = None,
                 tcp_port: int | None = None, batch_records: int = 500, flush_s: float = 0.5,
                 max_message: int = 64 * 1024) -> None:
        self.host = host
        self.udp_port = udp_port
        self.tcp_port = tcp_port
        self.max_message = max_message
        self.batcher = _Batcher(sink, batch_records=batch_records, flush_s=flush_s)
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        """Bind the sockets; ``udp_port``/``tcp_port`` then hold the bound ports."""
        loop = asyncio.get_running_loop()
        if self.udp_port is not None:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self.batcher, self.max_message),
                local_addr=(self.host, self.udp_port))
            self._udp = transport
            self.udp_port = transport.get_extra_info("sockname")[1]
        if self.tcp_port is not None:
            self._tcp = await asyncio.start_server(self._handle_tcp, self.host, self.tcp_port)
            self.tcp_port = self._tcp.sockets[0].getsockname()[1]
        log.info("syslog listening on %s udp=%s tcp=%s", self.host, self.udp_port, self.tcp_port)

    async def _handle_tcp(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        framer = TcpFramer(max_message=self.max_message)
        peer = writer.get_extra_info("peername")
        try:
            while data := await reader.read(65536):
                self.batcher.add(framer.feed(data), "tcp")
            self.batcher.add(framer.close(), "tcp")
        except FramingError as exc:
            # the messages framed before the error are the sender's as much as any other; the
            # unframable head goes to the sink, whose parser keeps it as a rejection with its text
            self.batcher.add(exc.messages + ([exc.unframed] if exc.unframed else []), "tcp")
            log.warning("closing syslog connection from %s: %s", peer, exc)
        except ConnectionError:
            pass
        except Exception:  # noqa: BLE001 - one connection's failure must not escape into the event loop
            log.exception("syslog connection from %s failed", peer)
        finally:
            writer.close()

    async def stop(self) -> None:
        """Close the sockets and hand every buffered message to the sink."""
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
        await self.batcher.flush()
