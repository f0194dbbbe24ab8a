"""``graphsiem serve`` after ``graphsiem detect`` shows the clusters, not an empty queue (task I9).

Review R1, item 6: the CLI's detection is not recorded in the service's state,
and the service only detected when someone POSTed one, so the analysts' page
stayed empty with no hint.  ``serve`` now queues one detection at start when
the graph holds data (``--no-detect-at-start`` skips it).  A real uvicorn
process on loopback, as ``tests/api/test_cli.py`` runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from graphsiem.cli import main
from tests.api.fleet import fleet_events
from tests.serve_process import free_port, wait_until_ready

T = TypeVar("T")


def _wait_for(answer: Callable[[], T | None], what: str, *, seconds: float = 60.0) -> T:
    """Ask ``answer`` until it gives something, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while (got := answer()) is None:
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
    return got


@contextmanager
def _serving(data: Path, *extra: str) -> Iterator[tuple[str, dict[str, str]]]:
    port, admin = free_port(), "bootstrap-" + os.urandom(8).hex()
    env = dict(os.environ, GRAPHSIEM_BOOTSTRAP_ADMIN_KEY=admin)
    proc = subprocess.Popen([sys.executable, "-m", "graphsiem", "serve", "--data", str(data), "--port", str(port),
                             "--log-level", "warning", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, proc)
        yield base, {"Authorization": f"Bearer {admin}"}
    finally:
        proc.terminate()
        output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode in (0, -15) and "Traceback" not in output, output


@pytest.fixture
def detected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, list[str]]:
    """A data directory the CLI ingested and detected on (no service ever ran), and the CLI's cluster ids."""
    source = tmp_path / "fleet.ndjson"
    source.write_text("".join(json.dumps(e) + "\n" for e in fleet_events()), encoding="utf-8")
    data = tmp_path / "data"
    assert main(["detect", str(source), "--data", str(data), "--json", "-"]) == 0
    ids = [c["id"] for c in json.loads(capsys.readouterr().out)["clusters"]]
    assert ids
    return data, ids


def test_serve_after_detect_shows_the_same_clusters(detected: tuple[Path, list[str]]) -> None:
    data, cli_ids = detected
    with _serving(data) as (base, headers):

        def finished() -> list[dict] | None:
            runs = httpx.get(f"{base}/v1/detections", headers=headers, timeout=60).json()
            return runs if runs and runs[0]["status"] in ("done", "failed") else None

        runs = _wait_for(finished, "no detection finished after start")
        assert [(r["trigger"], r["status"], r["requested_by"]) for r in runs] == [
            ("startup", "done", "graphsiem serve")]
        items = httpx.get(f"{base}/v1/clusters", headers=headers, params={"limit": 50}, timeout=60).json()["items"]
        assert sorted(c["id"] for c in items) == sorted(cli_ids)


def test_no_detect_at_start_leaves_the_queue_alone(detected: tuple[Path, list[str]]) -> None:
    data, _ = detected
    with _serving(data, "--no-detect-at-start") as (base, headers):
        time.sleep(1.0)
        assert httpx.get(f"{base}/v1/detections", headers=headers, timeout=60).json() == []
        assert httpx.get(f"{base}/v1/clusters", headers=headers, timeout=60).json()["items"] == []


def test_an_empty_graph_runs_no_detection(tmp_path: Path) -> None:
    with _serving(tmp_path / "data") as (base, headers):
        time.sleep(1.0)
        assert httpx.get(f"{base}/v1/detections", headers=headers, timeout=60).json() == []
