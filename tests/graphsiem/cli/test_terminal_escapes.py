"""Attacker-named paths and key names reach the operator's terminal escaped, never obeyed.

Each command runs as the operator runs it: ``python -m graphsiem`` in a child
process, its real standard error read back as bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ESCAPES = "\x1b]0;T\x07\x1b[2J"  # set the window title, then clear the screen


def _graphsiem(*args: str, data: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GRAPHSIEM_DATA": str(data)}
    return subprocess.run([sys.executable, "-m", "graphsiem", *args], env=env,
                          capture_output=True, timeout=120, check=False)


@pytest.mark.parametrize("command", ["ingest", "detect"])
def test_a_dangling_symlink_named_with_escapes_is_printed_escaped(command: str, tmp_path: Path) -> None:
    folder = tmp_path / "in2"
    folder.mkdir()
    link = folder / f"dang{ESCAPES}"
    link.symlink_to("/nonexistent")  # what `graphsiem ingest in2/*` expands to: the link exists, its target not
    done = _graphsiem(command, str(link), data=tmp_path / "data")
    assert done.returncode == 2
    assert b"\x1b" not in done.stderr and b"\x07" not in done.stderr
    assert f"no such file or directory: {link.parent}/dang\\x1b]0;T\\x07\\x1b[2J".encode() in done.stderr


def test_keys_list_shows_a_hostile_name_escaped_and_its_row_stays_visible(tmp_path: Path) -> None:
    from graphsiem.api.state import StateStore

    data = tmp_path / "data"
    data.mkdir()
    # Written straight to the state database: a key named before names were checked.
    state = StateStore(data / "state.sqlite")
    try:
        hidden, _ = state.create_key(role="admin", name="\r\x1b[2K")
        state.create_key(role="analyst", name="rtl\u202eexe.txt")
    finally:
        state.close()
    done = _graphsiem("keys", "list", data=data)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert "\x1b" not in out and "\r" not in out and "\u202e" not in out
    row = next(line for line in out.splitlines() if line.startswith(hidden.id))
    assert row.endswith("\\r\\x1b[2K")
    assert "rtl\\u202eexe.txt" in out


def test_keys_create_refuses_a_name_with_a_control_character(tmp_path: Path) -> None:
    done = _graphsiem("keys", "create", "--role", "admin", "--name", "x\x1b[2K", data=tmp_path / "data")
    assert done.returncode == 2 and done.stdout == b""
    assert b"--name" in done.stderr and b"U+001B" in done.stderr and b"\x1b" not in done.stderr
