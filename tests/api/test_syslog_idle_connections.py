"""Idle syslog TCP connections can no longer lock senders out (review R5, item 3).

256 connections that never sent a byte held every slot of the listener: each
legitimate sender was closed on arrival for as long as they stayed open.  Now
a silent connection is closed after ``idle_timeout_s``, one address holds at
most ``max_tcp_connections_per_peer`` connections, and a full listener closes
its least recently active connection for a new one.  Real sockets against a
real listener; other loopback addresses (127.0.0.2) stand for other senders.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from tests.api.conftest import make_settings, running_api
from tests.api.syslog_listener_thread import running_listener, wait_until

CLOSE_WAIT_S = 30  # generous: a closed connection is seen within a second or two


def _connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(CLOSE_WAIT_S)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def _is_closed_by_listener(sock: socket.socket) -> bool:
    """Whether the listener closed ``sock`` (waits up to CLOSE_WAIT_S for its end)."""
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def _is_open(sock: socket.socket) -> bool:
    """Whether ``sock`` is still open at the listener's end, without waiting."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.settimeout(CLOSE_WAIT_S)


@contextmanager
def _collecting(**options: object) -> Iterator[tuple[object, list[str]]]:
    messages: list[str] = []
    with running_listener(lambda batch, _t: messages.extend(batch), tcp_port=0, flush_s=0.05,
                          **options) as listener:
        yield listener, messages


def test_a_silent_connection_is_closed_after_the_idle_timeout() -> None:
    with _collecting(idle_timeout_s=1.0) as (listener, messages):
        with _connect(listener.tcp_port) as silent, _connect(listener.tcp_port) as partial:
            partial.sendall(b"<13>Nov 29 10:00:00 fw01 app: cut")  # a frame never finished
            assert _is_closed_by_listener(silent)
            assert _is_closed_by_listener(partial)
        wait_until(lambda: listener.tcp_closed["idle"] == 2, "both counted as idle")
        # what the cut connection had sent is handed on, as at end of stream
        wait_until(lambda: messages == ["<13>Nov 29 10:00:00 fw01 app: cut"], "the cut frame delivered")
        assert not listener._connections


def test_a_full_listener_closes_its_least_recently_active_connection_for_a_new_sender() -> None:
    with _collecting(max_tcp_connections=4, max_tcp_connections_per_peer=100) as (listener, messages):
        with ExitStack() as stack:
            held = [stack.enter_context(_connect(listener.tcp_port, f"127.0.0.{n}")) for n in range(2, 6)]
            wait_until(lambda: len(listener._connections) == 4, "four connections held")
            legit = stack.enter_context(_connect(listener.tcp_port))
            legit.sendall(b"<13>Nov 29 10:00:00 fw01 app: legit after hold\n")
            wait_until(lambda: messages == ["<13>Nov 29 10:00:00 fw01 app: legit after hold"],
                       "the new sender's message delivered")
            assert _is_closed_by_listener(held[0])  # the oldest silent one made room
            assert [_is_open(sock) for sock in held[1:]] == [True, True, True]
            assert _is_open(legit)
            assert listener.tcp_closed["evicted"] == 1 and listener.tcp_refused == 0


def test_one_address_at_its_limit_closes_only_its_own_connections() -> None:
    with _collecting(max_tcp_connections=8, max_tcp_connections_per_peer=2) as (listener, messages):
        with ExitStack() as stack:
            legit = stack.enter_context(_connect(listener.tcp_port))
            legit.sendall(b"<13>Nov 29 10:00:00 fw01 app: one\n")
            wait_until(lambda: len(messages) == 1, "the sender's first message")
            flood = [stack.enter_context(_connect(listener.tcp_port, "127.0.0.9")) for _ in range(5)]
            wait_until(lambda: listener.tcp_closed["peer_limit"] == 3, "three of the flood closed")
            assert [_is_closed_by_listener(sock) for sock in flood[:3]] == [True, True, True]
            assert [_is_open(sock) for sock in flood[3:]] == [True, True]
            legit.sendall(b"<13>Nov 29 10:00:01 fw01 app: two\n")  # the other sender kept its connection
            wait_until(lambda: len(messages) == 2, "the sender's second message")
            assert listener.tcp_closed["evicted"] == 0


def test_the_service_counts_closed_connections_by_reason_in_metrics(store: Any, tmp_path: Path) -> None:
    store.clear()
    settings = make_settings(tmp_path / "data", syslog_tcp_port=0, syslog_max_tcp_connections=2,
                             syslog_tcp_idle_timeout_s=1.0)
    with running_api(settings, store) as api, ExitStack() as stack:
        port = api.app.state.syslog.tcp_port
        held = [stack.enter_context(_connect(port, f"127.0.0.{n}")) for n in (2, 3)]
        wait_until(lambda: len(api.app.state.syslog._connections) == 2, "two connections held")
        stack.enter_context(_connect(port))  # the third closes the least recently active
        assert _is_closed_by_listener(held[0])
        assert _is_closed_by_listener(held[1])  # then the idle timeout closes the others

        def closed(reason: str) -> float:
            text = api.get("/metrics", role="analyst").text
            found = re.search(rf'^graphsiem_syslog_closed_connections_total{{reason="{reason}"}} (\S+)$',
                              text, re.MULTILINE)
            return float(found.group(1)) if found else 0.0

        # the held one left and the new one (silent too) go idle: at least one idle close counted
        wait_until(lambda: closed("idle") >= 1, "idle closes counted")
        assert closed("evicted") == 1.0
