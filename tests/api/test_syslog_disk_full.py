"""Syslog into a service whose journal's disk fills: ``/readyz`` not ready, the loss counted, and back.

Review S2 left this after item 4: a POST refused by a full disk answered 507
and made ``/readyz`` not ready, but a syslog batch refused the same way was a
traceback in the log while the service stayed "ready" and dropped every
message.  A real server process whose file size is capped
(:mod:`tests.disk_limits`), a real TCP syslog sender; the cap is then lifted.
"""

from __future__ import annotations

import os
import re
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.disk_limits import file_size_limit, set_file_size_limit
from tests.serve_process import free_port, wait_until_ready

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 120


def _send(port: int, tag: str, count: int) -> None:
    lines = b"".join(b"<13>Nov 29 10:00:00 fw01 app: %s message %06d %s\n" % (tag.encode(), n, b"x" * 400)
                     for n in range(count))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sender:
        sender.sendall(lines)


def _dropped(base: str, headers: dict[str, str]) -> float:
    text = httpx.get(f"{base}/metrics", headers=headers, timeout=30).text
    found = re.search(r'^graphsiem_syslog_dropped_total\{transport="tcp"\} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_a_full_disk_under_syslog_makes_readyz_503_and_counts_the_lost_messages(tmp_path):
    data = tmp_path / "data"
    port, syslog_port = free_port(), free_port()
    while syslog_port == port:  # two ports drawn one by one can be the same
        syslog_port = free_port()
    admin = "bootstrap-" + os.urandom(8).hex()
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphsiem", "serve", "--data", str(data), "--port", str(port),
         "--syslog-tcp", str(syslog_port), "--no-detect-at-start", "--log-level", "warning"],
        cwd=REPO, env=dict(os.environ, GRAPHSIEM_BOOTSTRAP_ADMIN_KEY=admin),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=file_size_limit(3_000_000),
    )
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {admin}"}
    try:
        wait_until_ready(base, proc)
        deadline = time.monotonic() + DEADLINE_S
        n = 0
        while httpx.get(f"{base}/readyz", timeout=30).status_code == 200:  # fill the capped journal
            assert time.monotonic() < deadline, "the journal never filled"
            _send(syslog_port, f"fill{n}", 2000)
            n += 1
            time.sleep(0.5)
        ready = httpx.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 503
        assert "the journal cannot be written" in ready.json()["error"]["message"]
        assert _dropped(base, headers) > 0  # the lost messages are counted, not only logged

        set_file_size_limit(proc.pid, resource.RLIM_INFINITY)  # the disk has room again
        dropped = _dropped(base, headers)
        while httpx.get(f"{base}/readyz", timeout=30).status_code != 200:  # the next batch goes through
            assert time.monotonic() < deadline, "the service never became ready again"
            _send(syslog_port, f"again{n}", 10)
            n += 1
            time.sleep(0.5)
        assert _dropped(base, headers) == dropped
    finally:
        proc.terminate()
        output = proc.communicate(timeout=60)[0].decode()
    assert "syslog sink failed" not in output and "Traceback" not in output, output
    assert "syslog tcp messages lost" in output
