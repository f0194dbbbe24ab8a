"""The peer benchmark's GraphSIEM side and its tables, on a tiny slice of the Empire launcher sample.

The peers themselves (Beagle's Python 3.7 venv) are not part of the suite:
``benchmarks/bench_peers.py`` is a separate command.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from benchmarks.bench_peers import (
    CHECKS,
    format_checks,
    format_coverage,
    format_throughput,
    holds,
    tile,
)
from benchmarks.peers_graphsiem import measure
from tests.samples import samples_path

EMPIRE = samples_path() / "otrf-security-datasets" / "empire_launcher_vbs_2020-09-04160940.json"
SYSMON = "Microsoft-Windows-Sysmon/Operational"


@pytest.fixture
def empire_slice(tmp_path: Path) -> Path:
    """The chain's Sysmon 1 (wscript, powershell -enc, whoami), powershell's Sysmon 3, two Security 4658."""
    chosen, handles_closed = [], 0
    for line in EMPIRE.read_bytes().splitlines():
        record = orjson.loads(line)
        image = (record.get("Image") or "").lower()
        if record.get("Channel") == SYSMON and (
            (record["EventID"] == 1 and image.endswith(("wscript.exe", "powershell.exe", "whoami.exe")))
            or (record["EventID"] == 3 and image.endswith("powershell.exe"))
        ):
            chosen.append(line)
        elif record.get("Channel") == "Security" and record["EventID"] == 4658 and handles_closed < 2:
            handles_closed += 1
            chosen.append(line)
    path = tmp_path / "empire_slice.ndjson"
    path.write_bytes(b"\n".join(chosen) + b"\n")
    return path


def test_graphsiem_side_holds_the_empire_chain(empire_slice: Path, tmp_path: Path) -> None:
    result = measure(empire_slice, tmp_path / "data", coverage=True)

    assert result["records"] == 6 and result["rejected"] == 0
    assert result["cpu_s"] > 0 and result["nodes"] > 0 and result["edges"] > 0
    for check in CHECKS["empire"]:
        assert holds(result["facts"], check), check
    # handle closes are journaled but reach no relation; the chain's records all do
    assert result["kinds"]["Security 4658"] == [2, 0]
    assert result["kinds"][f"{SYSMON} 1"] == [3, 3]
    assert result["kinds"][f"{SYSMON} 3"] == [1, 1]


def test_a_graph_without_the_decoded_stager_fails_that_check(empire_slice: Path, tmp_path: Path) -> None:
    facts = measure(empire_slice, tmp_path / "data", coverage=True)["facts"]
    beagle_like = {**facts, "spawns": [[*row[:3], ""] for row in facts["spawns"]], "connects": []}

    lines = format_checks("empire", {"GraphSIEM": facts, "Beagle": beagle_like}).splitlines()

    decoded = next(line for line in lines if line.strip().startswith("decoded wscript.exe -> powershell.exe"))
    assert decoded.endswith("GraphSIEM: yes  Beagle: NO")
    spawn = next(line for line in lines if line.strip().startswith("spawn wscript.exe -> powershell.exe"))
    assert spawn.endswith("GraphSIEM: yes  Beagle: yes")
    connect = next(line for line in lines if line.strip().startswith("connect powershell.exe"))
    assert connect.endswith("Beagle: NO")


def test_throughput_table_gives_each_tool_its_ratio_to_graphsiem() -> None:
    row = {"records": 20_000, "wall_s": 2.0, "cpu_s": 1.0, "peak_rss_mb": 200.0, "nodes": 300, "edges": 600,
           "rejected": 0}
    table = format_throughput({
        "GraphSIEM": {**row, "rate": 20_000.0, "rate_range": (19_000.0, 21_000.0), "in_graph": 0.5},
        "Beagle": {**row, "rate": 5_000.0, "nodes": 120, "edges": 115, "peak_rss_mb": 110.0, "in_graph": 0.04},
    })

    header, _, ours, theirs = table.splitlines()
    assert header.split()[:3] == ["tool", "records", "rec/CPU-s"]
    assert ours.split()[0] == "GraphSIEM" and ours.endswith("x1.00") and "19,000-21,000" in ours
    assert theirs.split()[:3] == ["Beagle", "20,000", "5,000"] and theirs.endswith("x0.25")
    assert theirs.split()[6:9] == ["110", "120", "115"]
    # per record that reached the graph: 1e6 / (20,000 x 0.5) = 100 us; 1e6 / (5,000 x 0.04) = 5,000 us
    assert ours.split()[-3:-1] == ["50.0%", "100"]
    assert theirs.split()[-3:-1] == ["4.0%", "5,000"]


def test_coverage_table_counts_what_reached_each_graph() -> None:
    table = format_coverage({
        "GraphSIEM": {f"{SYSMON} 10": [124, 115], f"{SYSMON} 1": [3, 3], "Security 4658": [4, 0]},
        "Beagle": {f"{SYSMON} 10": [128, 0], f"{SYSMON} 1": [3, 3], "Security 4658": [4, 0]},
    })

    lines = table.splitlines()
    assert lines[1].split()[-3:] == ["3", "3", "3"] and lines[1].startswith(f"{SYSMON} 1 ")
    assert lines[2].split()[-3:] == ["128", "115", "0"] and lines[2].startswith(f"{SYSMON} 10 ")
    assert lines[3].split()[-3:] == ["4", "0", "0"] and lines[3].startswith("Security 4658")
    assert lines[4].split() == ["all", "135", "118", "3"]


def test_tile_numbers_its_copies(empire_slice: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiled.ndjson"

    written = tile([empire_slice], 13, out)

    records = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert written == len(records) == 18  # whole copies of the 6 records, at least 13
    assert [record["_bench_copy"] for record in records[::6]] == [0, 1, 2]
