"""Helpers for tests that run ``graphsiem serve`` as a real process on loopback."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A loopback TCP port free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_ready(base: str, proc: subprocess.Popen[bytes], *, seconds: float = 60.0) -> None:
    """Poll ``base``/readyz until it answers 200; fail with the server's output if it exits first."""
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, b"".join(stream.read() for stream in (proc.stdout, proc.stderr)
                                             if stream is not None).decode(errors="replace")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "graphsiem serve did not become ready"
        time.sleep(0.2)
