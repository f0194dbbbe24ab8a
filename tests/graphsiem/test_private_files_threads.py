"""Private files without a process-wide umask: commands in threads of one process (task F15, gap 3).

``graphsiem.cli.main`` set umask ``077`` and restored the caller's on return.
The umask is one per process: two commands overlapping in threads (a notebook
serving in one thread and ingesting in another) saved and restored each
other's, so the one ending first put ``022`` back while the other still wrote,
and the one ending last left ``077`` to the whole process; meanwhile every
other thread of the process created its files ``0600``.  Now nothing changes
the umask, and what lands in the data directory is private by its mode at
creation (:mod:`graphsiem.paths`).

The two commands are caught mid-run without sleeps: each opens its graph store
at a socket this test listens on, and ``accept`` returning says it is inside
``main``, waiting for the store; closing the connection lets it go on (the
store does not answer: the ingest journals and says the graph is behind).
"""

from __future__ import annotations

import io
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

from graphsiem.cli import EXIT_GRAPH_BEHIND, main
from graphsiem.store import open_store
from tests.api.conftest import app_with_keys, make_settings

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 60.0
"""How long a command may take to reach its store or to end: a guard against a hang, not a measure."""
CALLERS_UMASK = 0o022
"""A library caller's usual umask: files must not depend on it."""
RECORD = ('{"@timestamp":"2026-11-29T10:00:00Z","host":{"name":"ws-1"},'
          '"event":{"category":"process"},"process":{"name":"a.exe"}}\n')


def _umask_now() -> int:
    """The process's umask, read without changing it (Linux lists it in /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    raise AssertionError("no Umask line in /proc/self/status")


def _not_private(root: Path) -> dict[str, str]:
    wrong = {}
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode != (0o700 if path.is_dir() else 0o600):
            wrong[str(path.relative_to(root.parent))] = oct(mode)
    return wrong


class _Command(threading.Thread):
    """``main(argv)`` in a thread, its exit status kept."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__(daemon=True)
        self.argv = argv
        self.status: int | None = None

    def run(self) -> None:
        self.status = main(self.argv)


def test_two_commands_overlapping_in_threads_leave_the_umask_alone_and_their_files_private(tmp_path):
    source = tmp_path / "one.ndjson"
    source.write_text(RECORD)
    stores = [socket.create_server(("127.0.0.1", 0)) for _ in range(2)]
    for listener in stores:
        listener.settimeout(WAIT_S)
    commands = [
        _Command(["ingest", str(source), "--data", str(tmp_path / name), "--no-progress",
                  "--store", f"bolt://127.0.0.1:{listener.getsockname()[1]}"])
        for name, listener in zip(("first", "second"), stores, strict=True)
    ]
    old = os.umask(CALLERS_UMASK)
    seen: list[int] = []
    try:
        first, second = commands
        first.start()
        first_connection, _ = stores[0].accept()  # the first is inside main
        second.start()
        second_connection, _ = stores[1].accept()  # and the second too
        seen.append(_umask_now())  # both running
        for listener, connection, command in ((stores[0], first_connection, first),
                                              (stores[1], second_connection, second)):
            listener.close()  # the store's next connection is refused at once
            connection.close()
            command.join(WAIT_S)
            assert not command.is_alive()
            seen.append(_umask_now())  # the first ended, the second still running; then both ended
        made_meanwhile = tmp_path / "made-by-the-caller"
        made_meanwhile.write_text("x")
    finally:
        os.umask(old)
    assert seen == [CALLERS_UMASK] * 3, [oct(mask) for mask in seen]
    assert stat.S_IMODE(made_meanwhile.stat().st_mode) == 0o644  # the caller's own files follow its umask
    assert [command.status for command in commands] == [EXIT_GRAPH_BEHIND] * 2  # journaled, no graph
    for name in ("first", "second"):
        assert (tmp_path / name / "journal.sqlite").exists()
        assert _not_private(tmp_path / name) == {}


def test_the_cli_under_a_022_umask_makes_every_file_of_the_data_dir_private(tmp_path):
    # no umask of the command's to lean on: every file it makes, locks and the graph's included
    source = tmp_path / "one.ndjson"
    source.write_text(RECORD)
    data = tmp_path / "data"
    for args in (["ingest", str(source)], ["rebuild"], ["keys", "create", "--role", "admin"]):
        subprocess.run([sys.executable, "-m", "graphsiem", *args, "--data", str(data)], cwd=REPO, check=True,
                       capture_output=True, preexec_fn=lambda: os.umask(CALLERS_UMASK))
    assert {"serve.lock", "writers.lock", "journal.sqlite", "state.sqlite"} <= {p.name for p in data.iterdir()}
    assert _not_private(data) == {}


class _WatchedUpload(io.BytesIO):
    """An upload's body that notes the modes of the file it is copied into, while it is copied."""

    def __init__(self, data: bytes, folder: Path) -> None:
        super().__init__(data)
        self.folder = folder
        self.modes: dict[str, str] = {}

    def read(self, size: int | None = -1) -> bytes:
        for path in [self.folder, *self.folder.rglob("*")]:
            self.modes[path.name] = oct(stat.S_IMODE(path.stat().st_mode))
        return super().read(size)


def test_an_upload_is_kept_private_while_it_is_ingested_without_the_cli(tmp_path):
    # the app run by a library caller (uvicorn's factory, a notebook): no command set a umask
    data = tmp_path / "data"
    old = os.umask(CALLERS_UMASK)
    try:
        store = open_store("embedded", data_dir=data)
        _, ctx, _ = app_with_keys(make_settings(data), store)
        upload = _WatchedUpload(RECORD.encode(), ctx.settings.upload_dir)
        report = ctx.ingest.ingest_upload(upload, "one.ndjson")
        ctx.ingest.close()  # stops the background projector: left running, it retried the closed store all suite long
        ctx.state.close()
        store.close()
    finally:
        os.umask(old)
    assert report.accepted == 1
    assert upload.modes and set(upload.modes.values()) <= {"0o700", "0o600"}, upload.modes
    assert upload.modes["one.ndjson"] == "0o600"
