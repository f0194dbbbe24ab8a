"""``graphsiem detect`` applies the service's triage suppressions, so CLI and service agree (task I9).

Review R1, item 6: ``graphsiem detect`` used a default ``DetectionConfig()`` and
showed again the clusters analysts had closed as benign in the service.  Here
the service (the real app over the data directory's embedded store) ingests the
API test fleet, an analyst marks the top cluster benign, the service detects
again; then the CLI, on the same data directory, must list the same clusters,
say that a pivot was suppressed by triage, and bring it back only with
``--no-suppressions``.
"""

from __future__ import annotations

import json

import pytest

from graphsiem.cli import main
from graphsiem.store import open_store
from tests.api.conftest import make_settings, running_api


@pytest.fixture
def triaged_data_dir(tmp_path):
    """A data directory whose service state holds one benign verdict; the service's active clusters."""
    data = tmp_path / "data"
    store = open_store(None, data_dir=data)
    try:
        with running_api(make_settings(data), store) as api:
            api.ingest_fleet()
            assert api.detect()["status"] == "done"
            top = api.get("/v1/clusters", role="analyst").json()["items"][0]
            assert api.patch(f"/v1/clusters/{top['id']}", role="analyst",
                             json={"verdict": "benign", "note": "MSP tool"}).status_code == 200
            assert len(api.get("/v1/suppressions", role="analyst").json()) == 1
            assert api.detect()["status"] == "done"
            active = [(c["id"], sorted(c["hosts"])) for c in
                      api.get("/v1/clusters", role="analyst", params={"limit": 50}).json()["items"]
                      if c["active"]]
    finally:
        store.close()
    return data, top, active


def _cli(data, capsys, *extra):
    assert main(["detect", "--data", str(data), "--json", "-", *extra]) == 0
    captured = capsys.readouterr()
    return [(c["id"], sorted(c["hosts"])) for c in json.loads(captured.out)["clusters"]], captured.err


def test_cli_and_service_give_the_same_clusters(triaged_data_dir, capsys):
    data, top, active = triaged_data_dir

    clusters, err = _cli(data, capsys)

    assert sorted(clusters) == sorted(active)
    assert top["id"] not in [cid for cid, _ in clusters]
    assert "1 pivot suppressed by triage" in err


def test_no_suppressions_brings_the_benign_cluster_back(triaged_data_dir, capsys):
    data, top, _ = triaged_data_dir

    clusters, err = _cli(data, capsys, "--no-suppressions")

    assert (top["id"], sorted(top["hosts"])) in clusters
    assert "--no-suppressions: 1 pivot suppressed by triage ignored" in err


def test_without_service_state_nothing_is_said(tmp_path, capsys):
    from tests.api.fleet import fleet_events

    source = tmp_path / "fleet.ndjson"
    source.write_text("".join(json.dumps(e) + "\n" for e in fleet_events()), encoding="utf-8")
    data = tmp_path / "data"
    assert main(["detect", str(source), "--data", str(data), "--json", "-"]) == 0
    assert "suppressed by triage" not in capsys.readouterr().err
    # detect keeps its candidates in the state (analytics.candidate_history), and no triage
    from graphsiem.api.state import StateStore

    state = StateStore(data / "state.sqlite")
    try:
        assert state.list_suppressions() == []
    finally:
        state.close()


def test_an_unreadable_state_is_refused_unless_ignored(triaged_data_dir, capsys):
    data, _, _ = triaged_data_dir
    for name in ("state.sqlite-wal", "state.sqlite-shm"):
        (data / name).unlink(missing_ok=True)
    (data / "state.sqlite").write_bytes(b"not a database" * 100)

    assert main(["detect", "--data", str(data), "--json", "-"]) == 2
    assert "cannot read the triage suppressions" in capsys.readouterr().err
    assert main(["detect", "--data", str(data), "--json", "-", "--no-suppressions"]) == 0
