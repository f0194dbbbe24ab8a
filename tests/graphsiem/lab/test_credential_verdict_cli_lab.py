"""On a data directory the service triaged, ``graphsiem detect`` and ``ws.detect()`` show the same
credential findings as the API: the judged storm suppressed, a later success on its account shown
(task SPRAY2 items 1 and 3).

The service (the real app over the directory's embedded store and journal) ingests svc_backup's
nightly lock-out storm, an analyst marks the brute-force finding benign; the CLI and the lab then read
the same store, journal and state.  Before, the verdict suppressed nothing (CLI, lab and API listed the
storm); ``ws.detect()`` reads the directory's journal, so a notebook finds what the CLI finds.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from graphsiem import lab
from graphsiem.cli import main
from graphsiem.store import open_store
from tests.analytics.test_credential_spray import BASE, validation
from tests.api.conftest import Api, make_settings, running_api
from tests.api.test_credential_verdict_scope import storm


def _ingest(api: Api, records: list[dict[str, Any]]) -> None:
    assert api.post("/v1/events", role="ingest", json=records).status_code == 200
    api.ctx.ingest.catch_up()


@pytest.fixture
def judged(tmp_path):
    """A data directory whose service judged the storm benign, then saw svc_backup succeed (or not)."""
    def build(success_after: bool):
        data = tmp_path / "data"
        store = open_store(None, data_dir=data)
        try:
            with running_api(make_settings(data), store) as api:
                _ingest(api, storm(BASE, 100))
                assert api.detect()["status"] == "done"
                top = api.get("/v1/clusters", role="analyst").json()["items"][0]
                assert top["hosts"] == ["dc01"]
                assert api.patch(f"/v1/clusters/{top['id']}", role="analyst",
                                 json={"verdict": "benign"}).status_code == 200
                _ingest(api, storm(BASE + 1800, 200))
                if success_after:
                    _ingest(api, [validation(BASE + 3600, "svc_backup", "BACKUP01", "0x0", 400)])
        finally:
            store.close()
        return data, top
    return build


def _cli_credential(data, capsys, *extra: str) -> list[dict[str, Any]]:
    assert main(["detect", "--data", str(data), "--json", "-", *extra]) == 0
    return [c for c in json.loads(capsys.readouterr().out)["clusters"] if c.get("credential")]


def test_cli_and_lab_suppress_the_judged_storm(judged, capsys):
    data, top = judged(success_after=False)

    assert _cli_credential(data, capsys) == []
    with lab.open("embedded", data_dir=data) as ws:
        assert [c.id for c in ws.detect()] == []
        assert ws.last_detection_summary["suppressions_applied"] == [["host", "dc01"]]
        # without the verdicts the lab finds the storm as the CLI does: it read the journal
        assert [c.id for c in ws.detect(suppressions=False)] == [top["id"]]
    assert [c["id"] for c in _cli_credential(data, capsys, "--no-suppressions")] == [top["id"]]


def test_cli_and_lab_show_a_success_after_the_verdict(judged, capsys):
    data, top = judged(success_after=True)

    cli = _cli_credential(data, capsys)
    with lab.open("embedded", data_dir=data) as ws:
        shown = [c for c in ws.detect() if c.id == top["id"]]

    assert [c["credential"]["pattern"] for c in cli] == ["likely_compromise"]
    assert len(shown) == 1
