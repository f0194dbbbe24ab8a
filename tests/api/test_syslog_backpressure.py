"""The syslog listener holds a bounded amount, however fast senders are (review RV1, item 5).

One TCP client pushed 160 MB in 0.9 s into a listener whose sink took 0.5 s a
batch: 79 batches waited for the sink and memory grew without bound (UDP the
same; TCP connections were not capped).  Now at most ``max_inflight_batches``
are with the sink; beyond, TCP connections are paused (their senders wait: nothing
is lost), UDP datagrams are dropped and counted (``/metrics``, a warning), and
``max_tcp_connections`` caps the connections (one more closes the least recently active).  Real sockets, a real slow sink;
the bounds are read from the listener's own counters (no timing is asserted).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from graphsiem.api.metrics import Metrics
from tests.api.conftest import make_settings, running_api
from tests.api.syslog_listener_thread import running_listener, wait_until


def _message(i: int) -> bytes:
    return b"<13>Nov 29 10:00:00 h1 app: message %06d " % i + b"A" * 900 + b"\n"


def test_a_fast_tcp_sender_is_paused_and_loses_nothing() -> None:
    delivered: list[str] = []
    serving: list[Any] = []

    def slow_sink(batch: list[str], _transport: str) -> None:
        # The journal and the graph, behind: the first batch waits until the reader has
        # paused (a sleep would race the reader on a loaded machine), the rest trickle.
        wait_until(lambda: bool(serving) and serving[0].tcp_pauses > 0, "the reader paused")
        time.sleep(0.01)
        delivered.extend(batch)

    count, batch_records, cap = 4000, 50, 2  # ~4 MB from one client
    with running_listener(slow_sink, tcp_port=0, batch_records=batch_records, flush_s=0.05,
                          max_inflight_batches=cap) as listener:
        serving.append(listener)
        with socket.create_connection(("127.0.0.1", listener.tcp_port), timeout=30) as sender:
            sender.sendall(b"".join(_message(i) for i in range(count)))
        wait_until(lambda: len(delivered) >= count, "every message delivered")
        batcher = listener.batcher
        assert listener.tcp_pauses > 0  # the sender outran the sink: reading paused
        assert batcher.peak_inflight <= cap  # before: no cap (79 batches at once)
        per_read = 65536 // len(_message(0)) + 2  # the messages of one read (and the one it completes)
        assert batcher.peak_held <= (cap + 1) * batch_records + per_read, batcher.peak_held
    # every message once (batches with the sink at the same time may finish in either order)
    assert sorted(delivered) == [_message(i).decode().rstrip("\n") for i in range(count)]


def test_udp_beyond_the_cap_is_dropped_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    delivered: list[str] = []

    def stuck_sink(batch: list[str], _transport: str) -> None:
        release.wait(30)
        delivered.extend(batch)

    metrics = Metrics()
    with caplog.at_level(logging.WARNING, logger="graphsiem.syslog"), running_listener(
            stuck_sink, udp_port=0, batch_records=5, flush_s=60, max_inflight_batches=1,
            metrics=metrics) as listener:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for i in range(50):
                sender.sendto(_message(i)[:200], ("127.0.0.1", listener.udp_port))
        wait_until(lambda: listener.batcher.received + listener.udp_dropped >= 50, "50 datagrams seen")
        # one batch with the sink, one batch full and waiting: the 40 others are dropped
        assert (listener.batcher.received, listener.udp_dropped) == (10, 40)
        assert 'graphsiem_syslog_dropped_total{transport="udp"} 40.0' in metrics.render().decode()
        assert any("dropped" in r.getMessage() and "UDP" in r.getMessage() for r in caplog.records)
        release.set()
        wait_until(lambda: len(delivered) >= 10, "the 10 taken delivered once the sink caught up")


def test_a_connection_beyond_the_cap_closes_the_least_recently_active_and_is_counted(
        embedded_store: Any, tmp_path: Path) -> None:
    # review R5, item 3: refusing the connection beyond the cap let held idle connections lock
    # every sender out; the least recently active one now makes room (test_syslog_idle_connections)
    settings = make_settings(tmp_path / "data", syslog_tcp_port=0, syslog_flush_s=0.05,
                             syslog_max_tcp_connections=2)
    line = b"<13>Nov 29 10:00:00 h1 app: hello\n"
    with running_api(settings, embedded_store) as api:
        listener = api.app.state.syslog
        address = ("127.0.0.1", listener.tcp_port)
        with socket.create_connection(address, timeout=10) as one, \
                socket.create_connection(address, timeout=10) as two:
            one.sendall(line)
            wait_until(lambda: listener.batcher.received >= 1, "the first connection served")
            two.sendall(line)
            wait_until(lambda: listener.batcher.received >= 2, "both open connections served")
            with socket.create_connection(address, timeout=10) as three:
                three.sendall(line)
                wait_until(lambda: listener.batcher.received >= 3, "the new connection served")
                assert one.recv(1) == b""  # the least recently active made room (before: three refused)
            assert (listener.tcp_refused, listener.tcp_closed["evicted"]) == (0, 1)
        text = api.get("/metrics", role="analyst").text
        assert 'graphsiem_syslog_closed_connections_total{reason="evicted"} 1.0' in text
        wait_until(lambda: not listener._connections, "the connections closed")
