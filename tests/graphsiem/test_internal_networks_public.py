"""A declared internal network of public address space is warned about at start (review T10, finding 6).

Declaring a CDN's /24 internal (the example 13.107.4.0/24 once given for a vendor updater) hides
every other tenant of it too: a co-tenant's stager lost its "download from a new domain or
address" evidence (risk 47.4 -> 41.6).  Who holds a range cannot be checked, so every declared
network outside private space is named once, at the start of ``graphsiem ingest``, ``detect``
and ``serve`` (the real commands, run as subprocesses), saying what declaring it does.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphsiem.internal_networks import INTERNAL_NETWORKS_ENV, parse_internal_networks

REPO = Path(__file__).resolve().parents[2]
CDN_RANGE = "13.107.4.0/24"
SAYS = "is public address space, declared internal: a download from any address in it no longer counts"


def _environment(networks: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != INTERNAL_NETWORKS_ENV}
    return env if networks is None else {**env, INTERNAL_NETWORKS_ENV: networks}


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "graphsiem", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if SAYS in line]


@pytest.mark.parametrize(("declared", "public"), [
    ("13.107.4.0/24", ["13.107.4.0/24"]),
    ("130.59.0.0/16 130.59.1.20", ["130.59.0.0/16", "130.59.1.20/32"]),
    ("2a00:1450:4001::/48", ["2a00:1450:4001::/48"]),
    # private, shared CGN, documentation and unique-local space belong to no one on the internet
    ("10.20.0.0/16 172.16.5.0/24 100.64.1.0/24 198.51.100.0/24 203.0.113.0/24 2001:db8:1::/48 fd00:1::/48", []),
])
def test_which_declared_networks_are_public_space(declared, public):
    from graphsiem.internal_networks import public_networks

    assert [str(n) for n in public_networks(parse_internal_networks(declared))] == public


def test_a_public_network_is_logged_once_however_often_it_is_parsed(caplog):
    caplog.set_level(logging.WARNING, logger="graphsiem.internal_networks")
    for _ in range(3):  # a detection parses its networks several times (environment, option, config, run)
        parse_internal_networks("45.33.32.0/24, 10.9.0.0/16", origin="--internal-network")
    (record,) = [r for r in caplog.records if "45.33.32.0/24" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(f"--internal-network: 45.33.32.0/24 {SAYS} as from an external address")
    assert "not a CDN's or a cloud provider's range that other tenants share" in record.getMessage()
    assert not any("10.9.0.0/16" in r.getMessage() for r in caplog.records)


def test_ingest_and_detect_name_each_declared_public_range_once_at_start(tmp_path):
    log = tmp_path / "a.log"
    log.write_text('{"x": 1}\n', encoding="utf-8")
    done = _cli("ingest", str(log), "--data", str(tmp_path / "ingest"),
                env=_environment(f"{CDN_RANGE} 10.20.0.0/16 198.51.100.0/24"))
    assert done.returncode in (0, 1), done.stderr  # the record is rejected: what matters is the warning
    (line,) = _warnings(done.stderr)
    assert line.startswith(f"GRAPHSIEM_INTERNAL_NETWORKS: {CDN_RANGE} {SAYS}")
    # detect reads the environment and its options, and parses both again for the run: still once each
    done = _cli("detect", "--data", str(tmp_path / "detect"), "--internal-network", CDN_RANGE,
                "--internal-network", "130.59.0.0/16", "--internal-network", "192.168.7.0/24", str(log),
                env=_environment(CDN_RANGE))
    assert done.returncode == 0, done.stderr
    assert sorted(_warnings(done.stderr)) == [
        f"--internal-network: 130.59.0.0/16 {SAYS} as from an external address (the 'download from a new "
        "domain or address' evidence), whoever holds that address. Declare only addresses the organisation's "
        "own machines hold, not a CDN's or a cloud provider's range that other tenants share",
        f"GRAPHSIEM_INTERNAL_NETWORKS: {CDN_RANGE} {SAYS} as from an external address (the 'download from a "
        "new domain or address' evidence), whoever holds that address. Declare only addresses the "
        "organisation's own machines hold, not a CDN's or a cloud provider's range that other tenants share",
    ]
    quiet = _cli("detect", "--data", str(tmp_path / "quiet"), "--internal-network", "192.168.7.0/24", str(log),
                 env=_environment("10.20.0.0/16"))
    assert quiet.returncode == 0 and _warnings(quiet.stderr) == []


@pytest.mark.timeout(180)  # the deadline below cannot interrupt a blocking readline
def test_serve_names_a_declared_public_range_before_it_starts(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "graphsiem", "serve", "--data", str(tmp_path / "data"), "--port", "0",
         "--no-detect-at-start"], cwd=REPO, env=_environment(CDN_RANGE), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        assert process.stderr is not None
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if "Application startup complete" in line:
                break
    finally:
        process.terminate()
        process.wait(timeout=30)
    started = next(i for i, line in enumerate(lines) if "Application startup complete" in line)
    (warned,) = [i for i, line in enumerate(lines) if SAYS in line]
    assert warned < started and lines[warned].startswith(f"GRAPHSIEM_INTERNAL_NETWORKS: {CDN_RANGE} {SAYS}")
