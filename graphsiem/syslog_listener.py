"""Syslog receiver: UDP datagrams and TCP streams on a local address.

TCP framing follows RFC 6587 (:mod:`graphsiem.syslog_framing`: octet-counted when a
frame is digits, a space and a PRI's ``<``, else newline-delimited, decided per frame).
A stream that cannot be framed (an octet count above ``max_message``, a
line longer than it) closes its connection, but every message framed before
it is still delivered and the head of the unframable bytes is handed to the
sink as one more message, where the parser rejects it with its text, as it
does a UDP datagram that is no syslog.  UDP carries one message per datagram
(RFC 5426).

Each message is a :class:`SyslogMessage`: its text (a byte that is not UTF-8
written ``\\xNN``) with the bytes it came as, from which its event id is
derived.  Messages go to the sink in bounded batches
(:mod:`graphsiem.syslog_batches`): while ``max_inflight_batches`` are with the
sink, TCP connections are paused (the senders wait, nothing is lost) and UDP
datagrams are dropped, counted (``udp_dropped``, the API's ``/metrics``) and
logged.  At most ``max_tcp_connections`` are served at once, at most
``max_tcp_connections_per_peer`` from one address, and a connection silent for
``idle_timeout_s`` is closed; a new connection beyond a limit closes the least
recently active one (its address's own at the per-address limit) rather than
being refused (:mod:`graphsiem.syslog_connections`), counted by reason.
:meth:`SyslogListener.stop` closes the open
connections after framing what they had sent.  The sink is the same ingest
pipeline the HTTP API uses.

Each source address has a rate limit (``rate_per_source`` messages a second,
``burst_per_source`` at once; :mod:`graphsiem.syslog_rate_limit`): a UDP
datagram beyond it is dropped before it is batched, counted per source and
logged naming the source; a TCP connection beyond it is not read until its
address's bucket refills (nothing is lost).  A dropped datagram never reaches
the ingest pipeline, so it is not among an ingest's received records.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Protocol, cast

from graphsiem.rate_limits import Limit
from graphsiem.syslog_batches import Sink, SyslogBatcher
from graphsiem.syslog_connections import OpenConnection, TcpConnections
from graphsiem.syslog_framing import (  # re-exported: the API and the tests name them here
    FramingError,
    SyslogMessage,
    TcpFramer,
    decode_message,
)
from graphsiem.syslog_ports import SyslogBindError, describe_bind_error
from graphsiem.syslog_rate_limit import SourceRateLimit

log = logging.getLogger("graphsiem.syslog")

__all__ = ["FramingError", "ListenerMetrics", "Sink", "SyslogListener", "SyslogMessage", "TcpFramer"]


class ListenerMetrics(Protocol):
    """Where the listener counts what it refuses (the API's :class:`graphsiem.api.metrics.Metrics`)."""

    def count_syslog_dropped(self, transport: str, messages: int) -> None:
        """``messages`` not taken on ``transport`` because the sink was behind."""

    def count_syslog_refused_connection(self) -> None:
        """A TCP connection closed on arrival: the listener was stopping."""

    def count_syslog_closed_connection(self, reason: str) -> None:
        """An open TCP connection the listener closed: ``idle``, ``evicted`` or ``peer_limit``."""

    def count_syslog_rate_limited(self, transport: str, source: str, messages: int) -> None:
        """``messages`` from ``source`` over its rate: dropped (UDP) or slowed (TCP)."""


class _RateLimitedWarning:
    """A warning for events counted in bulk (drops, refusals): at once, then at most every ``every_s``."""

    def __init__(self, text: str, every_s: float) -> None:
        self.text = text  # %d: how many since the last warning, %d: how many in all
        self.every_s = every_s
        self.total = 0
        self._unreported = 0
        self._last = -float("inf")

    def count(self, n: int = 1) -> None:
        self.total += n
        self._unreported += n
        now = time.monotonic()
        if now - self._last >= self.every_s:
            self.report()
            self._last = now

    def report(self) -> None:
        """Log what was counted since the last warning (nothing when nothing was)."""
        if self._unreported:
            log.warning(self.text, self._unreported, self.total)
            self._unreported = 0


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, listener: SyslogListener) -> None:
        self.listener = listener

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        listener = self.listener
        # over its source's rate: dropped before it costs a decode or a place in a batch
        if not listener.udp_rate_limit.admit(str(addr[0])):
            return
        if not listener.batcher.has_room("udp"):
            # the sink is max_inflight batches behind: a datagram held now would grow memory
            # without bound; UDP senders expect loss, but it is counted and logged, never silent
            listener.udp_dropped += 1
            listener.drop_warning.count()
            if listener.metrics is not None:
                listener.metrics.count_syslog_dropped("udp", 1)
            return
        message = decode_message(data[: listener.max_message].rstrip(b"\r\x00"), str(addr[0]))
        if message:
            listener.batcher.add([message], "udp")


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
    batch_records, flush_s : int, float
        A batch goes to the sink every ``batch_records`` messages or ``flush_s`` seconds.
    max_message : int
        Longest message (bytes); a TCP stream with a longer frame is closed.
    max_inflight_batches : int
        Batches with the sink at once; beyond, TCP reads pause and UDP datagrams are dropped.
    max_tcp_connections : int
        Open TCP connections; one more closes the least recently active one, counted.
    max_tcp_connections_per_peer : int
        Open TCP connections from one address; one more closes that address's least
        recently active one, counted.
    idle_timeout_s : float or None
        A TCP connection that sends nothing for this long is closed, counted (``None``: never).
    rate_per_source, burst_per_source : float
        Messages a second, and at once, from one address (``rate_per_source`` 0: no limit);
        beyond, UDP datagrams are dropped and TCP connections are not read, both counted.
    max_rate_sources : int
        Addresses whose rate is tracked at once (the least recently heard forgotten).
    metrics : ListenerMetrics, optional
        Counts dropped datagrams and refused connections (the API's ``/metrics``).

    Attributes
    ----------
    udp_dropped, tcp_refused, tcp_pauses : int
        Datagrams dropped and connections refused (both logged too), and how often the
        TCP connections were paused while the sink was behind.
    tcp_closed : dict of str to int
        Open connections the listener closed, by reason (``idle``, ``evicted``, ``peer_limit``).
    udp_rate_limit, tcp_rate_limit : SourceRateLimit
        The per-source limits, with what they refused (``dropped``, ``dropped_by_source``).
    """

    def __init__(self, sink: Sink, *, host: str = "127.0.0.1", udp_port: int | None = None,
                 tcp_port: int | None = None, batch_records: int = 500, flush_s: float = 0.5,
                 max_message: int = 64 * 1024, max_inflight_batches: int = 4,
                 max_tcp_connections: int = 256, max_tcp_connections_per_peer: int = 32,
                 idle_timeout_s: float | None = 300.0, rate_per_source: float = 5000.0,
                 burst_per_source: float = 20000.0, max_rate_sources: int = 10000,
                 metrics: ListenerMetrics | None = None, warn_every_s: float = 10.0) -> None:
        self.host = host
        self.udp_port = udp_port
        self.tcp_port = tcp_port
        self.max_message = max_message
        self.max_tcp_connections = max_tcp_connections
        self.idle_timeout_s = idle_timeout_s
        self.metrics = metrics
        self.batcher = SyslogBatcher(sink, batch_records=batch_records, flush_s=flush_s,
                                     max_inflight=max_inflight_batches)
        self.udp_dropped = 0
        self.tcp_refused = 0
        self.tcp_pauses = 0
        self.tcp_closed = dict.fromkeys(("idle", "evicted", "peer_limit"), 0)
        self.drop_warning = _RateLimitedWarning(
            "syslog: dropped %d UDP datagrams (%d since start): the ingest sink is behind "
            "(max_inflight_batches reached)", warn_every_s)
        self._refusal_warning = _RateLimitedWarning(
            "syslog: refused %d TCP connections (%d since start): the listener is stopping",
            warn_every_s)
        self._eviction_warning = _RateLimitedWarning(
            "syslog: closed %d least recently active TCP connections for new ones (%d since start): "
            "max_tcp_connections or max_tcp_connections_per_peer were open", warn_every_s)
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.AbstractServer | None = None
        self._connections = TcpConnections(max_connections=max_tcp_connections,
                                           max_per_peer=max_tcp_connections_per_peer)
        self._stopping = False
        self._stopped = asyncio.Event()  # wakes the connections waiting out their rate
        limit = Limit(rate_per_source, burst_per_source)
        self.udp_rate_limit, self.tcp_rate_limit = (
            SourceRateLimit(limit, transport=transport, max_sources=max_rate_sources,
                            warn_every_s=warn_every_s, metrics=metrics) for transport in ("udp", "tcp"))

    async def start(self) -> None:
        """Bind the sockets; ``udp_port``/``tcp_port`` then hold the bound ports.

        Raises
        ------
        SyslogBindError
            When a port is in use or the host does not resolve, in one line
            (:mod:`graphsiem.syslog_ports`; ``graphsiem serve`` asks before it starts).
        """
        loop = asyncio.get_running_loop()
        if self.udp_port is not None:
            try:
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: _UdpProtocol(self), local_addr=(self.host, self.udp_port))
            except OSError as exc:
                raise SyslogBindError(describe_bind_error(self.host, self.udp_port, "udp", exc)) from None
            self._udp = transport
            self.udp_port = transport.get_extra_info("sockname")[1]
        if self.tcp_port is not None:
            try:
                self._tcp = await asyncio.start_server(self._handle_tcp, self.host, self.tcp_port)
            except OSError as exc:
                if self._udp is not None:
                    self._udp.close()
                raise SyslogBindError(describe_bind_error(self.host, self.tcp_port, "tcp", exc)) from None
            self.tcp_port = self._tcp.sockets[0].getsockname()[1]
        log.info("syslog listening on %s udp=%s tcp=%s", self.host, self.udp_port, self.tcp_port)

    async def _handle_tcp(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        if self._stopping:
            self.tcp_refused += 1
            self._refusal_warning.count()
            if self.metrics is not None:
                self.metrics.count_syslog_refused_connection()
            writer.close()
            return
        peer = writer.get_extra_info("peername")
        # each connection may hold a read and a partial frame: their number is bounded, but a
        # full listener makes room (the least recently active goes) instead of refusing senders
        address = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        admission = self._connections.admit(address)
        if admission.victim is not None:
            self._close_connection(admission.victim, admission.reason)
        task = asyncio.current_task()
        assert task is not None  # a connection is served by a task of start_server's
        connection = self._connections.add(task, OpenConnection(writer=writer, peer=address))
        framer = TcpFramer(max_message=self.max_message, peer=address)
        try:
            await self._read_frames(reader, connection, framer)
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
            self._connections.remove(task)
            writer.close()

    def _close_connection(self, connection: OpenConnection, reason: str) -> None:
        """Close an open connection for a new one (``evicted``, ``peer_limit``): it ends as at end of stream."""
        self._connections.remove(self._connections.task_of(connection))
        connection.writer.transport.close()  # its reader sees what arrived before, then the end
        self._count_closed(reason)
        self._eviction_warning.count()

    def _count_closed(self, reason: str) -> None:
        self.tcp_closed[reason] += 1
        if self.metrics is not None:
            self.metrics.count_syslog_closed_connection(reason)

    async def _read_frames(self, reader: asyncio.StreamReader, connection: OpenConnection,
                           framer: TcpFramer) -> None:
        """Frame the connection's bytes into the batcher, pausing while the sink is behind.

        A read that brings nothing for ``idle_timeout_s`` closes the connection (a pause
        for the sink is not idleness: it is not timed).
        """
        transport = cast(asyncio.Transport, connection.writer.transport)  # a TCP connection's: it reads too
        while True:
            if not self.batcher.has_room("tcp"):
                # TCP backpressure: the sender's kernel holds its bytes until the sink catches
                # up; nothing is lost and what is held here stays bounded
                self.tcp_pauses += 1
                transport.pause_reading()
                await self.batcher.wait_for_room("tcp")
                transport.resume_reading()  # a no-op once stop() has closed the transport
            try:
                async with asyncio.timeout(self.idle_timeout_s):
                    data = await reader.read(65536)
            except TimeoutError:
                # silent too long: a dead peer or a held slot; a sender reconnects when it has more
                self._count_closed("idle")
                log.debug("closing syslog connection from %s: nothing received for %s s",
                         connection.peer, self.idle_timeout_s)
                break
            if not data:
                break
            connection.touch()
            messages = framer.feed(data)
            self.batcher.add(messages, "tcp")
            delay = self.tcp_rate_limit.throttle(connection.peer, len(messages))
            if delay > 0:
                # over its address's rate: not read until the debt is paid back; the sender's
                # kernel holds its bytes (nothing lost), and stop() ends the wait
                transport.pause_reading()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), delay)
                transport.resume_reading()
        # end of stream, or stop(): a last newline-less line (or a cut frame, to be rejected)
        self.batcher.add(framer.close(), "tcp")

    async def stop(self) -> None:
        """Stop receiving and hand every message received to the sink.

        The open TCP connections are closed: what they had sent before is framed and
        delivered (a frame cut short as a rejection, as at end of stream); nothing is
        read from them after this returns.
        """
        self._stopping = True
        self._stopped.set()
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
        for connection in self._connections.values():
            connection.writer.transport.close()  # the reader then sees what arrived before, then its end
        self.batcher.close()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        await self.batcher.flush()
        self.drop_warning.report()
        self._refusal_warning.report()
        self._eviction_warning.report()
        self.udp_rate_limit.report()
        self.tcp_rate_limit.report()
