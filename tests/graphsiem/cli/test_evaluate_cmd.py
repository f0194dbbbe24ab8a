"""``graphsiem evaluate`` on the output of ``graphsiem detect``."""

from __future__ import annotations

import json

from graphsiem.cli import main
from tests.analytics.fleet import CAMPAIGN_HOSTS


def test_evaluate_reads_detect_output(fleet_data_dir, tmp_path, capsys):
    clusters = tmp_path / "clusters.json"
    assert main(["detect", "--data", str(fleet_data_dir), "--json", str(clusters), "--quiet"]) == 0
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
