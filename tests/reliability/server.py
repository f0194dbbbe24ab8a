"""Run ``graphsiem serve`` as a real subprocess, and push unique ECS events to it.

Shared by the reliability tests and ``benchmarks/soak.py``: a server on a free
port with its own data directory and an API key made by ``graphsiem keys
create`` (the operator's path), started, SIGKILLed or stopped like in
production.  Start-up waits are generous because the test machine is loaded.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal

START_TIMEOUT = 180.0
"""Seconds to wait for ``/healthz`` (a cold import on a busy 2-core box is slow)."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(data_dir: Path, *args: str, env: dict[str, str] | None = None,
        timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run ``python -m graphsiem <args>`` on ``data_dir``; raises on a non-zero exit."""
    environ = dict(os.environ, GRAPHSIEM_DATA=str(data_dir), **(env or {}))
    return subprocess.run([sys.executable, "-m", "graphsiem", *args], env=environ,
                          capture_output=True, text=True, timeout=timeout, check=True)


def create_key(data_dir: Path, role: str) -> str:
    """A new key of ``role`` through ``graphsiem keys create`` (the secret is stdout)."""
    return cli(data_dir, "keys", "create", "--role", role, "--name", f"reliability-{role}"
               ).stdout.strip()


class ServerProcess:
    """``graphsiem serve`` on a free port over ``data_dir``.

    Parameters
    ----------
    data_dir : Path
        The data directory (journal, graph, state).
    store : str
        Store spec passed to ``--store``.
    env : dict, optional
        Extra environment (``GRAPHSIEM_NEO4J_*`` for a Neo4j store).
    """

    def __init__(self, data_dir: Path, *, store: str = "embedded",
                 env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.store = store
        self.env = env or {}
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"serve-{self.port}.log"
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server and wait until ``/healthz`` answers."""
        environ = dict(os.environ, GRAPHSIEM_DATA=str(self.data_dir), **self.env)
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "graphsiem", "serve", "--port", str(self.port),
                 "--store", self.store, "--log-level", "warning"],
                env=environ, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"graphsiem serve exited {self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                if httpx.get(self.url + "/healthz", timeout=5.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError("graphsiem serve did not answer /healthz:\n" + self.log_tail())

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no final projection, no flush."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=60)
        self.proc = None

    def stop(self) -> int:
        """SIGTERM and wait (uvicorn's graceful shutdown runs the final projection)."""
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(timeout=60)
        self.proc = None
        return code

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


# -- events -----------------------------------------------------------------------
BASE_TS = 1_790_000_000


def dns_event(client: int, n: int, *, domain: str | None = None) -> dict[str, Any]:
    """A unique ECS DNS event: host ``ws-<client>`` resolves ``c<client>-n<n>.rel.example``.

    One event -> one domain entity and one host x domain sighting of count 1,
    so a lost event is a missing domain and a twice-projected one a count of 2.
    """
    second = BASE_TS + n
    return {"@timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)),
            "host": {"name": f"ws-{client:03d}"},
            "event": {"category": "network", "action": "dns"},
            "dns": {"question": {"name": domain or f"c{client}-n{n}.rel.example"}}}


def domains_of(batch: list[dict[str, Any]]) -> set[str]:
    return {record["dns"]["question"]["name"] for record in batch}


def journaled_domains(data_dir: Path) -> list[str]:
    """Domain of every journaled event (a list: a duplicate would appear twice)."""
    journal = Journal(data_dir / "journal.sqlite")
    try:
        return [item.event.raw["dns"]["question"]["name"]
                for item in journal.iter_events(with_raw=True)]
    finally:
        journal.close()


def journal_counts(data_dir: Path) -> dict[str, int]:
    journal = Journal(data_dir / "journal.sqlite")
    try:
        return journal.counts()
    finally:
        journal.close()


def wait_projected(data_dir: Path, timeout: float = 180.0) -> dict[str, int]:
    """Wait until the projection checkpoint reaches the journal's last seq."""
    deadline = time.monotonic() + timeout
    counts = journal_counts(data_dir)
    while time.monotonic() < deadline:
        counts = journal_counts(data_dir)
        if counts["projected_seq"] == counts["last_seq"]:
            return counts
        time.sleep(0.25)
    raise AssertionError(f"projection did not catch up: {counts}")


def domain_sightings(store: Any) -> dict[str, list[int]]:
    """Domain value -> sighting counts (one per host) in ``store``."""
    out: dict[str, list[int]] = {}
    for sighting in store.iter_sightings(entity_types=["domain"]):
        out.setdefault(sighting.entity[1], []).append(sighting.count)
    return out


def embedded_sightings(data_dir: Path) -> dict[str, list[int]]:
    store = EmbeddedStore(data_dir / "graph")
    try:
        return domain_sightings(store)
    finally:
        store.close()


def post_batch(client: httpx.Client, url: str, key: str, batch: list[dict[str, Any]],
               timeout: float = 60.0) -> httpx.Response:
    return client.post(url + "/v1/events", content=orjson.dumps(batch), timeout=timeout,
                       headers={"Authorization": f"Bearer {key}",
                                "Content-Type": "application/json"})


def batches(client: int, size: int, start: int = 0) -> Iterator[list[dict[str, Any]]]:
    """Endless consecutive batches of unique events of one client."""
    n = start
    while True:
        yield [dns_event(client, n + i) for i in range(size)]
        n += size
