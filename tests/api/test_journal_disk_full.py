"""``graphsiem serve`` whose journal's disk fills: 507 naming the reason, ``/readyz`` not ready, and back.

Review S2, item 4: on a full disk every ``POST /v1/events`` answered ``500
internal_error`` while ``/readyz`` stayed ready.  A real server process whose
file size is capped (:mod:`tests.disk_limits`: a write past the cap fails with
``EFBIG``, as on a full disk); the cap is then lifted while it runs (the disk
has room again).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import httpx

from tests.disk_limits import file_size_limit, set_file_size_limit
from tests.serve_process import free_port, wait_until_ready

REPO = Path(__file__).resolve().parents[2]
BODY_RECORDS = 4000
MAX_POSTS = 6  # bounded: the cap is reached by the second or third


def _body(tag: str) -> bytes:
    return "".join(json.dumps({
        "@timestamp": "2026-11-29T10:00:00Z", "host": {"name": "ws-1"},
        "event": {"category": "network", "action": "dns"},
        "dns": {"question": {"name": f"{tag}-{n}.example"}},
    }) + "\n" for n in range(BODY_RECORDS)).encode()


def test_a_full_journal_disk_answers_507_and_readyz_503_until_it_has_room(tmp_path):
    data = tmp_path / "data"
    port, admin = free_port(), "bootstrap-" + os.urandom(8).hex()
    env = dict(os.environ, GRAPHSIEM_BOOTSTRAP_ADMIN_KEY=admin)
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphsiem", "serve", "--data", str(data), "--port", str(port),
         "--no-detect-at-start", "--log-level", "warning"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=file_size_limit(4_500_000),  # one body fits (2.9 MB of journal), the second or third does not
    )
    base, headers = f"http://127.0.0.1:{port}", {
        "Authorization": f"Bearer {admin}", "Content-Type": "application/x-ndjson"}
    try:
        wait_until_ready(base, proc)
        answers = []
        for n in range(MAX_POSTS):
            answer = httpx.post(f"{base}/v1/events", content=_body(f"b{n}"), headers=headers, timeout=60)
            answers.append(answer)
            if answer.status_code != 200:
                break
        refused = answers[-1]
        assert answers[0].status_code == 200, answers[0].text
        assert refused.status_code == 507, refused.text
        error = refused.json()["error"]
        assert error["code"] == "insufficient_storage"
        assert "the journal could not be written" in error["message"]
        assert "disk I/O error" in error["message"] or "disk is full" in error["message"]
        assert str(data) not in error["message"]  # no path in an answer
        assert int(refused.headers["Retry-After"]) > 0

        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 503, ready.text
        assert "the journal cannot be written" in ready.json()["error"]["message"]

        set_file_size_limit(proc.pid, resource.RLIM_INFINITY)  # the disk has room again
        again = httpx.post(f"{base}/v1/events", content=_body("again"), headers=headers, timeout=60)
        assert again.status_code == 200, again.text
        assert again.json()["accepted"] == BODY_RECORDS
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    finally:
        proc.terminate()
        output = proc.communicate(timeout=60)[0].decode()
    assert "Traceback" not in output, output
    assert "journal write refused" in output  # the operator's log says it, with the path
