"""``graphsiem detect``: an unwritable --json, a --top below 1, and why a run found no cluster."""

from __future__ import annotations

import subprocess
import sys

import pytest

from graphsiem.cli import main


def test_unwritable_json_is_refused_before_detecting(fleet_data_dir, tmp_path, capsys):
    target = tmp_path / "no" / "such" / "dir" / "c.json"
    assert main(["detect", "--data", str(fleet_data_dir), "--json", str(target)]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # refused before the detection ran: no table
    assert err.strip().splitlines() == [f"graphsiem detect: cannot write --json {target}: no such directory: {target.parent}"]


def test_json_naming_a_directory_is_refused(fleet_data_dir, tmp_path, capsys):
    assert main(["detect", "--data", str(fleet_data_dir), "--json", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_unwritable_json_in_a_real_process_prints_one_line_and_no_traceback(fleet_data_dir, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "graphsiem", "detect", "--data", str(fleet_data_dir), "--json", "/nonexistent/dir/c.json"],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.strip() == "graphsiem detect: cannot write --json /nonexistent/dir/c.json: no such directory: /nonexistent/dir"


def test_json_is_written_when_the_folder_is_writable(fleet_data_dir, tmp_path):
    target = tmp_path / "c.json"
    assert main(["detect", "--data", str(fleet_data_dir), "--json", str(target), "--quiet"]) == 0
    assert target.read_text().startswith("{")


@pytest.mark.parametrize("top", ["-1", "0", "x"])
def test_top_must_be_at_least_one(fleet_data_dir, top, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["detect", "--data", str(fleet_data_dir), "--top", top])
    assert stop.value.code == 2
    assert "argument --top" in capsys.readouterr().err


def _detect_with(settings: str, fleet_data_dir, tmp_path, capsys) -> str:
    """What ``graphsiem detect`` prints on the hand-built fleet with these settings (YAML)."""
    config = tmp_path / "c.yaml"
    config.write_text(settings)
    assert main(["detect", "--data", str(fleet_data_dir), "--config", str(config)]) == 0
    return capsys.readouterr().out


def test_no_clusters_says_which_window_and_why(fleet_data_dir, tmp_path, capsys):
    # only the ubiquitous, old explorer.exe is on 30+ hosts
    out = _detect_with("min_hosts: 30\n", fleet_data_dir, tmp_path, capsys)
    assert out.startswith("0 clusters")
    assert (
        "window 2023-11-15T22:13:20.000Z .. 2023-11-16T22:13:20.000Z (24 h ending at the newest event); "
        "1 entity shared by >= 30 hosts in it, 0 of them first seen in it "
        "(pivots must be new: everything older is the baseline)"
    ) in out


def test_no_clusters_counts_candidates_that_are_too_common(fleet_data_dir, tmp_path, capsys):
    # A 48 h window holds all of the fleet's two days: no baseline, so max_fraction applies to
    # the new campaign too (8 of 40 hosts is 20 %), and the message says why.
    out = _detect_with("min_hosts: 8\nmax_fraction: 0.1\nwindow_hours: 48\n", fleet_data_dir, tmp_path, capsys)
    assert out.startswith("0 clusters")
    assert (
        "10 entities shared by >= 8 hosts in it, 10 of them first seen in it, 0 not suppressed and on at "
        "most 10% of the fleet, or new where most hosts have 43.2 h of data before the window "
        "(pivot candidates; 0 of 40 hosts have that much)"
    ) in out


def test_a_new_campaign_is_a_candidate_whatever_max_fraction_when_the_fleet_has_a_baseline(
    fleet_data_dir, tmp_path, capsys
):
    # the campaign's 8 of 40 hosts is 20 %
    out = _detect_with("min_hosts: 8\nmax_fraction: 0.1\n", fleet_data_dir, tmp_path, capsys)
    assert out.startswith("1 clusters") and "8 hosts first contacted domain bad.example" in out


def test_an_empty_store_says_there_is_nothing_to_cluster(tmp_path, capsys):
    (tmp_path / "empty" / "graph").mkdir(parents=True)  # an empty graph (a directory without one is refused)
    assert main(["detect", "--data", str(tmp_path / "empty")]) == 0
    assert "no entity is shared by 2 or more hosts in the store" in capsys.readouterr().out
