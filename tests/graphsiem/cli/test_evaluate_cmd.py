"""``graphsiem evaluate`` on the output of ``graphsiem detect``."""

from __future__ import annotations

import json

import pytest

from graphsiem.cli import main
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.fleet import CAMPAIGN_HOSTS, populate


@pytest.fixture
def data_dir(tmp_path):
    store = EmbeddedStore(tmp_path / "data" / "graph")
    populate(store)
    store.close()
    return tmp_path / "data"


def test_evaluate_reads_detect_output(data_dir, tmp_path, capsys):
    clusters = tmp_path / "clusters.json"
    assert main(["detect", "--data", str(data_dir), "--json", str(clusters), "--quiet"]) == 0
    truth = tmp_path / "ground_truth.json"
    truth.write_text(json.dumps({"scenarios": [
        {"name": "campaign", "kind": "attack", "hosts": CAMPAIGN_HOSTS,
         "indicators": [{"type": "domain", "value": "bad.example"}]},
    ]}))
    capsys.readouterr()
    assert main(["evaluate", "--truth", str(truth), "--clusters", str(clusters), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["ranks"] == {"campaign": 1}
    assert metrics["average_precision"] == 1.0


def test_evaluate_unreadable_truth(tmp_path, capsys):
    assert main(["evaluate", "--truth", str(tmp_path / "x.json"), "--clusters", str(tmp_path / "y.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
