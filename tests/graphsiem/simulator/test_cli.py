"""``graphsiem simulate`` end to end (in process)."""

from __future__ import annotations

import json

from graphsiem.cli import main


def test_simulate_command_writes_output_and_summary(tmp_path, capsys):
    code = main(["simulate", "--hosts", "10", "--days", "1", "--seed", "4", "--out", str(tmp_path),
                 "--no-progress", "--scenario", "background", "--scenario", "seed_campaign"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "wrote " in printed and "for 10 hosts x 1 days" in printed
    truth = json.loads((tmp_path / "ground_truth.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in truth["scenarios"]] == ["seed_campaign"]


def test_bad_scenario_exits_2_with_the_reason(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nlabel: x\nkind: attack\nhosts: {}\nactivities:\n"
                   "  - schedule: {every: daily}\n    steps: [{action: teleport}]\n", encoding="utf-8")
    code = main(["simulate", "--hosts", "10", "--days", "1", "--out", str(tmp_path / "o"),
                 "--no-progress", "--scenario", str(bad)])
    assert code == 2
    assert "scenario 'bad': activities[0].steps[0]: unknown action 'teleport'" in capsys.readouterr().err


def test_too_small_fleet_is_refused(tmp_path, capsys):
    assert main(["simulate", "--hosts", "2", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "at least 5 hosts" in capsys.readouterr().err
