"""``graphsiem detect`` on a hand-built fleet in a data directory."""

from __future__ import annotations

import json

from graphsiem.cli import main
from tests.analytics.fleet import CAMPAIGN_HOSTS


def test_json_to_stdout_is_the_cluster_contract(fleet_data_dir, capsys):
    assert main(["detect", "--data", str(fleet_data_dir), "--json", "-"]) == 0
    contract = json.loads(capsys.readouterr().out)
    top = contract["clusters"][0]
    assert {"id", "score", "hosts", "entities", "first_seen", "last_seen", "explanation", "evidence"} <= set(top)
    assert top["hosts"] == CAMPAIGN_HOSTS


def test_table_lists_ranked_summaries_and_drivers(fleet_data_dir, capsys):
    assert main(["detect", "--data", str(fleet_data_dir), "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "rank  risk hosts  summary" in out
    assert "   1 " in out and "8 hosts first contacted domain bad.example" in out
    assert "(fleet baseline" in out


def test_baseline_ranking(fleet_data_dir, capsys):
    assert main(["detect", "--data", str(fleet_data_dir), "--baseline", "host-count", "--json", "-"]) == 0
    clusters = json.loads(capsys.readouterr().out)["clusters"]
    assert clusters[0]["entities"] == [{"type": "process", "value": "C:\\Windows\\explorer.exe"}]


def test_bad_config_is_refused_with_its_reason(fleet_data_dir, tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("min_hostz: 3\n")
    assert main(["detect", "--data", str(fleet_data_dir), "--config", str(config)]) == 2
    assert "min_hostz" in capsys.readouterr().err


def test_missing_path_is_refused(fleet_data_dir, tmp_path, capsys):
    assert main(["detect", str(tmp_path / "nope.json"), "--data", str(fleet_data_dir)]) == 2
    assert "nope.json" in capsys.readouterr().err
