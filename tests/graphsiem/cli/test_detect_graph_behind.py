"""``graphsiem detect`` says when the graph it reads is behind the journal (task F28, review T4 finding 2).

On Neo4j, an ingest that exited 75 while the server was down left the graph
10,225 events behind; ``detect`` then printed "35 clusters" and nothing else.
Now a warning line on stderr and ``graph_pending`` in the contract's stats,
on both stores.  The embedded graph is left behind by journaling events
without projecting them (the pipeline's journal-only mode); Neo4j by a real
loopback proxy cut while ``ingest`` runs, as a server that is down.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphsiem.cli import EXIT_GRAPH_BEHIND, main
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.graphsiem.cli.neo4j_via_proxy import neo4j_via_proxy  # noqa: F401 - a fixture
from tests.ingest.conftest import FIXTURES

FIRST, LATER = FIXTURES / "ecs_events.ndjson", FIXTURES / "concatenated_pretty.json"


def _detect(capsys, data: Path, *store: str) -> tuple[int, dict, str]:
    status = main(["detect", "--data", str(data), *store, "--json", "-"])
    out, err = capsys.readouterr()
    return status, json.loads(out), err


def _journaled_after(data: Path, seq: int) -> int:
    with Journal(data / "journal.sqlite") as journal:
        return journal.last_seq() - seq


def test_detect_on_an_embedded_graph_behind_the_journal_warns_and_counts_the_pending_events(tmp_path, capsys):
    data = tmp_path / "d"
    assert main(["ingest", str(FIRST), "--data", str(data), "--no-progress"]) == 0
    with Journal(data / "journal.sqlite") as journal:
        projected = journal.last_seq()
        ingest_paths([str(LATER)], store=None, journal=journal, progress=False)  # journaled only
    pending = _journaled_after(data, projected)
    assert pending > 0
    capsys.readouterr()

    status, contract, err = _detect(capsys, data)

    assert status == 0
    assert contract["detection"]["stats"]["graph_pending"] == pending
    assert f"the graph is behind the journal by {pending} events" in err


def test_detect_on_a_caught_up_graph_says_nothing_and_reports_0(tmp_path, capsys):
    data = tmp_path / "d"
    assert main(["ingest", str(FIRST), str(LATER), "--data", str(data), "--no-progress"]) == 0
    capsys.readouterr()

    status, contract, err = _detect(capsys, data)

    assert status == 0 and contract["detection"]["stats"]["graph_pending"] == 0
    assert "behind the journal" not in err


@pytest.mark.neo4j
def test_detect_on_neo4j_after_an_ingest_that_found_it_down_warns_and_counts_the_pending_events(
    tmp_path, capsys, neo4j_via_proxy,  # noqa: F811 - the fixture imported above
):
    data = tmp_path / "d"
    assert main(["ingest", str(FIRST), "--data", str(data), "--store", "neo4j", "--no-progress"]) == 0
    with Journal(data / "journal.sqlite") as journal:
        projected = journal.last_seq()
    neo4j_via_proxy.cut()
    assert main(["ingest", str(LATER), "--data", str(data), "--store", "neo4j", "--no-progress",
                 "--settle-seconds", "0"]) == EXIT_GRAPH_BEHIND
    pending = _journaled_after(data, projected)
    assert pending > 0
    neo4j_via_proxy.restore()
    capsys.readouterr()

    status, contract, err = _detect(capsys, data, "--store", "neo4j")

    assert status == 0
    assert contract["detection"]["stats"]["graph_pending"] == pending
    assert f"the graph is behind the journal by {pending} events" in err
