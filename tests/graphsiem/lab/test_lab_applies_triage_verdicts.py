"""``ws.detect()`` applies the service's benign verdicts, and says what it did (review T11 F2, F11).

The service (the real app over the data directory's embedded store) ingests the API
test fleet, an analyst marks the top cluster benign and the service detects again.
A notebook on the same data directory then must show the service's queue: the same
clusters with the same risks (the suppressed cluster scored with the others, then left
out: T11 F1), the same as ``graphsiem detect``; ``suppressions=False`` brings the
benign cluster back.  Before, the lab ignored the verdicts and listed the cluster.
"""

from __future__ import annotations

import json

import pytest

from graphsiem import lab
from graphsiem.api.state import StateStore
from graphsiem.cli import main
from tests.graphsiem.cli.test_detect_triage_suppressions import triaged_data_dir  # noqa: F401 - the service's verdict


def _queue(data):
    """The service's active clusters and their risks, as it stored them."""
    state = StateStore(data / "state.sqlite")
    try:
        return {row.id: round(row.score, 2) for row in state.list_clusters(limit=100) if row.is_active}
    finally:
        state.close()


@pytest.fixture
def triaged(triaged_data_dir):  # noqa: F811
    """(data dir, the benign cluster, the service's queue with its risks)."""
    data, top, _ = triaged_data_dir
    queue = _queue(data)
    assert len(queue) >= 2, "the fleet gives clusters besides the benign one"
    return data, top, queue


def test_lab_shows_the_service_queue_with_its_risks(triaged):
    data, top, queue = triaged
    with lab.open("embedded", data_dir=data) as ws:
        shown = {c.id: round(c.score, 2) for c in ws.detect()}
        summary = ws.last_detection_summary
    assert top["id"] not in shown
    assert shown == queue
    assert summary["suppressions_held"] == 1 and not summary["suppressions_ignored"]
    assert summary["suppressions_applied"] == [[top["pivot"]["type"], top["pivot"]["key"]]]


def test_lab_and_cli_agree_on_the_same_data_dir(triaged, capsys):
    data, _, _ = triaged
    assert main(["detect", "--data", str(data), "--json", "-"]) == 0
    cli = {c["id"]: c["score"] for c in json.loads(capsys.readouterr().out)["clusters"]}
    with lab.open("embedded", data_dir=data) as ws:
        assert {c.id: round(c.score, 2) for c in ws.detect()} == cli


def test_suppressions_false_brings_the_benign_cluster_back(triaged):
    data, top, queue = triaged
    with lab.open("embedded", data_dir=data) as ws:
        shown = {c.id: round(c.score, 2) for c in ws.detect(suppressions=False)}
        summary = ws.last_detection_summary
    assert top["id"] in shown
    # the others keep their risks: a verdict is no change of the population they are rare in
    assert {k: v for k, v in shown.items() if k != top["id"]} == queue
    assert summary["suppressions_held"] == 1 and summary["suppressions_ignored"]
    assert summary["suppressions_applied"] == []


def test_a_notebooks_own_suppressions_as_a_list_join_the_services(triaged):
    data, top, queue = triaged
    other = next(iter(queue))
    with lab.open("embedded", data_dir=data) as ws:
        pivot = next(c.pivot for c in ws.detect() if c.id == other)
        shown = {c.id: round(c.score, 2) for c in ws.detect(suppressed=[(pivot.type, pivot.key)])}
    assert top["id"] not in shown and other not in shown
    assert shown == {k: v for k, v in queue.items() if k != other}
