"""Files named before a live pipe (``graphsiem ingest fleet/ -``) are settled before the pipe is waited on.

The real command reads a file, then a real pipe that the test leaves open
and silent; another reader (an embedded store of this process on the child's
directory, or the test Neo4j server) must see the file's graph meanwhile.
The settle period is long (600 s), so only the settle that follows the files
can show it.
"""

from __future__ import annotations

import subprocess
import sys

from tests.ingest import test_pipeline_settle
from tests.ingest.test_pipeline_settle import (
    CONN,
    ENDPOINT,
    LEASE,
    _finish,
    _reference,
    _wait_for_graph,
)
from tests.ingest.test_pipeline_stores import graph_facts
from tests.ingest.test_stdin_live import DEADLINE, REPO

live = test_pipeline_settle.live
"""The child's store, embedded or Neo4j, and another reader of it (the fixture of the settle tests)."""

FILE = LEASE + CONN + ENDPOINT
"""A lease, the sensor events it maps and endpoint events: held for a settle, and written at once (Neo4j)."""


def test_the_files_before_an_open_silent_pipe_are_settled_before_it_is_read(live, tmp_path):
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    (fleet / "records.ndjson").write_bytes(FILE)
    child = subprocess.Popen(
        [sys.executable, "-m", "graphsiem", "ingest", str(fleet), "-", "--data", str(live.data), "--json",
         "--no-progress", "--flush-seconds", "0.05", "--settle-seconds", "600", *live.options],
        cwd=REPO, env=live.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    expected = _reference(tmp_path, "file", FILE)
    try:
        # nothing is written to the pipe: a settle period (600 s) would pass before the stream's first settle
        _wait_for_graph(live.reader, expected, "another reader sees the files' graph while the pipe is open",
                        3 * DEADLINE)
        assert child.poll() is None
    finally:
        report = _finish(child)
    assert child.returncode == 0
    assert report["projected"]["events"] == report["events"] == 7
    assert graph_facts(live.reader) == expected
