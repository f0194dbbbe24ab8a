"""``--data`` on every command that uses the data directory, and read-only commands on a missing one."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from graphsiem.cli import main
from tests.reliability.server import START_TIMEOUT, free_port


@pytest.mark.parametrize("command", [["stats"], ["stats", "--json"], ["rejected"], ["rejected", "--json"], ["detect"]])
def test_a_read_only_command_refuses_a_data_directory_that_does_not_exist(tmp_path, capsys, command):
    typo = tmp_path / "no-such-data"

    assert main([*command, "--data", str(typo)]) == 2

    err = capsys.readouterr().err
    assert f"no data directory at {typo}" in err
    assert "--data" in err
    assert not typo.exists()  # nothing made behind the user's back


@pytest.mark.parametrize("command", [["stats"], ["rejected"], ["detect"], ["keys", "list"], ["keys", "revoke", "k1"]])
def test_a_read_only_command_refuses_a_directory_nothing_was_ingested_into(tmp_path, capsys, command):
    # an existing directory that is not a data directory (a typo for a sibling, the graph/ inside one)
    stray = tmp_path / "stray"
    stray.mkdir()

    assert main([*command, "--data", str(stray)]) == 2

    assert f"nothing has been ingested in {stray}" in capsys.readouterr().err
    assert list(stray.iterdir()) == []  # no graph/, journal or state made by a read


@pytest.mark.parametrize("command", [["stats"], ["rejected"], ["detect"], ["keys", "list"], ["keys", "create", "--role", "analyst"]])
def test_an_empty_data_option_is_refused_not_taken_as_the_current_directory(tmp_path, capsys, monkeypatch, command):
    monkeypatch.chdir(tmp_path)

    assert main([*command, "--data", ""]) == 2

    assert "--data is empty" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_stats_of_a_neo4j_store_does_not_need_a_data_directory(tmp_path, capsys):
    # the data directory holds no Neo4j graph: its absence is not the error (the store's is)
    code = main(["stats", "--store", "bolt://127.0.0.1:1", "--data", str(tmp_path / "none")])

    assert code == 1  # README: 1 = the store cannot be opened (task F28; it was 2)
    assert "no data directory" not in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--limit", "--offset"])
def test_rejected_refuses_a_negative_count(tmp_path, capsys, option):
    (tmp_path / "data").mkdir()
    with pytest.raises(SystemExit) as stop:
        main(["rejected", "--data", str(tmp_path / "data"), option, "-1"])

    assert stop.value.code == 2
    assert "must be 0 or more, not -1" in capsys.readouterr().err


def test_keys_take_data_and_serve_uses_the_same_directory(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.delenv("GRAPHSIEM_DATA", raising=False)
    monkeypatch.chdir(tmp_path)  # the default ./.graphsiem would land here
    environ = {k: v for k, v in os.environ.items() if k != "GRAPHSIEM_DATA"}

    made = subprocess.run([sys.executable, "-m", "graphsiem", "keys", "create", "--role", "analyst",
                           "--data", str(data)], env=environ, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=True)
    secret = made.stdout.strip()
    listed = subprocess.run([sys.executable, "-m", "graphsiem", "keys", "list", "--json", "--data", str(data)],
                            env=environ, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)

    assert (data / "state.sqlite").is_file()
    assert not (tmp_path / ".graphsiem").exists()
    assert '"role": "analyst"' in listed.stdout

    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "graphsiem", "serve", "--port", str(port),
                               "--data", str(data), "--log-level", "warning"],
                              env=environ, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(url + "/healthz", timeout=5.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        answer = httpx.get(url + "/v1/clusters", headers={"X-API-Key": secret}, timeout=60.0)
        # the key made under --data opens the server started with the same --data
        assert answer.status_code == 200, answer.text
        assert not (tmp_path / ".graphsiem").exists()
    finally:
        server.kill()
        server.wait(timeout=60)
        log.close()

