"""``graphsiem serve`` whose syslog listener cannot listen: one line, a non-zero exit, no traceback.

Review S2, item 5: a syslog TCP or UDP port in use, or a
``GRAPHSIEM_SYSLOG_HOST`` that does not resolve, ended ``graphsiem serve``
with uvicorn's traceback of the app's startup.  Real sockets held by the test.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphsiem.syslog_listener import SyslogListener
from graphsiem.syslog_ports import SyslogBindError
from tests.graphsiem.cli.test_startup_refusals import _graphsiem, _one_line
from tests.serve_process import free_port


@pytest.fixture
def held_tcp_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


@pytest.fixture
def held_udp_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def _serve(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return _graphsiem("serve", "--data", str(data), "--port", str(free_port()), "--no-detect-at-start", *args, **env)


def test_a_syslog_tcp_port_in_use_is_one_line(tmp_path, held_tcp_port):
    line = _one_line(_serve(tmp_path / "data", "--syslog-tcp", str(held_tcp_port)))
    assert line == (f"graphsiem serve: cannot listen for syslog on 127.0.0.1:{held_tcp_port}/tcp: "
                    "Address already in use")


def test_a_syslog_udp_port_in_use_is_one_line(tmp_path, held_udp_port):
    line = _one_line(_serve(tmp_path / "data", "--syslog-udp", str(held_udp_port)))
    assert line == (f"graphsiem serve: cannot listen for syslog on 127.0.0.1:{held_udp_port}/udp: "
                    "Address already in use")


def test_a_syslog_host_that_does_not_resolve_is_one_line(tmp_path):
    result = _serve(tmp_path / "data", GRAPHSIEM_SYSLOG_HOST="nohost.invalid",
                    GRAPHSIEM_SYSLOG_UDP_PORT=str(free_port()))
    line = _one_line(result)
    assert line.startswith("graphsiem serve: cannot listen for syslog on nohost.invalid:")


def test_the_listener_itself_says_so_in_one_line_when_its_port_is_taken(held_tcp_port):
    """Should the port be taken between the check and the listener's start."""
    listener = SyslogListener(lambda messages, transport: None, tcp_port=held_tcp_port)
    with pytest.raises(SyslogBindError) as raised:
        asyncio.run(listener.start())
    assert str(raised.value) == f"cannot listen for syslog on 127.0.0.1:{held_tcp_port}/tcp: Address already in use"
