"""A store the commands cannot use: one line, a non-zero exit, no traceback; no password shown.

Review S2, items 5 and 8: ``GRAPHSIEM_NEO4J_URI=http://...`` ended with
``ModuleNotFoundError: aiohttp``; a password in a bolt URI was printed whole
in the error.  A real closed port, real child processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serve_process import free_port

REPO = Path(__file__).resolve().parents[3]
PASSWORD = "topsecretpw"


def _graphsiem(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphsiem", *args], cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, **env}, stdin=subprocess.DEVNULL,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("INFO:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_neo4j_uri_of_another_scheme_is_one_line_naming_it(tmp_path):
    result = _graphsiem("stats", "--store", "neo4j", "--data", str(tmp_path / "data"),
                        GRAPHSIEM_NEO4J_URI=f"http://neo4j:{PASSWORD}@127.0.0.1:{free_port()}")
    line = _one_line(result)
    assert "unsupported Neo4j URI scheme 'http'" in line
    assert "aiohttp" not in result.stderr and PASSWORD not in result.stderr + result.stdout
    assert "neo4j:***@127.0.0.1" in line


@pytest.mark.parametrize("command", ["stats", "ingest"])
def test_a_password_in_a_store_uri_is_never_printed(tmp_path, command):
    store = f"bolt://neo4j:{PASSWORD}@127.0.0.1:{free_port()}"  # nothing listens there
    args = [command, "--store", store, "--data", str(tmp_path / "data")]
    if command == "ingest":
        source = tmp_path / "one.ndjson"
        source.write_text('{"@timestamp":"2026-11-29T10:00:00Z","host":{"name":"ws-1"},'
                          '"event":{"category":"process"},"process":{"name":"a.exe"}}\n')
        args[1:1] = [str(source)]
        args.append("--no-progress")
    result = _graphsiem(*args, GRAPHSIEM_NEO4J_PASSWORD="other")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert "127.0.0.1" in result.stderr  # the error still says where


def test_an_unknown_store_uri_is_echoed_without_its_password(tmp_path):
    result = _graphsiem("stats", "--store", f"https://admin:{PASSWORD}@db.example:7473",
                        "--data", str(tmp_path / "data"))
    assert result.returncode != 0
    assert PASSWORD not in result.stdout + result.stderr
    assert "admin:***@db.example" in result.stderr
