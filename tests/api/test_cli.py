"""``graphsiem keys`` and ``graphsiem serve`` (a real uvicorn process on loopback)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from graphsiem.api.state import StateStore, hash_key
from graphsiem.cli import main
from tests.serve_process import wait_until_ready


def _free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports free now (each socket is held until all
    are drawn: drawn one by one, two calls can return the same port)."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def test_keys_create_list_revoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GRAPHSIEM_DATA", str(tmp_path))
    assert main(["keys", "create", "--role", "analyst", "--name", "alice"]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("gsk_")
    state = StateStore(tmp_path / "state.sqlite")
    try:
        # Stored hashed: the secret itself is nowhere in the database file.
        raw = (tmp_path / "state.sqlite").read_bytes() + (tmp_path / "state.sqlite-wal").read_bytes()
        assert secret.encode() not in raw and hash_key(secret).encode() in raw
        key = state.verify_key(secret)
        assert key is not None and key.role == "analyst" and key.name == "alice"
    finally:
        state.close()
    assert main(["keys", "list", "--json"]) == 0
    listed = capsys.readouterr().out
    assert key.id in listed and secret not in listed
    assert main(["keys", "revoke", key.id]) == 0
    assert main(["keys", "revoke", "no-such-key"]) == 1
    state = StateStore(tmp_path / "state.sqlite")
    try:
        assert state.verify_key(secret).is_revoked
    finally:
        state.close()


@pytest.mark.parametrize("kind", ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def test_serve_runs_uvicorn_with_bootstrap_key_and_syslog(kind: str, tmp_path: Path,
                                                          request: pytest.FixtureRequest) -> None:
    port, syslog_port = _free_ports(2)
    admin = "bootstrap-" + os.urandom(8).hex()
    env = dict(os.environ, GRAPHSIEM_DATA=str(tmp_path / "data"),
               GRAPHSIEM_BOOTSTRAP_ADMIN_KEY=admin)
    args = [sys.executable, "-m", "graphsiem", "serve", "--port", str(port),
            "--syslog-tcp", str(syslog_port), "--log-level", "warning"]
    if kind == "neo4j":
        server = request.getfixturevalue("neo4j_server")
        request.getfixturevalue("neo4j_store")  # empties the database first
        env.update(server.environ())
        args += ["--store", "neo4j"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, proc)
        headers = {"Authorization": f"Bearer {admin}"}
        assert httpx.get(f"{base}/v1/clusters", headers=headers, timeout=60).json()["items"] == []
        assert httpx.get(f"{base}/v1/clusters", timeout=60).status_code == 401
        subprocess.run(["logger", "--server", "127.0.0.1", "--port", str(syslog_port), "--tcp",
                        "--rfc5424", "--tag", "sshd", "Accepted publickey for bob"], check=True,
                       timeout=10)
        line = 'graphsiem_ingest_records_total{channel="syslog-tcp",outcome="accepted"} 1.0'
        deadline = time.monotonic() + 60  # its own wait: starting (Neo4j) may have used the first
        while line not in httpx.get(f"{base}/metrics", headers=headers, timeout=60).text:
            assert time.monotonic() < deadline, "the syslog message was not ingested"
            time.sleep(0.2)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    # uvicorn shuts down cleanly, then re-raises the SIGTERM it caught.
    assert proc.returncode in (0, -15) and "Traceback" not in output, output


def test_serve_refuses_invalid_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GRAPHSIEM_DATA", str(tmp_path))
    monkeypatch.setenv("GRAPHSIEM_WEBHOOK_URL", "ftp://example.invalid/hook")
    assert main(["serve", "--port", "0"]) == 2
    assert "webhook_url" in capsys.readouterr().err


@pytest.mark.neo4j
def test_serve_names_a_store_that_refuses_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], neo4j_server) -> None:
    # A server that is down is waited for (tests/ingest/test_store_down_at_start.py); one that
    # refuses the credentials is a configuration error.  A user of its own: failed logins lock it.
    monkeypatch.setenv("GRAPHSIEM_DATA", str(tmp_path))
    monkeypatch.setenv("GRAPHSIEM_NEO4J_USER", "nobody")
    monkeypatch.setenv("GRAPHSIEM_NEO4J_PASSWORD", "wrong")
    assert main(["serve", "--store", neo4j_server.uri]) == 1
    assert "cannot open store" in capsys.readouterr().err
