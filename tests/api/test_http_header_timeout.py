"""HTTP connections that never complete their headers are closed (review R5, item 4).

``graphsiem serve`` kept a connection that sent nothing, or dribbled header
lines, open for ever: 2,000 of them took 2,000 descriptors of the service with
no key.  A real ``graphsiem serve`` with a 1 s header timeout; the test waits
up to 30 s for each close, so a slow machine cannot break it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.serve_process import free_port, wait_until_ready

REPO = Path(__file__).resolve().parents[2]
CLOSE_WAIT_S = 30.0
HELD = 40


def _closed_within(sock: socket.socket, seconds: float, dribble: bytes = b"") -> bool:
    """Whether the server closes ``sock`` within ``seconds``, sending ``dribble`` meanwhile."""
    deadline = time.monotonic() + seconds
    sock.settimeout(0.25)
    while time.monotonic() < deadline:
        try:
            if sock.recv(1) == b"":
                return True
        except TimeoutError:
            pass
        except ConnectionResetError:
            return True
        if dribble:
            try:
                sock.sendall(dribble)
            except OSError:
                return True
    return False


def _descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_connections_without_complete_headers_are_closed_and_their_descriptors_freed(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, GRAPHSIEM_HTTP_HEADER_TIMEOUT_S="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphsiem", "serve", "--data", str(tmp_path / "data"), "--port", str(port),
         "--no-detect-at-start", "--log-level", "warning"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, proc)
        before = _descriptors(proc.pid)
        held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(HELD)]
        partial = socket.create_connection(("127.0.0.1", port), timeout=10)
        partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        try:
            # a header line every 0.25 s keeps bytes coming: the deadline is for the headers, not for silence
            assert _closed_within(partial, CLOSE_WAIT_S, dribble=b"X-a: b\r\n")
            assert all(_closed_within(sock, CLOSE_WAIT_S) for sock in held)
            deadline = time.monotonic() + CLOSE_WAIT_S
            while _descriptors(proc.pid) > before + 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _descriptors(proc.pid) <= before + 2  # the held connections' descriptors are back
        finally:
            for sock in [*held, partial]:
                sock.close()
        # requests sent at once are answered as before
        with httpx.Client(base_url=base, timeout=10) as client:
            assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
