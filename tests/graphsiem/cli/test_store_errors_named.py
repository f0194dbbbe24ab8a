"""A Neo4j the commands cannot use is named in one line with what to check, and the README's exit status
(task F28, review T4 findings 3 and 4).

- Refused credentials: the driver's ``{neo4j_code: Neo.ClientError.Security.Unauthorized} ... See debug
  log for details.`` (or ``missing key 'credentials'`` with the password unset) named no variable, and
  stats, detect and ingest exited 2 (README: 2 = bad arguments, 1 = the store cannot be opened).
- A server that does not answer when a reading command starts: 2, now 1, "does not answer".
- Neo4j gone during ``detect``: a 75-line traceback and exit 1; now one line and 75.

Against the test server (a user that does not exist, so no real account is locked out by failed
logins) and a real loopback proxy cut while detect reads.
"""

from __future__ import annotations

import pytest

from graphsiem.cli import main
from graphsiem.store.neo4j_store import Neo4jStore
from tests.graphsiem.cli.neo4j_via_proxy import neo4j_via_proxy  # noqa: F401 - a fixture
from tests.ingest.conftest import FIXTURES
from tests.serve_process import free_port

pytestmark = pytest.mark.neo4j

INPUT = FIXTURES / "ecs_events.ndjson"


def _args(command: str, data) -> list[str]:
    args = [command, "--data", str(data), "--store", "neo4j"]
    if command == "ingest":
        args[1:1] = [str(INPUT)]
        args.append("--no-progress")
    return args


def _one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("command", ["stats", "detect", "ingest"])
@pytest.mark.parametrize("password", ["wrong-password", None], ids=["wrong", "unset"])
def test_refused_credentials_name_the_variables_and_exit_1(
    tmp_path, capsys, monkeypatch, neo4j_server, command, password
):
    for name, value in neo4j_server.environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GRAPHSIEM_NEO4J_USER", "nobody-f28")
    if password is None:
        monkeypatch.delenv("GRAPHSIEM_NEO4J_PASSWORD")
    else:
        monkeypatch.setenv("GRAPHSIEM_NEO4J_PASSWORD", password)

    status = main(_args(command, tmp_path / "d"))

    line = _one_line(capsys.readouterr().err)
    assert status == 1
    assert f"Neo4j at {neo4j_server.uri} (database 'neo4j') refused the credentials: check " \
           "GRAPHSIEM_NEO4J_USER / GRAPHSIEM_NEO4J_PASSWORD" in line
    assert "neo4j_code" not in line and "debug log" not in line


@pytest.mark.parametrize("command", ["stats", "detect"])
def test_a_server_that_does_not_answer_a_reading_command_is_said_so_with_exit_1(
    tmp_path, capsys, monkeypatch, neo4j_server, command
):
    uri = f"bolt://127.0.0.1:{free_port()}"  # nothing listens there
    for name, value in {**neo4j_server.environ(), "GRAPHSIEM_NEO4J_URI": uri}.items():
        monkeypatch.setenv(name, value)

    status = main(_args(command, tmp_path / "d"))

    line = _one_line(capsys.readouterr().err)
    assert status == 1
    assert line.startswith(f"graphsiem {command}: Neo4j at {uri} (database 'neo4j') does not answer (")
    assert "GRAPHSIEM_NEO4J_URI" in line


def test_neo4j_gone_during_detect_is_one_line_naming_it_and_exit_75(
    tmp_path, capsys, monkeypatch, neo4j_via_proxy,  # noqa: F811 - the fixture imported above
):
    data = tmp_path / "d"
    assert main(_args("ingest", data)) == 0
    capsys.readouterr()
    # the connection cut as detect starts reading the graph (the store opened, its checks passed)
    real_prevalence = Neo4jStore.entity_prevalence

    def cut_then_read(self, *args, **kwargs):
        neo4j_via_proxy.cut()
        return real_prevalence(self, *args, **kwargs)

    monkeypatch.setattr(Neo4jStore, "entity_prevalence", cut_then_read)

    status = main(["detect", "--data", str(data), "--store", "neo4j", "--json", "-"])

    out, err = capsys.readouterr()
    line = _one_line(err)
    assert status == 75
    assert line.startswith(
        f"graphsiem detect: Neo4j at {neo4j_via_proxy.uri} (database 'neo4j') failed during the run: ")
    assert "nothing was detected" in line
    assert not out.strip()
