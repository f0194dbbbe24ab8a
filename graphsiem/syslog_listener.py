"""Syslog receiver: UDP datagrams and TCP streams on a local address.

TCP framing follows RFC 6587: a frame starting with a digit is
**octet-counted** (``"<length> <message>"``), anything else is
**newline-delimited** (LF; a trailing CR and NUL are stripped).  The framing is
decided per frame, as senders may mix them.  UDP carries one message per
datagram (RFC 5426).

Messages are buffered and handed to ``sink(messages, transport)`` in batches
(every ``batch_records`` messages or ``flush_s`` seconds) on a worker thread,
so the event loop never blocks on the journal or the graph store.  The sink is
the same ingest pipeline the HTTP API uses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("graphsiem.syslog")

Sink = Callable[[list[str], str], object]


class FramingError(ValueError):
    """A TCP stream that is not syslog framing (the connection is closed)."""


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
        """Complete messages contained in what has arrived so far."""
        self._buffer.extend(data)
        messages: list[str] = []
        buf = self._buffer
        while buf:
            # Separators left between frames by senders that add LF after octet frames.
            while buf[:1] in (b"\n", b"\r", b"\x00"):
                del buf[:1]
            if not buf:
                break
            if buf[:1].isdigit():
                space = buf.find(b" ", 0, 12)
                if space < 0:
                    if len(buf) >= 12 or not bytes(buf).isdigit():
                        raise FramingError("octet count not followed by a space")
                    break  # the count itself is still arriving
                length = int(buf[:space])
                if length > self.max_message:
                    raise FramingError(f"frame of {length} bytes exceeds {self.max_message}")
                end = space + 1 + length
                if len(buf) < end:
                    break
                messages.append(_decode(bytes(buf[space + 1:end])))
                del buf[:end]
            else:
                newline = buf.find(b"\n")
                if newline < 0:
                    if len(buf) > self.max_message:
                        raise FramingError(f"line longer than {self.max_message} bytes")
                    break
                line = bytes(buf[:newline]).rstrip(b"\r\x00")
                del buf[:newline + 1]
                if line:
                    messages.append(_decode(line))
        return messages

    def close(self) -> list[str]:
        """A last newline-less message at end of stream."""
        rest = bytes(self._buffer).strip(b"\r\n\x00")
        self._buffer.clear()
        if rest and not rest[:1].isdigit():
            return [_decode(rest)]
        return []


def _decode(data: bytes) -> str:
    # RFC 5424 messages may start with a UTF-8 BOM; invalid bytes are kept visible.
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff").rstrip("\n")


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
        try:
            while data := await reader.read(65536):
                self.batcher.add(framer.feed(data), "tcp")
            self.batcher.add(framer.close(), "tcp")
        except FramingError as exc:
            peer = writer.get_extra_info("peername")
            log.warning("closing syslog connection from %s: %s", peer, exc)
        except ConnectionError:
            pass
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
