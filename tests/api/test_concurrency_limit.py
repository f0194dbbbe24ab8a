"""Beyond ``http_limit_concurrency`` requests at once: the API's JSON 503 with ``Retry-After``.

uvicorn's own limit answered a plain-text "Service Unavailable" without
``Retry-After`` and counted idle connections as well as requests (review T3,
finding 7).  A real ``graphsiem serve`` with a limit of 2: two ingest
requests are held in the application by bodies that have not finished
arriving, and the next request is refused in the API's error shape; a
liveness probe is not; once they end, requests are served again.  Idle
connections beside them do not count.
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
LIMIT = 2
WAIT_S = 30.0


def _ingest_key(data: Path) -> str:
    out = subprocess.run([sys.executable, "-m", "graphsiem", "keys", "create", "--data", str(data),
                          "--role", "ingest"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[0]  # the key alone on standard output


def _hold_ingest_request(port: int, key: str) -> socket.socket:
    """A POST whose body is announced and started, never finished: the application waits on it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-ndjson\r\n"
                 b"Authorization: Bearer " + key.encode() + b"\r\nContent-Length: 1000\r\n\r\n{\"a\":")
    return sock


def _status_until(client: httpx.Client, path: str, wanted: int) -> httpx.Response:
    deadline = time.monotonic() + WAIT_S
    while True:
        response = client.get(path)
        if response.status_code == wanted or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_requests_beyond_the_limit_get_the_api_error_shape_and_retry_after(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = _ingest_key(data)
    port = free_port()
    env = dict(os.environ, GRAPHSIEM_HTTP_LIMIT_CONCURRENCY=str(LIMIT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphsiem", "serve", "--data", str(data), "--port", str(port),
         "--no-detect-at-start", "--log-level", "warning"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    idle: list[socket.socket] = []
    held: list[socket.socket] = []
    try:
        wait_until_ready(base, proc)
        with httpx.Client(base_url=base, timeout=10) as client:
            # idle connections (no request yet) are not requests: nothing is refused for them
            idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(LIMIT + 1)]
            assert client.get("/v1/clusters").status_code == 401  # served (no key), not refused

            held = [_hold_ingest_request(port, key) for _ in range(LIMIT)]
            refused = _status_until(client, "/v1/clusters", 503)
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"].startswith("application/json")
            assert refused.headers["retry-after"] == "1"
            error = refused.json()["error"]
            assert error["code"] == "overloaded"
            assert "http_limit_concurrency" in error["message"]
            assert client.get("/healthz").status_code == 200  # liveness is never refused

            for sock in held:
                sock.close()
            assert _status_until(client, "/v1/clusters", 401).status_code == 401  # served again
    finally:
        for sock in [*idle, *held]:
            sock.close()
        proc.terminate()
        proc.wait(timeout=30)
