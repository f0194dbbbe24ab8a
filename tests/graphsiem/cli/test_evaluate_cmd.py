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


def test_evaluate_prints_the_tie_line_and_json_keys(tmp_path, capsys):
    """Equal risks are ordered by a tie-break: the report adds the expected figures and the margin (R6-3)."""
    truth = tmp_path / "ground_truth.json"
    truth.write_text(json.dumps({"scenarios": [
        {"name": "campaign", "kind": "attack", "hosts": ["a", "b"], "indicators": [{"type": "domain", "value": "x"}]},
        {"name": "rollout", "kind": "benign", "hosts": ["c", "d"], "indicators": [{"type": "file", "value": "y"}]},
    ]}))
    clusters = tmp_path / "clusters.json"
    clusters.write_text(json.dumps({"clusters": [
        {"score": 70.0, "hosts": ["a", "b"], "entities": [{"type": "domain", "value": "x"}]},
        {"score": 20.0, "hosts": ["e"], "entities": [{"type": "ip", "value": "1"}]},
        {"score": 20.0, "hosts": ["c", "d"], "entities": [{"type": "file", "value": "y"}]},
    ]}))
    assert main(["evaluate", "--truth", str(truth), "--clusters", str(clusters)]) == 0
    out = capsys.readouterr().out
    assert "rollout                          benign  3  (tied with 1 other row: expected rank 2.5)" in out
    assert "expected decoys in top 10: 1.00  expected seed rank: 1  risk margin" in out
    assert out.rstrip().endswith("risk margin (lowest attack - highest other row): +50.00")
    assert main(["evaluate", "--truth", str(truth), "--clusters", str(clusters), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["expected_ranks"] == {"campaign": 1.0, "rollout": 2.5}
    assert metrics["risk_margin"] == 50.0 and metrics["expected_seed_rank"] == 1.0
